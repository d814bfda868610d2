"""The name that keys this integration everywhere (ledger rows, Dagster group, jobs, settings, replay
handlers) and the routes its flows take: JDE -> Procurify (suppliers, account codes, purchase orders as
requisitions, bills marked paid), Procurify -> JDE (vendors created in Procurify, bills, payments) and
Procurify -> Procurify (a purchased requisition's PO linked to its JDE order and given its number).
The name is the package's own (``jde_procurify``) or a further instance's (``components.instances``).
"""

from connector_assets.flows.apart_settings import ApartSetting
from connector_assets.flows.targets import FlowRoute
from connector_resources.setting_declarations import integration_variable

INTEGRATION = (__package__ or __name__).rpartition(".")[2]
ROUTE = FlowRoute(INTEGRATION, source_system="JDE", target_system="procurify")
BACK_ROUTE = FlowRoute(INTEGRATION, source_system="procurify", target_system="JDE")
PO_ROUTE = FlowRoute(INTEGRATION, source_system="procurify", target_system="procurify")
# What an instance may reach through a connection of its own (``components.apartness``): another Procurify
# account (a second company's domain), its bills, payments, POs and requisition headers staged as its own
# (``procurify_side``). JD Edwards is read from the tables the JDE side stages for every instance.
OWN_CONNECTIONS = ("procurify",)
# What two instances must hold apart (``components.apartness``): the prefix of the long address number
# (F0101 ALKY, ``<prefix><vendor id>``) of a JDE supplier made for a Procurify vendor, which the vendors flow
# adopts a supplier by; vendor ids repeat across accounts (``vendor_pairs``).
APART_SETTINGS = (ApartSetting("long_address_prefix"),)


def setting(name: str) -> str:
    """The variable of this integration's setting ``name`` (``ML_JDE_PROCURIFY_PAID_STATUSES``, or the
    instance's ``ML_<INSTANCE>_PAID_STATUSES``)."""
    return integration_variable(INTEGRATION, name)
