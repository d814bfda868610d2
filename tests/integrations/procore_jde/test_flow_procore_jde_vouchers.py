"""Procore -> JDE vouchers end to end, through Dagster, on both simulators (``procore_jde_world``): an
approved requisition becomes one voucher batch (F0411Z1 + F0911Z1) against its commitment's JDE purchase
order; the order, never synced, is pulled by the vouchers' write step and the voucher written in the same
run against it, which is never written twice (a rerun
skips it, a lost ledger record is adopted on JDE's 59A4), and nothing is vouchered with the setting off.
Two more requisitions ride the same runs in their commitments' currencies, euros and yen: JDE's R04110ZA
converts them at its F0015 rates, both currencies in F0411 and F0911, each naming its order.

One world for the module (the scenario's steps build on each other, in file order).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from asset_runs import busy_day
from dagster import AssetKey
from jde_money import stored
from ledger_entries import audit_ids
from procore_jde_parts import voucher_records
from procore_jde_world import INTEGRATION, ProcoreJdeWorld, procore_jde_world

from connector_assets.flows.amounts import minor_units
from connector_assets.integrations.procore_jde.voucher_mappers import Skipped
from connector_assets.procore.document_reads import RequisitionReads
from connector_assets.procore.requisition_amounts import RELEASED_THIS_PERIOD, RETAINED_THIS_PERIOD

MASTERS = ("jde/gl_accounts", "procore_jde/project_map", "procore_jde/cost_code_map")
REQUISITIONS = "procore/requisitions"
VOUCHERS = (REQUISITIONS, "procore_jde/vouchers_mapped", "procore_jde/vouchers_written")
ORDERS = ("procore_jde/purchase_orders_mapped", "procore_jde/purchase_orders_written")


# Money fields of a requisition line as the Procore simulator renders them (``requisition_lines``).
LINE_MONEY = (
    "scheduled_value",
    "work_completed_from_previous_application",
    "work_completed_this_period",
    "materials_presently_stored",
    "total_completed_and_stored_to_date",
    "balance_to_finish",
    "total_retainage",
)


def is_money(field: str) -> bool:
    """Whether a requisition line's ``field`` is an amount (not a percent, id or date)."""
    return field in LINE_MONEY or field.endswith((RETAINED_THIS_PERIOD, RELEASED_THIS_PERIOD))


def in_yen(value: Any) -> str:
    """A rendered amount read as whole yen: its cents become yen (1234.56 -> 123456)."""
    return str(int(Decimal(str(value)) * 100))


class InCurrency:
    """Procore's answers for some commitments amended to another currency, as the requisitions step reads
    them (``RequisitionReads.read``: requisition, commitment, project, lines). The Procore simulator keeps a
    commitment in its project's currency, and its projects in yen are none while its euro project is a job
    of JDE's euro company (a domestic voucher); so a commitment on a dollar job is read here in euros, or in
    yen with every amount's cents made yen. Every call still goes over HTTP."""

    def __init__(self) -> None:
        self.currencies: dict[str, str] = {}  # requisition id -> the currency its commitment is read in
        self.patch = pytest.MonkeyPatch()
        real = RequisitionReads.read

        def read(reads: RequisitionReads, requisition: dict[str, Any]) -> Any:
            got = real(reads, requisition)
            currency = self.currencies.get(str(requisition.get("id")))
            return got if currency is None or isinstance(got, str) else self.amended(got, currency)

        self.patch.setattr(RequisitionReads, "read", read)

    @staticmethod
    def amended(read: tuple, currency: str) -> tuple:
        requisition, commitment, project_id, lines = read
        commitment = {**commitment, "currency_configuration": {"currency_iso_code": currency}}
        if currency == "JPY":
            summary = requisition["summary"]
            due = in_yen(summary["current_payment_due"])
            requisition = {**requisition, "summary": {**summary, "current_payment_due": due}}
            lines = [
                {**line, **{k: in_yen(v) for k, v in line.items() if is_money(k) and v}} for line in lines
            ]
        return requisition, commitment, project_id, lines


class Scenario:
    """The requisition the test approves, its commitment and the vendor's JDE supplier; and two more
    requisitions on other commitments (``foreign``: currency -> requisition id), read in euros and yen."""

    def __init__(self, world: ProcoreJdeWorld, currencies: InCurrency) -> None:
        self.world = world
        made = [str(r) for r in world.activity(new_requisitions=3)["records"]["new_requisitions"]]
        self.requisition_id = made[0]
        self.foreign = {"EUR": made[1], "JPY": made[2]}
        currencies.currencies.update({r: c for c, r in self.foreign.items()})
        suppliers = [int(r["AN8"]) for r in world.jde_rows("F0401")]
        self.an8 = suppliers[0]
        linked: dict[int, int] = {}
        for requisition_id in made:
            row = world.procore_record("requisitions", requisition_id)
            vendor_id = world.procore_record("commitments", row["commitment_id"])["vendor_id"]
            if vendor_id not in linked:
                linked[vendor_id] = suppliers[len(linked)]
                world.link_vendor(vendor_id, linked[vendor_id])
            world.clerk.approve_requisition(row["project_id"], requisition_id)
        row = world.procore_record("requisitions", self.requisition_id)
        self.project_id, self.commitment_id = row["project_id"], str(row["commitment_id"])
        self.batch = f"PR{self.requisition_id}"

    def batch_rows(self, table: str) -> list[dict]:
        return self.world.jde_rows(table, EDUS="MLPROCORE", EDBT=self.batch)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProcoreJdeWorld]:
    with procore_jde_world(Path(tmp_path_factory.mktemp("procore_jde_vouchers"))) as made:
        made.run_whole(*MASTERS)
        yield made


@pytest.fixture(scope="module")
def scenario(world: ProcoreJdeWorld) -> Iterator[Scenario]:
    currencies = InCurrency()
    try:
        yield Scenario(world, currencies)
    finally:
        currencies.patch.undo()


def test_an_approved_requisition_pulls_its_never_synced_purchase_order_and_is_written_in_the_same_run(
    world, scenario
):
    meta = world.run(*VOUCHERS)  # the purchase orders flow is not in the run
    mapped, written = meta["procore_jde/vouchers_mapped"], meta["procore_jde/vouchers_written"]
    # No order had synced when the requisitions were mapped, so each was held on its commitment's order;
    # the write step read those commitments from Procore (in the project the held voucher names), wrote
    # them through the purchase orders flow, then wrote the vouchers against them.
    ours = {scenario.requisition_id, *scenario.foreign.values()}
    assert mapped["held"] == mapped["records"] >= len(ours) and mapped["valid"] == 0, mapped
    assert written["parents_missing"] == written["parents_left"] == 0, written
    assert written["written_after_pull"] == written["create"] == mapped["held"], written
    orders = audit_ids(world.ledger, INTEGRATION, "purchase_orders", "create")
    assert scenario.commitment_id in orders and len(orders) == len(set(orders)) == written["parents_pulled"]
    assert not world.ledger.open_items(integration=INTEGRATION, flow="vouchers")
    assert not world.ledger.open_items(integration=INTEGRATION, flow="purchase_orders")
    assert ours <= set(world.xrefs("voucher"))


def test_the_voucher_names_the_order_pulled_for_it_which_the_orders_flow_then_leaves_alone(world, scenario):
    order = world.xrefs("purchase_order").get(scenario.commitment_id)
    assert order, world.queue("purchase_orders")
    company, number, order_type = order.split(":")
    written = world.run(*ORDERS)["procore_jde/purchase_orders_written"]
    assert written.get("create", 0) == 0, written  # the order pulled for the voucher is the flow's own
    assert len(world.jde_rows("F4301", VR01=f"PC-{scenario.commitment_id}")) == 1
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


def test_a_euro_and_a_yen_voucher_land_in_their_currency_and_jde_converts_them_at_its_rate(world, scenario):
    """Written by the runs above (no run of its own): each batch in its commitment's currency in
    Currency_Mode F (job M30's company 00001 keeps dollars), no rate stated, naming its order; R04110ZA
    converts it at F0015's rate: F0411 ACR in the currency and AG in dollars, F0911 ledger AA in dollars
    and CA in the currency, each adding up. The next test's rerun shows nothing sent again."""
    rates = {r["CRCD"]: Decimal(r["CRR"]).scaleb(-7) for r in world.jde_rows("F0015", CRDC="USD")}
    orders = world.xrefs("purchase_order")
    batches = {}
    for currency, requisition_id in scenario.foreign.items():
        [pay_item] = world.jde_rows("F0411Z1", EDUS="MLPROCORE", EDBT=f"PR{requisition_id}")
        row = world.procore_record("requisitions", requisition_id)
        summary = world.clerk.requisition(row["project_id"], requisition_id)["summary"]
        due = Decimal(summary["current_payment_due"])
        gross = due * 100 if currency == "JPY" else due  # the yen read: cents made yen
        assert (pay_item["CRCD"], pay_item["CRRM"], pay_item["CRR"], pay_item["AG"]) == (currency, "F", 0, 0)
        assert stored(pay_item, "ACR") == gross > 0, pay_item
        company, number, order_type = orders[str(row["commitment_id"])].split(":")
        assert (pay_item["PKCO"], pay_item["PO"], pay_item["PDCT"]) == (company, number, order_type)
        batches[currency] = (pay_item, gross)
    calls = world.orchestration_calls("ML_CreateVoucherBatch")
    world.process_vouchers()
    for currency, (pay_item, gross) in batches.items():
        [voucher] = world.jde_rows("F0411Z1", EDTN=pay_item["EDTN"])
        [posted] = world.jde_rows("F0411", DOC=str(voucher["DOC"]), DCT="PV")
        dollars = (gross * rates[currency]).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        assert (posted["CRCD"], posted["CRRM"], Decimal(posted["CRR"]).scaleb(-7)) == (
            currency,
            "F",
            rates[currency],
        )
        assert (stored(posted, "ACR"), stored(posted, "AG")) == (gross, dollars), posted
        assert (posted["PKCO"], posted["PO"], posted["PDCT"]) == (
            pay_item["PKCO"],
            pay_item["PO"],
            pay_item["PDCT"],
        )
        ledger = world.jde_rows("F0911", DOC=str(voucher["DOC"]), DCT="PV")
        domestic = [r for r in ledger if r["LT"] == "AA"]
        in_currency = [r for r in ledger if r["LT"] == "CA"]
        assert domestic and len(domestic) == len(in_currency), ledger
        assert sum(stored(r, "AA") for r in domestic) == dollars
        assert sum(Decimal(r["AA"]).scaleb(-minor_units(currency)) for r in in_currency) == gross
    assert world.orchestration_calls("ML_CreateVoucherBatch") == calls  # processing sends nothing


def test_a_rerun_writes_no_second_batch_and_a_lost_ledger_record_is_adopted(world, scenario):
    calls = world.orchestration_calls("ML_CreateVoucherBatch")
    written = world.run(*VOUCHERS)["procore_jde/vouchers_written"]
    assert written["create"] == 0 and written["skip"] >= 3, written  # the dollar, euro and yen vouchers
    assert world.orchestration_calls("ML_CreateVoucherBatch") == calls  # JDE heard nothing (its count)
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
    assert meta["records"] == len(approved) - len(synced), meta  # the others: mapped held on their orders
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
    out = list(
        voucher_records(Reader(), [({"id": 999}, datetime.now(UTC))], run_id=None, partition=world.day)
    )
    assert out == [] and world.audit_counts("vouchers").get("skip", 0) == before + 1
    assert "999" not in world.queue("vouchers")
