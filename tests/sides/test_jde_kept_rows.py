"""JDE rows read by key kept for a run (``jde.kept_rows``): a value read once is not asked again, a range's
days find what their first day read ahead for all of them, with the answers of reading each day alone."""

from contextlib import contextmanager
from types import SimpleNamespace
from typing import Any

from connector_assets.jde.documents import changed_purchase_orders, changed_purchase_orders_of_days
from connector_assets.jde.kept_rows import KeptRows, keeping, read_ahead_once, run_rows
from connector_assets.jde.lookup import browse_in
from connector_assets.jde.tables import PO_HEADERS, PO_LINES

HEADER = {"KCOO": "00200", "DCTO": "OP", "SFXO": "000", "AN8": 4343, "CRRM": "D", "CRCD": "USD"}
HEADERS = {doco: {**{a: "" for a in PO_HEADERS.aliases}, **HEADER, "DOCO": doco} for doco in (11, 12, 13)}
LINES = {
    doco: [{"KCOO": "00200", "DOCO": doco, "DCTO": "OP", "SFXO": "000", "LNID": 1000}] for doco in HEADERS
}


class Jde:
    """F4301 / F4311 by DOCO and F0101 by AN8, counting the reads (what the simulator would count)."""

    def __init__(self) -> None:
        self.reads: list[tuple[str, list[Any]]] = []

    @contextmanager
    def session(self) -> Any:
        yield self

    def browse(self, table: str, *, columns, conditions, match) -> list[dict]:
        values = [c.value for c in conditions]
        self.reads.append((table, values))
        if table == "F4301":
            return [dict(HEADERS[v]) for v in values if v in HEADERS]
        if table == "F4311":
            return [dict(line) for v in values for line in LINES.get(v, [])]
        return [{"AN8": v, "ALPH": f"Supplier {v}"} for v in values if v != 99]


class Staging:
    """Each day's staged order lines (no header staged: each day reads its headers from JDE)."""

    days = {"2026-11-01": [11], "2026-11-02": [12, 11], "2026-11-03": [13]}

    def read_rows(self, asset: Any, partition: str | None) -> list[dict]:
        if asset == PO_LINES.asset:
            return [dict(LINES[doco][0]) for doco in self.days.get(partition or "", [])]
        return []


def test_a_value_read_once_is_answered_from_the_kept_rows_and_one_without_rows_too() -> None:
    jde, kept = Jde(), KeptRows()
    with keeping(kept):
        first = list(browse_in(jde, "F0101", "AN8", [1, 2, 99], ["AN8", "ALPH"]))
        again = list(browse_in(jde, "F0101", "AN8", [2, 99, 3], ["AN8", "ALPH"]))
    assert jde.reads == [("F0101", [1, 2, 99]), ("F0101", [3])]
    assert sorted(r["AN8"] for r in first) == [1, 2] and sorted(r["AN8"] for r in again) == [2, 3]
    list(browse_in(jde, "F0101", "AN8", [2], ["AN8", "ALPH"]))  # outside ``keeping``: JDE is asked
    assert len(jde.reads) == 3


def test_other_columns_or_rows_that_do_not_name_the_value_are_not_answered_from_kept_rows() -> None:
    jde, kept = Jde(), KeptRows()
    with keeping(kept):
        list(browse_in(jde, "F0101", "AN8", [1], ["AN8", "ALPH"]))
        list(browse_in(jde, "F0101", "AN8", [1], ["AN8"]))  # another read: asked
        list(browse_in(jde, "F0101", "ALPH", ["Acme"], ["AN8"]))  # rows naming another ALPH: not kept
        list(browse_in(jde, "F0101", "ALPH", ["Acme"], ["AN8"]))
    assert len(jde.reads) == 4


def test_a_ranges_days_find_what_the_first_read_ahead_for_all_of_them() -> None:
    staging, alone = Staging(), Jde()
    by_day = {day: changed_purchase_orders(staging, alone, day) for day in Staging.days}
    assert len(alone.reads) == 6  # a header read and a line read each day

    jde, kept = Jde(), KeptRows()
    read_ahead_once(kept, lambda: changed_purchase_orders_of_days(staging, jde, list(Staging.days)))
    read_ahead_once(kept, lambda: changed_purchase_orders_of_days(staging, jde, list(Staging.days)))
    with keeping(kept):
        kept_days = {day: changed_purchase_orders(staging, jde, day) for day in Staging.days}
    assert jde.reads == [("F4301", [11, 12, 13]), ("F4311", [11, 12, 13])]
    assert kept_days == by_day


def test_rows_are_kept_per_run_and_flow_and_not_for_a_context_naming_no_run() -> None:
    step = SimpleNamespace(run=SimpleNamespace(run_id="run-1"))
    assert run_rows(step, "bills") is run_rows(step, "bills")
    assert run_rows(step, "vendors") is not run_rows(step, "bills")
    assert run_rows(SimpleNamespace(run=SimpleNamespace(run_id="run-2")), "bills") is not None
    assert run_rows(SimpleNamespace(), "bills") is None


def test_supplier_numbers_named_by_vendors_in_hand_are_asked_at_once_and_kept_for_the_run() -> None:
    from connector_assets.jde.supplier_numbers import SupplierNumbers

    class Suppliers(Jde):
        def browse(self, table: str, *, columns, conditions, match) -> list[dict]:
            self.reads.append((table, [c.value for c in conditions]))
            return [{"AN8": c.value} for c in conditions if c.value != 99]

    jde, held = Suppliers(), {}
    vendors = {"v1": {"origin": 1}, "v2": {"origin": 2}, "v9": {"origin": 99}, "v0": {}}
    numbers = SupplierNumbers(jde, lambda _v: None, lambda v: (v or {}).get("origin"), "Procore", held)
    numbers.read_ahead(vendors.values())
    assert jde.reads == [("F0401", [1, 2, 99])]
    day = SupplierNumbers(jde, lambda _v: None, lambda v: (v or {}).get("origin"), "Procore", held)
    assert [day.an8(v, lambda v=v: vendors[v]) for v in vendors] == ["1", "2", None, None]
    assert len(jde.reads) == 1  # a later day of the run asks JDE nothing more
