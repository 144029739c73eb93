"""Identity namespaces: AEP's standard ones (with AEP's codes and numeric ids) and an org's
custom ones (rows of ``identity_namespaces`` in control.db, ids from 1,000,000 up).

Codes compare case-insensitively, as the profile store keys identities by the lower-cased
code (collector/profile/identities.py).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database

ID_TYPES = ("COOKIE", "CROSS_DEVICE", "DEVICE", "EMAIL", "MOBILE", "NON_PEOPLE", "PHONE")
FIRST_CUSTOM_ID = 1_000_000
_CODE = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")
_STANDARD_TIME = 1495153678000


@dataclass(frozen=True)
class Namespace:
    id: int
    code: str
    name: str
    id_type: str
    description: str = ""
    custom: bool = False
    created_ms: int = _STANDARD_TIME

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "code": self.code,
            "name": self.name,
            "idType": self.id_type,
            "description": self.description,
            "status": "ACTIVE",
            "custom": self.custom,
            "createTime": self.created_ms,
            "updateTime": self.created_ms,
        }


STANDARD = (
    Namespace(0, "CORE", "CORE", "COOKIE", "CORE Namespace"),
    Namespace(4, "ECID", "ECID", "COOKIE", "ECID Namespace"),
    Namespace(6, "Email", "Email", "EMAIL", "Email"),
    Namespace(7, "Phone", "Phone", "PHONE", "Phone"),
    Namespace(8, "WAID", "Windows AID", "DEVICE", "Windows AID"),
    Namespace(9, "TNTID", "Adobe Target", "COOKIE", "Adobe Target (TNTID)"),
    Namespace(10, "AAID", "Adobe Analytics (Legacy ID)", "COOKIE", "Adobe Analytics"),
    Namespace(11, "Email_LC_SHA256", "Emails (SHA256, lowercased)", "EMAIL", "Hashed e-mail"),
    Namespace(411, "AdCloud", "AdCloud", "COOKIE", "Adobe AdCloud - ID Syncing Partner"),
    Namespace(20914, "GAID", "Google Ad ID (GAID)", "DEVICE", "Google Advertising ID"),
    Namespace(20915, "IDFA", "Apple IDFA (ID for Advertisers)", "DEVICE", "Apple IDFA"),
)


class NamespaceError(ValueError):
    """A custom namespace that cannot be made (bad code or type, a code taken)."""


def all_of(db: Database, org_id: str) -> list[Namespace]:
    rows = db.query("SELECT * FROM identity_namespaces WHERE org_id = ? ORDER BY id", [org_id])
    return [*STANDARD, *(_custom(row) for row in rows)]


def by_id(db: Database, org_id: str, ns_id: int) -> Namespace | None:
    return next((n for n in all_of(db, org_id) if n.id == ns_id), None)


def by_code(db: Database, org_id: str, code: str) -> Namespace | None:
    wanted = code.strip().lower()
    return next((n for n in all_of(db, org_id) if n.code.lower() == wanted), None)


def create(
    db: Database, org_id: str, *, code: str, name: str, id_type: str, description: str = ""
) -> Namespace:
    if not _CODE.match(code):
        raise NamespaceError("code must be 1-64 letters, digits, '_', '.' or '-'")
    if id_type not in ID_TYPES:
        raise NamespaceError(f"idType must be one of {', '.join(ID_TYPES)}")
    if by_code(db, org_id, code) is not None:
        raise NamespaceError(f"a namespace with the code {code} exists already")
    (top,) = db.execute("SELECT max(id) FROM identity_namespaces").fetchone()
    ns = Namespace(
        max(FIRST_CUSTOM_ID, (top or 0) + 1),
        code,
        name,
        id_type,
        description,
        custom=True,
        created_ms=int(time.time() * 1000),
    )
    with db.atomic():
        db.execute(
            "INSERT INTO identity_namespaces"
            " (id, org_id, code, name, id_type, description, created_ms)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            [ns.id, org_id, ns.code, ns.name, ns.id_type, ns.description, ns.created_ms],
        )
    return ns


def _custom(row: dict[str, Any]) -> Namespace:
    return Namespace(
        row["id"],
        row["code"],
        row["name"],
        row["id_type"],
        row["description"],
        custom=True,
        created_ms=row["created_ms"],
    )
