"""What mapping orders to Procurify requisitions reads (``procurify.order_lookups``), counted on the Procurify
simulator's own call counter over loopback HTTP: a run's days share the departments and each vendor read
(a backfill read them again every day), a day naming more vendors than the vendor list has pages reads the
list once instead of two calls a vendor, with the same answers, and a day naming few reads them by id.
"""

from __future__ import annotations

import math
import uuid
from collections import Counter

from procurify_counted import PAGE, Counted, procurify_fixture  # noqa: F401  (fixtures, used by name)

from connector_assets.flows.target_boundary import UNWRAPPED
from connector_assets.integrations.jde_procurify.departments import ProcurifyDepartments
from connector_assets.procurify.order_lookups import ProcurifyLookups, reads_for_run
from connector_resources.procurify import ProcurifyResource


def _lookups(session, run_id: str | None) -> ProcurifyLookups:
    return ProcurifyLookups(session, ProcurifyDepartments.read, UNWRAPPED, reads_for_run(run_id))


def _vendor_ids(resource: ProcurifyResource) -> list[str]:
    with resource.session() as session:
        return [str(v["id"]) for v in session.iter_all("vendors") if int(v["id"]) > 2]


def test_a_runs_days_share_the_departments_and_each_vendor_read(procurify):
    resource, box = procurify
    vendor = _vendor_ids(resource)[0]
    run_id = f"run-{uuid.uuid4().hex[:8]}"
    before = box.calls()
    answers, directories = [], []
    for _day in range(3):  # three days of one backfill, each its own session
        with resource.session() as session:
            lookups = _lookups(session, run_id)
            lookups.read_ahead([vendor])  # one vendor: read by id, no count asked
            directories.append(lookups.departments)
            answers.append(lookups.vendor_name(vendor, "JDE supplier 1"))
    calls = box.calls() - before
    assert answers[0] == answers[1] == answers[2] and directories[0] is directories[1] is directories[2]
    assert calls == Counter(
        {"GET /api/v3/departments/": 1, "GET /api/v3/vendors/{id:int}/": 1, "GET /api/v3/vendors/": 1}
    ), calls


def test_a_day_naming_more_vendors_than_the_list_has_pages_reads_the_list_once_same_answers(procurify):
    resource, box = procurify
    ids = _vendor_ids(resource)
    with resource.session() as session:
        pages = math.ceil(session.count("vendors") / PAGE)
    named = ids[: pages // 2 + 1]  # two calls each by id: more than the list's pages
    with resource.session() as session:
        alone = _lookups(session, None)
        expected = {v: alone.vendor_name(v, f"JDE supplier {v}") for v in named}
        lookups = _lookups(session, f"run-{uuid.uuid4().hex[:8]}")
        before = box.calls()
        lookups.read_ahead(named)
        answers = {v: lookups.vendor_name(v, f"JDE supplier {v}") for v in named}
        calls = box.calls() - before
    assert answers == expected
    # One count (a page of one row) and the list's pages, where by id it was 2 calls a vendor.
    assert calls == Counter({"GET /api/v3/vendors/": 1 + pages}), calls
    assert 1 + pages < 2 * len(named)


def test_a_day_naming_few_vendors_reads_them_by_id(procurify):
    resource, box = procurify
    named = _vendor_ids(resource)[:2]
    with resource.session() as session:
        lookups = _lookups(session, f"run-{uuid.uuid4().hex[:8]}")
        before = box.calls()
        lookups.read_ahead(named)
        for vendor in named:
            lookups.vendor_name(vendor, "JDE supplier 1")
        calls = box.calls() - before
    # The count (one call) says the list has more pages than two vendors cost by id.
    assert calls == Counter({"GET /api/v3/vendors/": 1 + 2, "GET /api/v3/vendors/{id:int}/": 2}), calls
