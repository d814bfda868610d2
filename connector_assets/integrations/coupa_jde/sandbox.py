"""What ``make dev`` sets up for Coupa -> JD Edwards on the embedded sandboxes: the sandbox account map, and
the Coupa suppliers' JDE numbers pointed at suppliers the JDE sandbox has; without either, JDE refused
every invoice the sandbox's activity approved. Never for a real instance, whose numbers are the ERP's and
whose map is optional. Why each: docs/integrations/coupa_jde.md, "The flows" and "Mapping tables".
"""

from __future__ import annotations

from typing import Any

import click

from connector_assets.flows.mapping_tables import ROOT
from connector_assets.flows.sandbox_setup import IntegrationSandbox, embedded, export_unless_set
from connector_assets.jde.sandbox_suppliers import jde_supplier_numbers
from connector_resources.setting_declarations import integration_variable

# For the instance make dev runs: the package's default one, named after the package.
ACCOUNT_MAP = integration_variable((__package__ or __name__).rpartition(".")[2], "ACCOUNT_MAP")
SANDBOX_DEFAULTS = {ACCOUNT_MAP: str(ROOT / "mappings" / "sandbox" / "coupa_jde_accounts.csv")}


def number_coupa_suppliers_from_jde(coupa_root: str, jde_root: str) -> dict[str, Any]:
    """The Coupa sandbox's numbered suppliers re-pointed, in id order, at the JDE sandbox's supplier numbers
    (its ``/sandbox/suppliers/erp-numbers``); idempotent. Answers the Coupa route's counts."""
    import requests

    numbers = jde_supplier_numbers(jde_root)
    response = requests.post(
        f"{coupa_root}/sandbox/suppliers/erp-numbers", json={"numbers": numbers}, timeout=60
    )
    response.raise_for_status()
    return response.json()


def _numbers_said(running: dict[str, Any]) -> str:
    """What ``make dev`` says of the Coupa suppliers' JDE numbers (never raises: a failure is said)."""
    import requests

    try:
        done = number_coupa_suppliers_from_jde(running["coupa"].spec.root(), running["jde_ais"].spec.root())
    except (requests.RequestException, ValueError, KeyError) as exc:
        return f"Coupa supplier numbers not pointed at JDE suppliers ({exc}); their invoices name none"
    left = f", {done['left_unmatched']} left (too few suppliers)" if done["left_unmatched"] else ""
    named = done["repointed"] + done["already_numbered"]
    return f"Coupa supplier numbers: {named} name real JDE suppliers ({done['repointed']} re-pointed){left}"


def set_up(sandboxes: list, _ledger_url: str) -> dict[str, Any]:
    """On the embedded Coupa and JDE sandboxes only: the sandbox account map exported for Dagster (unless
    set) and the suppliers' JDE numbers pointed at real JDE suppliers; answers what was set."""
    running = embedded(sandboxes, "coupa", "jde_ais")
    if running is None:
        return {}
    chosen = export_unless_set(SANDBOX_DEFAULTS)
    if chosen:
        click.echo("Coupa -> JDE sandbox defaults: " + ", ".join(f"{k}={v}" for k, v in chosen.items()))
    click.echo(_numbers_said(running))
    return chosen


SANDBOX = IntegrationSandbox(set_up=set_up)
