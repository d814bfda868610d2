"""Coupa's write targets searching a chunk of claimed records at once (``find_many``, Coupa's ``[in]``
operator), counted on the Coupa simulator's own request log: a write step's chunk of new suppliers costs
one search per natural key (number, tax id, name) and one create each, a chunk of new purchase orders one
search and one create each; a supplier created in Coupa after the claim and before the batch search is
adopted, not created a second time; and the batch answers what ``find`` answers, record by record.
"""

from __future__ import annotations

import math
import uuid
from collections import Counter
from collections.abc import Iterator

import pytest
import requests
from coupa_support import CoupaBox, coupa
from jde_coupa_parts import INVOICES_FLOW, PURCHASE_ORDERS_FLOW, SUPPLIERS_FLOW
from partition_writes import CreatedMeanwhile, write_once
from request_log import RequestLog
from sqlite_ledgers import sqlite_ledger  # noqa: F401  (the module's ledger, used by name)

from connector_assets.coupa.targets import CoupaInvoices, CoupaPurchaseOrders, CoupaSuppliers
from connector_assets.flows.core import Mapped
from connector_resources.coupa import CoupaResource, forget_tokens
from connector_sandbox.coupa import CoupaSandboxSettings, create_app
from connector_sandbox.serve import serve_in_thread

CHUNK = 50  # a write step's claims ahead (``ML_LEDGER_RECORD_BATCH``'s default)


@pytest.fixture(scope="module")
def coupa_log() -> Iterator[tuple[CoupaResource, RequestLog, str]]:
    settings = CoupaSandboxSettings(scale=0.1)
    log = RequestLog(create_app(settings))
    url, stop = serve_in_thread(log, host=settings.host, port=0)
    requests.post(f"{url}/sandbox/faults", json={"rate_limit_enabled": False}, timeout=10).raise_for_status()
    forget_tokens()
    try:
        yield coupa(CoupaBox(url)), log, url
    finally:
        stop()
        forget_tokens()


def _supplier(number: str, name: str, tax_id: str | None) -> Mapped:
    body = {"name": name, "number": number, "tax-id": tax_id, "status": "active"}
    fields = {"supplier_number": number, "name": name, "tax_id": tax_id}
    return Mapped(number, body, fields, {"number": number, "tax_id": tax_id, "name": name})


def _new_suppliers(count: int) -> list[Mapped]:
    tag = uuid.uuid4().hex[:8]
    return [_supplier(f"{tag}{n}", f"Batch Supply {tag} {n}", f"TX-{tag}-{n}") for n in range(count)]


def _calls(log: RequestLog, path: str) -> Counter[str]:
    return Counter(e.method for e in log.entries_all() if e.path == path)


def test_a_chunk_of_new_suppliers_costs_a_search_per_key_and_a_create_each(coupa_log, ledger):
    resource, log, _ = coupa_log
    records = _new_suppliers(60)
    with resource.session(flow="suppliers") as session:
        log.clear()
        counts = write_once(SUPPLIERS_FLOW, CoupaSuppliers(session), ledger, records)
    assert counts["create"] == 60 and counts["fail"] == 0
    calls = _calls(log, "/api/suppliers")
    # Chunks of 50 and 10, each searched by number, tax id and name: 6 searches, where one search per
    # record and key was 180 (3 per new supplier).
    assert calls == Counter({"GET": 3 * math.ceil(60 / CHUNK), "POST": 60})
    posted = Counter(e.body["number"] for e in log.entries("POST", "/api/suppliers") if e.ok)
    assert posted == Counter({r.source_key: 1 for r in records})


class _CreatedMeanwhile(CreatedMeanwhile, CoupaSuppliers):
    """Someone creates one of the claimed suppliers in Coupa after the write step's claims and before its
    batch search (a user, or an earlier attempt whose answer was lost)."""

    XREF = ("jde_coupa", "supplier", "JDE", "coupa")

    def make_elsewhere(self, body):
        self.session.create_supplier(body)


def test_a_supplier_created_between_the_claim_and_the_batch_search_is_adopted(coupa_log, ledger):
    resource, log, url = coupa_log
    records = _new_suppliers(5)
    with resource.session(flow="suppliers") as session:
        log.clear()
        target = _CreatedMeanwhile(session, ledger, records[2])
        counts = write_once(SUPPLIERS_FLOW, target, ledger, records)
    assert target.claimed_first == [True]
    assert counts["create"] == 4 and counts["adopt"] == 1
    posted = Counter(e.body["number"] for e in log.entries("POST", "/api/suppliers") if e.ok)
    assert posted == Counter({r.source_key: 1 for r in records})  # the meanwhile create is the only one
    xref = ledger.get_xref("jde_coupa", "supplier", "JDE", records[2].source_key, "coupa")
    in_coupa = [s for s in _records(url, "suppliers") if s["number"] == records[2].source_key]
    assert len(in_coupa) == 1 and xref.target_id == str(in_coupa[0]["id"])


def _records(url: str, resource: str) -> list[dict]:
    page = requests.get(f"{url}/sandbox/records/{resource}", params={"limit": 5000}, timeout=30).json()
    return page["records"]


def test_a_chunk_of_new_orders_costs_one_search_and_a_create_each(coupa_log, ledger):
    resource, log, url = coupa_log
    supplier = next(s for s in _records(url, "suppliers") if s.get("number") and s.get("status") == "active")
    account = next(a for a in _records(url, "accounts") if a.get("code") and a.get("active", True))
    tag = uuid.uuid4().hex[:6]
    records = []
    for n in range(20):
        number = f"B{tag}-{n}"
        line = {"line-num": 1, "description": "batch", "quantity": "1", "price": "10.00"}
        body = {
            "po-number": number,
            "supplier": {"number": supplier["number"]},
            "currency": {"code": "USD"},
            "order-lines": [{**line, "account": {"code": account["code"]}}],
        }
        records.append(Mapped(number, body, {"po_number": number}, {"po_number": number}))
    with resource.session(flow="purchase_orders") as session:
        log.clear()
        counts = write_once(PURCHASE_ORDERS_FLOW, CoupaPurchaseOrders(session), ledger, records)
    assert counts["create"] == 20, counts
    assert _calls(log, "/api/purchase_orders") == Counter({"GET": 1, "POST": 20})


def _batch_then_alone(resource, log: RequestLog, target_class, records: list[Mapped]):
    """``find_many`` of ``records``, the searches it cost (GETs of the target's collection), and what
    ``find`` answers for each record alone."""
    flow = target_class.session_options["flow"]
    with resource.session(flow=flow) as session:
        target = target_class(session)
        log.clear()
        answer = target.find_many(records)
        searches = len(log.entries("GET", f"/api/{flow}"))
        expected = {r.source_key: target.find(r) for r in records}
    return answer, searches, expected


def test_the_batch_answers_what_find_answers(coupa_log):
    resource, log, url = coupa_log
    seeded = [s for s in _records(url, "suppliers") if s.get("number")][:6]
    by_tax = next(s for s in seeded if s.get("tax-id"))
    tag = uuid.uuid4().hex[:6]
    records = [
        *(_supplier(s["number"], f"Renamed {tag} {n}", None) for n, s in enumerate(seeded[:3])),
        _supplier(f"T{tag}", f"Other {tag}", by_tax["tax-id"].lower()),  # its tax id, another case
        _supplier(f"N{tag}", " ".join(seeded[4]["name"].upper().split()), None),  # its name
        _supplier(f"C{tag}", f"Comma, {tag} Inc.", None),  # no match; searched alone by name
        _supplier(f"D{tag}a", f"Twin {tag}", None),  # two records of one name: left to find
        _supplier(f"D{tag}b", f"twin {tag}", None),
        _supplier(f"X{tag}", f"Nobody {tag}", f"TX-{tag}"),
    ]
    answer, searches, expected = _batch_then_alone(resource, log, CoupaSuppliers, records)
    assert searches == 4  # number, tax id, name in [in] queries; the name with a comma alone
    assert set(answer) == {r.source_key for r in records} - {f"D{tag}a", f"D{tag}b"}
    assert answer == {k: v for k, v in expected.items() if k in answer}
    assert answer[f"T{tag}"] == str(by_tax["id"]) and answer[f"N{tag}"] == str(seeded[4]["id"])
    assert answer[f"X{tag}"] is None and answer[f"C{tag}"] is None


def _invoice(token: str, number: str, supplier: dict) -> Mapped:
    body = {"invoice-number": number, "supplier": supplier}
    return Mapped(token, body, {"invoice_number": number}, {"invoice_number": number, "supplier": supplier})


def test_the_invoice_batch_answers_what_find_answers_in_one_search(coupa_log):
    resource, log, url = coupa_log
    invoices = [i for i in _records(url, "invoices") if i.get("invoice-number") and i.get("supplier")]
    suppliers = {s["id"]: s for s in _records(url, "suppliers") if s.get("number") and s.get("name")}
    known, second = [i for i in invoices if i["supplier"].get("id") in suppliers][:2]
    owner = suppliers[known["supplier"]["id"]]
    named = suppliers[second["supplier"]["id"]]["name"].upper()
    other = next(s for s in suppliers.values() if s["id"] != owner["id"])
    number = known["invoice-number"]
    tag = uuid.uuid4().hex[:6]
    records = [
        _invoice("found", number, {"number": owner["number"]}),  # Coupa's invoice of that supplier
        _invoice("elsewhere", number, {"number": other["number"]}),  # the number, another supplier's
        _invoice("by-name", second["invoice-number"], {"name": named}),  # its case differs: left to find
        _invoice("new", f"N{tag}", {"number": owner["number"]}),
        _invoice("comma", f"C,{tag}", {"number": owner["number"]}),  # searched alone by find
        _invoice("twin-a", f"T{tag}", {"number": owner["number"]}),  # one key twice: left to find
        _invoice("twin-b", f"T{tag}", {"number": owner["number"]}),
    ]
    answer, searches, expected = _batch_then_alone(resource, log, CoupaInvoices, records)
    assert searches == 1
    assert answer == {"found": str(known["id"]), "elsewhere": expected["elsewhere"], "new": None}
    assert answer == {k: v for k, v in expected.items() if k in answer}
    assert expected["by-name"] == str(second["id"]) and expected["comma"] is None


def test_invoices_the_batch_leaves_open_are_searched_alone_when_written(coupa_log, ledger):
    resource, log, url = coupa_log
    supplier = next(s for s in _records(url, "suppliers") if s.get("number") and s.get("status") == "active")
    tag = uuid.uuid4().hex[:6]
    records = [_invoice(f"V{tag}-{n}", f"I{tag}-{n}", {"number": supplier["number"]}) for n in range(4)]
    records.append(_invoice(f"V{tag}-c", f"I{tag},c", {"number": supplier["number"]}))

    class Created(CoupaInvoices):
        created: list[str] = []

        def create(self, record: Mapped) -> str:  # no POST: what is counted is the searches
            self.created.append(record.source_key)
            return str(1_000_000 + len(self.created))

    with resource.session(flow="invoices") as session:
        log.clear()
        counts = write_once(INVOICES_FLOW, Created(session), ledger, records)
    assert counts["create"] == 5, counts
    assert Created.created == [r.source_key for r in records]
    # The four in one [in] query; the number with a comma alone, by find: 2 searches where one a record
    # was 5.
    assert len(log.entries("GET", "/api/invoices")) == 2
