"""A bill waits for its vendor's JDE supplier only when a flow will make that pair (issue 37 item 5): a
bill of a vendor the ``vendors`` flow never sends to JDE (type 1 "Other", not purchasable) is refused,
naming the vendor, its type and what a person can do, instead of held on a key nothing ever writes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from procurify_bills import a_bill

from connector_assets.flows.core import Mapped, Rejected
from connector_assets.integrations.jde_procurify.bills import BillReader, PostingRules, vendor_dependency
from connector_assets.integrations.jde_procurify.integration import INTEGRATION
from connector_assets.jde.accounts import GlAccounts
from connector_resources.ledger import Ledger

GL = GlAccounts([{"MCU": "1", "OBJ": "6110", "SUB": "", "CO": "00001", "PEC": ""}])
# A bill of the vendor at hand: its one line, on account code 6100, and no tax.
BILL = a_bill(
    id=7,
    vendor={"id": 1, "name": "Other"},
    items=a_bill()["items"][:1],
    tax_amount="0",
    total_cost_with_tax=52.75,
)


class Vendors:
    """A Procurify session answering the vendor reads a bill reader makes."""

    def __init__(self, **vendors: dict[str, Any]) -> None:
        self.vendors = {key.removeprefix("v"): value for key, value in vendors.items()}

    def get(self, resource: str, key: str) -> dict[str, Any]:
        assert resource == "vendors", resource
        return self.vendors[str(key)]


class Reader(BillReader):
    """The flow's bill reader with code 6100 on account 1.6110 (the account map's own tests are its)."""

    def account_of(self, code: str) -> tuple[str | None, str | None]:
        return ("1.6110", None) if code == "6100" else (None, f"account code {code} not found in F0901")


def reader(ledger: Ledger, vendor: dict[str, Any]) -> BillReader:
    rules = PostingRules("voucher", "MLCONN", frozenset({2}), None, None)
    return Reader(Vendors(v1=vendor), ledger, GL, {}, rules)


def test_a_bill_of_a_vendor_the_vendors_flow_never_sends_is_refused_not_held(ledger: Ledger):
    other = {"id": 1, "name": "Other", "type": 1, "active": True, "external_id": None}
    assert vendor_dependency("1", other) is None  # the vendors flow pairs types 3 and 4 only
    record = reader(ledger, other).mapped(BILL["uuid"], BILL, datetime(2026, 11, 23, tzinfo=UTC))
    assert isinstance(record, Rejected), record
    assert "Procurify vendor 1 (Other), type 1" in record.reason, record.reason
    assert "not a purchasable vendor" in record.reason, record.reason
    assert "make it a purchasable vendor (type 3 PREFERRED or 4 REGULAR)" in record.reason, record.reason
    assert "external_id to its JDE supplier's address number" in record.reason, record.reason


def test_a_bill_of_a_purchasable_vendor_still_waits_for_the_vendors_flow(ledger: Ledger):
    regular = {"id": 1, "name": "Granite Supply", "type": 4, "active": True, "external_id": None}
    record = reader(ledger, regular).mapped(BILL["uuid"], BILL, datetime(2026, 11, 23, tzinfo=UTC))
    assert isinstance(record, Mapped), record
    assert record.depends_on == f"{INTEGRATION}:vendor:procurify:1"
