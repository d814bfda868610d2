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
from connector_assets.procore.hooks import register_procore_hook


def _procore_sandbox_hook(sandboxes: list) -> None:
    """On the Procore sandbox, the app's hook to the receiver with triggers for what the inbox sensor
    acts on. Without it, the Procore -> JDE flows run only at their daily close (02:00 JDE time by
    default): the requisitions the sandbox activity approves would wait until tomorrow, so a newcomer
    would see no Procore run at all. With it, each approval starts an early run of today's partition.
    A real Procore's hook is the operator's to register (README, Procore -> JDE); nothing is done there."""
    from connector_resources.procore import ProcoreError, ProcoreResource
    from connector_resources.settings import SYSTEMS, sandbox_port

    if SYSTEMS["procore"].is_configured() or not any(r.spec.key == "procore" for r in sandboxes):
        return
    destination = f"http://127.0.0.1:{sandbox_port('webhooks')}/webhooks/procore"
    try:
        register_procore_hook(
            ProcoreResource.initialized_from_settings(), destination, procore_hook_resources()
        )
    except (ProcoreError, ValueError) as exc:
        click.echo(f"Procore webhooks not registered ({exc}); Procore flows run at their daily close only")
        return
    click.echo(f"Procore webhooks -> {destination} (early Procore -> JDE runs)")


def link_procore_vendors_to_jde(procore_root: str, jde_root: str) -> dict[str, Any]:
    """Point the Procore sandbox's seeded vendor links (``origin_id`` in the connector's
    ``ML_PROCORE_JDE_VENDOR_ORIGIN_FORMAT``) at the JDE sandbox's real suppliers, in vendor id order.

    The two simulators are seeded apart, so without this every seeded link names a supplier JDE lacks:
    the vendors flow queues them, purchase orders are refused, vouchers and change orders stay held.
    Idempotent: links that already name a JDE supplier are kept, so a second call changes nothing.
    Answers the Procore route's counts plus ``suppliers`` (how many JDE numbers were offered)."""
    import requests

    from connector_assets.integrations.procore_jde.vendor_mappers import origin_format

    numbers = jde_supplier_numbers(jde_root)
    response = requests.post(
        f"{procore_root}/sandbox/vendors/erp-links",
        json={"numbers": numbers, "format": origin_format().replace("{an8}", "{n}")},
        timeout=60,
    )
    response.raise_for_status()
    return {**response.json(), "suppliers": len(numbers)}


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
    _procore_sandbox_hook(sandboxes)


SANDBOX = IntegrationSandbox(set_up=set_up)
