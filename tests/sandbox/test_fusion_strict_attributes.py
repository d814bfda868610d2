"""The Fusion sandbox refuses, on every create, an attribute the real API refuses (reference
2.10: "unknown attribute ... read-only attribute in payload" -> 400; 2.6 FAQ and quirk 8: status and WHO
columns cannot be set) at any depth, before any other check: each body below is also wrong elsewhere (an
unknown supplier), and the answer must still name the attribute."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from .fusion_pod import Pod
from .test_fusion_pod_writes import _draft, invoice_payload, patch, post
from .test_fusion_sandbox import self_href

Body = dict[str, Any]


@pytest.fixture(scope="module")
def open_order(pod: Pod) -> dict[str, Any]:
    """An open USD order with its lines and charge accounts (what the bodies are built from)."""
    query = "StatusCode=OPEN;CurrencyCode=USD"
    return pod.ok("purchaseOrders", q=query, expand="lines.schedules.distributions", limit=1)["items"][0]


def _also_wrong(body: Body) -> Body:
    """Something else wrong in the body, which the attribute refusal must come before."""
    return {**body, "Supplier": "Nobody Inc."}


def _set(path: tuple[Any, ...], name: str, value: Any) -> Callable[[Body], Body]:
    def change(body: Body) -> Body:
        body = copy.deepcopy(body)
        node: Any = body
        for step in path:
            node = node[step]
        node[name] = value
        return body

    return change


DRAFT_CASES = [
    ((), "OrderNumber", "PFY1", "Attribute OrderNumber in Draft Purchase Orders is read only"),
    ((), "POHeaderId", 1, "Attribute POHeaderId in Draft Purchase Orders is read only"),
    ((), "CreatedBy", "me", "Attribute CreatedBy in Draft Purchase Orders is read only"),
    ((), "Colour", "red", "The attribute Colour is not valid for the resource draftPurchaseOrders"),
    (("lines", 0), "Colour", "red", "The attribute Colour is not valid for the resource lines"),
    (("lines", 0), "POLineId", 1, "Attribute POLineId in Lines is read only"),
    (("lines", 0), "Quantity", "many", "attribute Quantity in Lines is not valid"),
    (("lines", 1, "schedules", 0), "Colour", "red", "not valid for the resource schedules"),
]

INVOICE_CASES = [
    ((), "ValidationStatus", "Validated", "Attribute ValidationStatus in Invoices is read only"),
    ((), "Colour", "red", "The attribute Colour is not valid for the resource invoices"),
    (("invoiceLines", 0), "Colour", "red", "The attribute Colour is not valid for the resource invoiceLines"),
    (("invoiceLines", 0), "LineAmount", "lots", "attribute LineAmount in Invoice Lines is not valid"),
    (
        ("invoiceLines", 1, "invoiceDistributions", 0),
        "Description",
        "Freight",
        "The attribute Description is not valid for the resource invoiceDistributions",
    ),
    (
        ("invoiceLines", 1, "invoiceDistributions", 0),
        "InvoiceDistributionId",
        1,
        "Attribute InvoiceDistributionId in Invoice Distributions is read only",
    ),
]


# Each case with the resource it is posted to and how its body is built from the open order.
REFUSED = [("draftPurchaseOrders", _draft, *case) for case in DRAFT_CASES] + [
    ("invoices", invoice_payload, *case) for case in INVOICE_CASES
]


def _ids(cases: list[tuple[Any, ...]]) -> list[str]:
    return [f"{resource}:" + ".".join(map(str, (*path, name))) for resource, _, path, name, _, _ in cases]


@pytest.mark.parametrize(
    ("resource", "body_of", "path", "name", "value", "message"), REFUSED, ids=_ids(REFUSED)
)
def test_a_draft_order_or_invoice_with_a_refused_attribute_at_any_depth_is_400_naming_it(
    pod: Pod,
    open_order: dict[str, Any],
    resource: str,
    body_of: Callable[[dict[str, Any]], Body],
    path: tuple[Any, ...],
    name: str,
    value: Any,
    message: str,
    behind_the_contract: Any,
) -> None:
    body = _also_wrong(_set(path, name, value)(body_of(open_order)))
    response = post(pod, resource, body)
    assert response.status_code == 400 and message in response.text, response.text


def test_order_number_is_settable_only_in_the_other_reading(pod: Pod, open_order: dict[str, Any]) -> None:
    """Default: read only (Fusion numbers the order). ``order_number_writable``: the client's number."""
    refused = post(pod, "draftPurchaseOrders", _draft(open_order, "PFY-READ-ONLY"))
    assert refused.status_code == 400 and "OrderNumber" in refused.text
    numbered = post(pod, "draftPurchaseOrders", _draft(open_order))
    assert numbered.status_code == 201 and numbered.json()["OrderNumber"], numbered.text
    pod.set("behaviour", order_number_writable=True)
    kept = post(pod, "draftPurchaseOrders", _draft(open_order, "PFY-WRITABLE"))
    assert kept.status_code == 201 and kept.json()["OrderNumber"] == "PFY-WRITABLE", kept.text


def test_updates_and_child_creates_refuse_them_too(
    pod: Pod, open_order: dict[str, Any], behind_the_contract: Any
) -> None:
    """PATCHes and child POSTs are screened like creates: the refusal names the attribute whatever else
    in the body is wrong (a value no check would take), and nothing changes."""
    invoice = post(pod, "invoices", invoice_payload(open_order)).json()
    href = self_href(invoice)
    draft = post(pod, "draftPurchaseOrders", _draft(open_order)).json()
    lines_href = f"{href}/child/invoiceLines"
    line_href = self_href(invoice["invoiceLines"][0])
    cases = [
        (patch, href, {"Colour": "red"}, "The attribute Colour is not valid for the resource invoices"),
        (
            patch,
            href,
            {"ValidationStatus": "Validated"},
            "Attribute ValidationStatus in Invoices is read only",
        ),
        (
            patch,
            line_href,
            {"Colour": "red"},
            "The attribute Colour is not valid for the resource invoiceLines",
        ),
        (
            post,
            lines_href,
            {"LineNumber": 9, "LineType": "Item", "invoiceDistributions": [{"Colour": "red"}]},
            "The attribute Colour is not valid for the resource invoiceDistributions",
        ),
        (patch, self_href(draft), {"Colour": "red"}, "The attribute Colour is not valid for the resource"),
        (patch, self_href(draft), {"OrderNumber": "PFY9"}, "Attribute OrderNumber in Draft Purchase Orders"),
    ]
    for send, url, body, message in cases:
        response = send(pod, url, {**body, "InvoiceAmount": "not a number"} if send is patch else body)
        assert response.status_code == 400 and message in response.text, (url, body, response.text)
    assert pod.ok(href)["ValidationStatus"] == invoice["ValidationStatus"]
    assert len(pod.ok(lines_href)["items"]) == len(invoice["invoiceLines"])
