"""The erasure ledger: which identities were erased, kept as keyed hashes, never in the clear.

An erasure job (``collector/privacy/``) removes a person; the ledger keeps them removed from
what the projector reads later (lines it had not reached yet, ``collector replay``). Each erased
identity is stored as ``HMAC-SHA256(secret, org \\x1f sandbox \\x1f namespace \\x1f id)`` with the
erasure time: a message of that org carrying the identity and received at or before that time
is not projected. The secret is per install: ``<data dir>/privacy-ledger.key`` (32 random bytes,
created on first use with mode 0600), so the ledger alone cannot be matched against a list of
e-mail addresses. Rows with org ``*`` apply to every org (erasures made before stores were
keyed by org).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import sqlite3
from collections.abc import Iterable
from pathlib import Path

from collector.profile.identities import SANDBOX, Identity

KEY_FILE = "privacy-ledger.key"
_MAX_CACHED = 200_000
ANY_ORG = "*"


def secret(data_dir: Path) -> bytes:
    """The install's ledger key, created (0600) on first use."""
    path = data_dir / KEY_FILE
    try:
        return path.read_bytes()
    except FileNotFoundError:
        pass
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    except FileExistsError:  # created by another process meanwhile
        return path.read_bytes()
    try:
        os.write(fd, key)
        os.fsync(fd)
    finally:
        os.close(fd)
    return key


def digest(key: bytes, org: str, namespace: str, identity_id: str) -> str:
    """The ledger's name for one identity (``namespace`` in its matching, lower-case form)."""
    sandbox = ANY_ORG if org == ANY_ORG else SANDBOX
    text = f"{org}\x1f{sandbox}\x1f{namespace}\x1f{identity_id}".encode()
    return hmac.digest(key, text, hashlib.sha256).hex()


def record(
    conn: sqlite3.Connection,
    key: bytes,
    org: str,
    identities: Iterable[tuple[str, str]],
    erased_ms: int,
    job_id: str,
) -> None:
    """Add erased identities (inside the caller's transaction). A later erasure of the same
    identity moves its time forward; REPLACE gives the row a new rowid, which is how the
    projector notices it."""
    conn.executemany(
        "INSERT OR REPLACE INTO erasure_ledger (org_id, sandbox, digest, erased_ms, job_id)"
        " VALUES (?1, ?2, ?3, MAX(?4, COALESCE((SELECT erased_ms FROM erasure_ledger"
        " WHERE org_id = ?1 AND sandbox = ?2 AND digest = ?3), 0)), ?5)",
        [(org, SANDBOX, digest(key, org, ns, i), erased_ms, job_id) for ns, i in identities],
    )


class Ledger:
    """The ledger as the projector holds it: read incrementally, checked per message."""

    def __init__(self, data_dir: Path) -> None:
        self._data_dir = data_dir
        self._key: bytes | None = None  # read (or created) when the ledger is first used
        self._erased: dict[tuple[str, str], int] = {}  # (org, digest) -> erased_ms
        self._any_org = False
        self._seen = 0
        # Digests of identities seen lately: a returning visitor's identity is hashed once,
        # not at every message (HMAC-SHA256 costs about 2 us, a look-up here 0.1 us).
        self._digests: dict[tuple[str, str, str], str] = {}

    def __bool__(self) -> bool:
        return bool(self._erased)

    def __len__(self) -> int:
        return len(self._erased)

    def refresh(self, conn: sqlite3.Connection) -> None:
        rows = conn.execute(
            "SELECT rowid, org_id, digest, erased_ms FROM erasure_ledger WHERE rowid > ?"
            " ORDER BY rowid",
            (self._seen,),
        ).fetchall()
        for rowid, org, hashed, erased_ms in rows:
            self._erased[(str(org), str(hashed))] = int(erased_ms)
            self._any_org = self._any_org or org == ANY_ORG
            self._seen = max(self._seen, int(rowid))

    def reload(self, conn: sqlite3.Connection) -> None:
        """Read the whole ledger again (after a VACUUM, which may renumber rowids)."""
        self._erased.clear()
        self._any_org = False
        self._seen = 0
        self.refresh(conn)

    def erased(self, org: str, identities: Iterable[Identity], received_ms: int) -> bool:
        """Whether a message of ``org`` received at ``received_ms`` carries an erased identity."""
        erased, digests = self._erased, self._digests
        if self._key is None:
            self._key = secret(self._data_dir)
        key = self._key
        for identity in identities:
            ns, ident = identity.namespace, identity.id
            hashed = digests.get((org, ns, ident))
            if hashed is None:
                if len(digests) >= _MAX_CACHED:
                    digests.clear()
                hashed = digests[(org, ns, ident)] = digest(key, org, ns, ident)
            if received_ms <= erased.get((org, hashed), -1):
                return True
            if self._any_org and received_ms <= erased.get(
                (ANY_ORG, digest(key, ANY_ORG, ns, ident)), -1
            ):
                return True
        return False
