"""The scopes an API credential can hold, and what each one grants.

``admin`` implies every other scope. The setup APIs (collector/setup/) ask for the
``datasets:*`` and ``connections:*`` scopes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

ADMIN = "admin"
READ_SCOPES = (
    "profile:read",
    "monitoring:read",
    "schemas:read",
    "debug:read",
    "datasets:read",
    "connections:read",
)
WRITE_SCOPES = ("profile:delete", "schemas:write", "datasets:write", "connections:write")
SCOPES = (*READ_SCOPES, *WRITE_SCOPES, ADMIN)

_SEPARATORS = re.compile(r"[\s,]+")


class ScopeError(ValueError):
    """A scope that does not exist, or one the credential does not hold."""


def normalize(scopes: Iterable[str]) -> tuple[str, ...]:
    """Known scopes, deduplicated, in ``SCOPES`` order; ``ScopeError`` names unknown ones."""
    wanted = {s.strip() for s in scopes if s.strip()}
    unknown = sorted(wanted - set(SCOPES))
    if unknown:
        raise ScopeError(f"unknown scope(s): {', '.join(unknown)} (known: {', '.join(SCOPES)})")
    if not wanted:
        raise ScopeError("at least one scope is required")
    return tuple(s for s in SCOPES if s in wanted)


def split(raw: str) -> list[str]:
    """A ``scope`` form field: names separated by spaces and/or commas."""
    return [s for s in _SEPARATORS.split(raw) if s]


def grants(held: Iterable[str], needed: str) -> bool:
    held = set(held)
    return needed in held or ADMIN in held


def narrow(held: tuple[str, ...], raw: str | None) -> tuple[str, ...]:
    """The scopes a token gets: all the credential holds, or the requested subset.

    Scopes the server does not know (``openid``, ``AdobeID``: what AEP clients send by habit)
    are ignored; a known scope the credential does not hold is refused.
    """
    if raw is None or not raw.strip():
        return held
    requested = {s for s in split(raw) if s in SCOPES}
    if not requested:
        return held
    missing = sorted(s for s in requested if s not in held and ADMIN not in held)
    if missing:
        raise ScopeError(f"the credential does not hold scope(s): {', '.join(missing)}")
    return tuple(s for s in SCOPES if s in requested)
