"""collector/guard/ecid.py: ECIDs and the Web SDK's identity cookie."""

from __future__ import annotations

import base64
import subprocess

import pytest
from hypothesis import given
from hypothesis import strategies as st

from collector.guard import ecid as ecids

# A decoder written the way the Web SDK reads the cookie: URL-decode, map the URL-safe
# alphabet back, pad, base64-decode, then walk protobuf records until field 1.
_JS_DECODER = r"""
const value = process.argv[1];
const text = decodeURIComponent(value).replace(/_/g, "/").replace(/-/g, "+");
const padded = text + "=".repeat((4 - (text.length % 4)) % 4);
const bytes = Uint8Array.from(Buffer.from(padded, "base64"));
let offset = 0;
const varint = () => {
  let v = 0, s = 0, b;
  do { b = bytes[offset++]; v += (b & 0x7f) * 2 ** s; s += 7; } while (b & 0x80);
  return v;
};
while (offset < bytes.length) {
  const tag = varint(); const wire = tag & 7; const field = Math.floor(tag / 8);
  if (wire === 2) {
    const len = varint(); const chunk = bytes.slice(offset, offset + len); offset += len;
    if (field === 1) { process.stdout.write(new TextDecoder().decode(chunk)); process.exit(0); }
  }
  else if (wire === 0) varint(); else if (wire === 1) offset += 8; else if (wire === 5) offset += 4;
  else process.exit(2);
}
process.exit(1);
"""


def test_a_minted_ecid_is_38_digits_and_random() -> None:
    minted = {ecids.mint() for _ in range(100)}
    assert len(minted) == 100
    assert all(ecids.ECID.match(e) for e in minted)


@given(st.from_regex(r"\A[0-9]{38}\Z"), st.integers(0, 2**40), st.booleans())
def test_the_cookie_round_trips(ecid: str, when: int, is_new: bool) -> None:
    value = ecids.encode(ecid, created_at=when, is_new=is_new, written_at=when + 1)
    assert "=" not in value and "+" not in value and "/" not in value
    assert ecids.decode(value) == ecid


def test_the_cookie_decodes_the_way_the_web_sdk_reads_it() -> None:
    ecid = ecids.mint()
    value = ecids.encode(ecid, created_at=1_765_000_000, written_at=1_765_000_000)
    out = subprocess.run(["node", "-e", _JS_DECODER, value], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout == ecid


@pytest.mark.parametrize(
    "value",
    ["", "%%%", "!!!!", base64.urlsafe_b64encode(b"\x0a\x05abcde").decode(),
     base64.urlsafe_b64encode(b"\x0a\xff").decode(), base64.urlsafe_b64encode(b"\x0f").decode(),
     base64.urlsafe_b64encode(b"\x10\x01").decode()],
)  # fmt: skip
def test_a_malformed_cookie_holds_no_ecid(value: str) -> None:
    assert ecids.decode(value) is None


def test_the_cookie_name_follows_the_org() -> None:
    assert ecids.cookie_name("ABC@AdobeOrg") == "kndctr_ABC_AdobeOrg_identity"
    assert ecids.cookie_name("ABC@AdobeOrg", "consent") == "kndctr_ABC_AdobeOrg_consent"
