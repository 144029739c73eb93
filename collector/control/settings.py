"""Settings: one frozen object built from ``COLLECTOR_*`` environment variables.

This is the only module that reads settings from the environment (``collector serve`` writes
them back with ``to_env`` for its worker processes). Everything else receives a
``Settings`` instance explicitly (``create_app(settings)``); tests build
``Settings(data_dir=tmp_path)`` directly.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, get_args, get_origin, get_type_hints

from collector._data import folder

IpPolicy = Literal["full", "truncate", "hash", "drop"]
AckMode = Literal["fsync", "write"]

_PREFIX = "COLLECTOR_"
# The product's data folders, found through the installed package (wheel or editable install).
_SCHEMAS = folder("schemas")
_TAG_EXTENSION = folder("tag_extension")
_STATIC = folder("static")


@dataclass(frozen=True)
class Settings:
    """Every knob of the collector, with its production default.

    Each field maps to the environment variable ``COLLECTOR_<FIELD NAME IN UPPER CASE>``.
    """

    # Where the lake, the control plane and the profile store live.
    data_dir: Path = Path("data")
    # Directory of XDM schemas in AEP registry form (default: the installed package data).
    schemas_dir: Path = _SCHEMAS
    # Directory of the tag extension (manifest and runtime modules; default: package data).
    tag_extension_dir: Path = _TAG_EXTENSION
    # Directory of static assets (admin UI, demo page; default: package data).
    static_dir: Path = _STATIC
    # Base URL the collector is reached at, used in printed inlet URLs and the tag.
    public_url: str = "http://127.0.0.1:8000"
    # Seed a demo org, datasets and inlet (random id) when the control plane is empty;
    # ``collector serve --demo`` turns it on. Off by default: nothing accepts data until asked.
    seed_demo: bool = False

    # Request limits (abuse resistance).
    max_body_bytes: int = 1_000_000
    max_decompressed_bytes: int = 1_000_000
    max_json_depth: int = 64
    max_batch_messages: int = 2_000
    # Concurrent batch requests a worker processes at once; others wait their turn.
    max_concurrent_batches: int = 16
    # Seconds a received batch may wait for one of those slots before a 503.
    batch_queue_timeout_seconds: float = 5.0
    # Bytes of request bodies a worker buffers at once, all requests together; past it, 503.
    max_buffered_bytes: int = 64 * 1024 * 1024

    # Durability: "fsync" acknowledges after the group fsync, "write" after write() to the OS.
    ack_mode: AckMode = "fsync"
    # A lake segment is closed and a new one started past this size.
    segment_max_bytes: int = 128 * 1024 * 1024
    # What is kept of the client IP: all of it, truncated (/24, /48), a keyed hash, or nothing.
    ip_policy: IpPolicy = "truncate"
    # Secret for ``ip_policy=hash``; empty means a per-data-dir secret is generated and kept.
    ip_hash_secret: str = ""
    # Size of the user-agent parse cache (entries).
    user_agent_cache_size: int = 4096

    # Rate limiting (see collector/guard/ratelimit.py); ``memory://`` or ``redis://host:port``.
    rate_limit_storage: str = "memory://"
    rate_limit_requests_per_second: int = 1_000
    rate_limit_messages_per_second: int = 1_000
    rate_limit_sync_per_minute: int = 60
    # Requests per second per client IP on browser inlets (inlets with allowed origins: their
    # senders hold no secret); a refused tag retries after Retry-After. 0 disables.
    rate_limit_per_ip_per_second: int = 20
    # Seconds a client has to send its request head and body.
    request_timeout_seconds: float = 10.0

    # The projector (profile store), started and supervised by ``collector serve``.
    run_projector: bool = True
    projector_poll_ms: int = 20
    projector_batch_size: int = 50_000
    projector_cache_identities: int = 100_000  # identity-graph rows kept, ~0.7 KB each

    # Lifetime of the access tokens POST /ims/token/v3 issues, in seconds (AEP's: 24 h).
    access_token_ttl: int = 86_400
    # Console sessions end after this many minutes without a request (and 12 h after sign-in).
    session_idle_minutes: int = 30
    # The debug event follower (GET /debug/events): events kept per worker, poll interval,
    # and how many recent hours a lookup by ``_id`` scans when the profile store lacks it.
    debug_buffer_events: int = 10_000
    debug_poll_ms: int = 200
    debug_lookup_hours: int = 6
    # Path prefix of the Web SDK's Edge routes (alloy's ``edgeBasePath``).
    edge_base_path: str = "ee"

    # Monitoring: per-minute series kept this many days (monitoring.db); /metrics without a
    # credential when true; a JSON-lines access log ("" off, "-" standard output, or a path).
    monitoring_retention_days: int = 30
    metrics_public: bool = False
    access_log: str = ""

    log_level: str = "info"
    extra: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)

    @property
    def lake_dir(self) -> Path:
        return self.data_dir / "lake"

    @property
    def control_db_path(self) -> Path:
        return self.data_dir / "control.db"

    @property
    def profile_db_path(self) -> Path:
        return self.data_dir / "profile.db"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        """Build settings from ``COLLECTOR_*`` variables; keyword overrides win (CLI flags)."""
        env = os.environ if environ is None else environ
        hints = get_type_hints(cls)
        values: dict[str, object] = {}
        for f in dataclasses.fields(cls):
            if f.name == "extra":
                continue
            raw = env.get(_PREFIX + f.name.upper())
            if raw is not None:
                values[f.name] = _coerce(f.name, hints[f.name], raw)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]

    @classmethod
    def is_set(cls, name: str, environ: Mapping[str, str] | None = None) -> bool:
        """Whether the environment sets the field ``name`` (a command's flag then gives way)."""
        return _PREFIX + name.upper() in (os.environ if environ is None else environ)

    @classmethod
    def variables(cls) -> list[str]:
        """Names of every environment variable the collector reads (documented in README)."""
        return [_PREFIX + f.name.upper() for f in dataclasses.fields(cls) if f.name != "extra"]


def _coerce(name: str, hint: object, raw: str) -> object:
    if hint is bool:
        lowered = raw.strip().lower()
        if lowered in {"1", "true", "yes", "on"}:
            return True
        if lowered in {"0", "false", "no", "off"}:
            return False
        raise ValueError(f"{_PREFIX}{name.upper()}: expected a boolean, got {raw!r}")
    if hint is int:
        return int(raw)
    if hint is float:
        return float(raw)
    if hint is Path:
        return Path(raw)
    if get_origin(hint) is Literal:
        allowed = get_args(hint)
        if raw not in allowed:
            raise ValueError(f"{_PREFIX}{name.upper()}: expected one of {allowed}, got {raw!r}")
        return raw
    return raw


def to_env(settings: Settings) -> dict[str, str]:
    """The ``COLLECTOR_*`` variables that rebuild ``settings`` in a worker process."""
    env: dict[str, str] = {}
    for f in dataclasses.fields(settings):
        if f.name == "extra":
            continue
        value = getattr(settings, f.name)
        env[_PREFIX + f.name.upper()] = (
            ("true" if value else "false") if isinstance(value, bool) else str(value)
        )
    return env
