"""Identities of a message: from ``identityMap`` and from schema fields marked as identities.

Namespace codes compare case-insensitively: an identity is keyed by its normalised code
(lower case, as AEP's Profile API prints them) and its id; the code as sent is kept too.
Malformed values (a namespace that is not a list, an item that is not an object, an id that is
not a non-empty string, an over-long id) are ignored and counted, never stored.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

AUTH_STATES = frozenset({"ambiguous", "authenticated", "loggedOut"})
MAX_ID_LENGTH = 1024
MAX_CODE_LENGTH = 128


@dataclass(frozen=True, slots=True)
class IdentityField:
    """A schema field that holds an identity: its path in the entity and its namespace."""

    path: tuple[str, ...]
    code: str
    primary: bool = False


# Used when a dataset's schema marks no field as an identity.
FALLBACK_FIELDS: tuple[IdentityField, ...] = (
    IdentityField(("personalEmail", "address"), "Email"),
    IdentityField(("mobilePhone", "number"), "Phone"),
)


@dataclass(frozen=True, slots=True)
class Identity:
    namespace: str  # normalised code (lower case)
    id: str
    code: str  # the code as sent
    primary: bool
    authenticated_state: str

    @property
    def key(self) -> tuple[str, str]:
        return (self.namespace, self.id)


@dataclass(slots=True)
class Extracted:
    identities: list[Identity]
    malformed: int


def normalise_namespace(code: str) -> str:
    return code.strip().lower()


def profile_id_for(namespace: str, identity_id: str) -> str:
    """The id a graph gets from one of its identities (the smallest one names the graph)."""
    digest = hashlib.blake2b(f"{namespace}\x1f{identity_id}".encode(), digest_size=12)
    return digest.hexdigest()


def extract(entity: Mapping[str, object], fields: Iterable[IdentityField] = ()) -> Extracted:
    """Every well-formed identity of ``entity``, primary ones first, without duplicates."""
    found: dict[tuple[str, str], Identity] = {}
    malformed = 0
    identity_map = entity.get("identityMap")
    if identity_map is not None:
        if isinstance(identity_map, dict):
            for code, items in identity_map.items():
                malformed += _from_namespace(code, items, found)
        else:
            malformed += 1
    for field in fields:
        value = _at(entity, field.path)
        if value is None:
            continue
        if _valid_id(value) and _valid_code(field.code):
            _add(found, field.code, value, field.primary, "ambiguous")  # type: ignore[arg-type]
        else:
            malformed += 1
    identities = sorted(found.values(), key=lambda i: not i.primary)
    return Extracted(identities, malformed)


def _from_namespace(code: object, items: object, found: dict[tuple[str, str], Identity]) -> int:
    if not _valid_code(code) or not isinstance(items, list):
        return 1
    malformed = 0
    for item in items:
        if not isinstance(item, dict) or not _valid_id(item.get("id")):
            malformed += 1
            continue
        primary = item.get("primary") is True
        state = item.get("authenticatedState")
        state = state if state in AUTH_STATES else "ambiguous"
        _add(found, code, item["id"], primary, state)  # type: ignore[arg-type]
    return malformed


def _add(
    found: dict[tuple[str, str], Identity], code: str, value: str, primary: bool, state: str
) -> None:
    key = (normalise_namespace(code), value)
    previous = found.get(key)
    if previous is not None:
        primary = primary or previous.primary
        state = previous.authenticated_state if state == "ambiguous" else state
        code = previous.code
    found[key] = Identity(key[0], value, code.strip(), primary, state)


def _valid_code(code: object) -> bool:
    return isinstance(code, str) and 0 < len(code.strip()) <= MAX_CODE_LENGTH


def _valid_id(value: object) -> bool:
    return isinstance(value, str) and 0 < len(value) <= MAX_ID_LENGTH and bool(value.strip())


def _at(entity: Mapping[str, object], path: tuple[str, ...]) -> object:
    node: object = entity
    for part in path:
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return node
