"""A paid JDE voucher mapped back to its Procurify bill once JDE purged the batch rows
(``paid_voucher_bills``, ``posted_sources.by_marked``): the remark names a candidate, the bill's invoice
number and paired supplier must be the voucher's, and the ledger must hold the bill as a posted batch. Pure:
fakes for both sides."""

from __future__ import annotations

from contextlib import contextmanager
from types import SimpleNamespace
from typing import Any

from jde_procurify_parts import OWN

from connector_assets.integrations.jde_procurify.paid_voucher_bills import bills_by_marks, remark_bill_id
from connector_assets.jde.posted_sources import by_marked

UUID = "1bd9644a-df71-434e-bcad-b56363ab2211"
BILL = {"id": 812, "uuid": UUID, "invoice_number": "INV-77", "vendor": {"id": 31, "name": "Acme"}}
OURS = {"KCO": "00001", "DOC": 4711, "DCT": "PV", "AN8": 4343, "VINV": "INV-77 ", "RMK": "Procurify bill 812"}


class Procurify:
    def __init__(self, bills: list[dict[str, Any]]) -> None:
        self.bills, self.searched = bills, []

    @contextmanager
    def session(self):
        yield self

    def iter_all(self, entity: str, *, filters: dict[str, Any]):
        self.searched.append(filters["search"])
        return iter(b for b in self.bills if filters["search"] in b["invoice_number"])


POSTED_BILLS = OWN.posted_bills
# The pairs the ledger holds: Procurify vendor 31 is JDE supplier 4343.
PAIRS: Any = SimpleNamespace(paired_supplier=lambda _ledger, vendor: {"31": "4343"}.get(vendor))


def test_the_remark_names_the_bill_id():
    assert remark_bill_id("Procurify bill 812 ") == "812"
    assert remark_bill_id("Coupa invoice 812") is None and remark_bill_id("Procurify bill x") is None


def test_a_voucher_is_its_bill_only_with_the_bills_invoice_number_and_paired_supplier():
    key, other, typed = ("00001", 4711, "PV"), ("00001", 4712, "PV"), ("00001", 4713, "PV")
    marks = {
        key: OURS,
        other: {**OURS, "DOC": 4712, "AN8": 5151},  # another supplier's voucher keyed with our remark
        typed: {**OURS, "DOC": 4713, "VINV": "INV-78"},  # our supplier, another invoice
    }
    procurify = Procurify([BILL, {**BILL, "id": 813, "uuid": "other"}])
    assert bills_by_marks(PAIRS, None, procurify)(marks) == {key: UUID}


def test_a_voucher_without_a_bill_remark_reads_nothing_from_procurify():
    procurify = Procurify([BILL])
    assert (
        bills_by_marks(PAIRS, None, procurify)({("00001", 1, "PV"): {**OURS, "RMK": "keyed by hand"}}) == {}
    )
    assert procurify.searched == []


class Ledger:
    def __init__(self, targets: dict[str, str]) -> None:
        self.targets = targets

    def get_xref(self, integration, entity, source_system, key, target_system):
        assert (integration, entity, source_system) == (
            POSTED_BILLS.integration,
            POSTED_BILLS.entity,
            POSTED_BILLS.source_system,
        )
        target = self.targets.get(key)
        return SimpleNamespace(target_id=target) if target else None


class Jde:
    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.rows = rows

    def browse(self, table, columns, conditions):
        return list(self.rows)


def test_the_ledger_must_hold_the_bill_as_a_posted_batch_that_became_no_other_voucher():
    key = ("00001", 4711, "PV")
    batch = {"a": "MLPRCFY/PFYAB/CD", "b": "MLPRCFY/PFYEF/GH", "c": "00001:9999:PV"}
    ledger = Ledger(batch)
    assert by_marked(ledger, POSTED_BILLS, Jde([]), {key: "a"}) == {key: "a"}  # rows purged
    kept = Jde([{"KCO": "00001", "DOC": 4711, "DCT": "PV"}])
    assert by_marked(ledger, POSTED_BILLS, kept, {key: "a"}) == {key: "a"}  # rows kept: this voucher
    moved = Jde([{"KCO": "00001", "DOC": 5000, "DCT": "PV"}])
    assert by_marked(ledger, POSTED_BILLS, moved, {key: "a"}) == {}  # the batch became another voucher
    assert by_marked(ledger, POSTED_BILLS, Jde([]), {key: "c"}) == {}  # posted by another document key
    assert by_marked(ledger, POSTED_BILLS, Jde([]), {key: "unknown"}) == {}  # never posted by the flow
    twice = {key: "a", ("00001", 4712, "PV"): "a"}
    assert by_marked(ledger, POSTED_BILLS, Jde([]), twice) == {}  # two vouchers for one bill: neither
