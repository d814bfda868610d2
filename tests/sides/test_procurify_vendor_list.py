"""Procurify vendors read by list when that costs fewer calls than one at a time (``procurify.vendor_list``):
a suppliers write step's chunk searched in the whole list (``ProcurifyVendorTarget.find_many``, its updates
comparing with what the list read), and a bills step's unpaired vendors read ahead by list
(``ApprovedBillReader.read_vendors_ahead``). Counted on the Procurify simulator's own call counter over
loopback HTTP; every answer compared with the one-at-a-time read's.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterator

from jde_procurify_parts import ProcurifyVendors
from procurify_counted import Counted, procurify_fixture  # noqa: F401  (fixtures, used by name)
from sqlite_ledgers import sqlite_ledger  # noqa: F401  (the module's ledger, used by name)

from connector_assets.flows.core import Mapped, Unchanged
from connector_assets.procurify.approved_bill_reader import ApprovedBillReader
from connector_assets.procurify.vendor_list import LIST_PAGE_SIZE, listed_vendors
from connector_resources.procurify import ProcurifyResource

LIST = "GET /api/v3/vendors/"
BY_ID = "GET /api/v3/vendors/{id:int}/"


def _all(resource: ProcurifyResource) -> list[dict]:
    with resource.session() as session:
        return list(session.iter_all("vendors"))


def _whole_read(count: int) -> Counter[str]:
    """What the whole list costs: the count asked first, then its pages of ``LIST_PAGE_SIZE``."""
    return Counter({LIST: 1 + math.ceil(count / LIST_PAGE_SIZE)})


def _plain(vendor: dict | None) -> dict | None:
    return None if vendor is None else {k: v for k, v in vendor.items() if k != "_updated_at"}


def test_the_list_is_read_only_when_it_costs_fewer_calls_and_the_page_size_is_put_back(procurify):
    resource, box = procurify
    vendors = _all(resource)
    before = box.calls()
    with resource.session() as session:
        assert listed_vendors(session, 2) is None  # two reads by id cost less than a count and a page
        assert box.calls() == before
        size = session.page_size
        listed = listed_vendors(session, len(vendors))
        assert session.page_size == size
    assert listed is not None and set(listed) == {str(v["id"]) for v in vendors}
    assert box.calls() - before == _whole_read(len(vendors))


class _Counting:
    """A session whose server counts 250 vendors (3 pages of 100)."""

    page_size = 10

    def count(self, entity: str) -> int:
        return 250

    def iter_all(self, entity: str) -> Iterator[dict]:
        assert self.page_size == LIST_PAGE_SIZE
        yield {"id": 7}


def test_the_count_decides_whether_the_pages_cost_less_than_the_reads_one_by_one():
    assert listed_vendors(_Counting(), 4) is None  # a count and 3 pages are 4 calls: no gain
    assert listed_vendors(_Counting(), 5) == {"7": {"id": 7}}


def test_a_bills_step_reads_its_unpaired_vendors_ahead_by_list_with_the_answers_read_by_id(procurify):
    resource, box = procurify
    vendors = _all(resource)
    ids = [str(v["id"]) for v in vendors if int(v["id"]) > 2][:20]
    with resource.session() as session:
        by_id = {vendor_id: session.get("vendors", vendor_id) for vendor_id in ids}
    before = box.calls()
    with resource.session() as session:
        reader = ApprovedBillReader(session, None, None, frozenset(), None, {})  # type: ignore[arg-type]
        reader.read_vendors_ahead([*ids, ""])
        found = {vendor_id: reader.vendor(vendor_id) for vendor_id in ids}
    assert {k: _plain(v) for k, v in found.items()} == by_id
    assert box.calls() - before == _whole_read(len(vendors))  # no read by id


def test_a_run_that_read_as_many_by_id_as_the_list_costs_reads_the_list_for_its_next_day(procurify):
    resource, box = procurify
    vendors = _all(resource)
    read_before = {str(v["id"]): v for v in vendors[:2]}  # the run's earlier days, read by id
    before = box.calls()
    with resource.session() as session:
        reader = ApprovedBillReader(session, None, None, frozenset(), None, dict(read_before))  # type: ignore[arg-type]
        reader.read_vendors_ahead([str(vendors[2]["id"])])  # one vendor today: two and one make three
        reader.read_vendors_ahead([str(vendors[2]["id"])])  # read already: nothing more
    assert box.calls() - before == _whole_read(len(vendors))
    assert set(reader.vendors) == {str(v["id"]) for v in vendors}


def _record(external_id: str, key: str) -> Mapped:
    body = {"name": f"Supplier {key}", "external_id": external_id, "email": ["ap@x.example"]}
    return Mapped(source_key=key, body=body, fields={}, natural_key={"external_id": external_id})


def test_a_suppliers_chunk_is_searched_in_one_list_read_and_answers_as_each_search_would(procurify, ledger):
    resource, box = procurify
    vendors = _all(resource)
    keyed = [v for v in vendors if str(v.get("external_id") or "").strip()]
    counts = Counter(str(v["external_id"]) for v in keyed)
    unique = [v for v in keyed if counts[str(v["external_id"])] == 1][:12]
    records = [_record(str(v["external_id"]), f"9{i:04d}") for i, v in enumerate(unique)]
    records.append(_record("no-such-supplier-key", "99999"))
    with resource.session() as session:
        one_by_one = {r.source_key: ProcurifyVendors(session, ledger).find(r) for r in records}
    assert list(one_by_one.values()).count(None) == 1
    before = box.calls()
    with resource.session() as session:
        target = ProcurifyVendors(session, ledger)
        assert target.find_many(records) == one_by_one
        first = records[0]
        kept = target.update(str(one_by_one[first.source_key]), first)
    assert box.calls() - before - Counter({"PATCH /api/v3/vendors/{id:int}/": 1}) == _whole_read(
        len(vendors)
    ), "one count and the list's pages: no search and no read by id"
    assert kept is None or isinstance(kept, Unchanged)


def test_a_chunk_too_small_for_the_list_is_left_to_find(procurify, ledger):
    resource, box = procurify
    before = box.calls()
    with resource.session() as session:
        assert ProcurifyVendors(session, ledger).find_many([_record("4343", "4343")]) == {}
    assert box.calls() == before


def test_a_chunk_of_paired_suppliers_reads_the_list_once_for_its_updates(procurify, ledger):
    resource, box = procurify
    vendors = {f"8{i:04d}": str(v["id"]) for i, v in enumerate(_all(resource)[3:15])}
    for key, vendor_id in vendors.items():
        ledger.claim_xref("jde_procurify", "supplier", "JDE", key, "procurify", owner="test")
        ledger.record_target(
            "jde_procurify", "supplier", "JDE", key, "procurify", target_id=vendor_id, content_hash="h"
        )
    records = [_record(key, key) for key in vendors]
    before = box.calls()
    with resource.session() as session:
        target = ProcurifyVendors(session, ledger)
        assert target.find_many(records) == vendors
        for vendor_id in vendors.values():
            target.vendor_now(vendor_id)  # what each update compares with
    assert box.calls() - before == _whole_read(len(_all(resource))), "no read by id"
