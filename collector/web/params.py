"""Query parameters: the one strict integer parser every route uses.

``int()`` accepts far more than a query parameter should: ``1_000``, full-width digits,
surrounding whitespace, a ``+`` sign, and numbers no database column holds. Here an integer is
ASCII digits (a ``-`` in front where negatives are allowed) within the int64 range.
"""

from __future__ import annotations

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
_MAX_DIGITS = len(str(INT64_MAX))


def integer(text: str, *, minimum: int = INT64_MIN, maximum: int = INT64_MAX) -> int:
    """The integer ``text`` spells, or ``ValueError`` with a message fit for a client.
    A ``-`` sign is allowed only where ``minimum`` is negative (so never ``-0`` for counts)."""
    negative = text.startswith("-")
    digits = text[1:] if negative else text
    if not digits or not (digits.isascii() and digits.isdigit()):
        raise ValueError("must be an integer (ASCII digits)")
    if negative and minimum >= 0:
        raise ValueError(f"must be between {minimum} and {maximum}")
    if len(digits.lstrip("0")) > _MAX_DIGITS:  # no huge int() for a huge parameter
        raise ValueError(f"must be between {minimum} and {maximum}")
    number = int(text)
    if not minimum <= number <= maximum:
        raise ValueError(f"must be between {minimum} and {maximum}")
    return number
