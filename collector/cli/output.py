"""The one way every command prints: JSON for scripts, or an aligned table for people."""

from __future__ import annotations

from typing import Any

import click
import orjson


def emit(rows: list[dict[str, Any]] | dict[str, Any], as_json: bool, columns: list[str]) -> None:
    if as_json:
        click.echo(orjson.dumps(rows, option=orjson.OPT_INDENT_2).decode())
        return
    items = rows if isinstance(rows, list) else [rows]
    if isinstance(rows, dict):
        for key, value in rows.items():
            click.echo(f"{key}: {value}")
        return
    widths = {c: max([len(c), *(len(str(r.get(c, ""))) for r in items)]) for c in columns}
    click.echo("  ".join(c.ljust(widths[c]) for c in columns))
    for r in items:
        click.echo("  ".join(str(r.get(c, "")).ljust(widths[c]) for c in columns))
