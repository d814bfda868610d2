"""Oracle Fusion <-> Procurify is wired as the design says: every flow is in the package's ``Definitions``
with its job (its own steps and the sources it maps from) and its day-closing schedule at its own
``ML_FUSION_PROCURIFY_*_CRON``, Fusion's account combinations have their own refresh job, every flow's
queued records can be replayed, ``ml-connector ping`` would check what the flows read and write, and the
package's modules import. Also: the test world serves both sandboxes.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from built_parts import built
from dagster import (
    AssetKey,
    AssetMaterialization,
    DailyPartitionsDefinition,
    Definitions,
    build_schedule_context,
)
from fusion_procurify_parts import PARTS, manual_matches_asset
from fusion_procurify_world import fusion_procurify_world
from instances import instance_for_test
from schedule_ticks import mark_closed, tick

from connector_assets.deployment import Deployment, integration_component
from connector_assets.flows.access import flow_access
from connector_assets.flows.assembly import Flow, IntegrationParts
from connector_assets.flows.jobs import mapped_asset
from connector_assets.flows.replay_resources import settings_resources
from connector_assets.flows.target_boundary import UNWRAPPED
from connector_assets.saas.assets import saas_assets
from connector_resources import settings
from connector_resources.ledger import LedgerResource

INTEGRATION = "fusion_procurify"
# The flows the integration is designed to have (docs/integrations/fusion_procurify.md, "The flows") and the
# setting holding each one's cadence.
DESIGN = {
    "account_codes": "ML_FUSION_PROCURIFY_ACCOUNT_CODES_CRON",
    "suppliers": "ML_FUSION_PROCURIFY_SUPPLIERS_CRON",
    "vendors": "ML_FUSION_PROCURIFY_VENDORS_CRON",
    "purchase_orders": "ML_FUSION_PROCURIFY_PURCHASE_ORDERS_CRON",
    "invoices": "ML_FUSION_PROCURIFY_INVOICES_CRON",
    "payment_status": "ML_FUSION_PROCURIFY_PAYMENT_STATUS_CRON",
}
COMBINATIONS = "fusion_procurify/account_combinations"
COMBINATIONS_CRON = "ML_FUSION_PROCURIFY_ACCOUNT_COMBINATIONS_CRON"


@pytest.fixture(scope="module")
def package() -> IntegrationParts:
    """The package's component with its ``Definitions`` built."""
    package = integration_component(INTEGRATION)
    package.definitions()  # builds the Definitions: a listed module without its flow fails here
    return package


@pytest.fixture(scope="module")
def merged(package: IntegrationParts) -> Definitions:
    """The package's ``Definitions`` over the shared SaaS entities, as the top-level ``Definitions``
    merges them (as a deployment running it alone would)."""
    shared = Definitions(
        assets=saas_assets,
        resources={"ledger": LedgerResource(), "target_boundary": UNWRAPPED, **settings_resources()},
    )
    return Definitions.merge(shared, package.definitions())


def _flows(package: IntegrationParts) -> dict[str, Flow]:
    return {flow.name: flow for flow in PARTS.flows}


def _job_keys(defs: Definitions, job_name: str) -> set[str]:
    return {k.to_user_string() for k in defs.resolve_job_def(job_name).asset_layer.executable_asset_keys}


# -- the package -------------------------------------------------------------------------------------


def test_the_design_lists_every_flow_with_its_cron_setting():
    assert {flow.name: flow.cron_setting for flow in PARTS.flows} == DESIGN
    # master data first, then documents, then payment status
    assert [flow.name for flow in PARTS.flows] == list(DESIGN)
    for cron in [*DESIGN.values(), COMBINATIONS_CRON]:
        assert settings.value(cron).strip(), cron


def test_every_flow_of_the_design_is_in_the_definitions(package, merged):
    assert [flow.name for flow in PARTS.flows] == list(DESIGN)
    graph = merged.resolve_asset_graph()
    for name, flow in _flows(package).items():
        assert flow.spec.integration == INTEGRATION and flow.spec.flow == f"{INTEGRATION}_{name}"
        for step in ("mapped", "written"):
            assert graph.has(AssetKey([INTEGRATION, f"{name}_{step}"])), (name, step)
        assert graph.get(AssetKey([INTEGRATION, f"{name}_mapped"])).group_name == INTEGRATION
    for master in ("fusion_procurify/account_map", "fusion_procurify/department_map", COMBINATIONS):
        assert graph.has(AssetKey.from_user_string(master)), master
    for key in manual_matches_asset.keys:
        assert graph.has(key), key


def test_each_flow_has_a_job_of_its_own_steps_and_the_sources_it_maps_from(package, merged):
    own_steps = {f"{INTEGRATION}/{name}_{step}" for name in DESIGN for step in ("mapped", "written")}
    graph = merged.resolve_asset_graph()
    for name, flow in _flows(package).items():
        keys = _job_keys(merged, flow.spec.flow)
        mine = {f"{INTEGRATION}/{name}_mapped", f"{INTEGRATION}/{name}_written"}
        assert keys & own_steps == mine, name  # never another flow's steps
        assert COMBINATIONS not in keys, name  # re-read whole on its own schedule
        parents = {k.to_user_string() for k in graph.get(flow.spec.key("mapped")).parent_keys}
        sources = {p for p in parents if p not in own_steps and p != COMBINATIONS}
        assert sources <= keys, (name, sources - keys)  # every staged source and table it reads
    # What the flows read, by the design.
    assert "fusion/suppliers" in _job_keys(merged, "fusion_procurify_suppliers")
    assert "procurify/bills" in _job_keys(merged, "fusion_procurify_invoices")
    assert "fusion/payments" in _job_keys(merged, "fusion_procurify_payment_status")


def test_each_flow_has_a_schedule_at_its_own_cron_setting(package, merged, monkeypatch):
    repository = merged.get_repository_def()
    for name, setting in DESIGN.items():
        schedule = repository.get_schedule_def(f"{INTEGRATION}_{name}_schedule")
        assert schedule.job_name == f"{INTEGRATION}_{name}"
        assert schedule.cron_schedule == settings.value(setting), name
        assert schedule.execution_timezone == "UTC"
    # The cron is read from the setting: another value makes another schedule.
    monkeypatch.setenv("ML_FUSION_PROCURIFY_INVOICES_CRON", "5 */3 * * *")
    schedules = built(INTEGRATION).schedules
    assert [s.cron_schedule for s in schedules if s.job_name == f"{INTEGRATION}_invoices"] == ["5 */3 * * *"]


def test_a_daily_flow_closes_the_previous_utc_day_then_polls_today(package, merged):
    flow = _flows(package)["invoices"]
    assert isinstance(mapped_asset(flow.spec, flow.assets).partitions_def, DailyPartitionsDefinition)
    schedule = merged.get_repository_def().get_schedule_def("fusion_procurify_invoices_schedule")
    at = datetime(2026, 3, 5, 0, 4, tzinfo=UTC)
    with instance_for_test() as instance:
        # The invoices read Fusion's account combinations: until staged once, a tick waits, naming them.
        with build_schedule_context(instance=instance, scheduled_execution_time=at) as context:
            assert COMBINATIONS in schedule(context).skip_message
        instance.report_runless_asset_event(AssetMaterialization(AssetKey.from_user_string(COMBINATIONS)))
        [first] = tick(schedule, at, instance)
        assert first.partition_key == "2026-03-04" and first.run_key == "close-2026-03-04"
        mark_closed(instance, "fusion_procurify_invoices_schedule", "2026-03-04")
        [later] = tick(schedule, at.replace(minute=14), instance)
        assert later.partition_key == "2026-03-05" and later.run_key.startswith("poll-")


def test_the_account_combinations_are_refreshed_on_their_own_schedule(package, merged):
    repository = merged.get_repository_def()
    schedule = repository.get_schedule_def("fusion_procurify_account_combinations_refresh_schedule")
    assert schedule.cron_schedule == settings.value(COMBINATIONS_CRON)
    assert _job_keys(merged, schedule.job_name) == {COMBINATIONS}
    with instance_for_test() as instance:
        [request] = tick(schedule, datetime(2026, 3, 5, 5, 55, tzinfo=UTC), instance)
        assert request.partition_key is None and request.run_key == "tick-2026-03-05T05:55"


def test_every_flow_can_be_replayed(package):
    replays = Deployment((package,)).replays()
    for name, flow in _flows(package).items():
        assert flow.replay is not None, f"{name}: its module states no replay"
        assert replays.handler_for(INTEGRATION, name) is not None, name
    assert sorted(replays.flows()[INTEGRATION]) == sorted(flow.name for flow in PARTS.flows)


def test_ping_would_check_what_each_flow_reads_and_writes(package, merged):
    """``ml-connector ping`` derives its checks from the flows (``flows.access``): each flow reads or
    writes something in the system it writes to, and the staged entities it maps from are read."""
    from connector_assets.definitions import DEPLOYMENT

    access = flow_access(merged, DEPLOYMENT.specs)
    flows = {f"{INTEGRATION}_{name}" for name in DESIGN}

    def users(kind: str, system: str) -> set[str]:
        names = getattr(access, kind).get(system, {})
        return {flow for needing in names.values() for flow in needing if flow in flows}

    for name, flow in _flows(package).items():
        # vendors only pairs (Fusion has no supplier create): it reads both sides and writes the ledger
        kind = "reads" if name == "vendors" else "writes"
        assert flow.spec.flow in users(kind, flow.spec.target_system), name
    fusion_reads, procurify_reads = access.reads["fusion"], access.reads["procurify"]
    assert "fusion_procurify_suppliers" in fusion_reads["suppliers"]
    assert "fusion_procurify_payment_status" in fusion_reads["payments"]
    assert "fusion_procurify_purchase_orders" in access.writes["fusion"]["draft_purchase_orders"]
    assert "fusion_procurify_invoices" in access.writes["fusion"]["invoices"]
    assert "fusion_procurify_vendors" in procurify_reads["vendors"]
    assert "fusion_procurify_invoices" in procurify_reads["bills"]


# -- loading -----------------------------------------------------------------------------------------


def test_the_reconciliation_has_its_asset_job_and_schedule():
    jobs = [j.name for j in PARTS.jobs if j.name.endswith("_reconcile")]
    schedules = [s.cron_schedule for s in PARTS.schedules if s.job_name == "fusion_procurify_reconcile"]
    assert [a.key.to_user_string() for a in PARTS.assets] == ["fusion_procurify/reconciliation"]
    assert jobs == ["fusion_procurify_reconcile"]
    assert schedules == [settings.value("ML_FUSION_PROCURIFY_RECONCILE_CRON")]


# -- the test world ----------------------------------------------------------------------------------


def test_the_world_serves_both_sandboxes_and_pairs_a_bills_vendor(tmp_path):
    with fusion_procurify_world(tmp_path) as world:
        made: dict[str, Any] = world.fusion_activity(new_suppliers=1)
        [supplier_id] = made["created"]["suppliers"]
        world.run("fusion/suppliers")
        assert supplier_id in {s["SupplierId"] for s in world.staged("fusion/suppliers")}
        assert world.fusion_record("suppliers", supplier_id)["SupplierId"] == supplier_id
        bill = world.approved_bill()
        paired = world.xrefs("vendor")[str(bill["vendor"]["id"])]
        assert world.fusion_record("suppliers", paired)["Status"] == "ACTIVE"
        assert world.procurify_record("bills", bill["uuid"])["api"]["uuid"] == bill["uuid"]
        order = world.purchased_order()
        assert order["purchase_orders"] and order["requisition"]["uuid"]


# -- make dev ----------------------------------------------------------------------------------------


def test_make_dev_pairs_seeded_vendors_with_fusion_suppliers_once(tmp_path):
    from fusion_procurify_parts import paired_supplier

    from connector_assets.integrations.fusion_procurify.sandbox import (
        active_vendor_ids,
        pair_seeded_vendors,
        suppliers_with_sites,
    )

    with fusion_procurify_world(tmp_path) as world:
        suppliers = suppliers_with_sites(world.fusion_url, "US1 Business Unit")
        assert suppliers and set(suppliers) <= {
            str(s["SupplierId"]) for s in world.fusion_suppliers_with_site()
        }
        vendors = active_vendor_ids(world.resources["procurify"])
        world.pair_vendor(vendors[0], suppliers[0])  # an operator's match made before: kept
        made = pair_seeded_vendors(world.ledger, vendors, suppliers)
        assert made == min(len(vendors), len(suppliers)) - 1
        assert paired_supplier(world.ledger, vendors[0]) == suppliers[0]
        assert paired_supplier(world.ledger, vendors[1]) == suppliers[1]
        pairs = world.xrefs("vendor")
        assert len(set(pairs.values())) == len(pairs) == made + 1  # one vendor per supplier
        assert pair_seeded_vendors(world.ledger, vendors, suppliers) == 0  # a second start adds none
