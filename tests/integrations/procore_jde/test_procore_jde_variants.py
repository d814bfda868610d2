"""Procore -> JDE under behaviours the Procore reference leaves unconfirmed: one day through vendors,
purchase orders, vouchers and change orders, end to end through Dagster, with the Procore simulator playing
a faithful server that chose differently from its defaults (connector_sandbox/procore/README.md, "Choices
where the reference is unconfirmed").

Our clients work against any faithful implementation of the API, not only our sandbox's default choices.
Each case is one world: a project manager approves the latest invoice of a commitment and one of its change
orders, the commitment's vendor is linked to a JDE supplier; one run of the day's assets must then write the
supplier link, one purchase order with the commitment's schedule of values, one voucher of exactly Procore's
current payment due, and the change order's lines, leaving nothing queued.

The cases are the variants most likely to break a reader keyed on the sandbox's defaults:

* ``v2_errors``: error bodies in the REST v2 shape, 400 for filters an endpoint does not document, a
  company vendor list that includes inactive vendors, change orders paginated at a page size of 10;
* ``lines_via_commitment``: change order lines that name their cost code only through the commitment line
  they change, served without paging headers (a short page is the only end signal).

Below the day, unit tests of what no sandbox variant plays but a faithful server may send: a requisition
list without ``summary``, invoice lines Procore will not serve, retainage stated per period, a line naming
only its ``cost_code_id``, change order items on an invoice, commitment types in other spellings, an ERP
``origin_id`` that looks like a number, unit lines whose extension is not Procore's amount, commitments
without a contract date.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from instances import instance_for_test
from procore_jde_parts import VoucherReader, change_order_record
from procore_jde_proofs import change_order_added
from procore_jde_world import CLERK, GENEROUS, ProcoreJdeWorld, procore_jde_world
from procore_requisitions import WrittenLedger

from connector_assets.flows.core import Mapped, Rejected
from connector_assets.integrations.procore_jde.order_mappers import commitment_line
from connector_assets.integrations.procore_jde.voucher_mappers import (
    VoucherInputs,
    map_requisition,
)
from connector_assets.jde.job_accounts import AccountWaits
from connector_assets.procore.document_fields import order_date_of
from connector_resources.procore.errors import ProcoreNotFoundError
from connector_resources.procore.order_lines import OrderLineReads, normalise_ids
from connector_sandbox.procore import ProcoreSandboxSettings
from connector_sandbox.procore.settings import DEFAULT_CLIENT, VariantSettings

pytestmark = pytest.mark.filterwarnings(
    "ignore:Asset job .* materializes assets with varying BackfillPolicies"
)

VARIANTS = {
    "v2_errors": {
        "error_body": "v2",
        "unknown_filters": "reject",
        "vendor_list_includes_inactive": True,
        "paginate_change_orders": True,
        "default_per_page": 10,
    },
    "lines_via_commitment": {
        "change_order_line_cost_code": "via_commitment_line",
        "v2_paging_headers": False,
        "error_body": "message",
    },
}
MASTERS = ("jde/gl_accounts", "procore_jde/project_map", "procore_jde/cost_code_map")
SOURCES = (
    "procore/vendors",
    "procore/requisitions",
    "procore/commitments",
    "procore/commitment_change_orders",
)
FLOWS = tuple(
    f"procore_jde/{flow}_{step}"
    for flow in ("vendors", "purchase_orders", "vouchers", "change_orders")
    for step in ("mapped", "written")
) + ("procore_jde/vendors_marked",)
APPROVED = ("approved", "approved_as_noted")


class Day:
    """What the case's project manager did: the commitment, its invoice and change order, the supplier."""

    def __init__(self, world: ProcoreJdeWorld) -> None:
        self.world = world
        self.commitment, self.requisition, self.change_order = _cast(world)
        self.an8 = int(world.jde_rows("F0401")[0]["AN8"])
        world.link_vendor(self.commitment["vendor_id"], self.an8)
        project = self.commitment["project_id"]
        world.clerk.approve_requisition(project, self.requisition["id"])
        world.clerk.approve_change_order(project, self.change_order["id"])
        self.result = world.run(*SOURCES, *MASTERS, *FLOWS)


def _cast(world: ProcoreJdeWorld) -> tuple[dict, dict, dict]:
    """A commitment on a permitted project, its vendor free of another integration's origin_id, whose latest
    invoice is open (so it can be approved) and which has a change order waiting, with at least one line
    that changes a schedule of values line (so ``via_commitment_line`` matters)."""
    projects = {p["id"] for p in world.procore_records("projects") if p["permitted"] and p["active"]}
    vendors = {
        v["id"]: v for v in world.procore_records("vendors") if v["is_active"] and not v.get("origin_owner")
    }
    latest: dict[int, dict] = {}
    for r in world.procore_records("requisitions"):
        if r["deleted_at"] is None and (
            r["commitment_id"] not in latest or r["number"] > latest[r["commitment_id"]]["number"]
        ):
            latest[r["commitment_id"]] = r
    changing = {
        x["change_order_id"]
        for x in world.procore_records("commitment_change_order_line_items")
        if x["deleted_at"] is None and x["commitment_line_item_id"] is not None
    }
    waiting: dict[int, dict] = {}
    for co in world.procore_records("commitment_change_orders"):
        if co["status"] in ("pending", "draft") and co["deleted_at"] is None and co["id"] in changing:
            waiting.setdefault(co["contract_id"], co)
    for c in world.procore_records("commitments"):
        invoice = latest.get(c["id"])
        if (
            c["deleted_at"] is None
            and c["project_id"] in projects
            and c["vendor_id"] in vendors
            and c["id"] in waiting
            and invoice is not None
            and invoice["status"] not in APPROVED
            and not invoice["origin_id"]
        ):
            return c, invoice, waiting[c["id"]]
    pytest.skip("the sandbox seed has no commitment fit for this day")


@pytest.fixture(scope="module", params=sorted(VARIANTS))
def day(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    settings = ProcoreSandboxSettings(
        scale=0.05,
        rate_limits=GENEROUS,
        clients=(DEFAULT_CLIENT, CLERK),
        variants=VariantSettings(**VARIANTS[request.param]),
    )
    tmp = Path(tmp_path_factory.mktemp(f"procore_jde_{request.param}"))
    with procore_jde_world(tmp, procore=settings) as world, instance_for_test() as instance:
        world.instance = instance
        yield Day(world)


def _cents(value: Any) -> int:
    return int(Decimal(str(value)) * 100)


def test_nothing_is_queued_and_every_flow_wrote(day: Day):
    world = day.world
    for flow in ("vendors", "purchase_orders", "vouchers", "change_orders"):
        assert not world.queue(flow), (flow, world.queue(flow))
    assert world.xrefs("vendor")[str(day.commitment["vendor_id"])] == str(day.an8)


def test_the_order_carries_the_schedule_of_values(day: Day):
    world, commitment = day.world, day.commitment
    (header,) = world.jde_rows("F4301", VR01=f"PC-{commitment['id']}")
    assert int(header["AN8"]) == day.an8
    assert world.xrefs("purchase_order")[str(commitment["id"])] == (
        f"{header['KCOO']}:{header['DOCO']}:{header['DCTO']}"
    )
    lines = [
        row
        for row in world.jde_rows("F4311", DOCO=header["DOCO"], DCTO=header["DCTO"])
        if not str(row.get("VR01") or "").startswith("PCCO-")
    ]
    sov = [
        x
        for x in world.procore_records("commitment_line_items", commitment_id=commitment["id"])
        if x["deleted_at"] is None
    ]
    assert len(lines) == len(sov)
    assert sum(row["AEXP"] for row in lines) == sum(x["amount_cents"] for x in sov)


def test_the_voucher_is_procore_s_current_payment_due(day: Day):
    world = day.world
    (pay_item,) = world.jde_rows("F0411Z1", EDUS="MLPROCORE", EDBT=f"PR{day.requisition['id']}")
    invoice = world.clerk.requisition(day.commitment["project_id"], day.requisition["id"])
    assert int(Decimal(str(pay_item["AG"]))) == _cents(invoice["summary"]["current_payment_due"])
    assert int(pay_item["AN8"]) == day.an8


def test_the_change_order_lines_are_added_once_on_their_cost_codes_accounts(day: Day):
    world, change_order = day.world, day.change_order
    (header,) = world.jde_rows("F4301", VR01=f"PC-{day.commitment['id']}")
    change_order_added(world, header, change_order)
    again = world.run(*FLOWS)["procore_jde/change_orders_written"]
    assert again["create"] == 0


# -- what a faithful server may leave out: unit tests of the reads the day above does not reach -------------


class _Session:
    """A Procore session answering ``get`` from ``records`` (entity -> record, None: 404) and the invoice
    lines from ``lines`` (None: 404)."""

    def __init__(self, records: dict[str, dict | None], lines: list[dict] | None = None) -> None:
        self.records, self.lines, self.gets = records, lines, []

    def get(self, entity: str, id: Any, *, project_id: Any = None) -> dict:
        self.gets.append(entity)
        found = self.records.get(entity)
        if found is None:
            raise ProcoreNotFoundError(f"no {entity} {id}", status=404)
        return found

    def requisition_lines(self, project_id: Any, requisition_id: Any) -> list[dict]:
        if self.lines is None:
            raise ProcoreNotFoundError(f"no lines of requisition {requisition_id}", status=404)
        return self.lines


class _Ledger:
    def get_xref(self, *args: Any) -> None:
        return None


REQUISITION = {"id": 1280646, "number": 19, "commitment_id": 881234, "status": "approved", "_project_id": 55}
COMMITMENT = {
    "id": 881234,
    "vendor": {"id": 5512098, "company": "Granite"},
    "project": {"id": 55, "name": "P"},
}


def test_a_listed_requisition_without_its_summary_is_read_again_for_the_current_payment_due():
    session = _Session({"requisitions": {**REQUISITION, "summary": {"current_payment_due": 4736.25}}})
    reader = VoucherReader(session, _Ledger(), None)
    read = reader.with_payment_due(dict(REQUISITION), 55)
    assert read["summary"]["current_payment_due"] == 4736.25 and session.gets == ["requisitions"]
    # one that carries it is not read again
    assert reader.with_payment_due(read, 55) is read and session.gets == ["requisitions"]


def test_a_requisition_stating_no_current_payment_due_is_refused_not_vouchered_unchecked():
    reader = VoucherReader(_Session({"requisitions": dict(REQUISITION)}), _Ledger(), None)
    reason = reader.with_payment_due(dict(REQUISITION), 55)
    assert isinstance(reason, str) and "summary.current_payment_due" in reason
    assert reason.refusal.group == "source_invalid · summary.current_payment_due"  # the words keep the kind
    record = VoucherReader(
        _Session({"commitments": COMMITMENT, "requisitions": None}), WrittenLedger(), None
    ).record(dict(REQUISITION), datetime.now(UTC))
    assert isinstance(record, Rejected) and "cannot be read from Procore" in record.reason
    assert record.refusal is not None and record.refusal.group == "source_invalid · requisition"


def test_invoice_lines_procore_will_not_serve_are_a_refusal_not_a_failed_step():
    session = _Session({"commitments": COMMITMENT}, lines=None)
    requisition = {**REQUISITION, "summary": {"current_payment_due": "4736.25"}}
    record = VoucherReader(session, WrittenLedger(), None).record(requisition, datetime.now(UTC))
    assert isinstance(record, Rejected) and "its lines cannot be read from Procore" in record.reason
    assert record.refusal is not None and record.refusal.group == "source_invalid · requisition lines"
    assert record.payload == {"project_id": "55"}


class _Lines(OrderLineReads):
    """The line reads on canned lists: ``rows_of`` answers every path with ``rows``, ``get`` a commitment of
    ``kind``; both record what was asked."""

    company_id, max_pages, pages = 4264807, 10, 0

    def __init__(
        self, rows: list[dict], kind: str = "WorkOrderContract", change_order_items: list[dict] | None = None
    ) -> None:
        self.rows, self.kind, self.paths, self.gets = rows, kind, [], []
        self.change_order_items = change_order_items  # None: the endpoint answers 404

    def rows_of(self, path: str, params: Any, *, what: str) -> list[dict]:
        self.paths.append(path)
        if path.endswith("/change_order_items"):
            if self.change_order_items is None:
                raise ProcoreNotFoundError("Not Found", status=404)
            return [dict(row) for row in self.change_order_items]
        return [dict(row) for row in self.rows]

    def get(self, entity: str, id: Any, *, project_id: Any = None) -> dict:
        self.gets.append(entity)
        return {"id": id, "_commitment_type": self.kind}


SOV = [{"id": 7, "amount": "100.00", "cost_code": {"id": 3, "full_code": "03-100"}, "origin_id": "0042"}]


@pytest.mark.parametrize("spelling", ["PurchaseOrderContract", "Purchase Order Contract", "purchase_order"])
def test_a_commitment_type_in_any_of_procore_s_spellings_names_its_endpoint(spelling: str):
    reads = _Lines(SOV)
    assert reads._commitment_line(55, 881234, spelling, 7)["_cost_code"] == "03-100"
    assert reads.paths == ["/rest/v1.0/purchase_order_contracts/881234/line_items"] and not reads.gets


def test_an_unlisted_commitment_type_is_learnt_from_the_commitment_not_a_failed_read():
    reads = _Lines(SOV, kind="WorkOrderContract")
    assert reads._commitment_line(55, 881234, "Subcontract Agreement", 7)["_cost_code"] == "03-100"
    assert reads.gets == ["commitments"]
    assert reads.paths == ["/rest/v1.0/work_order_contracts/881234/line_items"]


def test_v2_string_ids_become_ints_but_an_erp_origin_id_stays_text():
    row = normalise_ids(
        {"id": "562949953432100", "cost_code_id": "77", "origin_id": "0042", "cost_code": {"id": "3"}}
    )
    assert row == {"id": 562949953432100, "cost_code_id": 77, "origin_id": "0042", "cost_code": {"id": 3}}
    reads = _Lines(SOV)
    assert reads.commitment_lines(55, "881234", "PurchaseOrderContract")[0]["origin_id"] == "0042"


def test_a_unit_line_whose_quantity_times_cost_is_not_procore_s_amount_goes_at_the_amount():
    made = commitment_line({"amount": "100.00", "quantity": "3", "unit_cost": "33.33"}, 1, "unit")
    assert not isinstance(made, str)
    body, extended = made
    assert (body["Quantity"], body["Unit_Cost"], extended) == (1, "100.0000", Decimal("100.00"))
    assert "[3 @33.33]" in body["Description"]
    exact = commitment_line({"amount": "493.82", "quantity": 40, "unit_cost": 12.3456}, 1, "unit")
    assert not isinstance(exact, str) and (exact[0]["Quantity"], exact[1]) == (40, Decimal("493.82"))


@pytest.mark.parametrize("quantity, unit_cost", [(None, None), ("0", None), ("0.0", "0"), (0, 0.0)])
def test_without_an_accounting_method_a_line_with_no_quantity_is_read_by_its_amount(quantity, unit_cost):
    made = commitment_line({"amount": 250.0, "quantity": quantity, "unit_cost": unit_cost}, 1, None)
    assert not isinstance(made, str), made
    assert (made[0]["Quantity"], made[0]["Unit_Cost"], made[1]) == (1, "250.0000", Decimal("250.0"))


class _Books:
    def job(self, project_id: str, label: str) -> Any:
        return SimpleNamespace(account="", business_unit="M30", company="00001")

    def account(self, project_id: str, label: str, code: str) -> Any:
        return SimpleNamespace(account="M30.7110", business_unit="M30", company="00001")

    def awaiting(self, document: str) -> tuple[Any, AccountWaits]:
        return self, AccountWaits(document)  # every account it answers exists: nothing to wait for


def test_a_voucher_explanation_is_one_line_from_either_description_field():
    line = {"_cost_code": "03-100", "work_completed_this_period": "500.00", "materials_presently_stored": "0"}
    line["description_of_work"] = "Rebar\n  supply,\tlevel 2 and 3"
    inputs = VoucherInputs(
        requisition={
            **REQUISITION,
            "billing_date": "2025-03-31",
            "summary": {"current_payment_due": "500.00"},
        },
        lines=[line],
        commitment=COMMITMENT,
        project_id="55",
        project_label="55 (P)",
        an8="4343",
        order_id="00001:4711:OP",
        order_dependency="procore_jde:purchase_order:procore:881234",
        vendor_dependency=None,
        updated_at=datetime.now(UTC),
    )
    record = map_requisition(inputs, _Books())
    assert isinstance(record, Mapped), record
    (only,) = record.body["Distribution"]
    assert only["Explanation"] == "03-100 Rebar supply, level 2 a" and only["Amount"] == "500.00"


def test_the_order_date_is_the_contract_date_else_the_execution_or_issued_on_date():
    assert order_date_of({"contract_date": "2025-03-01", "execution_date": "2025-03-05"}) == "2025-03-01"
    assert order_date_of({"contract_date": None, "execution_date": "2025-03-05T00:00:00Z"}) == "2025-03-05"
    assert order_date_of({"contract_date": "", "issued_on_date": "2025-03-07"}) == "2025-03-07"
    assert order_date_of({"contract_date": None, "created_at": "2025-03-01T10:00:00Z"}) is None


def test_a_change_order_s_lines_are_read_with_its_contract_id():
    asked: dict[str, Any] = {}

    class Session:
        def change_order_lines(self, project_id: int, change_order_id: str, **known: Any) -> list[dict]:
            asked.update(known, project_id=project_id)
            return [{"id": 1, "amount": "-250.00", "_cost_code": "03-100", "description": "Credit"}]

    change_order = {"id": 4300000001, "contract_id": "881234", "status": "approved", "_project_id": 55}
    record = change_order_record(Session(), WrittenLedger(), _Books(), lambda project: "P", change_order)
    # The commitment's kind is unknown here (its order's type names none): not guessed.
    assert asked == {"commitment_id": "881234", "commitment_type": None, "project_id": 55}
    assert isinstance(record, Mapped) and record.depends_on is None
    assert record.body["Lines"][0]["Unit_Cost"] == "-250.0000"


def test_an_invoice_line_naming_only_its_cost_code_id_is_costed_through_the_project_s_cost_codes():
    """Procore's G703 lines carry ``cost_code_id`` (no ``cost_code`` object, as the sandbox renders):
    resolved through ``/cost_codes?project_id=`` (reference 2.7: id, full_code), read once."""

    reads = _Lines(
        [{"id": 3, "full_code": "03-100"}, {"id": "4", "full_code": "09-300"}], change_order_items=[]
    )
    lines = [{"id": 1, "cost_code_id": 3}, {"id": 2, "cost_code_id": "4"}, {"id": 3, "cost_code_id": None}]
    out = list(reads.with_invoice_cost_codes(55, 1280646, lines))
    assert [line["_cost_code"] for line in out] == ["03-100", "09-300", None]
    assert reads.paths == ["/rest/v1.0/cost_codes", "/rest/v1.0/requisitions/1280646/change_order_items"]
    assert not reads.gets


def test_an_invoice_s_change_order_items_are_its_lines_too_on_their_own_cost_codes():
    """Reference 2.5 lists /requisitions/{id}/change_order_items beside contract_items (the sandbox always
    answers []): an invoice billing an approved change order must voucher it; its line_item_id is not a
    schedule of values line, so it is never costed through one."""
    codes = [{"id": 3, "full_code": "03-100"}, {"id": 9, "full_code": "09-300"}]
    item = {"id": 77, "cost_code_id": 9, "line_item_id": 7, "work_completed_this_period": "250.00"}
    reads = _Lines(codes, change_order_items=[item, {"id": 78, "line_item_id": 7}])
    out = list(reads.with_invoice_cost_codes(55, 1280646, [{"id": 1, "cost_code_id": 3}]))
    assert [(r["id"], r.get("_item_kind"), r["_cost_code"]) for r in out] == [
        (1, None, "03-100"),
        (77, "change_order", "09-300"),
        (78, "change_order", None),
    ]
    assert not reads.gets  # no commitment line was looked up for the change order items
    without = _Lines(codes, change_order_items=None)  # a Procore without the endpoint: none, no failure
    assert [
        r["id"] for r in without.with_invoice_cost_codes(55, 1280646, [{"id": 1, "cost_code_id": 3}])
    ] == [1]
