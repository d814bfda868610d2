"""Fusion actions and optimistic locking against the sandbox pod: submitting drafts, validating invoices,
ETags with If-Match, supplier sites, and no Upsert-Mode anywhere.

What matters: a submit is never sent twice for one order (a retry after a lost answer, or after a
concurrent submit, finds the order already submitted and answers it), validation is safe to repeat,
and an update never overwrites an edit made in Fusion since the read (412: re-read, retry once, then
``FusionConflictError``). Every expectation is read back from the pod's operator routes.
"""

from __future__ import annotations

import pickle
import uuid
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from http_server import CannedResponse, RecordedRequest
from sandbox.fusion_pod import USER, VERSION
from test_fusion_client import Pod
from test_fusion_writes import LosingProxy, a_draft, an_invoice, via

from connector_resources.fusion import (
    FusionConflictError,
    FusionNotFoundError,
    InvoiceLine,
    self_link,
)
from connector_resources.fusion.session import ACTION_CONTENT_TYPE, answered_etag
from connector_sandbox.fusion.writes import VALIDATED_RESULT


class ConcurrentProxy(LosingProxy):
    """``LosingProxy`` that can also play a second writer: ``double_next_post`` forwards the next POST
    twice and answers the second answer, as if another run's identical request got there first."""

    def __init__(self, target: str) -> None:
        super().__init__(target)
        self.double_next_post = False

    def _next_response(self, request: RecordedRequest) -> CannedResponse:
        if request.method == "POST" and self.double_next_post:
            self.double_next_post = False
            super()._next_response(request)  # the other writer's request, answered to nobody
        return super()._next_response(request)


@pytest.fixture
def proxy(pod: Pod) -> Iterator[ConcurrentProxy]:
    with ConcurrentProxy(pod.base) as running:
        yield running


def new_number() -> str:
    return f"PFY-{uuid.uuid4().hex[:8].upper()}"


def stored_order(pod: Pod, header_id: int) -> dict[str, Any]:
    return pod.record("purchaseOrders", header_id)


def listed_as_draft(pod: Pod, header_id: int) -> bool:
    """Whether the pod's REST ``draftPurchaseOrders`` collection still lists the order."""
    answer = requests.get(
        f"{pod.base}/fscmRestApi/resources/{VERSION}/draftPurchaseOrders",
        params={"q": f"POHeaderId={header_id}", "onlyData": "true"},
        auth=USER,
        timeout=10,
    )
    answer.raise_for_status()
    return bool(answer.json()["items"])


def submits(proxy: ConcurrentProxy) -> list[RecordedRequest]:
    return [r for r in proxy.requests if r.method == "POST" and r.path.endswith("/action/submit")]


# -- submitting draft purchase orders ------------------------------------------------------------------


@pytest.mark.parametrize("drafts_listed_with_orders", [True, False])
def test_a_created_draft_is_submitted_and_answered_as_the_open_order(
    pod: Pod, drafts_listed_with_orders: bool
) -> None:
    pod.behaviour(drafts_in_purchase_orders=drafts_listed_with_orders)
    number = new_number()
    with pod.resource().session() as s:
        draft = s.create_draft_purchase_order(a_draft(pod, number))
        order = s.submit_draft_purchase_order(draft)
    # The number is Fusion's (OrderNumber is not sent by default: ML_FUSION_SEND_UNCONFIRMED).
    assert (
        order["POHeaderId"] == draft["POHeaderId"] and order["OrderNumber"] == draft["OrderNumber"] != number
    )
    assert order["StatusCode"] == "OPEN" == stored_order(pod, draft["POHeaderId"])["StatusCode"]
    assert "/purchaseOrders/" in (self_link(order) or "")  # re-read from the orders, not the drafts
    assert not listed_as_draft(pod, draft["POHeaderId"])


def test_a_submit_whose_answer_is_lost_is_not_sent_again(pod: Pod, proxy: ConcurrentProxy) -> None:
    with via(pod, proxy).session() as s:
        draft = s.create_draft_purchase_order(a_draft(pod, new_number()))
        proxy.lose_next_post = True
        first = s.submit_draft_purchase_order(draft)  # the pod submitted it; the answer never came
        retried = s.submit_draft_purchase_order(draft)  # what the next run does
    assert len(submits(proxy)) == 1
    assert first["StatusCode"] == retried["StatusCode"] == "OPEN"
    assert stored_order(pod, draft["POHeaderId"])["StatusCode"] == "OPEN"


def test_a_submit_refused_because_another_run_submitted_first_answers_the_order(
    pod: Pod, proxy: ConcurrentProxy
) -> None:
    with via(pod, proxy).session() as s:
        draft = s.create_draft_purchase_order(a_draft(pod, new_number()))
        proxy.double_next_post = True  # the first copy submits, ours is refused (the draft is gone)
        order = s.submit_draft_purchase_order(draft)
    assert order["POHeaderId"] == draft["POHeaderId"] and order["StatusCode"] == "OPEN"
    assert proxy.posts == 3  # the create, the other writer's submit and ours


def test_a_pod_without_status_attributes_still_submits_once(pod: Pod) -> None:
    # StatusCode / Status are unconfirmed names: without them "still listed among drafts" decides.
    hidden = {"StatusCode": "OrderStatusCode", "Status": "OrderStatus"}
    pod.behaviour(attribute_names={"purchaseOrders": hidden, "draftPurchaseOrders": hidden})
    with pod.resource().session() as s:
        draft = s.create_draft_purchase_order(a_draft(pod, new_number()))
        order = s.submit_draft_purchase_order(draft)
        again = s.submit_draft_purchase_order({"POHeaderId": draft["POHeaderId"]})
    assert order["POHeaderId"] == again["POHeaderId"] == draft["POHeaderId"]
    assert order["OrderStatusCode"] == "OPEN" and not listed_as_draft(pod, draft["POHeaderId"])
    submitted = [k for k in pod.state()["calls"] if k.startswith("POST") and k.endswith("/action/submit")]
    assert sum(pod.state()["calls"][k] for k in submitted) == 1


def test_submitting_an_unknown_order_is_not_found(pod: Pod) -> None:
    with pod.resource().session() as s, pytest.raises(FusionNotFoundError) as caught:
        s.submit_draft_purchase_order({"POHeaderId": 1, "OrderNumber": "PFY-NONE"})
    assert "PFY-NONE" in str(caught.value)


# -- validating invoices -------------------------------------------------------------------------------


def test_validation_answers_the_pods_result_and_is_safe_to_repeat(pod: Pod) -> None:
    with pod.resource().session() as s:
        balanced = s.create_invoice(an_invoice(pod))
        short = s.create_invoice(
            an_invoice(pod, amount=Decimal("200.00"), lines=(InvoiceLine(1, Decimal("150.00")),))
        )
        results = [s.validate_invoice(balanced), s.validate_invoice(balanced["InvoiceId"])]
        short_result = s.validate_invoice(short)
    # Oracle's answer is a confirmation message; the status is the invoice's.
    assert [r.result for r in results] == [VALIDATED_RESULT, VALIDATED_RESULT]
    assert all(r.status is None and not r.held for r in results)  # validation_check "result": not read
    assert pod.record("invoices", balanced["InvoiceId"])["ValidationStatus"] == "Validated"
    assert short_result.result == VALIDATED_RESULT
    assert pod.record("invoices", short["InvoiceId"])["ValidationStatus"] == "Needs revalidation"


def test_validation_names_the_invoice_as_the_action_documents_it(pod: Pod, proxy: ConcurrentProxy) -> None:
    """The documented parameters, never an id; a record without number and supplier is read first."""
    with via(pod, proxy).session() as s:
        invoice = s.create_invoice(an_invoice(pod))
        s.validate_invoice(invoice)
        s.validate_invoice(invoice["InvoiceId"])  # only the id: found first, then validated by name
    validations = [r for r in proxy.requests if r.path.endswith("/invoices/action/validateInvoice")]
    expected = {
        "InvoiceNumber": invoice["InvoiceNumber"],
        "BusinessUnit": invoice["BusinessUnit"],
        "Supplier": invoice["Supplier"],
        "ProcessAction": "Validate",
    }
    assert [r.json() for r in validations] == [expected, expected]


def test_validation_check_status_reads_the_hold_back(pod: Pod) -> None:
    with pod.resource(validation_check="status").session() as s:
        balanced = s.create_invoice(an_invoice(pod))
        short = s.create_invoice(
            an_invoice(pod, amount=Decimal("200.00"), lines=(InvoiceLine(1, Decimal("150.00")),))
        )
        good, held = s.validate_invoice(balanced), s.validate_invoice(short)
    assert (good.status, good.held) == ("Validated", False)
    assert (held.status, held.held) == ("Needs revalidation", True)


def test_a_validation_whose_answer_is_lost_is_replayed(pod: Pod, proxy: ConcurrentProxy) -> None:
    with via(pod, proxy).session() as s:
        invoice = s.create_invoice(an_invoice(pod))
        proxy.lose_next_post = True
        result = s.validate_invoice(invoice)
    validations = [r for r in proxy.requests if r.path.endswith("/invoices/action/validateInvoice")]
    assert result.result == VALIDATED_RESULT and len(validations) == 2
    assert all(r.json()["InvoiceNumber"] == invoice["InvoiceNumber"] for r in validations)


def test_actions_carry_the_action_media_type_the_pod_insists_on(
    pod: Pod, proxy: ConcurrentProxy, contract_breaches
) -> None:  # type: ignore[no-untyped-def]
    with via(pod, proxy).session() as s:
        invoice = s.create_invoice(an_invoice(pod))
        s.validate_invoice(invoice)
        s.submit_draft_purchase_order(s.create_draft_purchase_order(a_draft(pod, new_number())))
    actions = [r for r in proxy.requests if "/action/" in r.path]
    assert len(actions) == 2
    assert {r.headers["Content-Type"] for r in actions} == {ACTION_CONTENT_TYPE}
    # The same call as plain JSON is refused: the client's type is what makes the actions work.
    refused = requests.post(
        f"{pod.base}/fscmRestApi/resources/{VERSION}/invoices/action/validateInvoice",
        json={
            "InvoiceNumber": invoice["InvoiceNumber"],
            "BusinessUnit": invoice["BusinessUnit"],
            "Supplier": invoice["Supplier"],
            "ProcessAction": "Validate",
        },
        auth=USER,
        timeout=10,
    )
    assert refused.status_code == 415
    # ... by the vendor's contract, which names the header, and the client's own calls broke nothing.
    assert [(b.side, b.violation.where, b.violation.field) for b in contract_breaches.seen()] == [
        ("request", "header", "content-type")
    ]


# -- ETags and If-Match --------------------------------------------------------------------------------


def patches(proxy: ConcurrentProxy) -> list[RecordedRequest]:
    return [r for r in proxy.requests if r.method == "PATCH"]


def test_get_with_etag_reads_through_the_self_link_and_the_tag_moves_with_changes(
    pod: Pod, proxy: ConcurrentProxy
) -> None:
    with via(pod, proxy).session() as s:
        invoice = s.create_invoice(an_invoice(pod))
        record, etag = s.get_with_etag("invoices", invoice["InvoiceId"])
        s.update_invoice(record, {"Description": "changed"})
        _, newer = s.get_with_etag("invoices", record)
    item_path = urlsplit(self_link(invoice) or "").path
    assert [r.path for r in proxy.requests if r.method == "GET" and "/invoices/" in r.path][-1] == item_path
    assert record["InvoiceId"] == invoice["InvoiceId"] and etag and newer and etag != newer


def test_a_stale_etag_is_re_read_and_retried_once_with_recomputed_changes(
    pod: Pod, proxy: ConcurrentProxy
) -> None:
    with via(pod, proxy).session() as s, pod.resource().session() as buyer:
        invoice = s.create_invoice(an_invoice(pod))
        record, etag = s.get_with_etag("invoices", invoice)
        buyer.update_invoice(record, {"Description": "Edited by the buyer"})  # after our read
        seen: list[Mapping[str, Any]] = []

        def recompute(current: Mapping[str, Any]) -> dict[str, Any]:
            seen.append(current)
            return {"Description": f"{current['Description']} (PO 77)"}

        updated = s.update_with_etag(
            "invoices", record, {"Description": "Supplies (PO 77)"}, etag=etag, build_changes=recompute
        )
    assert [c["Description"] for c in seen] == ["Edited by the buyer"]
    assert updated["Description"] == "Edited by the buyer (PO 77)"
    assert pod.record("invoices", invoice["InvoiceId"])["Description"] == "Edited by the buyer (PO 77)"
    sent = patches(proxy)
    assert len(sent) == 2 and sent[0].headers["If-Match"] == etag != sent[1].headers["If-Match"]


def test_without_a_callable_the_same_changes_are_retried(pod: Pod) -> None:
    with pod.resource().session() as s:
        invoice = s.create_invoice(an_invoice(pod))
        record, etag = s.get_with_etag("invoices", invoice)
        s.update_invoice(record, {"Description": "someone else"})
        updated = s.update_with_etag("invoices", record, {"InvoiceAmount": Decimal("131.00")}, etag=etag)
        assert s.metrics.statuses[412] == 1
    stored = pod.record("invoices", invoice["InvoiceId"])
    assert updated["InvoiceAmount"] == Decimal("131.00") and stored["Description"] == "someone else"


def test_nothing_left_to_change_after_the_re_read_sends_nothing_more(
    pod: Pod, proxy: ConcurrentProxy
) -> None:
    with via(pod, proxy).session() as s:
        invoice = s.create_invoice(an_invoice(pod))
        record, etag = s.get_with_etag("invoices", invoice)
        s.update_invoice(record, {"Description": "Already right"})
        answer = s.update_with_etag(
            "invoices", record, {"Description": "Already right"}, etag=etag, build_changes=lambda _c: {}
        )
    assert answer["Description"] == "Already right" and len(patches(proxy)) == 2  # ours + the refused one


def test_a_record_that_keeps_changing_raises_a_conflict_naming_record_and_fields(pod: Pod) -> None:
    with pod.resource().session() as s, pod.resource().session() as buyer:
        invoice = s.create_invoice(an_invoice(pod))
        record, etag = s.get_with_etag("invoices", invoice)
        buyer.update_invoice(record, {"Description": "buyer, first edit"})

        def meanwhile(current: Mapping[str, Any]) -> dict[str, Any]:
            buyer.update_invoice(current, {"Description": "buyer, second edit"})  # between re-read and retry
            return {"Description": "ours", "InvoiceAmount": Decimal("140.00")}

        with pytest.raises(FusionConflictError) as caught:
            s.update_with_etag(
                "invoices", record, {"Description": "ours"}, etag=etag, build_changes=meanwhile
            )
    error = caught.value
    assert error.status == 412 and error.entity == "invoices"
    assert error.fields == ("Description", "InvoiceAmount")
    assert invoice["InvoiceNumber"] in error.record and "Description" in str(error)
    assert pickle.loads(pickle.dumps(error)).fields == error.fields  # survives Dagster's pickling
    stored = pod.record("invoices", invoice["InvoiceId"])
    assert stored["Description"] == "buyer, second edit" and stored["InvoiceAmount"] != 140


def test_an_update_without_an_etag_reads_the_current_one_first(pod: Pod, proxy: ConcurrentProxy) -> None:
    with via(pod, proxy).session() as s:
        draft = s.create_draft_purchase_order(a_draft(pod, new_number()))
        updated = s.update_with_etag(
            "draft_purchase_orders", draft["POHeaderId"], {"Description": "From Procurify PO 12"}
        )
    [sent] = patches(proxy)
    assert sent.headers["If-Match"] and updated["Description"] == "From Procurify PO 12"
    assert pod.record("purchaseOrders", draft["POHeaderId"])["Description"] == "From Procurify PO 12"


def test_a_searched_record_s_change_indicator_is_its_etag_and_an_edit_since_the_search_is_caught(
    pod: Pod, proxy: ConcurrentProxy
) -> None:
    """Oracle gives the ETag value in the body too, as the self link's ``changeIndicator``: a record found
    by a search (links kept) is updated with it, no item read first; an edit made after the search still
    meets the 412, and the record is read again before the one retry."""

    def since(first: int) -> list[RecordedRequest]:
        return [r for r in proxy.requests[first:] if "/invoices" in r.path]

    with via(pod, proxy).session() as s, pod.resource().session() as buyer:
        invoice = s.create_invoice(an_invoice(pod))
        found = s.get("invoices", invoice["InvoiceId"])  # a search by key, as an update's flow reads it
        _, header = s.get_with_etag("invoices", found)
        assert answered_etag(found) == header  # the quoted changeIndicator is the ETag header's value
        first = len(proxy.requests)
        s.update_with_etag("invoices", found, {"Description": "first update"})
        [patch] = since(first)  # nothing read before it
        assert patch.method == "PATCH" and patch.headers["If-Match"] == header
        stale = s.get("invoices", invoice["InvoiceId"])
        buyer.update_invoice(stale, {"Description": "the buyer's edit"})  # after our search
        first = len(proxy.requests)
        updated = s.update_with_etag(
            "invoices", stale, {"Description": "ours"}, build_changes=lambda fresh: {"Description": "ours"}
        )
    assert [r.method for r in since(first)] == ["PATCH", "GET", "PATCH"]  # 412, the re-read, the retry
    assert updated["Description"] == "ours" and s.metrics.statuses[412] == 1


# -- supplier sites and Upsert-Mode --------------------------------------------------------------------


def test_supplier_sites_by_id_by_staged_record_and_by_linked_record_match_the_pod(pod: Pod) -> None:
    supplier = next(
        s for s in pod.records("suppliers") if len(pod.record("suppliers", s["SupplierId"])["sites"]) > 1
    )
    expected = sorted(
        site["SupplierSiteId"] for site in pod.record("suppliers", supplier["SupplierId"])["sites"]
    )
    with pod.resource(page_size=2).session() as s:  # sites span pages
        linked = s.get("suppliers", supplier["SupplierId"])
        by_id = s.supplier_sites(str(supplier["SupplierId"]))
        by_staged = s.supplier_sites({"SupplierId": supplier["SupplierId"], "Supplier": supplier["Supplier"]})
        by_linked = s.supplier_sites(linked)
    for sites in (by_id, by_staged, by_linked):
        assert sorted(site["SupplierSiteId"] for site in sites) == expected


def test_no_request_ever_carries_upsert_mode(pod: Pod, proxy: ConcurrentProxy) -> None:
    with via(pod, proxy).session() as s:
        invoice = s.create_invoice(an_invoice(pod))
        plain = s.update_invoice(invoice, {"Description": "plain update"})
        s.update_with_etag("invoices", plain, {"Description": "locked update"})  # its answer's ETag
        s.validate_invoice(invoice)
        draft = s.create_draft_purchase_order(a_draft(pod, new_number()))
        s.update_draft_purchase_order(draft, {"Description": "draft update"})
        s.submit_draft_purchase_order(draft)
    writes = [r for r in proxy.requests if r.method in ("POST", "PATCH")]
    assert len(writes) == 7
    assert not [r for r in proxy.requests if "Upsert-Mode" in r.headers]
