"""The vendors of held Procurify bills, read once per run (``approved_bill_reader.bill_vendors_for_run``):
the bills mapping step maps its range day by day, and each day read the vendors its bills wait on again, in
the reader and in the held bills' check (``jde_procurify.bills.unsent_vendors``). Counted on the Procurify
simulator's own call counter over loopback HTTP.
"""

from __future__ import annotations

import uuid
from collections import Counter

from jde_procurify_parts import unsent_vendors
from procurify_counted import Counted, procurify_fixture  # noqa: F401  (fixtures, used by name)

from connector_assets.procurify.approved_bill_reader import ApprovedBillReader, bill_vendors_for_run

BY_ID = "GET /api/v3/vendors/{id:int}/"


def _reader(session, vendors) -> ApprovedBillReader:
    return ApprovedBillReader(session, None, None, frozenset(), None, vendors)


def test_a_runs_days_read_each_bill_vendor_once_and_its_held_bills_check_reads_none_again(procurify):
    resource, box = procurify
    with resource.session() as session:
        ids = [str(v["id"]) for v in session.iter_all("vendors") if int(v["id"]) > 2][:3]
    run = bill_vendors_for_run(f"run-{uuid.uuid4().hex[:8]}")
    before = box.calls()
    seen = []
    for _day in range(3):
        with resource.session() as session:
            reader = _reader(session, run)
            seen.append([reader.vendor(v) for v in ids])
            unsent_vendors(lambda: resource, run)(None, ids)
    assert seen[0] == seen[1] == seen[2] and all(seen[0])
    assert box.calls() - before == Counter({BY_ID: len(ids)})


def test_without_a_run_each_reader_and_each_check_reads_afresh(procurify):
    resource, box = procurify
    with resource.session() as session:
        vendor = next(str(v["id"]) for v in session.iter_all("vendors") if int(v["id"]) > 2)
    check = unsent_vendors(lambda: resource)  # a sweep's: each look reads Procurify as it is now
    before = box.calls()
    for _day in range(2):
        with resource.session() as session:
            _reader(session, None).vendor(vendor)
        check(None, [vendor])
    assert box.calls() - before == Counter({BY_ID: 4})
