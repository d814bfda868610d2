"""``make dev`` for Procore -> JD Edwards: the seeded Procore vendors linked to real JDE sandbox suppliers,
and the app's hook registered on the Procore sandbox, so a newcomer sees Procore -> JDE records flow
(never done against a configured, real system)."""

from __future__ import annotations

from typing import Any

from connector_assets.flows import instance
from connector_assets.flows.sandbox_setup import IntegrationSandbox
from connector_assets.jde.sandbox_suppliers import jde_supplier_numbers
from connector_assets.procore.sandbox_setup import (
    link_sandbox_vendors,
    link_sandbox_vendors_on_dev,
    register_sandbox_hook,
)
from connector_resources.setting_declarations import integration_variable

from .hooks import procore_hook_resources


def link_procore_vendors_to_jde(procore_root: str, jde_root: str) -> dict[str, Any]:
    """Point the Procore sandbox's seeded vendor links (``origin_id`` in the connector's
    ``ML_PROCORE_JDE_VENDOR_ORIGIN_FORMAT``) at the JDE sandbox's real suppliers, in vendor id order (why:
    docs/integrations/procore_jde.md, "In `make dev`"). Idempotent: links that already name a JDE supplier
    are kept. Answers the Procore route's counts plus ``suppliers`` (how many JDE numbers were offered)."""
    default = (__package__ or "").rpartition(".")[2]  # ``make dev`` runs the default instance
    origin_format = instance.read(integration_variable(default, "VENDOR_ORIGIN_FORMAT"))
    numbers = jde_supplier_numbers(jde_root)
    done = link_sandbox_vendors(procore_root, numbers, origin_format.replace("{an8}", "{n}"))
    return {**done, "suppliers": len(numbers)}


def _procore_sandbox_links(sandboxes: list) -> None:
    """``link_procore_vendors_to_jde`` on the embedded Procore and JDE sandboxes only, for ``make dev``."""
    link_sandbox_vendors_on_dev(sandboxes, "jde_ais", "JDE", link_procore_vendors_to_jde)


def set_up(sandboxes: list, ledger_url: str) -> None:
    """``make dev``'s start for this integration: vendor links to JDE, then the sandbox's hook."""
    _procore_sandbox_links(sandboxes)
    register_sandbox_hook(sandboxes, procore_hook_resources(), "JDE")


SANDBOX = IntegrationSandbox(set_up=set_up)
