"""What ``make dev`` sets up for Coupa -> JD Edwards on the embedded sandboxes: the sandbox account map.

Why: the Coupa sandbox's accounts are company-location-object codes (``00001-8000-6800``) that read as no
JDE account when taken as ``BU.OBJ.SUB``, so without the map every invoice the sandbox's activity approves
was refused ("account 00001.8000.6800 not found in F0901") and Coupa -> JDE never wrote one on a fresh
``make dev``. The map is optional for a real instance (``ACCOUNTS``: unset, the segments are read), so it is
set here, on the embedded sandboxes only, and the operator's own value wins.
"""

from __future__ import annotations

from typing import Any

import click

from connector_assets.flows.mapping_tables import ROOT
from connector_assets.flows.sandbox_setup import IntegrationSandbox, embedded, export_unless_set
from connector_assets.integrations.coupa_jde.accounts import ACCOUNT_MAP_ENV

SANDBOX_DEFAULTS = {ACCOUNT_MAP_ENV: str(ROOT / "mappings" / "sandbox" / "coupa_jde_accounts.csv")}


def set_up(sandboxes: list, _ledger_url: str) -> dict[str, Any]:
    """On the embedded Coupa and JDE sandboxes only: the sandbox account map exported for Dagster (unless
    set); answers what was set."""
    if embedded(sandboxes, "coupa", "jde_ais") is None:
        return {}
    chosen = export_unless_set(SANDBOX_DEFAULTS)
    if chosen:
        click.echo("Coupa -> JDE sandbox defaults: " + ", ".join(f"{k}={v}" for k, v in chosen.items()))
    return chosen


SANDBOX = IntegrationSandbox(set_up=set_up)
