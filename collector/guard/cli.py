"""Command line of the guard: inlet tokens (``collector tokens``) and inlet rate limits
(``collector inlets limits``). Registered on ``collector.cli.main``."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any

import click

from collector.cli.options import data_dir_option, format_option
from collector.cli.output import Format, emit
from collector.control import audit
from collector.control.plane import LIMIT_COLUMNS, ControlPlane, ControlPlaneError
from collector.control.settings import Settings
from collector.guard.tokens import TokenError, TokenStore

_data_dir = data_dir_option
_format = format_option


class LimitValue(click.ParamType):  # type: ignore[type-arg]  # generic only in click >= 8.2
    """A limit: a count (0: no limit) or ``default`` (back to the setting's default)."""

    name = "COUNT|default"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if value is None or isinstance(value, int):
            return value
        if str(value).strip().lower() == "default":
            return "default"
        try:
            count = int(value)
        except ValueError:
            self.fail(f"{value!r} is neither a count nor 'default'", param, ctx)
        if count < 0:
            self.fail(f"{count} is negative", param, ctx)
        return count


LIMIT = LimitValue()


def limit_options(command: Any) -> Any:
    """The four ``--...-per-...`` options, shared by ``inlets create`` and ``inlets limits``."""
    helps = {
        "requests_per_second": "Requests per second (default 1000).",
        "messages_per_second": "Messages per second, a batch counts each (default 1000).",
        "sync_per_minute": "Requests with syncValidation=true per minute (default 60).",
        "per_ip_per_second": "Requests per second per client IP on browser inlets (default 20).",
    }
    for column in reversed(LIMIT_COLUMNS):
        flag = "--" + column.replace("_", "-")
        command = click.option(flag, column, type=LIMIT, default=None, help=helps[column])(command)
    return command


def chosen_limits(values: dict[str, Any]) -> dict[str, int | None]:
    """The limits given on the command line, with ``default`` as None (NULL in the table)."""
    return {
        column: None if values[column] == "default" else values[column]
        for column in LIMIT_COLUMNS
        if values.get(column) is not None
    }


@contextmanager
def _stores(data_dir: Path | None) -> Iterator[tuple[ControlPlane, TokenStore]]:
    settings = Settings.from_env(data_dir=data_dir)
    control = ControlPlane(settings.control_db_path)
    tokens = TokenStore(settings.control_db_path)
    try:
        yield control, tokens
    except (ControlPlaneError, TokenError) as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        tokens.close()
        control.close()


# -- collector inlets limits -----------------------------------------------------------


@click.command("limits")
@click.argument("inlet_id")
@limit_options
@_data_dir
@_format
def inlet_limits(inlet_id: str, data_dir: Path | None, fmt: Format, **values: Any) -> None:
    """Show or change an inlet's rate limits (COUNT, 0 for no limit, or `default`)."""
    settings = Settings.from_env(data_dir=data_dir)
    with _stores(data_dir) as (control, _):
        inlet = control.set_inlet_limits(inlet_id, chosen_limits(values), actor=audit.cli_actor())
    defaults = {
        "requests_per_second": settings.rate_limit_requests_per_second,
        "messages_per_second": settings.rate_limit_messages_per_second,
        "sync_per_minute": settings.rate_limit_sync_per_minute,
        "per_ip_per_second": settings.rate_limit_per_ip_per_second,
    }
    rows = [
        {"limit": column, "value": own, "effective": defaults[column] if own is None else own}
        for column in LIMIT_COLUMNS
        for own in [getattr(inlet, column)]
    ]
    emit(rows, fmt, ["limit", "value", "effective"])


# -- collector tokens ------------------------------------------------------------------


@click.group()
def tokens() -> None:
    """Bearer tokens of inlets that require authentication (`inlets create --auth`)."""


@tokens.command("create")
@click.option("--inlet", "inlet_id", required=True, help="The inlet the token may write to.")
@click.option("--name", default="", help="A label (who uses the token).")
@_data_dir
@_format
def tokens_create(inlet_id: str, name: str, data_dir: Path | None, fmt: Format) -> None:
    """Create a token and print it; it is shown this once (only its hash is kept)."""
    with _stores(data_dir) as (_, store):
        issued = store.create(inlet_id, name)
    if fmt != "table":
        emit(asdict(issued.token) | {"token": issued.secret}, fmt)
        return
    click.echo(issued.secret)
    click.echo(
        f"token id {issued.token.id} for inlet {inlet_id}: copy it now, it is not shown again. "
        "Send it as `Authorization: Bearer <token>`.",
        err=True,
    )


@tokens.command("list")
@click.option("--inlet", "inlet_id", default=None, help="Only this inlet's tokens.")
@_data_dir
@_format
def tokens_list(inlet_id: str | None, data_dir: Path | None, fmt: Format) -> None:
    """List tokens (ids and names, never secrets)."""
    with _stores(data_dir) as (_, store):
        rows = [asdict(t) for t in store.list(inlet_id)]
    emit(rows, fmt, ["id", "inlet_id", "name", "created_at", "revoked_at"])


@tokens.command("revoke")
@click.argument("token_id")
@_data_dir
@_format
def tokens_revoke(token_id: str, data_dir: Path | None, fmt: Format) -> None:
    """Revoke a token; every worker refuses it from the next request on."""
    with _stores(data_dir) as (_, store):
        token = store.revoke(token_id)
    emit([asdict(token)], fmt, ["id", "inlet_id", "name", "revoked_at"])
