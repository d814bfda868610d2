"""``ml-connector desk``: serve the exceptions desk; ``desk users``: its built-in accounts.

The desk binds ``ML_DESK_HOST`` (127.0.0.1 unless configured) and ``ML_DESK_PORT``; behind a reverse proxy
set ``ML_DESK_PROXY_HEADER`` and ``ML_DESK_TRUSTED_PROXIES`` (``identity``). Passwords are read from the
terminal (twice) or ``--password-stdin``, never from the command line, where ``ps`` and shell history
would keep them.
"""

from __future__ import annotations

import logging
import sys

import click

from connector_resources import settings
from connector_resources.ledger import Ledger, LedgerError, ledger_url


@click.group(invoke_without_command=True)
@click.option("--host", default=None, help="Address to listen on (default: ML_DESK_HOST, 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port to listen on (default: ML_DESK_PORT, 3100).")
@click.option("--dagster-url", default="", help="The Dagster UI's address, for links to runs.")
@click.pass_context
def desk(ctx: click.Context, host: str | None, port: int | None, dagster_url: str) -> None:
    """Serve the exceptions desk: the retry queue, each record's story, abandon / reopen / replay with
    who and why (docs/operations.md "The exceptions desk")."""
    if ctx.invoked_subcommand is not None:
        return
    import uvicorn

    from connector_cli.desk.app import build_app
    from connector_cli.desk.identity import Access

    host = host or settings.value("ML_DESK_HOST")
    port = port or int(settings.value("ML_DESK_PORT"))
    try:
        access = Access.from_settings(host)
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    how = (
        f"trusted proxy header {access.proxy_header}"
        if access.proxy_header
        else f"local operator {access.local_operator}"
        if access.local_operator
        else "desk accounts (ml-connector desk users add)"
    )
    click.echo(f"exceptions desk on http://{host}:{port}/ (sign-in: {how})")
    app = build_app(Ledger(ledger_url()), access, dagster_url=dagster_url)
    uvicorn.run(app, host=host, port=port, log_level="warning")


@desk.group()
def users() -> None:
    """The desk's own accounts (not needed behind a trusted proxy)."""


@users.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(["viewer", "operator", "admin"]), required=True)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option("--replace", is_flag=True, help="Set a new password and role for an existing account.")
def add_user(name: str, role: str, password_stdin: bool, replace: bool) -> None:
    """Create the account NAME with a role: a viewer looks, an operator acts on records, an admin also
    turns integrations on and off (the Live page)."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = Ledger(ledger_url()).add_desk_user(name, password, role, replace=replace)
    except LedgerError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"desk account {user.actor} ({user.role}) {'replaced' if replace else 'added'}")


@users.command("list")
def list_users() -> None:
    """Every desk account and its role."""
    accounts = Ledger(ledger_url()).desk_users()
    for user in accounts:
        click.echo(f"{user.actor}  {user.role}  added {user.created_at:%Y-%m-%d}")
    if not accounts:
        click.echo("no desk accounts (ml-connector desk users add NAME --role operator)")


@users.command("remove")
@click.argument("name")
def remove_user(name: str) -> None:
    """Delete the account NAME and end its sessions."""
    try:
        Ledger(ledger_url()).remove_desk_user(name)
    except LedgerError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"desk account {name} removed")
