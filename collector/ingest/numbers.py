"""Numbers a 64-bit float cannot hold: ``1e-400`` (orjson reads 0.0) and ``1e400`` (orjson
refuses the whole body). Neither may be stored as something else than what was sent.

``suspect`` is the hot path's only cost: two C-speed scans of the raw body (under 0.5 µs per
KB) for a number that could underflow; bodies without one (nearly all) are never looked
at again. A suspect body is parsed once more by ``exact``, which sees every number's
literal: each lossy one is replaced by its literal as a string and reported with its path.
Integers past 64 bits are the schemas' business (``collector/schemas/bounds.py``).
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from collector.schemas.violations import Violation

Path = tuple[str | int, ...]

# A literal first byte lets ``re`` skip ahead fast ("-" is rarer than "e"; a class is slow).
_NEGATIVE_3 = re.compile(rb"-[0-9]{3}")
_IN_MANTISSA = frozenset(b"0123456789.-")
_SPACE = frozenset(b" \t\r\n")
_BEFORE_NUMBER = frozenset(b":[,")
# With an exponent above -100, a number needs this many zeros after its point to reach 0.
_POINT_ZEROS = b"." + b"0" * 220
_ENTITY: Path = ("body", "xdmEntity")
_INT_MIN, _UINT_MAX = -(2**63), 2**64 - 1


class _Lossy(str):
    """A number literal that does not survive as a float."""

    __slots__ = ()


def suspect(raw: bytes) -> bool:
    """Whether ``raw`` may hold a number that underflows to 0: one with an exponent of -100
    or below, or 220 zeros after its point. (Overflow needs no scan: orjson refuses it.)
    ``e-`` in text (``"home-page"``) or in an id is told apart by what surrounds it: a
    number's exponent has digits after it, and the number follows ``:``, ``[`` or ``,``."""
    if _POINT_ZEROS in raw:
        return True
    return any(_is_exponent(raw, m.start() - 1) for m in _NEGATIVE_3.finditer(raw))


def _is_exponent(raw: bytes, at: int) -> bool:
    """Whether the ``e`` of ``e-ddd`` at ``at`` ends a number token (not text in a string)."""
    if at < 1 or raw[at] not in b"eE":
        return False
    start = at
    while start > 0 and raw[start - 1] in _IN_MANTISSA:
        start -= 1
    if start == at:  # no mantissa
        return False
    while start > 0 and raw[start - 1] in _SPACE:
        start -= 1
    return start == 0 or raw[start - 1] in _BEFORE_NUMBER


def exact(raw: bytes) -> tuple[Any, dict[Path, str]]:
    """The document with each lossy number replaced by its literal, and those literals by
    path. ``ValueError`` when the text is not JSON."""
    document = json.loads(raw, parse_float=_float, parse_constant=_refuse)
    found: dict[Path, str] = {}
    return _replace(document, (), found), found


def entity_violations(found: dict[Path, str], message: Path = ()) -> list[Violation]:
    """The lossy numbers of one message's entity (``message``: the message's own path)."""
    prefix = (*message, *_ENTITY)
    return [
        Violation(
            keyword="type",
            schema_path=(),
            instance_path=path[len(prefix) :],
            subschema={},
            instance=literal,
            fallback=_wording(literal),
        )
        for path, literal in found.items()
        if path[: len(prefix)] == prefix
    ]


def _float(literal: str) -> float | _Lossy:
    value = float(literal)
    if math.isinf(value) or (value == 0.0 and any(c in "123456789" for c in _mantissa(literal))):
        return _Lossy(literal)
    return value


def _mantissa(literal: str) -> str:
    return literal.lower().partition("e")[0]


def _refuse(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _wording(literal: str) -> str:
    shown = literal if len(literal) <= 40 else literal[:37] + "..."
    if math.isinf(float(literal)):
        return f"number [{shown}] is too large for a 64-bit float"
    return f"number [{shown}] is too small for a 64-bit float: it would be stored as 0"


def _replace(node: Any, path: Path, found: dict[Path, str]) -> Any:
    if type(node) is dict:
        return {k: _replace(v, (*path, k), found) for k, v in node.items()}
    if type(node) is list:
        return [_replace(v, (*path, i), found) for i, v in enumerate(node)]
    if type(node) is _Lossy:
        found[path] = str(node)
        return str(node)
    if type(node) is int and not _INT_MIN <= node <= _UINT_MAX:
        return float(node)  # as orjson reads an integer past 64 bits
    return node
