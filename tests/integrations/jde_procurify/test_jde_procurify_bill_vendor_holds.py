"""A bill waits for its vendor's JDE supplier only when a flow will make that pair: a
bill of a vendor the ``vendors`` flow never sends to JDE (type 1 "Other", not purchasable) is refused,
naming the vendor, its type and what a person can do, instead of held on a key nothing ever writes.

A bill held on such a vendor before that rule is refused the same way the next time its hold is looked at:
by the next run of the bills flow (whatever day it maps) and by a replay's sweep (``ml-connector replay``,
the replay job), not only when its own day is mapped again; a bill held on a vendor the flow will send
stays held."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from jde_procurify_parts import BILLS_FLOW, FLOWS, INTEGRATION, OWN, vendor_dependency
from ledger_entries import held_on
from procurify_bills import a_bill

from connector_assets.flows.core import Mapped, Rejected
from connector_assets.flows.replays import build_replays
from connector_assets.integrations.jde_procurify.bills import BillReader, PostingRules
from connector_assets.jde.accounts import GlAccounts
from connector_assets.runtime.staging import StagingResource
from connector_resources import held_parents, replay
from connector_resources.held_parents import PARENT_GONE
from connector_resources.ledger import Ledger
from connector_resources.procurify import ProcurifyUnavailableError

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
    return Reader(OWN, BILLS_FLOW, Vendors(v1=vendor), ledger, GL, {}, rules)


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


OTHER = {"id": 1, "name": "Other", "type": 1, "active": True, "external_id": None}
REGULAR = {"id": 2, "name": "Granite Supply", "type": 4, "active": True, "external_id": None}
BILLS = (INTEGRATION, "bills", "bill")


class Procurify:
    """A Procurify resource whose sessions answer vendor reads (``Vendors``)."""

    @contextmanager
    def session(self):
        yield Vendors(v1=OTHER, v2=REGULAR)


@pytest.fixture
def held(ledger: Ledger) -> dict[str, Any]:
    """Two bills held on their vendor's key before the rule: one of the "Other" vendor (type 1, never
    sent), one of a regular vendor (the vendors flow sends it). Replays are the test's own (built from the
    flow on its resources)."""
    return {
        vendor: held_on(
            ledger, BILLS, f"bill-of-{vendor}", f"{INTEGRATION}:vendor:procurify:{vendor}", "held"
        )
        for vendor in ("1", "2")
    }


def _statuses(ledger: Ledger) -> dict[str, tuple[str, str]]:
    return {
        i.source_key: (i.status, i.reason) for i in ledger.open_items(integration=INTEGRATION, flow="bills")
    }


def _refused_for_its_vendor(ledger: Ledger) -> None:
    found = _statuses(ledger)
    status, reason = found["bill-of-1"]
    assert status == "failed", found
    assert f"waits for {INTEGRATION}:vendor:procurify:1, which will not be written" in reason, reason
    assert "Procurify vendor 1 (Other), type 1" in reason and "not a purchasable vendor" in reason, reason
    assert "make it a purchasable vendor (type 3 PREFERRED or 4 REGULAR)" in reason, reason
    [item] = [
        i for i in ledger.open_items(integration=INTEGRATION, flow="bills") if i.source_key == "bill-of-1"
    ]
    assert item.payload[PARENT_GONE] == f"{INTEGRATION}:vendor:procurify:1"
    assert found["bill-of-2"][0] == "held", found  # its vendor will be sent: it waits, as before


def test_a_run_of_the_bills_flow_refuses_a_bill_held_on_a_vendor_never_sent(
    ledger: Ledger, held: dict[str, Any], tmp_path: Path
):
    resources = SimpleNamespace(
        ledger=SimpleNamespace(get=lambda: ledger),
        procurify=Procurify(),
        staging=StagingResource(base_dir=str(tmp_path / "staging")),
    )
    context = SimpleNamespace(resources=resources, run=SimpleNamespace(run_id="run-1"))
    assert (
        list(BILLS_FLOW.map_records(context, "2026-11-24")) == []
    )  # another day, no bill staged: the holds are looked at
    _refused_for_its_vendor(ledger)


def test_a_replay_refuses_a_bill_held_on_a_vendor_never_sent(ledger: Ledger, held: dict[str, Any]):
    replays = build_replays([FLOWS["bills"]], lambda: {"procurify": Procurify()})
    listed = {
        parent.key: count
        for parent, count in held_parents.held_on_gone(
            ledger, integration=INTEGRATION, checks=replays.parents
        )
    }
    assert listed == {f"{INTEGRATION}:vendor:procurify:1": 1}  # what replay --dry-run lists
    replay.release_synced(ledger, replays, integration=INTEGRATION)  # what replay and the replay job do first
    _refused_for_its_vendor(ledger)


def test_while_procurify_cannot_be_reached_the_sweep_leaves_the_bills_held(
    ledger: Ledger, held: dict[str, Any]
):
    class Down:
        @contextmanager
        def session(self):
            raise ProcurifyUnavailableError("Procurify answered 503 after every retry")
            yield

    replays = build_replays([FLOWS["bills"]], lambda: {"procurify": Down()})
    replay.release_synced(ledger, replays, integration=INTEGRATION)  # no failure: the next look decides
    assert {key: status for key, (status, _reason) in _statuses(ledger).items()} == {
        "bill-of-1": "held",
        "bill-of-2": "held",
    }
