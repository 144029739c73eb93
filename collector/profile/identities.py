"""Identities of a message: from ``identityMap`` and from schema fields marked as identities.

Namespace codes compare case-insensitively: an identity is keyed by its org, its normalised
code (lower case, as AEP's Profile API prints them) and its id; the code as sent is kept too.
Two orgs that send the same e-mail address have two identities, in two graphs (every org's
store is its own, in the ``prod`` sandbox for now).
Malformed values (a namespace that is not a list, an item that is not an object, an id that is
not a non-empty string, an over-long id) are ignored and counted, never stored.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from sys import intern

AUTH_STATES = frozenset({"ambiguous", "authenticated", "loggedOut"})
_STATES = {state: state for state in AUTH_STATES}  # one string object per state
MAX_ID_LENGTH = 1024
MAX_CODE_LENGTH = 128
SANDBOX = "prod"  # the only sandbox for now; every row of the store carries it


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


@dataclass(slots=True, init=False)
class Identity:
    """One identity of a message (not changed once made)."""

    org: str  # the org whose store it belongs to (the lake line's ``orgId``)
    namespace: str  # normalised code (lower case)
    id: str
    code: str  # the code as sent
    primary: bool
    authenticated_state: str
    key: tuple[str, str, str]  # (org, namespace, id): how the graph and the store look it up

    def __init__(
        self,
        namespace: str,
        id: str,
        code: str,
        primary: bool,
        authenticated_state: str,
        org: str = "",
    ) -> None:
        self.org = org
        self.namespace = namespace
        self.id = id
        self.code = code
        self.primary = primary
        self.authenticated_state = authenticated_state
        self.key = (org, namespace, id)


@dataclass(slots=True)
class Extracted:
    identities: list[Identity]
    malformed: int


def normalise_namespace(code: str) -> str:
    return code.strip().lower()


def profile_id_for(namespace: str, identity_id: str, org: str = "") -> str:
    """The id a graph gets from one of its identities (the smallest one names the graph).

    The org and sandbox are part of it: profile ids never collide across orgs."""
    text = f"{org}\x1f{SANDBOX}\x1f{namespace}\x1f{identity_id}"
    digest = hashlib.blake2b(text.encode(), digest_size=12)
    return digest.hexdigest()


def extract(
    entity: Mapping[str, object], fields: Iterable[IdentityField] = (), org: str = ""
) -> Extracted:
    """Every well-formed identity of ``entity`` (of ``org``), primary ones first, no duplicates."""
    found: dict[tuple[str, str], Identity] = {}
    malformed = 0
    identity_map = entity.get("identityMap")
    if identity_map is not None:
        if isinstance(identity_map, dict):
            for code, items in identity_map.items():
                malformed += _from_namespace(code, items, found, org)
        else:
            malformed += 1
    for field in fields:
        value = _at(entity, field.path)
        if value is None:
            continue
        if isinstance(value, str) and _valid_id(value) and _valid_code(field.code):
            code = field.code.strip()
            _add(found, intern(code.lower()), code, value, field.primary, "ambiguous", org)
        else:
            malformed += 1
    identities = list(found.values())
    if len(identities) > 1:
        identities.sort(key=_secondary)
    return Extracted(identities, malformed)


def _secondary(identity: Identity) -> bool:
    return not identity.primary


def _from_namespace(
    code: object, items: object, found: dict[tuple[str, str], Identity], org: str
) -> int:
    if not isinstance(code, str) or not _valid_code(code) or not isinstance(items, list):
        return 1
    code = intern(code.strip())
    namespace = intern(code.lower())
    malformed = 0
    for item in items:
        value = item.get("id") if isinstance(item, dict) else None
        if not isinstance(value, str) or not _valid_id(value):
            malformed += 1
            continue
        state = item.get("authenticatedState")
        state = _STATES.get(state, "ambiguous") if isinstance(state, str) else "ambiguous"
        _add(found, namespace, code, value, item.get("primary") is True, state, org)
    return malformed


def _add(
    found: dict[tuple[str, str], Identity],
    namespace: str,
    code: str,
    value: str,
    primary: bool,
    state: str,
    org: str,
) -> None:
    previous = found.get((namespace, value))
    if previous is not None:
        primary = primary or previous.primary
        state = previous.authenticated_state if state == "ambiguous" else state
        code = previous.code
    found[(namespace, value)] = Identity(namespace, value, code, primary, state, org)


def _valid_code(code: object) -> bool:
    return isinstance(code, str) and 0 < len(code.strip()) <= MAX_CODE_LENGTH


def _valid_id(value: object) -> bool:
    return isinstance(value, str) and 0 < len(value) <= MAX_ID_LENGTH and not value.isspace()


def _at(entity: Mapping[str, object], path: tuple[str, ...]) -> object:
    node: object = entity
    for part in path:
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return node
