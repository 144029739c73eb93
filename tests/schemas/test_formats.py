"""The reference engine's email and date-time checks agree with the compiled engine's."""

from __future__ import annotations

import jsonschema_rs
import pytest

from collector.schemas.formats import is_date_time, is_email

DATE_TIMES = {
    "2026-11-22T10:00:00Z": True,
    "2026-11-22T10:00:00.123456789+05:30": True,
    "2026-11-22t10:00:00z": True,
    "2016-12-31T23:59:60Z": True,  # a leap second at 23:59:60 UTC
    "2017-01-01T00:59:60+01:00": True,  # the same second, an hour east
    "2026-11-22T10:00:60Z": False,  # not at 23:59 UTC
    "2024-02-29T00:00:00Z": True,
    "2026-02-29T00:00:00Z": False,
    "1900-02-29T00:00:00Z": False,
    "0000-02-29T00:00:00Z": True,
    "2026-11-22T24:00:00Z": False,
    "2026-11-22T10:00:00+24:00": False,
    "2026-11-22T10:00:00+0100": False,
    "2026-11-22T10:00:00": False,
    "2026-11-22 10:00:00Z": False,
    "2026-11-22T10:00:00.Z": False,
}
EMAILS = {
    "ada@example.com": True,
    "a.b+tag@sub.example.org": True,
    '"quoted name"@example.com': True,
    "a@[192.0.2.1]": True,
    "a@[IPv6:2001:db8::1]": True,
    "a@localhost": True,
    "a@[300.1.1.1]": False,
    "ada@": False,
    "@example.com": False,
    "a..b@example.com": False,
    ".a@example.com": False,
    "a.@example.com": False,
    "a@-example.com": False,
    "a@example-.com": False,
    "a@exa_mple.com": False,
    "ädä@example.com": False,
    "a b@example.com": False,
    "x" * 65 + "@example.com": False,
    "a@" + "x" * 64 + ".com": False,
}


def _compiled(fmt: str) -> jsonschema_rs.Validator:
    schema = {"$schema": "http://json-schema.org/draft-07/schema#", "format": fmt}
    return jsonschema_rs.validator_for(schema, validate_formats=True)


@pytest.mark.parametrize(("value", "expected"), DATE_TIMES.items())
def test_date_time(value: str, expected: bool) -> None:
    assert is_date_time(value) is expected
    assert _compiled("date-time").is_valid(value) is expected


@pytest.mark.parametrize(("value", "expected"), EMAILS.items())
def test_email(value: str, expected: bool) -> None:
    assert is_email(value) is expected
    assert _compiled("email").is_valid(value) is expected


def test_non_strings_are_left_to_the_type_keyword() -> None:
    assert is_email(42) and is_date_time(None)
