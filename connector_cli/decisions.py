"""``abandon`` and ``reopen``: an operator's decision on queued records, from a shell, with who and why.

Whoever runs the CLI with the ledger's credentials is an operator (the shell is the identity); ``--by``
names them (default: the login name) and ``--note`` says why, both kept in the record's audit trail and in
the operator actions (``connector_resources.ledger.operator_actions``), which nobody can edit afterwards.
"""

from __future__ import annotations

import getpass

import click

from connector_resources.ledger import Ledger, LedgerError, ledger_url
from connector_resources.ledger.operator_actions import OPERATOR_ROLE, Operator


def login_name() -> str:
    """The operator's login name (``getpass`` reads LOGNAME / USER / USERNAME, then the password database)."""
    try:
        return getpass.getuser()
    except OSError:  # no login name anywhere (a container without a passwd entry)
        return "unknown"


def _decision(function):
    function = click.option("--note", required=True, help="Why (kept in the record's audit trail).")(function)
    function = click.option("--by", default=login_name, help="Who decides (default: $USER).")(function)
    return click.argument("item_ids", nargs=-1, type=int, required=True)(function)


def _each(item_ids: tuple[int, ...], by: str, act, done: str) -> None:
    """``act`` on each item; each refusal said with the item's id, the others still done; exit 1 if any."""
    ledger, operator, refused = Ledger(ledger_url()), Operator(by, OPERATOR_ROLE), 0
    for item_id in item_ids:
        try:
            item = act(ledger, item_id, operator)
        except LedgerError as error:
            click.echo(f"queue item {item_id}: refused: {error}", err=True)
            refused += 1
            continue
        click.echo(f"queue item {item_id} ({item.integration}/{item.flow} {item.source_key}): {done}")
    if refused:
        raise click.exceptions.Exit(1)


@click.command()
@_decision
def abandon(item_ids: tuple[int, ...], by: str, note: str) -> None:
    """Give up on retry-queue items ITEM_IDS (see `replay --dry-run --all` for ids): no replay takes them
    again; they stay as history, findable by `audit` under their record."""
    _each(item_ids, by, lambda ledger, i, who: ledger.abandon_item(i, by=who, note=note), "abandoned")


@click.command()
@_decision
def reopen(item_ids: tuple[int, ...], by: str, note: str) -> None:
    """Put abandoned retry-queue items ITEM_IDS back, due now: the next `replay` (or the replay schedule)
    takes them."""
    _each(item_ids, by, lambda ledger, i, who: ledger.reopen_item(i, by=who, note=note), "reopened, due now")
