"""Format checks of the reference engine, aligned with the compiled engine.

``jsonschema``'s stock checkers are laxer than ``jsonschema_rs`` on two formats the XDM
schemas use: its ``email`` only looks for an ``@``, and its ``date-time`` refuses every
leap second. The reference engine uses these two checkers instead, so that both engines
give the same verdict (the differential test in ``tests/schemas`` holds them to it).
"""

from __future__ import annotations

import calendar
import ipaddress
import re

import jsonschema

_DATE_TIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?([Zz]|[+-](\d{2}):(\d{2}))",
    re.ASCII,
)
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]"
_DOT_ATOM = re.compile(rf"{_ATEXT}+(?:\.{_ATEXT}+)*")
_QUOTED = re.compile(r'"(?:[\x20\x21\x23-\x5b\x5d-\x7e]|\\[\x20-\x7e])*"')
_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")


def is_date_time(value: object) -> bool:
    """RFC 3339 ``date-time``; a leap second only at 23:59:60 UTC."""
    if not isinstance(value, str):
        return True
    match = _DATE_TIME.fullmatch(value)
    if match is None:
        return False
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    # Year 0 is a leap year (proleptic Gregorian) that ``calendar`` cannot name: 2000 stands in.
    if not 1 <= month <= 12 or not 1 <= day <= calendar.monthrange(year or 2000, month)[1]:
        return False
    if hour > 23 or minute > 59 or second > 60:
        return False
    offset = 0
    if match.group(8) is not None:
        off_hour, off_minute = int(match.group(8)), int(match.group(9))
        if off_hour > 23 or off_minute > 59:
            return False
        offset = (off_hour * 60 + off_minute) * (1 if match.group(7)[0] == "+" else -1)
    if second == 60:
        return (hour * 60 + minute - offset) % (24 * 60) == 23 * 60 + 59
    return True


def is_email(value: object) -> bool:
    """An ASCII mailbox: dot-atom or quoted local part, host name or address literal."""
    if not isinstance(value, str):
        return True
    local, at, domain = value.rpartition("@")
    if not at or not local or not domain or len(local) > 64:
        return False
    if not (_DOT_ATOM.fullmatch(local) or _QUOTED.fullmatch(local)):
        return False
    if domain.startswith("[") and domain.endswith("]"):
        return _is_address_literal(domain[1:-1])
    if len(domain) > 253:
        return False
    return all(_LABEL.fullmatch(label) for label in domain.split("."))


def _is_address_literal(literal: str) -> bool:
    try:
        if literal[:5].lower() == "ipv6:":
            ipaddress.IPv6Address(literal[5:])
        else:
            ipaddress.IPv4Address(literal)
    except ValueError:
        return False
    return True


def format_checker(base: jsonschema.FormatChecker) -> jsonschema.FormatChecker:
    """A copy of a draft's format checker with the aligned ``email`` and ``date-time``."""
    checker = jsonschema.FormatChecker(formats=())
    checker.checkers = dict(base.checkers)
    checker.checks("email")(is_email)
    checker.checks("date-time")(is_date_time)
    return checker
