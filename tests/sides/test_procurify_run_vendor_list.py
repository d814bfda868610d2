"""What a run read from Procurify, not read again: a suppliers write step searches its chunk in the vendor
list the run's bills step read (``vendor_list.kept_vendors``) while no vendor was written since, and reads the
list afresh once one was; a bill a replay read in full is mapped without a second read
(``ApprovedBillReader.replayed``). Counted on the Procurify simulator's own call counter.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

from jde_procurify_parts import BILLS_FLOW, ProcurifyVendors
from procurify_counted import procurify_fixture  # noqa: F401  (the module's simulator, used by name)
from sqlite_ledgers import sqlite_ledger  # noqa: F401  (the module's ledger, used by name)

from connector_assets.flows.core import Mapped
from connector_assets.integrations.jde_procurify.bills import WORDING
from connector_assets.procurify.approved_bill_reader import ApprovedBillReader
from connector_assets.procurify.vendor_list import kept_vendors, listed_vendors
from connector_resources.procurify.writes import VENDOR_WRITES

LIST = "GET /api/v3/vendors/"


def _records(vendors: list[dict[str, Any]]) -> list[Mapped]:
    keyed = [v for v in vendors if str(v.get("external_id") or "").strip()]
    counts = Counter(str(v["external_id"]) for v in keyed)
    unique = [v for v in keyed if counts[str(v["external_id"])] == 1][:12]
    return [
        Mapped(
            source_key=f"9{i:04d}",
            body={"name": f"Supplier {i}", "external_id": str(v["external_id"]), "email": ["ap@x.example"]},
            fields={},
            natural_key={"external_id": str(v["external_id"])},
        )
        for i, v in enumerate(unique)
    ]


def test_a_suppliers_chunk_is_searched_in_the_runs_list_until_a_vendor_is_written(procurify, ledger):
    resource, box = procurify
    with resource.session() as session:
        listed = listed_vendors(session, 1000)
        assert listed is not None
        expected = ProcurifyVendors(session, ledger).find_many(_records(list(listed.values())))
    run = {"vendors": listed, "written": VENDOR_WRITES[0]}  # as the run's bills step keeps it
    records = _records(list(listed.values()))
    before = box.calls()
    with resource.session() as session:
        target = ProcurifyVendors(session, ledger, None, run)
        assert target.find_many(records) == expected
        vendor_id = next(iter(expected.values()))
        assert target.vendor_now(str(vendor_id)) == listed[str(vendor_id)]  # a copy: the run's list kept
        assert str(vendor_id) in run["vendors"]
    assert box.calls() - before == Counter(), "the run's list: no count, no page, no read by id"
    with resource.session() as session:
        session.update_vendor(int(str(vendor_id)), {"comments": "changed by the run"})
        assert kept_vendors(run) is None  # written since the list was read: stale
        before = box.calls()
        assert ProcurifyVendors(session, ledger, None, run).find_many(records) == expected
    assert box.calls()[LIST] - before[LIST] > 1, "the list read afresh (a count and its pages)"


class _Reader(ApprovedBillReader):
    """The shared reader, mapping a full bill as it is."""

    def mapped(self, bill_uuid: str, full: Any, updated_at: datetime) -> Mapped:
        return Mapped(source_key=bill_uuid, body=dict(full), fields={}, natural_key={})


class _NoBillReads:
    def get(self, entity: str, key: str) -> Any:
        raise AssertionError(f"{entity} {key} read again")


def test_a_replayed_bill_is_read_once_and_mapped_from_that_read(ledger):
    uuid = "0f0e0d0c-0b0a-4909-8807-060504030201"
    full = {"uuid": uuid, "status": 2, "invoice_number": "INV-1", "items": [{"id": 5}]}
    full["last_modified_datetime"] = datetime(2026, 1, 5, tzinfo=UTC).isoformat()
    reads: list[str] = []

    def read(key: str) -> dict[str, Any]:
        reads.append(key)
        return dict(full)

    reader = _Reader(_NoBillReads(), ledger, BILLS_FLOW, frozenset({2}), WORDING)
    (record,) = list(reader.replayed([uuid], read, "ML_STATUSES"))
    assert reads == [uuid]
    assert isinstance(record, Mapped) and record.body == full
    assert reader.full == {}, "nothing kept once mapped"
