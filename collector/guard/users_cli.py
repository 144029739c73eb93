"""``collector users``: console users and their roles. Passwords are read from stdin.

Every change is written to the audit log with the shell user as the actor.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from collector.cli.options import data_dir_option, json_option
from collector.cli.output import emit
from collector.control import audit
from collector.control.settings import Settings
from collector.guard.roles import ROLES
from collector.guard.users import User, UserError, UserStore

_COLUMNS = ["email", "role", "org_id", "created_at", "password_changed_at", "disabled_at"]
_ROLE = click.Choice(ROLES)


@contextmanager
def _store(data_dir: Path | None) -> Iterator[UserStore]:
    store = UserStore(Settings.from_env(data_dir=data_dir).control_db_path)
    try:
        yield store
    except UserError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        store.close()


def _password() -> str:
    """The password on stdin: its first line, without the line end."""
    return sys.stdin.readline().rstrip("\r\n")


def _audit(store: UserStore, action: str, user: User) -> None:
    store.audit(
        actor=audit.cli_actor(),
        action=action,
        object_type="user",
        object_id=user.email,
        org_id=user.org_id,
        detail={"role": user.role},
    )


def _show(user: User, as_json: bool) -> None:
    emit(user.to_dict(), as_json, _COLUMNS)


@click.group()
def users() -> None:
    """Console users: email, role (viewer, editor, approver, admin), password."""


@users.command("create")
@click.option("--email", required=True)
@click.option("--role", required=True, type=_ROLE)
@click.option("--org", "org_id", default=None, help="Limit the user to one org.")
@click.option("--password-stdin", is_flag=True, required=True, help="Read the password from stdin.")
@data_dir_option
@json_option
def users_create(
    email: str,
    role: str,
    org_id: str | None,
    password_stdin: bool,
    data_dir: Path | None,
    as_json: bool,
) -> None:
    """Create a user (the password, read from stdin, has at least 12 characters)."""
    with _store(data_dir) as store:
        user = store.create(email, role, _password(), org_id)
        _audit(store, "user.create", user)
    _show(user, as_json)


@users.command("list")
@data_dir_option
@json_option
def users_list(data_dir: Path | None, as_json: bool) -> None:
    """List users (never their passwords)."""
    with _store(data_dir) as store:
        found = store.list()
    emit([u.to_dict() for u in found], as_json, _COLUMNS)


@users.command("disable")
@click.argument("email")
@data_dir_option
@json_option
def users_disable(email: str, data_dir: Path | None, as_json: bool) -> None:
    """Disable a user: their sessions end and they cannot sign in."""
    with _store(data_dir) as store:
        user = store.disable(email)
        _audit(store, "user.disable", user)
    _show(user, as_json)


@users.command("set-role")
@click.argument("email")
@click.argument("role", type=_ROLE)
@data_dir_option
@json_option
def users_set_role(email: str, role: str, data_dir: Path | None, as_json: bool) -> None:
    """Change a user's role (their sessions end)."""
    with _store(data_dir) as store:
        user = store.set_role(email, role)
        _audit(store, "user.set_role", user)
    _show(user, as_json)


@users.command("reset-password")
@click.argument("email")
@data_dir_option
@json_option
def users_reset_password(email: str, data_dir: Path | None, as_json: bool) -> None:
    """Set a new password, read from stdin (their sessions end)."""
    with _store(data_dir) as store:
        user = store.reset_password(email, _password())
        _audit(store, "user.reset_password", user)
    _show(user, as_json)
