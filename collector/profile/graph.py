"""The identity graph, resolved one batch at a time inside the batch's transaction.

Each graph is one profile; an identity row names its graph (``identities.profile_id``). A
message with several identities links them: graphs are merged in memory, and the absorbed
graphs' rows relabelled in SQL when the batch is flushed (one statement per table). A graph is
named after the smallest ``profile_id_for`` of its identities, so the name of a graph does not
depend on the order in which its links arrived. Every merge of
two existing graphs is written to ``profile_merges`` (kind ``merge``); a rename caused by a new
identity with a smaller name is written too (kind ``relabel``). A link that would take a graph
past ``cap`` identities is refused and written to ``refused_links``; a refused new identity
becomes a graph of its own.

Graphs never cross orgs: an identity's key starts with its org (``identities.org_id``) and a
profile id is a hash that includes the org, so two orgs never share a row.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Sequence
from operator import itemgetter

from collector.profile import fragments
from collector.profile.graphstate import GraphCache, Ident, Key, ProfileState
from collector.profile.identities import SANDBOX, Identity, profile_id_for
from collector.profile.messages import Message

log = logging.getLogger(__name__)

__all__ = ["Graph", "Key"]
_CHUNK = 400


def _sort_keys(keys: list[Key]) -> None:
    """Sort keys in the order of the ``identities`` primary key, so that look-ups walk its
    leaves in order: three stable sorts on one string each, much cheaper than comparing the
    tuples (their org and namespace are nearly always equal)."""
    keys.sort(key=_id_of)
    keys.sort(key=_namespace_of)
    keys.sort(key=_org_of)


_org_of, _namespace_of, _id_of = itemgetter(0), itemgetter(1), itemgetter(2)


class Graph:
    """Graph state of one batch: rows from the cache or the store, changed in memory and SQL,
    then flushed. ``cache`` is changed in place; the caller clears it if the batch is not
    committed."""

    def __init__(
        self, conn: sqlite3.Connection, cap: int, applied_at: str, cache: GraphCache | None = None
    ) -> None:
        self.conn = conn
        self.cap = cap
        self.applied_at = applied_at
        self.cache = cache if cache is not None else GraphCache()
        self.known = self.cache.known
        self.profiles = self.cache.profiles
        self.renamed: dict[str, str] = {}
        self.entity_dirty: set[str] = set()
        self._new: list[Key] = []  # identities to insert
        self._changed: set[Key] = set()  # stored identities whose primary/state changed
        self._touched: set[str] = set()  # profiles to upsert
        self._moved: list[str] = []  # stored profiles renamed by this batch
        self._merges: list[list[object]] = []
        self._refused: list[list[object]] = []

    # -- loading ------------------------------------------------------------------

    def load(self, messages: Sequence[Message]) -> None:
        """Read the identities of ``messages`` that are not cached yet, and the profile rows of
        the graphs that messages may change. An event whose identities are all stored in one
        graph changes no profile row (the usual event of a returning visitor), so its
        profile is not read."""
        known, members = self.known, self.cache.members
        wanted = list({i.key for m in messages for i in m.identities if i.key not in known})
        _sort_keys(wanted)
        for i in range(0, len(wanted), _CHUNK):
            chunk = wanted[i : i + _CHUNK]
            values = ",".join("(?,?,?)" for _ in chunk)
            params = [part for key in chunk for part in key]
            rows = self.conn.execute(
                f"WITH k(org, ns, id) AS (VALUES {values}) SELECT i.org_id, i.namespace, i.id,"
                " i.profile_id, i.code, i.is_primary, i.authenticated_state, i.first_seen_ms"
                " FROM k JOIN identities i ON i.org_id = k.org AND i.sandbox = ?"
                " AND i.namespace = k.ns AND i.id = k.id",
                [*params, SANDBOX],
            )
            for org, ns, ident, pid, code, primary, state, first in rows:
                key = (org, ns, ident)
                known[key] = Ident(pid, code, bool(primary), state, first, True)
                group = members.get(pid)
                if group is None:
                    members[pid] = {key}
                else:
                    group.add(key)
        needed: set[str] = set()
        for m in messages:
            if len(m.identities) == 1 and m.kind == "event":
                continue  # stored: nothing changes; new: a graph of its own
            pids = {known[i.key].profile_id for i in m.identities if i.key in known}
            if m.kind == "record" or len(pids) > 1 or any(i.key not in known for i in m.identities):
                needed |= pids
        self._load_profiles(sorted(p for p in needed if p not in self.profiles))

    def _load_profiles(self, ordered: list[str]) -> None:
        for i in range(0, len(ordered), _CHUNK):
            ids = ordered[i : i + _CHUNK]
            marks = ",".join("?" for _ in ids)
            rows = self.conn.execute(
                "SELECT id, identity_count, created_ms, modified_ms, org_id FROM profiles"
                f" WHERE id IN ({marks})",
                ids,
            )
            for pid, count, created, modified, org in rows:
                self.profiles[pid] = ProfileState(count, created, modified, True, org)
        for pid in ordered:
            if pid not in self.profiles:  # identities whose profile row is missing: repair it
                members = self.cache.members[pid]
                first = min(self.known[key].first_seen_ms for key in members)
                org = next(iter(members))[0]
                self.profiles[pid] = ProfileState(len(members), first, first, True, org)
                self._touched.add(pid)

    # -- linking ------------------------------------------------------------------

    def link(self, message: Message) -> Ident | None:
        """Link the identities of ``message``; return the row of an identity whose graph the
        message belongs to (its ``profile_id`` follows renames until the batch is flushed)."""
        if len(message.identities) == 1:  # the usual event: one identity, often a known one
            identity = message.identities[0]
            known = self.known.get(identity.key)
            if known is not None:
                if known.primary != identity.primary or known.state != identity.authenticated_state:
                    self._touch(known, identity)
                return known
        graph: str | None = None
        handle: Key | None = None
        fresh: list[Identity] = []
        for identity in message.identities:
            known = self.known.get(identity.key)
            if known is None:
                fresh.append(identity)
                continue
            self._touch(known, identity)
            if graph is None:
                graph, handle = known.profile_id, identity.key
            elif known.profile_id != graph:
                graph = self._merge(graph, known.profile_id, identity, message)
        for identity in fresh:
            if graph is None:
                graph, handle = self._create(identity, message), identity.key
            elif self.profiles[graph].identity_count + 1 > self.cap:
                self._refuse(graph, identity, None, message)
                self._create(identity, message)
            else:
                graph = self._join(graph, identity, message)
        return None if handle is None else self.known[handle]

    def _touch(self, known: Ident, identity: Identity) -> None:
        if known.primary != identity.primary or known.state != identity.authenticated_state:
            known.primary = identity.primary
            known.state = identity.authenticated_state
            self._changed.add(identity.key)

    def _create(self, identity: Identity, message: Message) -> str:
        pid = profile_id_for(identity.namespace, identity.id, identity.org)
        received = message.received_ms
        self.known[identity.key] = Ident(
            pid, identity.code, identity.primary, identity.authenticated_state, received, False
        )
        self._new.append(identity.key)
        self.cache.members.setdefault(pid, set()).add(identity.key)
        profile = self.profiles.get(pid)
        if profile is None:
            self.profiles[pid] = ProfileState(1, received, received, False, identity.org)
        else:  # only after an erasure deleted the rows of a graph of this name
            profile.identity_count += 1
        self._touched.add(pid)
        return pid

    def _join(self, graph: str, identity: Identity, message: Message) -> str:
        own = profile_id_for(identity.namespace, identity.id, identity.org)
        received = message.received_ms
        self.known[identity.key] = Ident(
            graph, identity.code, identity.primary, identity.authenticated_state, received, False
        )
        self._new.append(identity.key)
        self.cache.members.setdefault(graph, set()).add(identity.key)
        profile = self.profiles[graph]
        profile.identity_count += 1
        profile.modified_ms = max(profile.modified_ms, received)
        self._touched.add(graph)
        if own < graph:
            self._relabel(graph, own, "relabel", message)
            return own
        return graph

    def _merge(self, graph: str, other: str, identity: Identity, message: Message) -> str:
        size, other_size = self.profiles[graph].identity_count, self.profiles[other].identity_count
        if size + other_size > self.cap:
            self._refuse(graph, identity, other, message)
            return graph
        survivor, absorbed = (graph, other) if graph < other else (other, graph)
        self._relabel(absorbed, survivor, "merge", message)
        return survivor

    def _relabel(self, old: str, new: str, kind: str, message: Message) -> None:
        gone = self.profiles.pop(old)
        target = self.profiles.get(new)
        if target is None:
            target = self.profiles[new] = ProfileState(
                0, gone.created_ms, gone.modified_ms, False, gone.org_id
            )
        target.in_db = target.in_db or gone.in_db  # rows of ``old`` are renamed to ``new``
        target.identity_count += gone.identity_count
        target.created_ms = min(target.created_ms, gone.created_ms)
        target.modified_ms = max(target.modified_ms, gone.modified_ms, message.received_ms)
        self._touched.add(new)
        moved = self.cache.members.pop(old, set())
        for key in moved:
            self.known[key].profile_id = new
        self.cache.members.setdefault(new, set()).update(moved)
        self.renamed[old] = new
        if old in self.entity_dirty:
            self.entity_dirty.add(new)
        if gone.in_db:
            self._moved.append(old)
        self._merges.append(
            [
                message.org_id,
                message.received_ms,
                kind,
                old,
                new,
                new,
                target.identity_count,
                message.dataset_id,
                message.xaction_id,
                self.applied_at,
            ]
        )
        if kind == "merge":
            log.info("profile %s merged into %s by %s", old, new, message.xaction_id)

    def _move_rows(self) -> None:
        """Rename, in SQL, the rows of stored profiles that this batch renamed: once per batch,
        straight to each one's final name (a statement per table, not per rename)."""
        pairs = [(old, self.final(old)) for old in self._moved]
        execute = self.conn.execute
        for i in range(0, len(pairs), _CHUNK):
            chunk = pairs[i : i + _CHUNK]
            values = ",".join("(?,?)" for _ in chunk)
            params = [pid for pair in chunk for pid in pair]
            for table in ("identities", "experience_events", "profile_merges", "refused_links"):
                execute(
                    f"WITH r(old, new) AS (VALUES {values}) UPDATE {table}"
                    f" SET profile_id = r.new FROM r WHERE {table}.profile_id = r.old",
                    params,
                )
            marks = ",".join("?" for _ in chunk)
            execute(f"DELETE FROM profiles WHERE id IN ({marks})", [old for old, _ in chunk])
        for old, new in pairs:
            if fragments.move(self.conn, old, new):
                self.entity_dirty.add(new)

    def _refuse(self, graph: str, identity: Identity, other: str | None, message: Message) -> None:
        size = self.profiles[graph].identity_count
        other_size = self.profiles[other].identity_count if other else 1
        log.warning(
            "identity link refused: graph %s has %d identities, linking %s:%s (%d more) would"
            " exceed %d (message %s)",
            graph,
            size,
            identity.namespace,
            identity.id,
            other_size,
            self.cap,
            message.xaction_id,
        )
        self._refused.append(
            [
                message.org_id,
                message.received_ms,
                graph,
                size,
                identity.namespace,
                identity.id,
                other,
                other_size,
                message.dataset_id,
                message.xaction_id,
                self.applied_at,
            ]
        )

    # -- flushing -----------------------------------------------------------------

    def final(self, pid: str) -> str:
        while pid in self.renamed:
            pid = self.renamed[pid]
        return pid

    def flush(self) -> None:
        """Write what the batch changed; afterwards the cache holds the rows as written."""
        self._move_rows()
        known, profiles = self.known, self.profiles
        changed_rows = [  # identities inserted by this batch carry their latest state
            (known[key].primary, known[key].state, *key, SANDBOX)
            for key in self._changed
            if known[key].in_db
        ]
        new_rows = []
        for key in self._new:
            ident = known[key]
            new_rows.append(
                (
                    key[0],
                    key[1],
                    key[2],
                    ident.code,
                    ident.profile_id,
                    ident.primary,
                    ident.state,
                    ident.first_seen_ms,
                )
            )
            ident.in_db = True
        profile_rows = []
        for pid in sorted(self._touched):
            profile = profiles.get(pid)
            if profile is not None:  # else renamed away in this batch
                profile_rows.append(
                    (
                        pid,
                        profile.org_id,
                        profile.identity_count,
                        profile.created_ms,
                        profile.modified_ms,
                    )
                )
                profile.in_db = True
        executemany = self.conn.executemany
        executemany(
            "INSERT INTO identities (org_id, namespace, id, code, profile_id, is_primary,"
            " authenticated_state, first_seen_ms) VALUES (?,?,?,?,?,?,?,?)",
            new_rows,
        )
        executemany(
            "UPDATE identities SET is_primary = ?, authenticated_state = ?"
            " WHERE org_id = ? AND namespace = ? AND id = ? AND sandbox = ?",
            changed_rows,
        )
        executemany(
            "INSERT INTO profiles (id, org_id, identity_count, created_ms, modified_ms)"
            " VALUES (?,?,?,?,?)"
            " ON CONFLICT(id) DO UPDATE SET identity_count = excluded.identity_count,"
            " created_ms = excluded.created_ms, modified_ms = excluded.modified_ms",
            profile_rows,
        )
        for merged in self._merges:
            merged[5] = self.final(str(merged[5]))
        for refused in self._refused:
            refused[2] = self.final(str(refused[2]))
        executemany(
            "INSERT INTO profile_merges (org_id, merged_ms, kind, from_profile_id,"
            " into_profile_id, profile_id, identity_count, dataset_id, xaction_id, applied_at)"
            " VALUES (?,?,?,?,?,?,?,?,?,?)",
            self._merges,
        )
        executemany(
            "INSERT INTO refused_links (org_id, refused_ms, profile_id, graph_size, namespace,"
            " id, other_profile_id, other_size, dataset_id, xaction_id, applied_at)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            self._refused,
        )

    def touch_modified(self, pid: str, received_ms: int) -> None:
        profile = self.profiles[pid]
        if received_ms > profile.modified_ms:
            profile.modified_ms = received_ms
            self._touched.add(pid)
