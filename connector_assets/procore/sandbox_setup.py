"""``make dev`` on the Procore sandbox for an integration that reads Procore: the app's hook registered with
triggers for what its inbox sensor acts on, and the seeded vendors' ERP links pointed at records the other
sandbox really has. Never done against a configured, real Procore."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import click

from connector_assets.flows.sandbox_setup import embedded
from connector_assets.procore.inbox_events import register_procore_hook


def register_sandbox_hook(sandboxes: list, resources: Sequence[str], erp: str) -> None:
    """On the Procore sandbox, the app's hook to the receiver with triggers for ``resources``, so each
    approval the sandbox activity makes starts an early run (else a newcomer would see no Procore run until
    tomorrow's close). A real Procore's hook is the operator's to register (README)."""
    from connector_resources.procore import ProcoreError, ProcoreResource
    from connector_resources.settings import SYSTEMS, sandbox_port

    if SYSTEMS["procore"].is_configured() or not any(r.spec.key == "procore" for r in sandboxes):
        return
    destination = f"http://127.0.0.1:{sandbox_port('webhooks')}/webhooks/procore"
    try:
        register_procore_hook(ProcoreResource.initialized_from_settings(), destination, list(resources))
    except (ProcoreError, ValueError) as exc:
        click.echo(f"Procore webhooks not registered ({exc}); Procore flows run at their daily close only")
        return
    click.echo(f"Procore webhooks -> {destination} (early Procore -> {erp} runs)")


def link_sandbox_vendors(procore_root: str, numbers: list[int], origin_format: str) -> dict[str, Any]:
    """Point the Procore sandbox's seeded vendor links (``origin_id`` in ``origin_format``, ``{n}`` standing
    for the ERP number) at ``numbers``, in vendor id order; idempotent: links that already name one of them
    are kept. Answers the sandbox's counts (repointed, already_linked, left_unmatched)."""
    import requests

    response = requests.post(
        f"{procore_root}/sandbox/vendors/erp-links",
        json={"numbers": numbers, "format": origin_format},
        timeout=60,
    )
    response.raise_for_status()
    return response.json()


def link_sandbox_vendors_on_dev(
    sandboxes: list, erp_sandbox: str, erp: str, link: Callable[[str, str], dict[str, Any]]
) -> None:
    """``link(procore_root, erp_root)`` on the embedded Procore and ERP sandboxes only, so ``make dev`` shows
    Procore -> ``erp`` records flowing; a later start changes no link (docs/integrations/procore_jde.md)."""
    import requests

    running = embedded(sandboxes, "procore", erp_sandbox)
    if running is None:
        return
    try:
        done = link(running["procore"].spec.root(), running[erp_sandbox].spec.root())
    except (requests.RequestException, ValueError, KeyError) as exc:
        click.echo(
            f"Procore vendors not linked to {erp} suppliers ({exc}); their links name no {erp} supplier"
        )
        return
    click.echo(links_said(done, erp))


def links_said(done: dict[str, Any], erp: str) -> str:
    """What ``make dev`` says of the sandbox's vendor links (the counts ``link_sandbox_vendors`` answers)."""
    left = done["left_unmatched"]
    counts = f"{done['repointed']} re-pointed, {done['already_linked']} already"
    said = f"{done['repointed'] + done['already_linked']} name real {erp} suppliers ({counts})"
    return f"Procore vendor links to {erp}: {said}" + (
        f", {left} left unlinked (too few suppliers)" if left else ""
    )
