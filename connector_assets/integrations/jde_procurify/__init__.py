"""JD Edwards <-> Procurify (issue 14). The flows, each in its own module:

* ``account_codes`` (JDE -> Procurify, daily): F0901 accounts named in the account map or in
  ``ML_JDE_PROCURIFY_ACCOUNT_SCOPE`` -> Procurify account codes (adopted by code, created, updated);
  Procurify codes with no JDE account are reported, never invented in JDE.
* ``suppliers`` (JDE -> Procurify): F0401 + F0101 suppliers -> Procurify vendors, ``external_id`` = AN8.
* ``vendors`` (Procurify -> JDE): vendors created in Procurify -> JDE suppliers (``ML_AddUpdateSupplier``),
  the AN8 written back as the vendor's ``external_id``.
* ``purchase_orders`` (JDE -> Procurify): approved JDE orders (``ML_JDE_PROCURIFY_ORDER_TYPES``) -> one
  Procurify requisition each; a changed order linked to a PO is revised through the PO's PUT.
* ``po_links`` (Procurify -> Procurify): a PO purchased from such a requisition -> linked to its JDE order
  and given its number (``PO_Num``).
* ``bills`` (Procurify -> JDE): approved bills -> JDE AP batches (voucher or journal,
  ``ML_JDE_PROCURIFY_BILL_POSTING``).
* ``payments`` (Procurify -> JDE): paid Procurify payments -> JDE payments against the bills' vouchers.
* ``paid_marks`` (JDE -> Procurify): bills JDE paid with no Procurify payment -> marked paid in Procurify.

And the day's reconciliation of both sides (``reconcile``, ``ML_JDE_PROCURIFY_RECONCILE_CRON``).

Procurify has no webhooks, so each flow has a job and a schedule polling at its
``ML_JDE_PROCURIFY_*_CRON`` (``jobs``); ``register_replay_handlers`` lets ``ml-connector replay`` re-read
each flow's queued records and write them with today's settings (``replay``).

The flows are listed in ``wiring.FLOWS`` (flow -> module -> cron setting) and found in their modules; a
listed module that does not import or define its flow stops the package from loading, naming it.
"""

from dagster import AssetsDefinition, Definitions

from connector_assets.flows.jobs import flow_sources
from connector_assets.integrations.jde_procurify.integration import INTEGRATION
from connector_assets.integrations.jde_procurify.jobs import build_flow_jobs_and_schedules
from connector_assets.integrations.jde_procurify.replay import register_replay_handlers as _register
from connector_assets.integrations.jde_procurify.wiring import landed_flows, mapping_tables, reconciliation
from connector_assets.jde.assets import jde_assets
from connector_assets.saas_assets import saas_assets

FLOWS = landed_flows()
TABLES, jde_procurify_mapping_tables = mapping_tables(FLOWS)
FLOW_ASSETS = {flow.spec: flow.assets for flow in FLOWS}
CRON_SETTINGS = {flow.spec: flow.cron_setting for flow in FLOWS}

# What a flow's job may run besides its own assets: the staged sources and mapping tables its mapped step
# reads (JDE tables, SaaS entities, F0116 as JDE -> BILL stages it ...), never another flow's steps (their
# order is the asset graph's; a record needing another flow's write is held until it lands) and never
# F0901, which keeps its own refresh schedule (see ``jobs``).
_SHARED = {key for a in [*jde_assets, *saas_assets] for key in a.keys}
_TABLE_KEYS = {a.key for a in jde_procurify_mapping_tables}
SOURCES = flow_sources(FLOW_ASSETS, INTEGRATION, also=_SHARED | _TABLE_KEYS)
jde_procurify_flow_jobs, jde_procurify_schedules = build_flow_jobs_and_schedules(
    FLOW_ASSETS, CRON_SETTINGS, SOURCES
)
reconciliation_assets, reconciliation_jobs, reconciliation_schedules = reconciliation()


def _own_assets() -> list:
    """The package's assets, each once: mapping tables, then every flow's (a shared JDE table or SaaS
    entity a module lists too is the top-level ``Definitions``' already)."""
    seen = set(_SHARED)
    out = []
    flows = (a for assets in FLOW_ASSETS.values() for a in assets)
    for item in [*jde_procurify_mapping_tables, *flows, *reconciliation_assets]:
        keys = set(item.keys) if isinstance(item, AssetsDefinition) else {item.key}
        if keys & seen:
            continue
        seen |= keys
        out.append(item)
    return out


defs = Definitions(
    assets=_own_assets(),
    jobs=[*jde_procurify_flow_jobs.values(), *reconciliation_jobs],
    schedules=[*jde_procurify_schedules, *reconciliation_schedules],
)


def register_replay_handlers() -> None:
    """``ml-connector replay`` for every JDE <-> Procurify flow: each queued record is read again from its
    source and written with today's settings and mapping tables."""
    _register(FLOWS)


__all__ = ["INTEGRATION", "defs", "register_replay_handlers"]
