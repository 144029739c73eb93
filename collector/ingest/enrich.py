"""Enrichment: transaction ids, the client's IP per policy, the parsed user agent."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import itertools
import os
import secrets
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

from user_agents import parse as parse_user_agent

from collector.control.settings import IpPolicy, Settings

_UA_MAX = 512


class XactionIds:
    """``<receivedTimeMs>:<node>:<sequence>``: unique per message across processes."""

    def __init__(self, node: str | None = None) -> None:
        self.node = node or f"{os.getpid()}{secrets.randbelow(1000):03d}"
        self._seq = itertools.count(1)

    def next(self, received_ms: int) -> str:
        return f"{received_ms}:{self.node}:{next(self._seq)}"


class ClientInfo:
    """Builds the ``client`` block of a lake line from the peer address and User-Agent."""

    def __init__(self, settings: Settings) -> None:
        self.policy: IpPolicy = settings.ip_policy
        self._secret = _hash_secret(settings) if self.policy == "hash" else b""
        self.describe_agent: Callable[[str], dict[str, Any]] = lru_cache(
            maxsize=settings.user_agent_cache_size
        )(_describe_agent)
        self._blocks: Callable[[str | None, str], dict[str, Any]] = lru_cache(
            maxsize=settings.user_agent_cache_size
        )(self._block)

    def build(self, ip: str | None, user_agent: str | None) -> dict[str, Any]:
        """The ``client`` block of a lake line. Cached per (peer, agent): treat it as frozen."""
        return self._blocks(ip, (user_agent or "")[:_UA_MAX])

    def _block(self, ip: str | None, agent: str) -> dict[str, Any]:
        info = dict(self.describe_agent(agent)) if agent else dict(_NO_AGENT)
        info["ip"] = self.anonymise(ip)
        return info

    def anonymise(self, ip: str | None) -> str | None:
        if ip is None or self.policy == "drop":
            return None
        if self.policy == "full":
            return ip
        if self.policy == "hash":
            return hmac.new(self._secret, ip.encode(), hashlib.sha256).hexdigest()[:32]
        try:
            address = ipaddress.ip_address(ip)
        except ValueError:
            return None
        prefix = 24 if address.version == 4 else 48
        return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False).network_address)


_NO_AGENT: dict[str, Any] = {
    "userAgent": None,
    "browser": None,
    "browserVersion": None,
    "os": None,
    "osVersion": None,
    "deviceType": "other",
    "isBot": False,
}


def _describe_agent(agent: str) -> dict[str, Any]:
    ua = parse_user_agent(agent)
    if ua.is_bot:
        device = "bot"
    elif ua.is_tablet:
        device = "tablet"
    elif ua.is_mobile:
        device = "mobile"
    elif ua.is_pc:
        device = "pc"
    else:
        device = "other"
    return {
        "userAgent": agent,
        "browser": ua.browser.family,
        "browserVersion": ua.browser.version_string or None,
        "os": ua.os.family,
        "osVersion": ua.os.version_string or None,
        "deviceType": device,
        "isBot": bool(ua.is_bot),
    }


def _hash_secret(settings: Settings) -> bytes:
    if settings.ip_hash_secret:
        return settings.ip_hash_secret.encode()
    path: Path = settings.data_dir / ".ip-hash-secret"
    if not path.exists():
        # Written aside, then linked into place: a worker never reads a half-written secret.
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        tmp.write_bytes(secrets.token_hex(32).encode())
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return path.read_bytes().strip()
