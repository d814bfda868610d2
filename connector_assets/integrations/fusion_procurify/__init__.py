"""Oracle Fusion Cloud ERP <-> Procurify (issue 15). The flows, each in its own module:

* ``account_codes`` (Fusion -> Procurify): the Fusion natural accounts named in the account map ->
  Procurify account codes (adopted by code, created, updated).
* ``suppliers`` (Fusion -> Procurify): Fusion suppliers -> Procurify vendors (paired by a manual match,
  then ``external_id`` = SupplierNumber, then a unique name, else created).
* ``vendors`` (Procurify -> Fusion): Procurify vendors paired with an existing Fusion supplier by name
  (Fusion has no supplier create); a mismatch is matched by hand (``ml-connector xref set``).
* ``purchase_orders`` (Procurify -> Fusion): approved Procurify purchase orders (or requisitions) ->
  Fusion draft purchase orders, submitted; the Procurify PO number kept on the Fusion side.
* ``invoices`` (Procurify -> Fusion): approved Procurify bills -> Fusion payables invoices, matched to the
  Fusion PO when the bill came from one, validated with Fusion's own action.
* ``payment_status`` (Fusion -> Procurify): Fusion payables payments -> Procurify bills marked paid.

And the master data they map with: the account map and department map (mapping tables), Fusion's account
combinations (``charge_accounts``, re-read whole at ``ML_FUSION_PROCURIFY_ACCOUNT_COMBINATIONS_CRON``) and
the manual vendor matches (``manual_matches``, ``ML_FUSION_PROCURIFY_VENDOR_XREF``), and the day's
reconciliation of the bill register and the orders (``reconcile``, ``ML_FUSION_PROCURIFY_RECONCILE_CRON``).

Neither side pushes events, so each flow has a job and a schedule polling at its
``ML_FUSION_PROCURIFY_*_CRON`` (``jobs``); ``register_replay_handlers`` lets ``ml-connector replay`` re-read
each flow's queued records and write them with today's settings (``replay``).

Why the ``Definitions`` are built on first use (``defs``, ``FLOWS``, ``SOURCES`` ... through the module's
``__getattr__``) rather than at import: Python imports this package before any of its modules, so building
here eagerly would make every module of the package (a flow's mappers, a test's import of one flow)
unimportable while any other listed module is missing or broken. Loading stays strict: the first use of
``defs`` imports every module ``wiring`` lists and fails naming the one that is missing or defines no flow.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from connector_assets.integrations.fusion_procurify.integration import INTEGRATION

# What the first use of one of these names builds (``_definitions``).
_BUILT = (
    "defs",
    "FLOWS",
    "TABLES",
    "FLOW_ASSETS",
    "CRON_SETTINGS",
    "SOURCES",
    "fusion_procurify_mapping_tables",
    "fusion_procurify_flow_jobs",
    "fusion_procurify_schedules",
    "combinations_job",
    "combinations_schedule",
    "reconciliation_assets",
    "reconciliation_jobs",
    "reconciliation_schedules",
)


@cache
def _definitions() -> dict[str, Any]:
    """The package's flows, jobs, schedules and ``Definitions``, built once (an import error naming the
    missing module propagates, and the next use tries again)."""
    from dagster import AssetsDefinition, Definitions

    from connector_assets.flows.jobs import flow_sources
    from connector_assets.integrations.fusion_procurify import jobs, wiring
    from connector_assets.saas_assets import saas_assets

    flows = wiring.landed_flows()
    tables, table_assets = wiring.mapping_tables(flows)
    combinations = wiring.combinations_asset()
    manual_matches = wiring.manual_match_assets()
    flow_assets = {flow.spec: flow.assets for flow in flows}
    cron_settings = {flow.spec: flow.cron_setting for flow in flows}

    # What a flow's job may run besides its own assets: the staged sources, mapping tables and manual
    # vendor matches its mapped step reads, never another flow's steps (their order is the asset graph's;
    # a record needing another flow's write is held until it lands) and never Fusion's account
    # combinations, which keep their own refresh schedule (see ``jobs``).
    shared = {key for a in saas_assets for key in a.keys}
    readable = {key for a in [*table_assets, *manual_matches] for key in a.keys}
    sources = flow_sources(flow_assets, INTEGRATION, also=shared | readable)
    flow_jobs, schedules = jobs.build_flow_jobs_and_schedules(flow_assets, cron_settings, sources)
    combinations_job, combinations_schedule = jobs.build_combinations_job_and_schedule(combinations)
    reconciliation_assets, reconciliation_jobs, reconciliation_schedules = wiring.reconciliation()

    # The package's assets, each once: mapping tables and master data, then every flow's (a shared SaaS
    # entity a module lists too is the top-level ``Definitions``' already).
    seen = set(shared)
    own = []
    listed = (a for assets in flow_assets.values() for a in assets)
    for item in [*table_assets, combinations, *manual_matches, *listed, *reconciliation_assets]:
        keys = set(item.keys) if isinstance(item, AssetsDefinition) else {item.key}
        if keys & seen:
            continue
        seen |= keys
        own.append(item)

    defs = Definitions(
        assets=own,
        jobs=[*flow_jobs.values(), combinations_job, *reconciliation_jobs],
        schedules=[*schedules, combinations_schedule, *reconciliation_schedules],
    )
    return {
        "defs": defs,
        "FLOWS": flows,
        "TABLES": tables,
        "FLOW_ASSETS": flow_assets,
        "CRON_SETTINGS": cron_settings,
        "SOURCES": sources,
        "fusion_procurify_mapping_tables": table_assets,
        "fusion_procurify_flow_jobs": flow_jobs,
        "fusion_procurify_schedules": schedules,
        "combinations_job": combinations_job,
        "combinations_schedule": combinations_schedule,
        "reconciliation_assets": reconciliation_assets,
        "reconciliation_jobs": reconciliation_jobs,
        "reconciliation_schedules": reconciliation_schedules,
    }


def __getattr__(name: str) -> Any:
    """``defs`` and the other built names, built on first use (see the module docstring)."""
    if name in _BUILT:
        return _definitions()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def register_replay_handlers() -> None:
    """``ml-connector replay`` for every Fusion <-> Procurify flow: each queued record is read again from
    its source and written with today's settings, mapping tables and manual matches."""
    from connector_assets.integrations.fusion_procurify.replay import register_replay_handlers as register

    register(_definitions()["FLOWS"])


__all__ = ["INTEGRATION", "defs", "register_replay_handlers"]
