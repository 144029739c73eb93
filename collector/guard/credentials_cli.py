"""``collector credentials``: API credentials of an org (client id, secret shown once, scopes).

Every change is written to the audit log with the shell user as the actor.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
import orjson

from collector.cli.options import data_dir_option, json_option
from collector.cli.output import emit
from collector.control import audit
from collector.control.settings import Settings
from collector.guard import scopes
from collector.guard.credentials import Credential, CredentialError, CredentialStore

_COLUMNS = ["id", "client_id", "org_id", "name", "scopes", "created_at", "rotated_at", "revoked_at"]


@contextmanager
def _store(data_dir: Path | None) -> Iterator[CredentialStore]:
    store = CredentialStore(Settings.from_env(data_dir=data_dir).control_db_path)
    try:
        yield store
    except CredentialError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        store.close()


def _audit(store: CredentialStore, action: str, credential: Credential) -> None:
    audit.record(
        store.conn,
        actor=audit.cli_actor(),
        action=action,
        object_type="credential",
        object_id=credential.client_id,
        org_id=credential.org_id,
        detail={"id": credential.id, "name": credential.name, "scopes": list(credential.scopes)},
    )


def _row(credential: Credential) -> dict[str, object]:
    return credential.to_dict() | {"scopes": " ".join(credential.scopes)}


def _print_secret(credential: Credential, secret: str, as_json: bool) -> None:
    if as_json:
        click.echo(orjson.dumps(credential.to_dict() | {"client_secret": secret}).decode())
        return
    click.echo(f"client_id      {credential.client_id}")
    click.echo(f"client_secret  {secret}")
    click.echo(
        f"credential {credential.id} of {credential.org_id} ({' '.join(credential.scopes)}): "
        "copy the secret now, it is not shown again. Exchange it for a token at "
        "POST /ims/token/v3.",
        err=True,
    )


@click.group()
def credentials() -> None:
    """API credentials: client id and secret for POST /ims/token/v3, per org, with scopes."""


@credentials.command("create")
@click.option("--org", "org_id", required=True, help="The org the credential acts for.")
@click.option("--name", required=True, help="A label (who or what uses it).")
@click.option(
    "--scope",
    "scope_names",
    multiple=True,
    required=True,
    help=f"A scope, repeatable: {', '.join(scopes.SCOPES)} (admin implies all).",
)
@data_dir_option
@json_option
def credentials_create(
    org_id: str, name: str, scope_names: tuple[str, ...], data_dir: Path | None, as_json: bool
) -> None:
    """Create a credential and print its client_id and client_secret (the secret once)."""
    with _store(data_dir) as store:
        issued = store.create(org_id, name, [s for raw in scope_names for s in scopes.split(raw)])
        _audit(store, "credential.create", issued.credential)
    _print_secret(issued.credential, issued.client_secret, as_json)


@credentials.command("list")
@click.option("--org", "org_id", default=None, help="Only this org's credentials.")
@data_dir_option
@json_option
def credentials_list(org_id: str | None, data_dir: Path | None, as_json: bool) -> None:
    """List credentials (never their secrets)."""
    with _store(data_dir) as store:
        found = store.list(org_id)
    if as_json:
        emit([c.to_dict() for c in found], True, _COLUMNS)
    else:
        emit([_row(c) for c in found], False, _COLUMNS)


@credentials.command("revoke")
@click.argument("credential_id")
@data_dir_option
@json_option
def credentials_revoke(credential_id: str, data_dir: Path | None, as_json: bool) -> None:
    """Revoke a credential (by id or client_id): its secret and tokens stop working."""
    with _store(data_dir) as store:
        credential = store.revoke(credential_id)
        _audit(store, "credential.revoke", credential)
    emit(credential.to_dict() if as_json else _row(credential), as_json, _COLUMNS)


@credentials.command("rotate")
@click.argument("credential_id")
@data_dir_option
@json_option
def credentials_rotate(credential_id: str, data_dir: Path | None, as_json: bool) -> None:
    """Give a credential a new secret (printed once); the old secret and its tokens die."""
    with _store(data_dir) as store:
        issued = store.rotate(credential_id)
        _audit(store, "credential.rotate", issued.credential)
    _print_secret(issued.credential, issued.client_secret, as_json)
