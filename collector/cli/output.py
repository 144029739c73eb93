"""The one way every command prints: JSON for scripts, CSV for spreadsheets, a table for people.

Commands take the output flags once, from ``collector.cli.options.format_option``
(``--json``, ``--csv``, ``--table``), and hand their rows to ``emit``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any, Literal

import click
import orjson

Format = Literal["json", "table", "csv"]
FORMATS: tuple[Format, ...] = ("json", "table", "csv")
# Table cells longer than this are cut (with "..."); JSON and CSV are never cut.
MAX_CELL = 80

Rows = list[dict[str, Any]] | dict[str, Any]


def emit(rows: Rows, fmt: Format | bool, columns: Sequence[str] = ()) -> None:
    """Print ``rows`` (a list of records, or one record) in ``fmt``.

    ``fmt`` may be a bool for commands that only offer ``--json`` (True: JSON, False: table).
    ``columns`` picks and orders the table and CSV columns; empty means every key of the rows.
    """
    chosen: Format = ("json" if fmt else "table") if isinstance(fmt, bool) else fmt
    if chosen == "json":
        click.echo(orjson.dumps(rows, option=orjson.OPT_INDENT_2).decode())
        return
    items = rows if isinstance(rows, list) else [rows]
    names = list(columns) or _keys(items)
    if chosen == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(names)
        writer.writerows([_text(r.get(c)) for c in names] for r in items)
        click.echo(out.getvalue(), nl=False)
    elif isinstance(rows, dict):
        for key in names:
            click.echo(f"{key}: {_text(rows.get(key))}")
    else:
        cells = [[_cell(r.get(c)) for c in names] for r in items]
        widths = [max([len(c), *(len(row[i]) for row in cells)]) for i, c in enumerate(names)]
        click.echo("  ".join(c.ljust(w) for c, w in zip(names, widths, strict=True)).rstrip())
        for row in cells:
            click.echo("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())


def _keys(items: list[dict[str, Any]]) -> list[str]:
    keys: dict[str, None] = {}
    for item in items:
        keys.update(dict.fromkeys(item))
    return list(keys)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list | tuple):
        return orjson.dumps(value).decode()
    return str(value)


def _cell(value: Any) -> str:
    text = _text(value)
    return text if len(text) <= MAX_CELL else text[: MAX_CELL - 3] + "..."
