"""The erasure ledger: keyed hashes per org, never identities; ``*`` rows for every org."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from collector.profile import ledger
from collector.profile.identities import Identity
from collector.profile.store import connect_writer


def _id(org: str, value: str = "jane@example.com") -> Identity:
    return Identity("email", value, "Email", False, "ambiguous", org)


def test_the_key_is_per_install_and_private(tmp_path: Path) -> None:
    key = ledger.secret(tmp_path)
    assert len(key) == 32 and ledger.secret(tmp_path) == key
    assert stat.S_IMODE(os.stat(tmp_path / ledger.KEY_FILE).st_mode) == 0o600
    other = ledger.secret(tmp_path / "other")
    assert ledger.digest(key, "A", "email", "x") != ledger.digest(other, "A", "email", "x")
    assert ledger.digest(key, "A", "email", "x") != ledger.digest(key, "B", "email", "x")


def test_an_erasure_covers_its_org_up_to_its_time(tmp_path: Path) -> None:
    conn = connect_writer(tmp_path / "profile.db")
    key = ledger.secret(tmp_path)
    ledger.record(conn, key, "A", [("email", "jane@example.com")], 1000, "job1")
    ledger.record(conn, key, "A", [("email", "jane@example.com")], 500, "job0")  # older: no-op
    conn.execute(
        "INSERT INTO erasure_ledger VALUES ('*', '*', ?, 2000, '')",
        [ledger.digest(key, "*", "email", "old@example.com")],
    )
    held = ledger.Ledger(tmp_path)
    held.refresh(conn)
    assert len(held) == 2
    assert held.erased("A", [_id("A")], 1000) and not held.erased("A", [_id("A")], 1001)
    assert not held.erased("B", [_id("B")], 10)  # another org's person
    old = "old@example.com"
    assert held.erased("B", [_id("B", old)], 2000) and held.erased("A", [_id("A", old)], 5)
    assert "jane" not in str(conn.execute("SELECT * FROM erasure_ledger").fetchall())
    conn.close()
