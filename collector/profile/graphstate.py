"""The identity graph's rows in memory, kept from one batch to the next.

Looking identities and profiles up in SQLite was the largest share of projecting an event
whose visitor had been seen before, so the projector keeps the rows it has read or written
(``identities`` by key, ``profiles`` by id) in a ``GraphCache`` across batches. The cache holds
the state of the store as of the projector's last commit, and only the projector writes these
tables, so it is valid as long as:

- every batch that does not commit clears it (``Projector`` does, on any exception or rollback);
- a write by another connection clears it: the projector compares ``PRAGMA data_version``
  before each batch (an erasure through the API or the CLI is such a write).

Past ``max_identities`` the oldest entries are dropped after a commit (first in, first out),
so memory stays bounded when the store holds millions of visitors. A cached profile's
``identity_count`` is the full count from the store.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import islice

Key = tuple[str, str, str]  # (org, namespace, id)


@dataclass(slots=True)
class Ident:
    """One ``identities`` row."""

    profile_id: str
    code: str
    primary: bool
    state: str
    first_seen_ms: int
    in_db: bool


@dataclass(slots=True)
class ProfileState:
    """One ``profiles`` row."""

    identity_count: int
    created_ms: int
    modified_ms: int
    in_db: bool  # rows in the database may carry this profile id
    org_id: str


class GraphCache:
    def __init__(self, max_identities: int = 100_000) -> None:
        self.max_identities = max_identities
        self.known: dict[Key, Ident] = {}
        # The cached identities of each profile: every key of ``known`` is in the set of its
        # profile, so a rename can update them. A profile's row is read only when a message
        # may change its graph, so ``profiles`` may lack profiles that ``members`` has.
        self.members: dict[str, set[Key]] = {}
        self.profiles: dict[str, ProfileState] = {}

    def __len__(self) -> int:
        return len(self.known)

    def clear(self) -> None:
        self.known.clear()
        self.members.clear()
        self.profiles.clear()

    def trim(self) -> None:
        """Drop the oldest identities (and profiles left without any) past the bound."""
        excess = len(self.known) - self.max_identities
        if excess <= 0:
            return
        excess += self.max_identities // 4  # trim in steps, not at every batch
        for key in list(islice(self.known, excess)):
            pid = self.known.pop(key).profile_id
            members = self.members[pid]
            members.discard(key)
            if not members:
                del self.members[pid]
                self.profiles.pop(pid, None)
