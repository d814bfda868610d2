"""``make dev`` for Procore -> JD Edwards: the seeded Procore vendors linked to real JDE sandbox suppliers,
and the app's hook registered on the Procore sandbox, so a newcomer sees Procore -> JDE records flow
(never done against a configured, real system).
"""

from __future__ import annotations

from typing import Any

import click

from connector_assets.flows.sandbox_setup import IntegrationSandbox, embedded
from connector_assets.integrations.procore_jde.hooks import procore_hook_resources
from connector_assets.jde.sandbox_suppliers import jde_supplier_numbers
from connector_assets.procore.sandbox_setup import link_sandbox_vendors, register_sandbox_hook


def link_procore_vendors_to_jde(procore_root: str, jde_root: str) -> dict[str, Any]:
    """Point the Procore sandbox's seeded vendor links (``origin_id`` in the connector's
    ``ML_PROCORE_JDE_VENDOR_ORIGIN_FORMAT``) at the JDE sandbox's real suppliers, in vendor id order.

    The two simulators are seeded apart, so without this every seeded link names a supplier JDE lacks:
    the vendors flow queues them, purchase orders are refused, vouchers and change orders stay held.
    Idempotent: links that already name a JDE supplier are kept, so a second call changes nothing.
    Answers the Procore route's counts plus ``suppliers`` (how many JDE numbers were offered)."""
    from connector_assets.integrations.procore_jde.vendor_mappers import origin_format

    numbers = jde_supplier_numbers(jde_root)
    done = link_sandbox_vendors(procore_root, numbers, origin_format().replace("{an8}", "{n}"))
    return {**done, "suppliers": len(numbers)}


def _procore_sandbox_links(sandboxes: list) -> None:
    """On the embedded Procore and JDE sandboxes only (never a configured real system), the seeded
    Procore vendors' JDE links re-pointed to suppliers the JDE sandbox has, so ``make dev`` shows
    Procore -> JDE records flowing. Procore's data is re-seeded at every start and JDE keeps its
    seeded suppliers' numbers, so every start links the same vendors to the same suppliers."""
    import requests

    running = embedded(sandboxes, "procore", "jde_ais")
    if running is None:
        return
    try:
        done = link_procore_vendors_to_jde(running["procore"].spec.root(), running["jde_ais"].spec.root())
    except (requests.RequestException, ValueError, KeyError) as exc:
        click.echo(f"Procore vendors not linked to JDE suppliers ({exc}); their links name no JDE supplier")
        return
    real = done["repointed"] + done["already_linked"]
    unmatched = (
        f", {done['left_unmatched']} left unlinked (too few suppliers)" if done["left_unmatched"] else ""
    )
    click.echo(
        f"Procore vendor links to JDE: {real} name real JDE suppliers "
        f"({done['repointed']} re-pointed, {done['already_linked']} already){unmatched}"
    )


def set_up(sandboxes: list, ledger_url: str) -> None:
    """``make dev``'s start for this integration: vendor links to JDE, then the sandbox's hook."""
    _procore_sandbox_links(sandboxes)
    register_sandbox_hook(sandboxes, procore_hook_resources(), "JDE")


SANDBOX = IntegrationSandbox(set_up=set_up)
