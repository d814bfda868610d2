"""``ml-connector``: run the UI, manage credentials, inspect the audit trail, replay, ping, fit, go live.

Every command but the servers first takes the running ``make dev``'s instance folder, vault key and
sandbox ports from what it published (``connector_cli.dev_discovery``), so a second shell needs nothing
exported.
"""

from __future__ import annotations

import click

from connector_cli.credentials import credentials
from connector_cli.decisions import abandon, reopen
from connector_cli.desk.command import desk
from connector_cli.dev import dev, sandbox_command, webhooks_command
from connector_cli.dev_discovery import use_running_dev
from connector_cli.fit import fit
from connector_cli.live.command import live
from connector_cli.mappings import mappings
from connector_cli.periods import periods
from connector_cli.procore_hooks import procore_webhooks
from connector_cli.records import audit, ping, replay
from connector_cli.refusals import RefusalsSaid
from connector_cli.subscriptions import bill_webhooks
from connector_cli.where import where
from connector_cli.xref import xref


@click.group(cls=RefusalsSaid, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="ml-connector")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Keep JD Edwards / Oracle Fusion and Coupa, BILL, Procurify, Procore in sync, as Dagster assets."""
    use_running_dev(ctx)


cli.add_command(dev)
cli.add_command(sandbox_command)
cli.add_command(webhooks_command)
cli.add_command(bill_webhooks)
cli.add_command(procore_webhooks)
cli.add_command(credentials)
cli.add_command(audit)
cli.add_command(replay)
cli.add_command(abandon)
cli.add_command(reopen)
cli.add_command(desk)
cli.add_command(ping)
cli.add_command(xref)
cli.add_command(mappings)
cli.add_command(where)
cli.add_command(fit)
cli.add_command(periods)
cli.add_command(live)

if __name__ == "__main__":
    cli()
