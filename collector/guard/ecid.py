"""Experience Cloud IDs for Web SDK visitors, and the identity cookie that carries them.

An ECID is 38 decimal digits: two random 63-bit numbers, each zero-padded to 19 digits. The
Web SDK keeps it in the first-party cookie ``kndctr_<org, @ as _>_identity`` whose value is
the URL-safe base64 (no padding) of a protocol-buffers message ``Identity``: field 1 the ECID
(a string), field 10 metadata (field 1: creation time in seconds, field 2: is new), field 30
the time it was last written. The SDK reads field 1 and nothing else; this module writes all
three and reads field 1, skipping any other field as the wire format allows.
"""

from __future__ import annotations

import base64
import re
import secrets
from urllib.parse import unquote

ECID = re.compile(r"^[0-9]{38}$")
COOKIE_MAX_AGE = 34_128_000  # 395 days, as the Edge Network sets it

_VARINT, _I64, _LEN, _I32 = 0, 1, 2, 5


def mint() -> str:
    return f"{secrets.randbits(63):019d}{secrets.randbits(63):019d}"


def cookie_name(org_id: str, key: str = "identity") -> str:
    return f"kndctr_{org_id.replace('@', '_', 1)}_{key}"


def encode(ecid: str, *, created_at: int, is_new: bool = True, written_at: int) -> str:
    """The identity cookie's value for ``ecid``."""
    metadata = _field(1, _VARINT, _varint(created_at)) + _field(2, _VARINT, _varint(int(is_new)))
    message = (
        _field(1, _LEN, _length_delimited(ecid.encode()))
        + _field(10, _LEN, _length_delimited(metadata))
        + _field(30, _VARINT, _varint(written_at))
    )
    return base64.urlsafe_b64encode(message).rstrip(b"=").decode()


def decode(value: str) -> str | None:
    """The ECID in an identity cookie's value, or None when it holds none (or is malformed)."""
    text = unquote(value).strip().replace("-", "+").replace("_", "/")
    try:
        data = base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (ValueError, TypeError):
        return None
    offset = 0
    try:
        while offset < len(data):
            tag, offset = _read_varint(data, offset)
            wire, number = tag & 7, tag >> 3
            if wire == _VARINT:
                _, offset = _read_varint(data, offset)
            elif wire == _I64:
                offset += 8
            elif wire == _I32:
                offset += 4
            elif wire == _LEN:
                length, offset = _read_varint(data, offset)
                chunk = data[offset : offset + length]
                if len(chunk) != length:
                    return None
                offset += length
                if number == 1:
                    ecid = chunk.decode("utf-8", errors="replace")
                    return ecid if ECID.match(ecid) else None
            else:
                return None
    except IndexError:
        return None
    return None


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _length_delimited(payload: bytes) -> bytes:
    return _varint(len(payload)) + payload


def _field(number: int, wire: int, payload: bytes) -> bytes:
    return _varint(number << 3 | wire) + payload


def _read_varint(data: bytes, offset: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[offset]
        offset += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, offset
        shift += 7
        if shift > 63:
            raise IndexError("varint too long")
