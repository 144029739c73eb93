"""The control plane's records: orgs, datasets and inlets as frozen values, their ids, and the
checks and column forms of their values.

``collector/control/plane.py`` reads and changes them in ``control.db``; every other package
sees them through these types (re-exported by ``plane``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

import orjson

from collector.control import origins
from collector.control.names import control_character_problem

INLET_ID = re.compile(r"^[0-9a-f]{64}$")
DATASET_ID = re.compile(r"^[0-9a-f]{24}$")
ORG_ID = re.compile(r"^[A-Za-z0-9_.\-]{1,64}@AdobeOrg$")
# Per-inlet rate limits (NULL: the setting's default; 0: no limit); see collector/guard/inlet.py.
LIMIT_COLUMNS = (
    "requests_per_second",
    "messages_per_second",
    "sync_per_minute",
    "per_ip_per_second",
)


class ControlPlaneError(ValueError):
    """A control-plane change that cannot be made (unknown org, bad id, unknown schema)."""


@dataclass(frozen=True)
class Org:
    id: str
    name: str
    created_at: str


@dataclass(frozen=True)
class Dataset:
    id: str
    org_id: str
    name: str
    schema_id: str
    profile_enabled: bool
    identity_enabled: bool
    created_at: str


@dataclass(frozen=True)
class Inlet:
    id: str
    org_id: str
    name: str
    description: str
    source_name: str
    auth_required: bool
    allowed_origins: tuple[str, ...]
    default_dataset_id: str | None
    created_at: str
    requests_per_second: int | None = None
    messages_per_second: int | None = None
    sync_per_minute: int | None = None
    per_ip_per_second: int | None = None
    deleted_at: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["allowed_origins"] = list(self.allowed_origins)
        return data


def dataset_from_row(row: dict[str, Any]) -> Dataset:
    return Dataset(
        row["id"],
        row["org_id"],
        row["name"],
        row["schema_id"],
        bool(row["profile_enabled"]),
        bool(row["identity_enabled"]),
        row["created_at"],
    )


def inlet_from_row(row: dict[str, Any]) -> Inlet:
    return Inlet(
        id=row["id"],
        org_id=row["org_id"],
        name=row["name"],
        description=row["description"],
        source_name=row["source_name"],
        auth_required=bool(row["auth_required"]),
        allowed_origins=tuple(orjson.loads(row["allowed_origins"])),
        default_dataset_id=row["default_dataset_id"],
        created_at=row["created_at"],
        requests_per_second=row["requests_per_second"],
        messages_per_second=row["messages_per_second"],
        sync_per_minute=row["sync_per_minute"],
        per_ip_per_second=row["per_ip_per_second"],
        deleted_at=row.get("deleted_at"),
    )


# -- values as the control plane checks and stores them -----------------------------


def check_texts(*fields: tuple[str, str | None]) -> None:
    """Refuse control characters in names and descriptions (see collector/control/names.py)."""
    for field, value in fields:
        problem = control_character_problem(field, value or "")
        if problem is not None:
            raise ControlPlaneError(problem)


def parsed_origins(values: Iterable[str]) -> tuple[str, ...]:
    try:
        return origins.parse_all(values)
    except origins.OriginError as exc:
        raise ControlPlaneError(str(exc)) from None


def column_value(value: object) -> object:
    """A field of ``Inlet`` as its column stores it."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, tuple):
        return orjson.dumps(list(value)).decode()
    return value


def plain(value: object) -> object:
    return list(value) if isinstance(value, tuple) else value
