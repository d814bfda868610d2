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

import procore_jde_proofs as proofs
import pytest
from flow_proofs import two_runs_write_once
from procore_jde_parts import CHANGE_ORDERS, PURCHASE_ORDERS, PURCHASE_ORDERS_FLOW, VOUCHERS, VOUCHERS_FLOW
from procore_jde_world import procore_jde_world

from connector_assets.flows.replays import build_replays

pytestmark = [pytest.mark.timeout(900), *proofs.SILENCED]  # races of two spawned runs: load 15 too


def test_two_runs_writing_one_day_to_jde_on_one_postgresql_ledger_post_each_record_once(
    tmp_path, pg_schema_url, monkeypatch
):
    with procore_jde_world(tmp_path, db=pg_schema_url) as world:
        resources = lambda: {k: world.resources[k] for k in ("jde", "procore", "staging")}  # noqa: E731
        replays = build_replays([PURCHASE_ORDERS, VOUCHERS, CHANGE_ORDERS], resources)
        approved = proofs.approve_a_day(world)
        commitments, requisitions = approved.commitments, set(approved.requisitions)
        mapped = world.run("procore/requisitions", proofs.ORDERS_MAPPED)[proofs.ORDERS_MAPPED]
        assert mapped["valid"] == len(commitments), mapped
        world.jde_faults(latency_ms=80)

        # ---- purchase orders: a run meeting the other's claim waits for that write (up to 2 s) and
        # skips the record
        monkeypatch.setenv("ML_LEDGER_LEASE_WAIT_SECONDS", "2")
        orders = lambda: proofs.posts(world, proofs.CREATE_PURCHASE_ORDER)  # noqa: E731
        two_runs_write_once(
            world, proofs.ORDERS_WRITTEN, PURCHASE_ORDERS_FLOW.name, commitments, orders, replays=replays
        )
        assert proofs.orders_by_commitment(world, commitments) == dict.fromkeys(commitments, 1)

        # ---- vouchers: a run meeting the other's claim holds the record at once (no wait); the holds
        # are replayed once the other run's write is recorded, sending nothing
        monkeypatch.setenv("ML_LEDGER_LEASE_WAIT_SECONDS", "0.001")
        mapped = world.run(proofs.VOUCHERS_MAPPED)[proofs.VOUCHERS_MAPPED]
        assert mapped["valid"] == len(requisitions) and mapped["held"] == 0, mapped
        # Zero double POSTs: no 59A4 refusal was even needed.
        vouchers = lambda: proofs.posts(world, proofs.CREATE_VOUCHERS)  # noqa: E731
        two_runs_write_once(
            world, proofs.VOUCHERS_WRITTEN, VOUCHERS_FLOW.name, requisitions, vouchers, replays=replays
        )
        assert proofs.batches_by_requisition(world, requisitions) == dict.fromkeys(requisitions, 1)
