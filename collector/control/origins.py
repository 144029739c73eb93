"""Allowed browser origins of an inlet: what may be saved, and what an ``Origin`` matches.

Three forms are accepted when an inlet is saved (``parse``), anything else is refused with a
message that names the value:

- ``scheme://host[:port]``: one origin, as a browser sends it (http or https, lowercase
  host, no path, query, fragment or userinfo, no default port);
- ``scheme://*.example.com[:port]``: every subdomain of example.com at any depth
  (``a.example.com``, ``a.b.example.com``), not example.com itself (list it too) and not
  ``evil-example.com``;
- ``*``: every origin.

``matches`` is the request-time test; it is pure and cached per inlet's list of patterns.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from functools import lru_cache

from collector.errors import Forbidden

ANY = "*"
_LABEL = r"(?!-)[a-z0-9-]{1,63}(?<!-)"
_NAME = rf"{_LABEL}(?:\.{_LABEL})*"
_PORT = r"(?::(?P<port>[1-9][0-9]{0,4}))?"
_ORIGIN = re.compile(rf"(?P<scheme>https?)://(?P<host>{_NAME}|\[[0-9a-f:.]+\]){_PORT}")
_WILDCARD = re.compile(rf"(?P<scheme>https?)://\*\.(?P<host>{_NAME}){_PORT}")
_DEFAULT_PORTS = {"http": "80", "https": "443"}
_EXPECTED = "expected scheme://host[:port] (http or https), scheme://*.domain or *"


class OriginError(ValueError):
    """An allowed origin that cannot be saved; the message names the value."""


@dataclass(frozen=True, slots=True)
class _Wildcard:
    scheme: str
    suffix: str  # ".example.com"
    port: str | None


@dataclass(frozen=True, slots=True)
class _Patterns:
    any: bool
    exact: frozenset[str]
    wildcards: tuple[_Wildcard, ...]


def parse(value: str) -> str:
    """The pattern as it is stored (one trailing ``/`` dropped); raises ``OriginError``."""
    if value == ANY:
        return ANY
    pattern = value[:-1] if value.endswith("/") and not value.endswith("//") else value
    if pattern != pattern.lower():
        raise OriginError(
            f"origin {value!r} is not valid: scheme and host must be lowercase "
            f"({pattern.lower()!r}), as browsers send them"
        )
    wildcard = _WILDCARD.fullmatch(pattern)
    found = wildcard or _ORIGIN.fullmatch(pattern)
    if found is None:
        raise OriginError(f"origin {value!r} is not valid: {_why(pattern)}; {_EXPECTED}")
    scheme, host, port = found.group("scheme", "host", "port")
    if port is not None and (int(port) > 65535 or _DEFAULT_PORTS[scheme] == port):
        reason = "port out of range" if int(port) > 65535 else "a browser omits the default port"
        raise OriginError(f"origin {value!r} is not valid: {reason}")
    if host.startswith("["):
        try:
            ipaddress.IPv6Address(host[1:-1])
        except ValueError:
            raise OriginError(f"origin {value!r} is not valid: bad IPv6 address") from None
    if wildcard is not None and "." not in host:
        raise OriginError(
            f"origin {value!r} is not valid: a wildcard needs a domain of two labels or more "
            "(*.example.com, not *.com)"
        )
    return pattern


def parse_all(values: object) -> tuple[str, ...]:
    """Every pattern of a list, parsed, without duplicates, in the given order."""
    if isinstance(values, str) or not hasattr(values, "__iter__"):
        raise OriginError(f"allowed origins must be a list of strings, got {values!r}")
    parsed: list[str] = []
    for value in values:
        if not isinstance(value, str):
            raise OriginError(f"origin {value!r} is not valid: not a string")
        pattern = parse(value)
        if pattern not in parsed:
            parsed.append(pattern)
    return tuple(parsed)


def matches(patterns: tuple[str, ...], origin: str) -> bool:
    """Whether the ``Origin`` header value is allowed by an inlet's stored patterns."""
    if origin in patterns:  # the common case: an exact origin, as the browser sends it
        return True
    if not patterns:
        return False
    compiled = _compile(patterns)
    if compiled.any:
        return True
    candidate = origin.lower().rstrip("/")
    if candidate in compiled.exact:
        return True
    if not compiled.wildcards:
        return False
    found = _ORIGIN.fullmatch(candidate)
    if found is None:
        return False
    scheme, host, port = found.group("scheme", "host", "port")
    return any(
        w.scheme == scheme and w.port == port and host.endswith(w.suffix)
        for w in compiled.wildcards
    )


@lru_cache(maxsize=4096)
def _compile(patterns: tuple[str, ...]) -> _Patterns:
    exact: set[str] = set()
    wildcards: list[_Wildcard] = []
    for pattern in patterns:
        wildcard = _WILDCARD.fullmatch(pattern)
        if wildcard is not None:
            scheme, host, port = wildcard.group("scheme", "host", "port")
            wildcards.append(_Wildcard(scheme, "." + host, port))
        else:
            exact.add(pattern.lower().rstrip("/"))
    return _Patterns(ANY in patterns, frozenset(exact), tuple(wildcards))


def _why(pattern: str) -> str:
    scheme, sep, rest = pattern.partition("://")
    if not sep:
        return "no scheme"
    if scheme not in _DEFAULT_PORTS:
        return f"scheme {scheme!r} is not http or https"
    if "@" in rest:
        return "userinfo is not part of an origin"
    if any(c in rest for c in "/?#"):
        return "an origin has no path, query or fragment"
    if "*" in rest:
        return "a wildcard is written *.domain at the start of the host"
    return "bad host or port"


def refusal(allowed: tuple[str, ...], origin: str | None) -> Forbidden | None:
    """The 403 for a request whose ``Origin`` an inlet's ``allowed`` origins refuse; None when
    it may pass (no ``Origin``: a server client, unaffected)."""
    if origin is None or matches(allowed, origin):
        return None
    return Forbidden(
        f"Origin [{origin[:256]}] is not allowed for this inlet",
        headers={"access-control-allow-origin": origin, "vary": "Origin"},
    )
