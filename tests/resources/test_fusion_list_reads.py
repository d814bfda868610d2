"""Fusion reads by list instead of by id, on the sandbox pod over loopback, calls counted by the pod:

- suppliers and their sites (``SupplierSites.read_many``: ``SupplierId in (...)`` with ``expand=sites``) in
  one query, kept for the run (``suppliers_for_run``), answering what a supplier and a sites read each did;
- the orders and drafts a chunk of fingerprinted purchase orders is matched against
  (``FusionPurchaseOrders.find_many``) in one query each, answering what ``_fingerprinted`` answers;
- a draft submitted by a write target (``read_back=False``): its create and its submit, nothing read;
- the Fusion numbers of the orders a day's invoices bill (``read_order_numbers``) in one list, kept for the
  run (``orders_for_run``);
- a chunk's invoices (``find_invoices``) in one query, answering what ``find_invoice`` answers, and the
  invoice target's ``create`` using it instead of its own search;
- a draft the session just created, submitted without reading it back first;
- supplier names looked up in the supplier list once a name without an exact match had it read, the
  list shared by the replays of one replay run (``list_of_replays``).

What a batch cannot settle (shared keys, several matches) is left to the one-record search, as before.
"""

from __future__ import annotations

import uuid
from typing import Any

from test_fusion_client import Pod
from test_fusion_writes import a_draft

from connector_assets.flows.core import Mapped
from connector_assets.fusion.invoice_target import FusionInvoices
from connector_assets.fusion.order_target import (
    FusionPurchaseOrders,
    order_number_of,
    orders_for_run,
    read_order_numbers,
)
from connector_assets.fusion.supplier_names import SupplierNames, list_of_replays
from connector_assets.fusion.supplier_sites import SupplierSites, suppliers_for_run
from connector_resources.fusion.key_batches import find_invoices


def _sites_reads(pod: Pod) -> int:
    calls = pod.state()["calls"]
    return sum(n for k, n in calls.items() if k.startswith("GET ") and k.endswith("/sites"))


def test_suppliers_and_their_sites_are_read_in_one_list_and_kept_for_the_run(pod: Pod) -> None:
    ids = [str(s["SupplierId"]) for s in pod.records("suppliers")[:4]]
    missing = f"{max(int(i) for i in ids)}999"
    with pod.resource(page_size=50).session() as session:
        one_by_one = SupplierSites(session)
        expected = {i: one_by_one.supplier(i) for i in [*ids, missing]}
        before = pod.rest_gets("suppliers"), _sites_reads(pod)
        run = suppliers_for_run(f"run-{uuid.uuid4().hex}")
        listed = SupplierSites(session, run)
        listed.read_many([*ids, missing, ids[0]])
        after_list = pod.rest_gets("suppliers"), _sites_reads(pod)
        answers = {i: listed.supplier(i) for i in [*ids, missing]}
        SupplierSites(session, run).read_many(ids)  # another day's step of the run: read already
        after = pod.rest_gets("suppliers"), _sites_reads(pod)
    assert (after_list[0] - before[0], after_list[1] - before[1]) == (1, 0)
    assert after == after_list
    assert answers[missing] == (None, [])
    for i in ids:
        record, sites = answers[i]
        assert record is not None and record["SupplierId"] == expected[i][0]["SupplierId"]
        assert [s["SupplierSiteId"] for s in sites] == [s["SupplierSiteId"] for s in expected[i][1]]


def _order_record(session: Any, token: str, order: dict[str, Any], *, price_delta: int = 0) -> Mapped:
    lines = list(session.iter_children("purchase_orders", order, "lines"))
    body = {
        "Supplier": order["Supplier"],
        "SupplierSite": order["SupplierSite"],
        "CurrencyCode": order.get("CurrencyCode"),
        "lines": [
            {
                "LineNumber": line["LineNumber"],
                "Quantity": str(line["Quantity"]),
                "Price": str(line["Price"] + price_delta),
                "Description": line.get("Description"),
            }
            for line in lines
        ],
    }
    return Mapped(token, body, {}, {"business_unit": order["ProcurementBU"], "order_number": token})


def test_a_chunk_of_fingerprinted_orders_is_matched_against_one_list_of_its_suppliers_orders(
    pod: Pod,
) -> None:
    orders = [o for o in pod.records("purchaseOrders") if o.get("Supplier") and o.get("SupplierSite")]
    by_site: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for o in orders:
        by_site.setdefault((o["Supplier"], o["SupplierSite"], o["ProcurementBU"]), []).append(o)
    alone = [group[0] for group in by_site.values() if len(group) == 1]
    fourth = alone[3]
    with pod.resource(page_size=500).session() as session:
        found = [session.search("purchase_orders", {"POHeaderId": o["POHeaderId"]})[0] for o in alone[:3]]
        records = [_order_record(session, f"known-{n}", o) for n, o in enumerate(found)]
        records.append(_order_record(session, "repriced", found[0], price_delta=1))  # same site as known-0
        records.append(_order_record(session, "twin", found[0]))  # known-0's very lines: both match it
        other = session.search("purchase_orders", {"POHeaderId": fourth["POHeaderId"]})[0]
        records.append(_order_record(session, "changed", other, price_delta=7))
        target = FusionPurchaseOrders(session)
        expected = {r.source_key: target._fingerprinted(r) for r in records}
        before = pod.rest_gets("purchaseOrders"), pod.rest_gets("draftPurchaseOrders"), _line_reads(pod)
        answer = target.find_many(records)
        after = pod.rest_gets("purchaseOrders"), pod.rest_gets("draftPurchaseOrders"), _line_reads(pod)
    assert (after[0] - before[0], after[1] - before[1], after[2] - before[2]) == (1, 1, 0)
    # The list is read before any of the chunk is created: a record sharing a site is settled from it too
    # (repriced: no match); an order two records both match is left to each one's own search (ambiguous).
    assert set(answer) == {"known-1", "known-2", "repriced", "changed"}
    assert answer == {key: expected[key] for key in answer}
    assert answer["known-1"] == str(found[1]["POHeaderId"]) and answer["changed"] is None
    assert answer["repriced"] is None


def _line_reads(pod: Pod) -> int:
    calls = pod.state()["calls"]
    return sum(n for k, n in calls.items() if k.startswith("GET ") and k.endswith("/lines"))


def test_a_chunk_of_invoices_is_searched_in_one_list_and_create_uses_it(pod: Pod) -> None:
    invoices = [i for i in pod.records("invoices") if i.get("InvoiceNumber") and i.get("Supplier")]
    tag = uuid.uuid4().hex[:8].upper()
    known = invoices[:3]
    keys = {
        **{
            f"known-{n}": (i["InvoiceNumber"], i["Supplier"], i.get("BusinessUnit"))
            for n, i in enumerate(known)
        },
        "other-supplier": (known[0]["InvoiceNumber"], f"{known[0]['Supplier']} Two", None),
        "new": (f"INV-{tag}", known[0]["Supplier"], None),
        "twin-a": (f"TW-{tag}", known[0]["Supplier"], None),  # one number and supplier twice: left out
        "twin-b": (f"TW-{tag}", known[0]["Supplier"], None),
    }
    with pod.resource(page_size=50).session() as session:
        before = pod.rest_gets("invoices")
        answer = find_invoices(session, keys)
        after = pod.rest_gets("invoices")
        expected = {
            token: session.find_invoice(number, supplier, business_unit=unit)
            for token, (number, supplier, unit) in keys.items()
            if not token.startswith("twin")
        }
        with pod.resource(framework_version=1).session() as version_1:
            assert find_invoices(version_1, keys) == {}
        target = FusionInvoices(session, None, None, None)
        body = {"InvoiceNumber": f"INV-{tag}", "Supplier": known[0]["Supplier"]}
        record = Mapped("new", body, {}, {})
        assert target.find_many([record]) == {}
        searched = pod.rest_gets("invoices")
        assert target._search(record, ahead=True) is None  # the chunk's answer, no search of its own
        assert pod.rest_gets("invoices") == searched
        assert target._search(record, ahead=True) is None  # used once: searched again
        assert pod.rest_gets("invoices") == searched + 1
    assert after - before == 1
    assert set(answer) == set(expected)
    ids = {token: row and row["InvoiceId"] for token, row in answer.items()}
    assert ids == {token: row and row["InvoiceId"] for token, row in expected.items()}
    assert [ids[f"known-{n}"] for n in range(3)] == [i["InvoiceId"] for i in known]


def test_a_draft_the_session_created_is_submitted_without_reading_it_back_first(pod: Pod) -> None:
    with pod.resource().session() as session:
        draft = session.create_draft_purchase_order(a_draft(pod, f"PFY-{uuid.uuid4().hex[:8].upper()}"))
        before = pod.rest_gets("draftPurchaseOrders"), pod.rest_gets("purchaseOrders")
        order = session.submit_draft_purchase_order(draft)
        after = pod.rest_gets("draftPurchaseOrders"), pod.rest_gets("purchaseOrders")
        again = session.submit_draft_purchase_order(draft)  # read back now: already submitted, not resent
    assert (after[0] - before[0], after[1] - before[1]) == (0, 1)  # the order read once submitted
    assert order["POHeaderId"] == again["POHeaderId"] == draft["POHeaderId"]
    assert order["StatusCode"] == again["StatusCode"] == "OPEN"
    submits = [k for k in pod.state()["calls"] if k.startswith("POST") and k.endswith("/action/submit")]
    assert sum(pod.state()["calls"][k] for k in submits) == 1


def test_a_submit_not_read_back_is_two_calls_an_order_and_leaves_it_open(pod: Pod) -> None:
    """What a write target sends (``read_back=False``): the create and the submit, nothing read; the order is
    submitted all the same, and its status is left out of the answer rather than the draft's given."""
    with pod.resource().session() as session:
        before = pod.rest_gets("draftPurchaseOrders"), pod.rest_gets("purchaseOrders")
        draft = session.create_draft_purchase_order(a_draft(pod, f"PFY-{uuid.uuid4().hex[:8].upper()}"))
        answer = session.submit_draft_purchase_order(draft, read_back=False)
        after = pod.rest_gets("draftPurchaseOrders"), pod.rest_gets("purchaseOrders")
    assert after == before
    assert answer["POHeaderId"] == draft["POHeaderId"] and answer["_submit_result"] == "SUCCESS"
    assert "StatusCode" not in answer and "links" not in answer
    assert pod.record("purchaseOrders", draft["POHeaderId"])["StatusCode"] == "OPEN"
    submits = [k for k in pod.state()["calls"] if k.startswith("POST") and k.endswith("/action/submit")]
    assert sum(pod.state()["calls"][k] for k in submits) == 1


def test_invoiced_orders_numbers_are_read_in_one_list_and_kept_for_the_run(pod: Pod) -> None:
    """``read_order_numbers``: the orders (and a draft the orders do not list) by ``POHeaderId in (...)``,
    answering what ``order_number_of`` reads one by one; a number the run knows is not read again."""
    pod.behaviour(drafts_in_purchase_orders=False)
    orders = [o for o in pod.records("purchaseOrders") if o.get("OrderNumber")][:3]
    with pod.resource().session() as session:
        draft = session.create_draft_purchase_order(a_draft(pod, f"PFY-{uuid.uuid4().hex[:8].upper()}"))
        ids = [str(o["POHeaderId"]) for o in orders] + [str(draft["POHeaderId"])]
        expected = {i: order_number_of(session, i) for i in ids}
        before = pod.rest_gets("purchaseOrders"), pod.rest_gets("draftPurchaseOrders")
        known = orders_for_run(f"run-{uuid.uuid4().hex}")
        read_order_numbers(session, [*ids, ids[0]], known)
        listed = pod.rest_gets("purchaseOrders"), pod.rest_gets("draftPurchaseOrders")
        again = {i: order_number_of(session, i, known) for i in ids}
        after = pod.rest_gets("purchaseOrders"), pod.rest_gets("draftPurchaseOrders")
    assert (listed[0] - before[0], listed[1] - before[1]) == (1, 1)  # the orders, then the draft left
    assert after == listed and known == expected == again
    assert expected[str(draft["POHeaderId"])][0] == draft["OrderNumber"]


def test_once_the_supplier_list_is_read_names_are_looked_up_in_it_not_searched(pod: Pod) -> None:
    names = [s["Supplier"] for s in pod.records("suppliers")[:5]]
    asked = [f"{names[0]}  ".upper(), *names, "No Such Supplier Ltd"]
    with pod.resource(page_size=500).session() as session:
        expected = [[s["SupplierId"] for s in SupplierNames(session).candidates(n)] for n in asked]
        before = pod.rest_gets("suppliers")
        names_of_run = SupplierNames(session)
        answers = [[s["SupplierId"] for s in names_of_run.candidates(n)] for n in asked]
        after = pod.rest_gets("suppliers")
    assert answers == expected
    assert (names_of_run.exact_searches, names_of_run.whole_reads) == (1, 1)
    assert after - before == 2  # the first name's search and the whole list, one page


def test_the_replays_of_one_run_share_the_supplier_list(pod: Pod) -> None:
    name = f"{pod.records('suppliers')[0]['Supplier']}  ".upper()  # no exact match: the list is read
    resource = pod.resource(page_size=500)
    before = pod.rest_gets("suppliers")
    for _replay in range(3):  # each replay remaps one vendor on a session of its own
        with resource.session() as session:
            found = SupplierNames(session, list_of_replays(resource)).candidates(name)
        assert len(found) == 1
    assert pod.rest_gets("suppliers") - before == 2  # the first replay's search and the list
    with pod.resource(page_size=500).session() as session:  # another run's resources: read again
        SupplierNames(session, list_of_replays(object())).candidates(name)
    assert pod.rest_gets("suppliers") - before == 4
