"""``ml-connector live on / off / status``: turn an integration on or off in one action, and see what is on.

Whoever runs it with the deployment's ledger and its Dagster webserver at hand is its admin (the shell is
the identity, as for ``abandon``); ``--by`` names them (default: the login name), ``--why`` says why, both
kept in the operator actions with what was switched (``switch``).
"""

from __future__ import annotations

import click

from connector_cli.decisions import login_name
from connector_cli.live.dagster_ui import DagsterUI, DagsterUnreachable
from connector_cli.live.running import what_runs
from connector_cli.live.switch import LiveRefused, go_live, go_off
from connector_resources import settings
from connector_resources.ledger import Ledger, ledger_url
from connector_resources.ledger.operator_actions import ADMIN_ROLE, NotAllowed, Operator

REFUSED = (LiveRefused, DagsterUnreachable, NotAllowed)


def _ui() -> DagsterUI:
    return DagsterUI(settings.value("ML_DAGSTER_URL"))


def _switch(function):
    function = click.option("--why", required=True, help="Why (kept in the operator actions).")(function)
    function = click.option("--by", default=login_name, help="Who switches (default: $USER).")(function)
    return click.argument("integration")(function)


@click.group()
def live() -> None:
    """Turn an integration on or off in one action (docs/operations.md "Going live"), and see what is on."""


@live.command("on")
@_switch
@click.option(
    "--without-fit",
    is_flag=True,
    help="Go on without a recent finished fit of the whole integration (recorded with the switch).",
)
def live_on(integration: str, by: str, why: str, without_fit: bool) -> None:
    """Turn INTEGRATION on: ping its systems, check its latest fit, limit its pools, stage its mapping
    tables, then turn its schedules and sensors on in order (reads and polls, flows, replay)."""
    ledger = Ledger(ledger_url())
    try:
        action = go_live(
            integration,
            by=Operator(by, ADMIN_ROLE),
            why=why,
            ledger=ledger,
            ui=_ui(),
            without_fit=without_fit,
            say=click.echo,
        )
    except REFUSED as exc:
        raise click.ClickException(f"{integration} not turned on: {exc}") from None
    click.echo(f"{integration} is on (operator action {action.id}, by {action.actor})")


@live.command("off")
@_switch
def live_off(integration: str, by: str, why: str) -> None:
    """Turn INTEGRATION off: its schedules and sensors in reverse order; what it shares with another
    integration that runs (turned on by `live`, by the deployment's default or in the Dagster UI) stays on."""
    try:
        action = go_off(
            integration,
            by=Operator(by, ADMIN_ROLE),
            why=why,
            ledger=Ledger(ledger_url()),
            ui=_ui(),
            say=click.echo,
        )
    except REFUSED as exc:
        raise click.ClickException(f"{integration} not turned off: {exc}") from None
    click.echo(f"{integration} is off (operator action {action.id}, by {action.actor})")


@live.command("status")
def live_status() -> None:
    """What runs, as Dagster has it: each integration the webserver loads (on, off or partly on, its last
    switch, and whether it runs by the deployment's default or the Dagster UI), then the schedules and
    sensors they share, with the integrations that use each."""
    try:
        found = what_runs(ledger=Ledger(ledger_url()), ui=_ui())
    except DagsterUnreachable as exc:
        raise click.ClickException(str(exc)) from None
    for line in found.said():
        click.echo(line)
