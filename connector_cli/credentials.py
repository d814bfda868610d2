"""``ml-connector credentials``: the encrypted vault, without ever printing a stored secret."""

from __future__ import annotations

import sys

import click

from connector_resources import settings
from connector_resources.ledger import Ledger, ledger_url
from connector_resources.vault import KEY_ENV, keyless_state, stored_secrets


def _vault():
    from connector_resources.vault import Vault, VaultKeyError

    ledger = Ledger(ledger_url())
    # Closed with the command, not left to the garbage collector (which resets pooled SQLite
    # connections after their database is gone and prints tracebacks).
    click.get_current_context().call_on_close(ledger.dispose)
    try:
        return Vault(ledger)
    except VaultKeyError as exc:
        raise click.ClickException(str(exc)) from None


def _key_set() -> bool:
    return bool(settings.given(KEY_ENV))


def _stored() -> list:
    """The stored secrets' names and dates, read without a key (``Vault.list`` needs one)."""
    ledger = Ledger(ledger_url())
    click.get_current_context().call_on_close(ledger.dispose)
    return stored_secrets(ledger)


@click.group()
def credentials() -> None:
    """Store, list, check and rotate secrets in the encrypted vault (key: ML_CONNECTOR_VAULT_KEY)."""


@credentials.command("gen-key")
def gen_key() -> None:
    """Print a new Fernet key to put first in ML_CONNECTOR_VAULT_KEY."""
    from connector_resources.vault import Vault

    click.echo(Vault.generate_key())


@credentials.command("set")
@click.argument("name")
@click.option("--stdin", "from_stdin", is_flag=True, help="Read the value from standard input, not a prompt.")
def set_secret(name: str, from_stdin: bool) -> None:
    """Store secret NAME (prompted without echo); refer to it as vault:NAME in settings.

    Refused, writing nothing, if the key cannot decrypt the secrets already stored (see `status`).
    """
    from connector_resources.vault import VaultKeyError

    vault = _vault()
    # Checked before the prompt too, so nobody types a secret only to have it refused; set() checks
    # again under its lock, which is what actually guarantees the vault is never split.
    health = vault.health(ignore=name)
    if not health.ok:
        raise click.ClickException(f"secret '{name}' was not stored: {health.problem()}")
    if from_stdin:
        value = sys.stdin.read().rstrip("\r\n")
    else:
        value = click.prompt(f"value for {name}", hide_input=True, confirmation_prompt=True)
    if not value:
        raise click.ClickException(f"refusing to store an empty value for {name}")
    try:
        vault.set(name, value)
    except (VaultKeyError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"stored {name} (use vault:{name} in a *_PASSWORD / *_SECRET setting)")


@credentials.command("list")
def list_secrets() -> None:
    """List stored secret names and when they changed (never their values); needs no key."""
    infos = _stored()
    if not _key_set():
        click.echo(keyless_state(len(infos)))
    elif not infos:
        click.echo("no secrets stored")
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


@credentials.command("status")
def status() -> None:
    """Say how many secrets each configured key decrypts and whether the vault is split between keys.

    Exits 1 when any stored secret opens with none of the keys in ML_CONNECTOR_VAULT_KEY.
    """
    if not _key_set():
        stored = len(_stored())
        click.echo(keyless_state(stored))
        if stored:  # as `ping --system vault` fails: nothing stored can be read
            raise click.ClickException(f"set {KEY_ENV} to the key these secrets were stored with")
        return
    health = _vault().health()
    if not health.total:
        click.echo("no secrets stored: any key is accepted")
        return
    click.echo(f"{health.total} secret(s) stored")
    for position, count in enumerate(health.per_key, start=1):
        role = "first key, encrypts new secrets" if position == 1 else "older key, read only"
        click.echo(f"key #{position} ({role}): decrypts {count}")
    click.echo(f"no configured key decrypts: {len(health.unreadable)}" + _names(health.unreadable))
    if health.ok and health.awaiting_rotation:
        click.echo(
            f"{health.awaiting_rotation} secret(s) still need an older key: run `ml-connector credentials "
            "rotate` before removing it"
        )
    if not health.ok:
        raise click.ClickException(health.problem())
    click.echo("vault ok: every secret decrypts with the configured keys")


def _names(names: tuple[str, ...], shown: int = 20) -> str:
    if not names:
        return ""
    more = f" and {len(names) - shown} more" if len(names) > shown else ""
    return " (" + ", ".join(names[:shown]) + more + ")"


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
