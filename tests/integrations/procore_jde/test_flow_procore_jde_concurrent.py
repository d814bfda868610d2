"""Two runs of the same day's Procore -> JDE writes at once, on one PostgreSQL ledger: JDE is asked once per
commitment to create its purchase order (``ML_CreatePurchaseOrder``) and once per requisition to create
its voucher batch (``ML_CreateVoucherBatch``), and holds one of each; the run that loses a record skips it
or holds it, and never POSTs it.

In production the Dagster pool ``write_jde`` (limit 1) keeps two JDE write steps of one instance apart;
two instances on one ledger, a run started by hand beside a scheduled one, or a pool limit not applied
meet here. A purchase order would then be doubled by JDE itself (P4310 accepts a second order with the
same reference); a voucher batch would be refused by its keys (59A4), but the POST would still be sent.
Each run is a real Dagster run in a spawned process of its own (its own JDE login), started at one
moment by a barrier, against the JDE and Procore simulators (threads of this test process) and the same
PostgreSQL schema. JDE answers slowly (injected latency) so the two runs' searches and creates overlap.
The JDE simulator counts each orchestration call on arrival: "zero double POSTs" is read there.

PostgreSQL is 127.0.0.1:5432, database ``test`` (``conftest.pg_schema_url``: a schema per test); the test
skips with the reason when it is unreachable, and fails in CI (``CI=true``).
"""

from __future__ import annotations

from typing import Any

import pytest
from flow_proofs import audited_once
from procore_jde_proofs import (
    CREATE_PURCHASE_ORDER,
    CREATE_VOUCHERS,
    ORDERS_MAPPED,
    ORDERS_WRITTEN,
    SILENCED,
    VOUCHERS_MAPPED,
    VOUCHERS_WRITTEN,
    approve_a_day,
    batches_by_requisition,
    orders_by_commitment,
    posts,
)
from procore_jde_world import INTEGRATION, ProcoreJdeWorld, procore_jde_world
from racing import materialize_at_barrier, race_overlapping

from connector_assets.integrations.procore_jde.change_orders import register_order_replays
from connector_assets.integrations.procore_jde.purchase_orders import PURCHASE_ORDERS_FLOW
from connector_assets.integrations.procore_jde.vouchers import VOUCHERS_FLOW, register_voucher_replays
from connector_resources.replay import _handlers, release_synced, replay_items

pytestmark = [pytest.mark.timeout(120), *SILENCED]


def _run_written(asset: str, urls: dict[str, str], day: str, name: str, barrier: Any, results: Any) -> None:
    """One run of ``asset`` for ``day`` (a spawned process): its write counts, or the error it ended with."""

    def build() -> tuple[list[Any], dict[str, Any]]:
        from asset_runs import named
        from sandbox_logins import on_simulator

        from connector_assets.integrations.procore_jde.purchase_orders import purchase_order_assets
        from connector_assets.integrations.procore_jde.vouchers import voucher_assets
        from connector_assets.staging import StagingResource
        from connector_resources.jde import JdeAisResource
        from connector_resources.ledger import LedgerResource
        from connector_resources.procore import ProcoreResource

        resources = {
            "jde": on_simulator(JdeAisResource, urls["jde"]),
            "procore": on_simulator(ProcoreResource, urls["procore"], auth_url=urls["procore"]),
            "staging": StagingResource(base_dir=urls["staging"]),
            "ledger": LedgerResource(db_url=urls["db"]),
        }
        return named([asset], [*purchase_order_assets, *voucher_assets]), resources

    materialize_at_barrier(asset, day, name, barrier, results, build)


def _race(world: ProcoreJdeWorld, asset: str) -> dict[str, dict]:
    urls = {
        "jde": world.jde_url,
        "procore": world.procore_url,
        "staging": str(world.tmp_path / "staging"),
        "db": world.db,
    }
    return race_overlapping(
        _run_written, lambda name, barrier, results: (asset, urls, world.day, name, barrier, results)
    )


def _created_once(outcomes: dict[str, dict], records: int) -> None:
    """Each record was created by one run; the other skipped it or held it (neither run crashed, so no
    adopt)."""
    assert sum(o["create"] for o in outcomes.values()) == records, outcomes
    others = sum(o["skip"] + o["leased"] for o in outcomes.values())
    assert sum(o["create"] for o in outcomes.values()) + others == 2 * records, outcomes
    assert all(o["fail"] == o["adopt"] == 0 for o in outcomes.values()), outcomes


def _held_are_skipped(world: ProcoreJdeWorld, flow: str, orchestration: str) -> int:
    """What a loser held (the other run was writing it) is out of the retry queue once that write is
    recorded: released and replayed here, which sends nothing to JDE (skipped as written). How many."""
    release_synced(world.ledger, integration=INTEGRATION, flow=flow)
    due = world.ledger.open_items(integration=INTEGRATION, flow=flow)
    before = posts(world, orchestration)
    summary = replay_items(world.ledger, due)
    # Each is found written (counted as already written, or as a replay's skip-free adopt): not one POST.
    assert len(summary.replayed) + len(summary.already) == len(due) and not summary.failed, summary.line()
    assert posts(world, orchestration) == before  # not one POST
    assert world.ledger.open_items(integration=INTEGRATION, flow=flow) == []
    return len(due)


def test_two_runs_writing_one_day_to_jde_on_one_postgresql_ledger_post_each_record_once(
    tmp_path, pg_schema_url, monkeypatch
):
    with procore_jde_world(tmp_path, db=pg_schema_url) as world:
        resources = lambda: {k: world.resources[k] for k in ("jde", "procore", "staging")}  # noqa: E731
        try:
            register_order_replays(resources)
            register_voucher_replays(resources)
            approved = approve_a_day(world)
            commitments, requisitions = approved.commitments, set(approved.requisitions)
            mapped = world.run("procore_requisitions", ORDERS_MAPPED)[ORDERS_MAPPED]
            assert mapped["valid"] == len(commitments), mapped
            world.jde_faults(latency_ms=80)

            # ---- purchase orders: a run meeting the other's claim waits for that write (up to 2 s) and
            # skips the record
            monkeypatch.setenv("ML_LEDGER_LEASE_WAIT_SECONDS", "2")
            before = posts(world, CREATE_PURCHASE_ORDER)
            outcomes = _race(world, ORDERS_WRITTEN)
            sent = posts(world, CREATE_PURCHASE_ORDER) - before
            print(f"orders: {len(commitments)} commitments, {sent} ML_CreatePurchaseOrder calls, {outcomes}")
            assert sent == len(commitments)  # zero double POSTs
            _created_once(outcomes, len(commitments))
            audited_once(world.ledger, INTEGRATION, PURCHASE_ORDERS_FLOW.name, commitments, outcomes)
            held = _held_are_skipped(world, PURCHASE_ORDERS_FLOW.name, CREATE_PURCHASE_ORDER)
            assert orders_by_commitment(world, commitments) == dict.fromkeys(commitments, 1)
            print(f"orders: {held} held records replayed as skips")

            # ---- vouchers: a run meeting the other's claim holds the record at once (no wait); the holds
            # are replayed once the other run's write is recorded, sending nothing
            monkeypatch.setenv("ML_LEDGER_LEASE_WAIT_SECONDS", "0.001")
            mapped = world.run(VOUCHERS_MAPPED)[VOUCHERS_MAPPED]
            assert mapped["valid"] == len(requisitions) and mapped["held"] == 0, mapped
            before = posts(world, CREATE_VOUCHERS)
            outcomes = _race(world, VOUCHERS_WRITTEN)
            sent = posts(world, CREATE_VOUCHERS) - before
            print(
                f"vouchers: {len(requisitions)} requisitions, {sent} ML_CreateVoucherBatch calls, {outcomes}"
            )
            assert sent == len(requisitions)  # zero double POSTs (no 59A4 refusal was even needed)
            _created_once(outcomes, len(requisitions))
            audited_once(world.ledger, INTEGRATION, VOUCHERS_FLOW.name, requisitions, outcomes)
            held = _held_are_skipped(world, VOUCHERS_FLOW.name, CREATE_VOUCHERS)
            assert batches_by_requisition(world, requisitions) == dict.fromkeys(requisitions, 1)
            print(f"vouchers: {held} held records replayed as skips")
        finally:
            for flow in (PURCHASE_ORDERS_FLOW, VOUCHERS_FLOW):
                _handlers.pop((INTEGRATION, flow.name), None)
            _handlers.pop((INTEGRATION, "change_orders"), None)
