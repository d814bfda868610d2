"""``ml-connector credentials``: the encrypted vault, without ever printing a stored secret."""

from __future__ import annotations

import sys

import click

from connector_resources.ledger import Ledger, ledger_url


def _vault():
    from connector_resources.vault import Vault, VaultKeyError

    try:
        return Vault(Ledger(ledger_url()))
    except VaultKeyError as exc:
        raise click.ClickException(str(exc)) from None


@click.group()
def credentials() -> None:
    """Store, list and rotate secrets in the encrypted vault (key: ML_CONNECTOR_VAULT_KEY)."""


@credentials.command("gen-key")
def gen_key() -> None:
    """Print a new Fernet key to put first in ML_CONNECTOR_VAULT_KEY."""
    from connector_resources.vault import Vault

    click.echo(Vault.generate_key())


@credentials.command("set")
@click.argument("name")
@click.option("--stdin", "from_stdin", is_flag=True, help="Read the value from standard input, not a prompt.")
def set_secret(name: str, from_stdin: bool) -> None:
    """Store secret NAME (prompted without echo); refer to it as vault:NAME in settings."""
    from connector_resources.vault import VaultKeyError

    if from_stdin:
        value = sys.stdin.read().rstrip("\r\n")
    else:
        value = click.prompt(f"value for {name}", hide_input=True, confirmation_prompt=True)
    if not value:
        raise click.ClickException(f"refusing to store an empty value for {name}")
    try:
        _vault().set(name, value)
    except (VaultKeyError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"stored {name} (use vault:{name} in a *_PASSWORD / *_SECRET setting)")


@credentials.command("list")
def list_secrets() -> None:
    """List stored secret names and when they changed (never their values)."""
    infos = _vault().list()
    if not infos:
        click.echo("no secrets stored")
        return
    for info in infos:
        created, updated = f"{info.created_at:%Y-%m-%d %H:%M}Z", f"{info.updated_at:%Y-%m-%d %H:%M}Z"
        click.echo(f"{info.name}\tcreated {created}\tupdated {updated}")


@credentials.command("delete")
@click.argument("name")
def delete_secret(name: str) -> None:
    """Remove secret NAME from the vault."""
    from connector_resources.vault import SecretNotFound

    try:
        _vault().delete(name)
    except SecretNotFound:
        raise click.ClickException(f"no secret named {name}") from None
    click.echo(f"deleted {name}")


@credentials.command("rotate")
def rotate() -> None:
    """Re-encrypt every secret with the first key of ML_CONNECTOR_VAULT_KEY.

    Put the new key first and keep the old one after it (NEW,OLD), run this, then drop OLD.
    """
    from connector_resources.vault import VaultKeyError

    try:
        count = _vault().rotate()
    except VaultKeyError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"re-encrypted {count} secret(s) with the first key; the old key can now be removed")
