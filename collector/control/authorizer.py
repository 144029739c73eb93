"""An SQLite authorizer for connections that must only read (``collector sql``).

``mode=ro`` and ``PRAGMA query_only`` stop writes to the opened files, but not statements
that create *other* files: ``ATTACH 'x.db'`` creates ``x.db`` at any path, and
``VACUUM INTO '/any/path'`` writes a copy there. ``ReadOnlyAuthorizer`` is installed with
``conn.set_authorizer`` after the connection attached what it needs itself; from then on it
allows reads (SELECT, column reads, functions, CTEs) and pragmas that only report, and denies
everything else: ATTACH/DETACH, VACUUM, every write or schema change, transactions, and any
pragma that sets a value. ``denied`` keeps the first refused action so that the caller can
say which one it was.
"""

from __future__ import annotations

import sqlite3

# Pragmas that report and take an object name as argument (never a state change).
_INTROSPECTION = frozenset(
    {
        "table_info",
        "table_xinfo",
        "table_list",
        "index_list",
        "index_info",
        "index_xinfo",
        "foreign_key_list",
        "foreign_key_check",
        "integrity_check",
        "quick_check",
    }
)
# Pragmas that are allowed only as a query (``PRAGMA x``), never as ``PRAGMA x = value``.
_READABLE = frozenset(
    {
        "application_id",
        "collation_list",
        "compile_options",
        "data_version",
        "database_list",
        "encoding",
        "foreign_keys",
        "freelist_count",
        "function_list",
        "journal_mode",
        "module_list",
        "page_count",
        "page_size",
        "pragma_list",
        "query_only",
        "schema_version",
        "user_version",
    }
)
_SCHEMA_TABLES = frozenset({"sqlite_master", "sqlite_schema"})
_ALLOWED = frozenset(
    {sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_FUNCTION, sqlite3.SQLITE_RECURSIVE}
)


class ReadOnlyAuthorizer:
    """``conn.set_authorizer(ReadOnlyAuthorizer())``: reads only, with a record of refusals."""

    def __init__(self) -> None:
        self.denied: str | None = None

    def __call__(
        self,
        action: int,
        arg1: str | None,
        arg2: str | None,
        database: str | None,
        trigger: str | None,
    ) -> int:
        if action in _ALLOWED:
            return sqlite3.SQLITE_OK
        if action == sqlite3.SQLITE_UPDATE and arg1 in _SCHEMA_TABLES and trigger is None:
            # SQLite asks this while it first builds a pragma table-valued function
            # (``pragma_table_info('t')``); no such write can happen on a connection that is
            # ``mode=ro`` with ``query_only`` and ``writable_schema`` off (setting it is denied).
            return sqlite3.SQLITE_OK
        if action == sqlite3.SQLITE_PRAGMA and arg1 is not None:
            name = arg1.lower()
            if name in _INTROSPECTION or (name in _READABLE and arg2 is None):
                return sqlite3.SQLITE_OK
            refused = f"PRAGMA {arg1}" + ("" if arg2 is None else f" = {arg2}")
        else:
            refused = describe(action, arg1)
        self.denied = self.denied or refused  # the first refusal names the statement best
        return sqlite3.SQLITE_DENY

    def explain(self, exc: sqlite3.Error) -> str:
        """The message for a failed statement: which action was refused, if one was."""
        if self.denied is None:
            return str(exc)
        return f"read-only: {self.denied} is not allowed"


def describe(action: int, arg1: str | None) -> str:
    """A short name of an authorizer action: ``ATTACH``, ``INSERT on profiles``."""
    if action == sqlite3.SQLITE_ATTACH:  # VACUUM and VACUUM INTO are checked as ATTACH too
        return f"ATTACH or VACUUM INTO {arg1!r}" if arg1 else "VACUUM"
    name = _ACTIONS.get(action, f"action {action}")
    return f"{name} on {arg1}" if arg1 else name


_ACTIONS: dict[int, str] = {
    sqlite3.SQLITE_DETACH: "DETACH",
    sqlite3.SQLITE_INSERT: "INSERT",
    sqlite3.SQLITE_UPDATE: "UPDATE",
    sqlite3.SQLITE_DELETE: "DELETE",
    sqlite3.SQLITE_TRANSACTION: "transaction",
    sqlite3.SQLITE_SAVEPOINT: "SAVEPOINT",
    sqlite3.SQLITE_ANALYZE: "ANALYZE",
    sqlite3.SQLITE_REINDEX: "REINDEX",
    sqlite3.SQLITE_ALTER_TABLE: "ALTER TABLE",
    sqlite3.SQLITE_CREATE_TABLE: "CREATE TABLE",
    sqlite3.SQLITE_CREATE_INDEX: "CREATE INDEX",
    sqlite3.SQLITE_CREATE_VIEW: "CREATE VIEW",
    sqlite3.SQLITE_CREATE_TRIGGER: "CREATE TRIGGER",
    sqlite3.SQLITE_CREATE_TEMP_TABLE: "CREATE TEMP TABLE",
    sqlite3.SQLITE_CREATE_TEMP_INDEX: "CREATE TEMP INDEX",
    sqlite3.SQLITE_CREATE_TEMP_VIEW: "CREATE TEMP VIEW",
    sqlite3.SQLITE_CREATE_TEMP_TRIGGER: "CREATE TEMP TRIGGER",
    sqlite3.SQLITE_CREATE_VTABLE: "CREATE VIRTUAL TABLE",
    sqlite3.SQLITE_DROP_TABLE: "DROP TABLE",
    sqlite3.SQLITE_DROP_INDEX: "DROP INDEX",
    sqlite3.SQLITE_DROP_VIEW: "DROP VIEW",
    sqlite3.SQLITE_DROP_TRIGGER: "DROP TRIGGER",
    sqlite3.SQLITE_DROP_TEMP_TABLE: "DROP TEMP TABLE",
    sqlite3.SQLITE_DROP_TEMP_INDEX: "DROP TEMP INDEX",
    sqlite3.SQLITE_DROP_TEMP_VIEW: "DROP TEMP VIEW",
    sqlite3.SQLITE_DROP_TEMP_TRIGGER: "DROP TEMP TRIGGER",
    sqlite3.SQLITE_DROP_VTABLE: "DROP VIRTUAL TABLE",
}
