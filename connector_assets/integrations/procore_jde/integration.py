"""The name that keys this integration everywhere (ledger rows, Dagster group, jobs, replay handlers) and
the routes its flows take: Procore -> JDE (vendors, purchase orders, vouchers, change orders) and JDE ->
Procore (supplier changes back to the linked vendors), the sync times of the vendor pairs both write, what
a replay works with, and the JDE record each Procore record was written as (``written_target``)."""

from functools import partial

from connector_assets.flows.pair_sync import PairSync
from connector_assets.flows.replay_resources import resources_from_settings
from connector_assets.flows.target_boundary import is_placeholder
from connector_assets.flows.targets import FlowRoute
from connector_resources.ledger import Ledger
from connector_resources.setting_declarations import integration_variable

INTEGRATION = (__package__ or __name__).rpartition(".")[2]
ROUTE = FlowRoute(INTEGRATION, source_system="procore", target_system="JDE")
# JDE supplier changes (address, contact) back to the Procore vendors they are linked to.
SUPPLIERS_ROUTE = FlowRoute(INTEGRATION, source_system="JDE", target_system="procore")
# When a Procore vendor and its JDE supplier were last brought together (both flows write the pair).
VENDOR_PAIRS = PairSync(INTEGRATION)
# What a replay of a Procore <-> JDE flow reads and writes with: today's settings, built once per replay.
SETTINGS_RESOURCES = partial(resources_from_settings, ("jde", "procore", "staging"), instance=INTEGRATION)
# Procore may be its own (``components.apartness``): such an instance stages its own Procore company's records
# and reads them through the run's ``procore`` resource (``procore_side``), never the deployment's staged
# ones; its writes back to Procore (vendor marks, supplier changes) go through that resource too. JD Edwards
# stays the deployment's: two instances write into one JDE.
OWN_CONNECTIONS: tuple[str, ...] = ("procore",)


def written_target(ledger: Ledger, entity: str, source_key: str) -> str | None:
    """The JDE id this integration's cross-reference names for a Procore record, None when it names none
    (the record is not in JDE yet; in a preview, also when only the preview would create it: its JDE id,
    an order number, comes from the real write)."""
    xref = ledger.get_xref(INTEGRATION, entity, "procore", str(source_key), "JDE")
    target_id = xref.target_id if xref is not None else None
    return target_id if target_id and not is_placeholder(target_id) else None


def setting(name: str) -> str:
    """The variable of this integration's setting ``name`` (``ML_<INTEGRATION>_<NAME>``, an instance's
    under its own name)."""
    return integration_variable(INTEGRATION, name)
