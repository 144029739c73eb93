"""``collector properties build|builds|submit|approve|reject|promote|rollback|diff|history``.

The publishing flow from a shell, over the same engine as the console
(``collector/tags/builds.py``). The shell on the server is trusted: the actor recorded in the
history and the audit log is ``cli:<os user>``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from collector.cli.options import data_dir_option, json_option
from collector.cli.output import emit
from collector.control import audit
from collector.control.settings import Settings
from collector.tags.properties import Properties
from collector.tags.property import ENVIRONMENTS, PropertyError


@contextmanager
def _properties(data_dir: Path | None) -> Iterator[Properties]:
    try:
        with Properties.open(Settings.from_env(data_dir=data_dir)) as properties:
            yield properties
    except PropertyError as exc:
        raise click.ClickException("\n".join(exc.problems)) from None


@click.command("build")
@click.argument("property_id")
@click.option("--note", default="", help="Why this build (shown in the history).")
@data_dir_option
@json_option
def build(property_id: str, note: str, data_dir: Path | None, as_json: bool) -> None:
    """Build the property's draft (the next build number; served on development)."""
    with _properties(data_dir) as props:
        made = props.build(property_id, actor=audit.cli_actor(), note=note)
        row = made.summary("development", ["development"])
    emit(row, as_json, [])


@click.command("builds")
@click.argument("property_id")
@data_dir_option
@json_option
def builds(property_id: str, data_dir: Path | None, as_json: bool) -> None:
    """List a property's builds with their status and where each is served."""
    with _properties(data_dir) as props:
        props.get(property_id)
        rows = props.store.builds.summaries(property_id)
    for row in rows:
        row["served_on"] = ",".join(row["served_on"]) if not as_json else row["served_on"]
    emit(rows, as_json, ["build", "status", "served_on", "created_by", "created_at", "note"])


def _step(action: str, doc: str) -> click.Command:
    @click.command(action, help=doc)
    @click.argument("property_id")
    @click.argument("build_number", type=click.IntRange(min=1))
    @click.option("--note", default="", help="A note for the history.")
    @data_dir_option
    @json_option
    def command(
        property_id: str, build_number: int, note: str, data_dir: Path | None, as_json: bool
    ) -> None:
        with _properties(data_dir) as props:
            done = props.step(property_id, build_number, action, actor=audit.cli_actor(), note=note)
        emit(done.to_dict(), as_json, [])

    return command


submit = _step("submit", "Submit the newest build for review (served on staging).")
approve = _step("approve", "Approve a submitted build.")
reject = _step("reject", "Send a submitted build back (it may be submitted again).")
promote = _step("promote", "Serve an approved build on production.")
rollback = _step("rollback", "Serve again a build that production served before.")


@click.command("diff")
@click.argument("property_id")
@click.argument("first", type=click.IntRange(min=1))
@click.argument("second", type=click.IntRange(min=1))
@data_dir_option
@json_option
def diff(property_id: str, first: int, second: int, data_dir: Path | None, as_json: bool) -> None:
    """What changed from build FIRST to build SECOND (data elements, rules, extension)."""
    with _properties(data_dir) as props:
        changes = props.store.builds.diff(property_id, first, second)
    if as_json:
        emit(changes, True, [])
        return
    for part in ("dataElements", "rules", "extension"):
        for kind, sign in (("added", "+"), ("removed", "-"), ("changed", "~")):
            for item in changes[part][kind]:
                click.echo(f"{sign} {part} {item['name']}")


@click.command("history")
@click.argument("property_id")
@click.option("--environment", type=click.Choice(ENVIRONMENTS), default=None)
@data_dir_option
@json_option
def history(
    property_id: str, environment: str | None, data_dir: Path | None, as_json: bool
) -> None:
    """Every step of the publishing flow, oldest first (one environment with --environment)."""
    with _properties(data_dir) as props:
        props.get(property_id)
        rows = [d.to_dict() for d in props.store.builds.history(property_id, environment)]
    emit(rows, as_json, ["seq", "at", "action", "build", "environment", "actor", "note"])


commands = [build, builds, submit, approve, reject, promote, rollback, diff, history]
