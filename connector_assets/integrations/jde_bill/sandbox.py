"""What ``make dev`` sets up for JD Edwards <-> BILL on the embedded sandboxes: the BILL sandbox's AP team
pays only the bills a client created through the API (``activity_pays = "api_bills"``), so BILL's own
seeded bills do not reach the payments flow as payments of bills not from JDE. Never done against a
configured BILL or JDE. Why: docs/integrations/jde_bill.md, "In `make dev`".
"""

from __future__ import annotations

from typing import Any

import click

from connector_assets.flows.sandbox_setup import IntegrationSandbox, embedded

SANDBOX_SETTINGS = {"activity_pays": "api_bills"}


def set_up(sandboxes: list, _ledger_url: str) -> dict[str, Any]:
    """On the embedded BILL and JDE sandboxes only: ``SANDBOX_SETTINGS`` applied to the running BILL
    sandbox; answers what was applied ({} off the sandbox or when BILL refused it, which it says)."""
    import requests

    running = embedded(sandboxes, "bill", "jde_ais")
    if running is None:
        return {}
    root = running["bill"].spec.root()
    try:
        requests.post(f"{root}/sandbox/settings", json=SANDBOX_SETTINGS, timeout=30).raise_for_status()
    except requests.RequestException as exc:
        click.echo(f"BILL sandbox still pays its own seeded bills ({exc}): their payments name no JDE bill")
        return {}
    click.echo("BILL sandbox activity pays the bills JDE sent (activity_pays=api_bills)")
    return dict(SANDBOX_SETTINGS)


SANDBOX = IntegrationSandbox(set_up=set_up)
