"""Procore -> JDE vouchers end to end, through Dagster, on both simulators (``procore_jde_world``): an
approved requisition becomes one voucher batch (F0411Z1 + F0911Z1) against its commitment's JDE purchase
order; it waits for that order, is released when the order is written, is never written twice (a rerun
skips it, a lost ledger record is adopted on JDE's 59A4), and nothing is vouchered with the setting off.

One world for the module (the scenario's steps build on each other, in file order).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from asset_runs import busy_day
from dagster import AssetKey
from procore_jde_world import INTEGRATION, ProcoreJdeWorld, procore_jde_world

from connector_assets.integrations.procore_jde.voucher_mappers import Skipped
from connector_assets.integrations.procore_jde.vouchers import _records, register_voucher_replays
from connector_resources.replay import replay_items

MASTERS = ("jde/gl_accounts", "procore_jde/project_map", "procore_jde/cost_code_map")
REQUISITIONS = "procore/requisitions"
VOUCHERS = (REQUISITIONS, "procore_jde/vouchers_mapped", "procore_jde/vouchers_written")
ORDERS = ("procore_jde/purchase_orders_mapped", "procore_jde/purchase_orders_written")


class Scenario:
    """The requisition the test approves, its commitment and the vendor's JDE supplier."""

    def __init__(self, world: ProcoreJdeWorld) -> None:
        self.world = world
        made = world.activity(new_requisitions=1)["records"]["new_requisitions"]
        self.requisition_id = str(made[0])
        row = world.procore_record("requisitions", self.requisition_id)
        self.project_id, self.commitment_id = row["project_id"], str(row["commitment_id"])
        vendor_id = world.procore_record("commitments", self.commitment_id)["vendor_id"]
        self.an8 = int(world.jde_rows("F0401")[0]["AN8"])
        world.link_vendor(vendor_id, self.an8)
        world.clerk.approve_requisition(self.project_id, self.requisition_id)
        self.batch = f"PR{self.requisition_id}"

    def batch_rows(self, table: str) -> list[dict]:
        return self.world.jde_rows(table, EDUS="MLPROCORE", EDBT=self.batch)

    def replay(self) -> None:
        resources = self.world.resources
        register_voucher_replays(lambda: {k: resources[k] for k in ("jde", "procore", "staging")})
        items = self.world.ledger.open_items(integration=INTEGRATION, flow="vouchers")
        replay_items(self.world.ledger, [i for i in items if i.status != "held"])


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProcoreJdeWorld]:
    with procore_jde_world(Path(tmp_path_factory.mktemp("procore_jde_vouchers"))) as made:
        made.run_whole(*MASTERS)
        yield made


@pytest.fixture(scope="module")
def scenario(world: ProcoreJdeWorld) -> Scenario:
    return Scenario(world)


def test_an_approved_requisition_waits_for_its_purchase_order(world, scenario):
    meta = world.run(*VOUCHERS)["procore_jde/vouchers_mapped"]
    assert meta["held"] >= 1, (meta, world.queue("vouchers"))
    held = world.ledger.open_items(integration=INTEGRATION, flow="vouchers", status="held")
    mine = [i for i in held if i.source_key == scenario.requisition_id]
    assert mine and mine[0].depends_on == f"procore_jde:purchase_order:procore:{scenario.commitment_id}"
    assert scenario.batch_rows("F0411Z1") == []


def test_once_the_order_is_written_the_voucher_is_released_and_written_against_it(world, scenario):
    world.run(*ORDERS)
    order = world.xrefs("purchase_order").get(scenario.commitment_id)
    assert order, world.queue("purchase_orders")
    company, number, order_type = order.split(":")
    item = next(
        i
        for i in world.ledger.open_items(integration=INTEGRATION, flow="vouchers")
        if i.source_key == scenario.requisition_id
    )
    assert item.status != "held" and "released" in item.reason
    scenario.replay()
    assert world.queue("vouchers").get(scenario.requisition_id) is None, world.queue("vouchers")
    pay_items, distribution = scenario.batch_rows("F0411Z1"), scenario.batch_rows("F0911Z1")
    assert len(pay_items) == 1 and distribution
    pay_item = pay_items[0]
    assert (str(pay_item["PKCO"]).strip(), str(pay_item["PO"]).strip(), pay_item["PDCT"]) == (
        company,
        number,
        order_type,
    )
    assert (
        int(pay_item["AN8"]) == scenario.an8 and pay_item["EDTN"] == f"PROCORE-REQ-{scenario.requisition_id}"
    )
    # gross = the distribution = what Procore says is due this period (retainage held back)
    requisition = world.clerk.requisition(scenario.project_id, scenario.requisition_id)
    due = Decimal(requisition["summary"]["current_payment_due"])
    assert Decimal(pay_item["AG"]) / 100 == due
    assert sum(Decimal(r["AA"]) for r in distribution) / 100 == due
    assert (
        world.xrefs("voucher")[scenario.requisition_id]
        == f"MLPROCORE/{scenario.batch}/PROCORE-REQ-{scenario.requisition_id}"
    )


def test_a_rerun_writes_no_second_batch_and_a_lost_ledger_record_is_adopted(world, scenario):
    written = world.run(*VOUCHERS)["procore_jde/vouchers_written"]
    assert written["create"] == 0 and written["skip"] >= 1, written
    with world.ledger.engine.begin() as conn:  # the ledger forgets the voucher entirely
        conn.execute(
            sa.text("delete from mlc_xref where integration = :i and entity = 'voucher' and source_key = :k"),
            {"i": INTEGRATION, "k": scenario.requisition_id},
        )
    written = world.run(*VOUCHERS)["procore_jde/vouchers_written"]
    assert written["adopt"] == 1 and written["create"] == 0, written
    assert len(scenario.batch_rows("F0411Z1")) == 1
    assert world.xrefs("voucher")[scenario.requisition_id]
    assert world.audit_counts("vouchers").get("adopt") == 1


def test_with_vouchers_off_nothing_is_mapped_and_the_step_says_so(world, scenario, monkeypatch):
    monkeypatch.setenv("ML_PROCORE_JDE_VOUCHERS", "off")
    meta = world.run("procore_jde/vouchers_mapped")["procore_jde/vouchers_mapped"]
    assert meta["records"] == 0 and "vouchers are off" in meta["vouchers"]


def test_requisitions_already_synced_with_an_erp_are_skipped_not_vouchered_again(world, scenario):
    day = busy_day()
    before = world.audit_counts("vouchers").get("skip", 0)
    meta = world.run(*VOUCHERS, partition=day)["procore_jde/vouchers_mapped"]
    staged = [
        json.loads(r["record"])
        for r in world.resources["staging"].read_rows(AssetKey.from_user_string(REQUISITIONS), day)
    ]
    approved = [r for r in staged if r["status"] in ("approved", "approved_as_noted")]
    synced = {str(r["id"]) for r in approved if r["origin_id"]}
    assert synced, "the seed's mass-update day has approved, ERP-synced requisitions"
    assert meta["records"] == len(approved) - len(synced), meta  # the others: held on their orders
    assert world.audit_counts("vouchers").get("skip", 0) - before == len(synced)
    assert not set(world.queue("vouchers")) & synced
    assert not world.mapped_keys("procore_jde/vouchers_mapped", day) & synced
    assert not [r for r in world.jde_rows("F0411Z1", EDUS="MLPROCORE") if r["EDBT"][2:] in synced]


def test_nothing_payable_is_audited_as_a_skip_and_never_queued(world):
    class Reader:
        ledger = world.ledger

        def record(self, requisition, updated_at):
            return Skipped(str(requisition["id"]), "requisition 999 (no. 3, X): nothing payable this period")

    before = world.audit_counts("vouchers").get("skip", 0)
    out = list(_records(Reader(), [({"id": 999}, datetime.now(UTC))], run_id=None, partition=world.day))
    assert out == [] and world.audit_counts("vouchers").get("skip", 0) == before + 1
    assert "999" not in world.queue("vouchers")
