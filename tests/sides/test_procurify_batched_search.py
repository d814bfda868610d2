"""Procurify's requisition target searching a chunk of claimed records at once (``find_many``): the
requisition list has no description filter (reference §2.4), so each record's search read the days since
its order's date whole; a write step's chunk now reads them once. Counted on the Procurify simulator's own
call counter over loopback HTTP: a chunk of new orders costs one list read and a create each; a requisition
made after the claim and before the batch search is adopted, not made twice; and the batch answers what
``find`` answers, record by record (two requisitions of one description left to ``find``, which refuses).
"""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import date, timedelta
from typing import Any

import pytest
from jde_procurify_parts import PURCHASE_ORDERS_FLOW, JdeOrdersInProcurify
from partition_writes import CreatedMeanwhile, write_once
from procurify_counted import Counted, procurify_fixture  # noqa: F401  (fixtures, used by name)
from sqlite_ledgers import sqlite_ledger  # noqa: F401  (the module's ledger, used by name)

from connector_assets.flows.core import Mapped
from connector_assets.procurify.vendor_list import list_pages
from connector_resources.procurify import ProcurifyResource
from connector_resources.refusals import Refused

LIST = "GET /api/v2/global/orders/"
CREATE = "POST /api/v3/requisitions/"


@pytest.fixture(autouse=True)
def _checks_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ML_JDE_PROCURIFY_DESCRIPTION_CHECK", "off")  # no read-back of the first create


def _places(resource: ProcurifyResource) -> dict[str, Any]:
    """A location, department, account code and vendor a requisition can name (by names, §2.4)."""
    with resource.session() as session:
        account = next(
            a
            for a in session.iter_all("accounts", filters={"active": True})
            if a["account_code"]["active"] and a["department"]["active"] and a["account_code"]["code"]
        )
        names = [v["name"] for v in session.iter_all("vendors") if v.get("active") and int(v["id"]) > 2]
    return {
        "location_name": account["department"]["branch"]["name"],
        "department_name": account["department"]["name"],
        "account_code": account["account_code"]["code"],
        "vendor_name": next(n for n in sorted(names) if names.count(n) == 1 and len(n) < 60),
    }


def _orders(places: dict[str, Any], count: int, since: date | None = None) -> list[Mapped]:
    tag = uuid.uuid4().hex[:6]
    records = []
    for n in range(count):
        key = f"00001:{n + 1}{tag[:2]}:OP:{tag}"
        line = {
            "item_name": f"Gloves {tag} {n}",
            "sku": f"JDE {n}{tag} line 1",
            "vendor_name": places["vendor_name"],
            "account_code": places["account_code"],
            "unit_price": "24.50",
            "quantity": "10",
            "unit": "box",
            "currency_code": "USD",
        }
        body = {
            "description": f"JDE order {n} OP {tag}",
            "required_date": "2025-03-20",
            "location_name": places["location_name"],
            "department_name": places["department_name"],
            "line_items": [line],
        }
        created = (since or date.today() - timedelta(days=3 + n % 4)).isoformat()
        natural = {"description": body["description"], "created_since": created, "linked_po": None}
        records.append(Mapped(key, body, {"order": key}, {**natural, "vendor_id": None}))
    return records


def test_a_chunk_of_new_orders_costs_one_list_read_and_a_create_each(procurify, ledger):
    resource, box = procurify
    records = _orders(_places(resource), 12)
    earliest = min(date.fromisoformat(r.natural_key["created_since"]) for r in records)
    with resource.session() as session:
        before = box.calls()
        with list_pages(session):  # the batch reads in the largest pages
            session.find_requisitions(description="none", created_since=earliest)
        pages = (box.calls() - before)[LIST]  # what one search of the chunk's days costs
        before = box.calls()
        counts = write_once(PURCHASE_ORDERS_FLOW, JdeOrdersInProcurify(session), ledger, records)
        calls = box.calls() - before
    assert counts["create"] == 12 and counts["fail"] == 0, counts
    # The days since the earliest order's, read once for the chunk: a search per record read them 12 times.
    assert calls == Counter({LIST: pages, CREATE: 12}), calls
    for record in records:
        with resource.session() as session:
            found = session.find_requisitions(
                description=record.body["description"], created_since=date(2000, 1, 1)
            )
        assert len(found) == 1, record.source_key


class _CreatedMeanwhile(CreatedMeanwhile, JdeOrdersInProcurify):
    """Someone makes one of the claimed orders' requisitions after the claims and before the batch search
    (an earlier attempt whose answer was lost)."""

    XREF = ("jde_procurify", "purchase_order", "JDE", "procurify")

    def make_elsewhere(self, body):
        self.session.create_requisition(body)


def test_a_requisition_made_between_the_claim_and_the_batch_search_is_adopted(procurify, ledger):
    resource, box = procurify
    records = _orders(_places(resource), 4)
    with resource.session() as session:
        before = box.calls()
        target = _CreatedMeanwhile(session, ledger, records[1])
        counts = write_once(PURCHASE_ORDERS_FLOW, target, ledger, records)
        calls = box.calls() - before
    assert target.claimed_first == [True]
    assert counts["create"] == 3 and counts["adopt"] == 1, counts
    assert calls[CREATE] == 4  # the meanwhile create and three of the run's
    with resource.session() as session:
        found = session.find_requisitions(
            description=records[1].body["description"], created_since=date(2000, 1, 1)
        )
    xref = ledger.get_xref("jde_procurify", "purchase_order", "JDE", records[1].source_key, "procurify")
    assert len(found) == 1 and xref.target_id == str(found[0]["uuid"])


def test_the_batch_answers_what_find_answers(procurify):
    resource, box = procurify
    places = _places(resource)
    made, twice, new = _orders(places, 3)
    later = _orders(places, 1, since=date.today() + timedelta(days=1))[0]  # made before its own day
    with resource.session() as session:
        for record in (made, twice, twice, later):
            session.create_requisition(record.body)
        target = JdeOrdersInProcurify(session)
        before = box.calls()
        answer = target.find_many([made, twice, new, later])
        assert set(box.calls() - before) == {LIST}
        assert set(answer) == {made.source_key, new.source_key}  # two of one description, and one
        # created before its record's day (within find's slack): left to find
        assert answer[new.source_key] is None
        assert answer[made.source_key] == target.find(made)
        assert target.find(new) is None
        with pytest.raises(Refused, match="2 requisitions described"):
            target.find(twice)


def test_a_step_s_later_chunks_search_the_list_its_first_chunk_read_with_the_creates_since(procurify):
    resource, box = procurify
    places = _places(resource)
    first, later = _orders(places, 3), _orders(places, 3, since=date.today())
    with resource.session() as session:
        target = JdeOrdersInProcurify(session)
        before = box.calls()
        assert set(target.find_many(first).values()) == {None}
        pages = (box.calls() - before)[LIST]
        made = target.create(later[0])
        assert target.find_many(later) == {
            later[0].source_key: made,
            **{r.source_key: None for r in later[1:]},
        }
        assert box.calls() - before == Counter({LIST: pages, CREATE: 1})  # the later chunk read nothing
        with pytest.raises(Exception):  # noqa: B017 - any failure: the create may have made one unseen
            target.create(Mapped(later[1].source_key, {}, {}, later[1].natural_key))
        assert target.listed is None  # so the next chunk reads the list again
        assert target.find_many(later[1:]) == {r.source_key: None for r in later[1:]}
        assert (box.calls() - before)[LIST] > pages
