"""Refusals the CLI understands, said in one line: never a Python traceback in front of them.

Every API client's errors (``ConnectorError``: a 401 on a token fetch, a 403, a record refused), a vault
that cannot open its secrets (``VaultKeyError``), a setting that does not parse (``SettingError``), the
ledger refusing an input (``LedgerError``) and a command run where no project is found (``NoProject``)
carry a message written for the operator, redacted where it echoes a request. A command that lets one
escape would print the interpreter's traceback first and the message last; the root group turns them into
``click.ClickException`` (``Error: <message>``, exit 1) for every command at once, so no command needs its
own ``try`` to stay readable. Anything else (a bug) keeps its traceback: that one is for a developer.
"""

from __future__ import annotations

from typing import Any

import click

from connector_resources.error_kinds import ConnectorError
from connector_resources.ledger import LedgerError
from connector_resources.project_home import NoProject
from connector_resources.settings import SettingError
from connector_resources.vault import VaultKeyError

UNDERSTOOD: tuple[type[Exception], ...] = (
    ConnectorError,
    VaultKeyError,
    SettingError,
    LedgerError,
    NoProject,
)


class RefusalsSaid(click.Group):
    """A click group whose commands end with ``Error: <message>`` (exit 1) on a refusal in ``UNDERSTOOD``."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except UNDERSTOOD as exc:
            raise click.ClickException(" ".join(str(exc).split()) or type(exc).__name__) from None
