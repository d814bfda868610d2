"""``ml-connector periods``: the accounting periods money is judged by, and a month end rehearsed.

Why: at month end an operator wants to know, before the flows run, which periods the ERP will post into:
``periods`` reads them exactly as the money flows do (JDE's F0010 / F0008 per company, Fusion's Payables
period statuses) and says what the policy does with a date outside them. On the embedded sandboxes
``periods roll`` closes the current period and opens the next, in JDE and Fusion together, so ``make dev``
can rehearse the first day of a month: the next runs hold (or re-date) what is dated in the month just closed.
Which ERPs have periods, and how each reads and says them, is their sides' (``flows.period_views``).
"""

from __future__ import annotations

import click
import requests

from connector_assets.flows.period_views import period_views
from connector_assets.flows.periods import POLICY_ENV
from connector_resources import settings

VIEWS = period_views()

SYSTEM_OPTION = click.option(
    "--system", "systems", multiple=True, type=click.Choice(sorted(VIEWS)), help="default: all"
)


@click.group()
def periods() -> None:
    """The accounting periods money flows post into (`show`), and a month end rehearsed on the sandboxes
    (`roll`)."""


@periods.command()
@click.option("--company", "companies", multiple=True, help="JDE company (default: every F0010 row's)")
@SYSTEM_OPTION
def show(companies: tuple[str, ...], systems: tuple[str, ...]) -> None:
    """Each JDE company's A/P and G/L open window (F0010 / F0008) and the Fusion ledger's open Payables
    periods, read as the money flows read them, and the ML_GL_DATE_POLICY that decides a date outside them."""
    click.echo(f"{POLICY_ENV}={settings.read(POLICY_ENV)} (an integration's own setting overrides it)")
    for name in systems or tuple(sorted(VIEWS)):
        view = VIEWS[name]
        for line in view.shown(view.read(companies)):
            click.echo(line)


@periods.command()
@SYSTEM_OPTION
def roll(systems: tuple[str, ...]) -> None:
    """Rehearse a month end on the running make dev's sandboxes: the current period closes and the next one
    opens, in JD Edwards (every company, every ledger) and Oracle Fusion. Refused against a configured
    (real) system: its periods are the accountants' to move."""
    for name in systems or tuple(sorted(VIEWS)):
        view = VIEWS[name]
        system = settings.system(view.system)
        title = view.title
        if system.is_configured() or system.sandbox is None:
            raise click.ClickException(
                f"{title} is a configured system, not a sandbox: roll its periods in {title}"
            )
        root = system.values()["base_url"].removesuffix(system.sandbox.path)  # the sandbox's operator routes
        before = view.read(())
        try:
            answer = requests.post(f"{root}/sandbox/periods/roll", json={}, timeout=10)
            answer.raise_for_status()
        except requests.RequestException as exc:
            raise click.ClickException(f"{title} sandbox at {root} did not roll its periods: {exc}") from None
        click.echo(f"{title} sandbox: the current period closed, the next one open ({root})")
        for line in view.rolled(before, view.read(())):
            click.echo(f"  {line}")
