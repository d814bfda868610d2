"""The Oracle Fusion sandbox pod, write side: invoice creation with validation, updates with ETags,
custom actions, draft purchase orders, and the error body variants.

Payloads are built from what the pod itself serves (a real open order, its supplier, site, business
unit and charge account), so a payload is valid by construction and each failing case changes one
thing. Stored results are checked through the operator route that shows stored records.
"""

from __future__ import annotations

import copy
import datetime as dt
import uuid
from typing import Any

import pytest
import requests

from connector_sandbox.fusion.writes import VALIDATED_RESULT

from .fusion_pod import USER, Pod, named, validating
from .test_fusion_sandbox import self_href

pytestmark = pytest.mark.timeout(120)

FUSION_SETTINGS = {"seed": 7}  # the `pod` fixture's (tests/sandbox/conftest.py)
ACTION = {"Content-Type": "application/vnd.oracle.adf.action+json"}


def post(pod: Pod, path: str, body: Any, *, headers: dict[str, str] | None = None) -> requests.Response:
    url = path if path.startswith("http") else f"{pod.api}/{path}"
    return requests.post(url, json=body, auth=USER, headers=headers, timeout=30)


def patch(pod: Pod, url: str, body: Any, *, headers: dict[str, str] | None = None) -> requests.Response:
    return requests.patch(url, json=body, auth=USER, headers=headers, timeout=30)


@pytest.fixture(scope="module")
def open_order(pod: Pod) -> dict[str, Any]:
    """An open USD order with its lines and their charge accounts, as a client would read it."""
    orders = pod.ok(
        "purchaseOrders",
        q="StatusCode=OPEN;CurrencyCode=USD",
        expand="lines.schedules.distributions",
        limit=1,
    )["items"]
    return orders[0]


def invoice_payload(order: dict[str, Any], number: str | None = None) -> dict[str, Any]:
    """The reference's PO-matched line + freight line example, with strings for numbers."""
    line = order["lines"][0]
    account = line["schedules"][0]["distributions"][0]["POChargeAccount"]
    return {
        "InvoiceNumber": number or f"SIM-{uuid.uuid4().hex[:10]}",
        "InvoiceCurrency": "USD",
        "InvoiceAmount": f"{line['Amount'] + 30.55:.2f}",
        "InvoiceDate": "2025-02-01",
        "BusinessUnit": order["BillToBU"],
        "Supplier": order["Supplier"],
        "SupplierSite": order["SupplierSite"],
        "InvoiceGroup": "SIM-2025-02-01",
        "Description": "Supplies",
        "invoiceLines": [
            {
                "LineNumber": "1",
                "LineType": "Item",
                "Quantity": f"{line['Quantity']}",
                "UnitPrice": f"{line['Price']}",
                "LineAmount": f"{line['Amount']:.2f}",
                "PurchaseOrderNumber": order["OrderNumber"],
                "PurchaseOrderLineNumber": "1",
                "PurchaseOrderScheduleLineNumber": "1",
            },
            {
                "LineNumber": "2",
                "LineType": "Freight",
                "LineAmount": "30.55",
                "invoiceDistributions": [
                    {
                        "DistributionLineNumber": 1,
                        "DistributionLineType": "Freight",
                        "DistributionAmount": 30.55,
                        "DistributionCombination": account,
                    }
                ],
            },
        ],
    }


def test_create_invoice_from_the_reference_example(pod: Pod, open_order: dict[str, Any]) -> None:
    payload = invoice_payload(open_order)
    response = post(pod, "invoices", payload)
    assert response.status_code == 201, response.text
    created = response.json()
    assert response.headers["Location"] == self_href(created)
    assert response.headers["ETag"].strip('"') == created["links"][0]["properties"]["changeIndicator"]
    assert isinstance(created["InvoiceId"], int)
    assert created["InvoiceAmount"] == pytest.approx(float(payload["InvoiceAmount"]))  # a number again
    assert created["PaymentCurrency"] == "USD" and created["InvoiceSource"] == "Manual invoice entry"
    assert created["ValidationStatus"] == "Not validated" and created["CanceledFlag"] is False
    assert created["CreatedBy"] == USER[0]
    lines = created["invoiceLines"]
    assert [line["LineNumber"] for line in lines] == [1, 2]
    po_account = open_order["lines"][0]["schedules"][0]["distributions"][0]["POChargeAccount"]
    assert lines[0]["DistributionCombination"] == po_account  # defaulted from the PO distribution
    assert lines[1]["invoiceDistributions"][0]["DistributionAmount"] == 30.55
    stored = pod.record("invoices", created["InvoiceId"])
    assert stored["InvoiceNumber"] == payload["InvoiceNumber"] and len(stored["invoiceLines"]) == 2
    assert stored["invoiceInstallments"][0]["GrossAmount"] == created["InvoiceAmount"]
    fetched = pod.ok(self_href(created), expand="invoiceLines")
    assert fetched["invoiceLines"][1]["LineType"] == "Freight"


def _drop(payload: dict[str, Any], key: str) -> dict[str, Any]:
    payload.pop(key)
    return payload


BAD_INVOICES = [
    ("missing InvoiceNumber", lambda p: _drop(p, "InvoiceNumber"), "InvoiceNumber"),
    ("missing SupplierSite", lambda p: _drop(p, "SupplierSite"), "SupplierSite"),
    ("read-only ValidationStatus", lambda p: {**p, "ValidationStatus": "Validated"}, "ValidationStatus"),
    ("read-only WHO column", lambda p: {**p, "CreatedBy": "someone"}, "CreatedBy"),
    ("unknown attribute", lambda p: {**p, "InvoiceTotal": "1"}, "InvoiceTotal"),
    ("case of an attribute", lambda p: {**p, "invoicecurrency": "USD"}, "invoicecurrency"),
    ("supplier name case", lambda p: {**p, "Supplier": p["Supplier"].upper()}, "Supplier"),
    ("unknown business unit", lambda p: {**p, "BusinessUnit": "Vision Operations"}, "BusinessUnit"),
    ("site of another unit", lambda p: {**p, "SupplierSite": "NO-SUCH-SITE"}, "SupplierSite"),
    ("amount not a number", lambda p: {**p, "InvoiceAmount": "12,50"}, "InvoiceAmount"),
    ("three decimals", lambda p: {**p, "InvoiceAmount": "1.005"}, "InvoiceAmount"),
    ("bad date", lambda p: {**p, "InvoiceDate": "01/02/2025"}, "InvoiceDate"),
    ("number too long", lambda p: {**p, "InvoiceNumber": "N" * 51}, "InvoiceNumber"),
    ("unknown currency", lambda p: {**p, "InvoiceCurrency": "XXX"}, "InvoiceCurrency"),
    ("foreign currency without rate type", lambda p: {**p, "InvoiceCurrency": "EUR"}, "ConversionRateType"),
    ("unknown invoice type", lambda p: {**p, "InvoiceType": "Bill"}, "InvoiceType"),
    ("negative standard invoice", lambda p: {**p, "InvoiceAmount": "-5"}, "InvoiceAmount"),
    ("unknown payment terms", lambda p: {**p, "PaymentTerms": "Net 7"}, "PaymentTerms"),
]


@pytest.mark.parametrize(
    ("case", "change", "attribute"), BAD_INVOICES, ids=[case[0] for case in BAD_INVOICES]
)
def test_invalid_invoice_is_400_naming_record_and_attribute(
    pod: Pod, open_order: dict[str, Any], case: str, change: Any, attribute: str, behind_the_contract: Any
) -> None:
    payload = change(invoice_payload(open_order, number=f"BAD-{uuid.uuid4().hex[:8]}"))
    response = post(pod, "invoices", payload)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("text/plain")
    assert attribute in response.text
    if "InvoiceNumber" in payload and len(payload["InvoiceNumber"]) <= 50:
        assert payload["InvoiceNumber"] in response.text
    assert pod.ok("invoices", q=f"InvoiceNumber={payload.get('InvoiceNumber', 'none')}")["count"] == 0


def _line(payload: dict[str, Any], index: int, **changes: Any) -> dict[str, Any]:
    payload = copy.deepcopy(payload)
    payload["invoiceLines"][index].update(changes)
    return payload


BAD_LINES = [
    ("missing LineAmount", lambda p: _line(p, 1, LineAmount=None), "LineAmount"),
    ("duplicate line number", lambda p: _line(p, 1, LineNumber="1"), "line number 1"),
    ("unknown line type", lambda p: _line(p, 1, LineType="Goods"), "LineType"),
    ("unknown order", lambda p: _line(p, 0, PurchaseOrderNumber="9999999"), "PurchaseOrderNumber"),
    ("missing order line", lambda p: _line(p, 0, PurchaseOrderLineNumber="99"), "PurchaseOrderLineNumber"),
    (
        "missing schedule",
        lambda p: _line(p, 0, PurchaseOrderScheduleLineNumber="9"),
        "PurchaseOrderScheduleLineNumber",
    ),
    (
        "unknown account",
        lambda p: _line(p, 1, DistributionCombination="999-99-99999-999"),
        "DistributionCombination",
    ),
    (
        "distribution without account",
        lambda p: _line(p, 1, invoiceDistributions=[{"DistributionLineNumber": 1, "DistributionAmount": 1}]),
        "DistributionCombination",
    ),
    ("read-only line flag", lambda p: _line(p, 1, CanceledFlag=True), "CanceledFlag"),
]


@pytest.mark.parametrize(("case", "change", "attribute"), BAD_LINES, ids=[case[0] for case in BAD_LINES])
def test_invalid_invoice_line_is_400(
    pod: Pod, open_order: dict[str, Any], case: str, change: Any, attribute: str, behind_the_contract: Any
) -> None:
    payload = change(invoice_payload(open_order))
    response = post(pod, "invoices", payload)
    assert response.status_code == 400, response.text
    assert attribute in response.text and payload["InvoiceNumber"] in response.text
    assert (
        pod.ok("invoices", q=f"InvoiceNumber={payload['InvoiceNumber']}")["count"] == 0
    )  # nothing half-written


def test_disabled_or_summary_accounts_are_refused(pod: Pod, open_order: dict[str, Any]) -> None:
    for query in ("EnabledFlag=false", "DetailPostingAllowed=false"):
        combo = pod.ok("accountCombinationsLOV", q=query, limit=1)["items"][0]
        account = "-".join(combo[f"_SEGMENT{n}"] for n in range(1, 5))
        response = post(
            pod, "invoices", _line(invoice_payload(open_order), 1, DistributionCombination=account)
        )
        assert response.status_code == 400 and account in response.text


def test_po_of_another_supplier_cannot_be_matched(pod: Pod, open_order: dict[str, Any]) -> None:
    others = pod.ok("purchaseOrders", q=f"StatusCode=OPEN;BillToBU={open_order['BillToBU']}", limit=50)[
        "items"
    ]
    other = next(order for order in others if order["SupplierId"] != open_order["SupplierId"])
    response = post(
        pod, "invoices", _line(invoice_payload(open_order), 0, PurchaseOrderNumber=other["OrderNumber"])
    )
    assert response.status_code == 400 and "another supplier" in response.text


def test_duplicate_invoice_number_per_supplier(pod: Pod, open_order: dict[str, Any]) -> None:
    payload = invoice_payload(open_order)
    assert post(pod, "invoices", payload).status_code == 201
    again = post(pod, "invoices", payload)
    assert again.status_code == 400
    assert f"The invoice number {payload['InvoiceNumber']} already exists" in again.text
    pod.set("behaviour", duplicate_invoice_message="Duplicate invoice {number}.")
    assert post(pod, "invoices", payload).text.endswith(f"Duplicate invoice {payload['InvoiceNumber']}.")
    other_supplier = pod.ok(
        "purchaseOrders", q=f"StatusCode=OPEN;CurrencyCode=USD;SupplierId!={open_order['SupplierId']}",
        expand="lines.schedules.distributions", limit=1,
    )["items"][0]  # fmt: skip
    same_number = invoice_payload(other_supplier, number=payload["InvoiceNumber"])
    assert post(pod, "invoices", same_number).status_code == 201


def test_error_body_variants(pod: Pod, open_order: dict[str, Any], behind_the_contract: Any) -> None:
    payload = {**invoice_payload(open_order), "ValidationStatus": "Validated"}
    pod.set("behaviour", error_format="structured")
    response = post(pod, "invoices", payload)
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/vnd.oracle.adf.error+json")
    body = response.json()
    assert body["status"] == "400" and body["title"] == "Bad Request" and "ValidationStatus" in body["detail"]
    assert body["o:errorDetails"][0]["o:errorPath"] == "ValidationStatus" and body["o:errorCode"]

    pod.set("behaviour", error_format="negotiated")
    asks = {"Accept": "application/json, application/vnd.oracle.adf.error+json"}
    v4 = post(pod, "invoices", payload, headers={**asks, "REST-Framework-Version": "4"})
    assert v4.headers["content-type"].startswith("application/vnd.oracle.adf.error+json")
    v2 = post(pod, "invoices", payload, headers={**asks, "REST-Framework-Version": "2"})
    assert v2.headers["content-type"].startswith("text/plain")
    pod.set("behaviour", structured_error_min_version=2)
    assert (
        post(pod, "invoices", payload, headers={**asks, "REST-Framework-Version": "2"}).json()["status"]
        == "400"
    )

    pod.set("behaviour", error_format="text", validation_messages="terse")
    terse = post(pod, "invoices", payload)
    assert (
        terse.status_code == 400
        and "ValidationStatus" not in terse.text
        and payload["InvoiceNumber"] not in terse.text
    )


def test_purchase_orders_are_read_only(pod: Pod, behind_the_contract: Any) -> None:
    response = post(pod, "purchaseOrders", {"OrderNumber": "1"})
    assert (
        response.status_code == 400
        and response.text == "Invalid operation create for the specified resource."
    )
    pod.set("behaviour", read_only_create_status=405)
    assert post(pod, "purchaseOrders", {"OrderNumber": "1"}).status_code == 405
    order = pod.ok("purchaseOrders", limit=1)["items"][0]
    assert patch(pod, self_href(order), {"Description": "x"}).status_code == 400
    assert requests.delete(self_href(order), auth=USER, timeout=30).status_code == 400


def test_write_media_types(pod: Pod, open_order: dict[str, Any], behind_the_contract: Any) -> None:
    response = requests.post(f"{pod.api}/invoices", data="InvoiceNumber=1", auth=USER,
                             headers={"Content-Type": "text/plain"}, timeout=30)  # fmt: skip
    assert response.status_code == 415
    response = requests.post(f"{pod.api}/invoices", data="{not json", auth=USER,
                             headers={"Content-Type": "application/json"}, timeout=30)  # fmt: skip
    assert response.status_code == 400
    payload = invoice_payload(open_order)
    response = post(
        pod, "invoices", payload, headers={"Content-Type": "application/vnd.oracle.adf.resourceitem+json"}
    )
    assert response.status_code == 201, response.text


def test_patch_invoice_with_etags(pod: Pod, open_order: dict[str, Any], behind_the_contract: Any) -> None:
    created = post(pod, "invoices", invoice_payload(open_order)).json()
    href = self_href(created)
    item = pod.get(href)
    etag = item.headers["ETag"]
    pod.set("clock", advance_seconds=5)
    changed = patch(
        pod,
        href,
        {"Description": "Büromaterial für 北京", "InvoiceAmount": "200.00"},
        headers={"If-Match": etag},
    )
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert body["Description"] == "Büromaterial für 北京" and body["InvoiceAmount"] == 200
    assert changed.headers["ETag"] != etag and body["LastUpdateDate"] > created["LastUpdateDate"]
    stale = patch(pod, href, {"Description": "again"}, headers={"If-Match": etag})
    assert stale.status_code == 412
    assert patch(pod, href, {"PaidStatus": "Paid"}).status_code == 400
    refused = patch(pod, href, {"Supplier": "Someone Else"})
    assert refused.status_code == 400 and "cannot be updated" in refused.text
    assert patch(pod, href, {"Supplier": created["Supplier"]}).status_code == 200  # unchanged value is fine
    assert pod.record("invoices", created["InvoiceId"])["invoiceInstallments"][0]["GrossAmount"] == 200


def test_invoice_lines_child_create_and_update(pod: Pod, open_order: dict[str, Any]) -> None:
    created = post(pod, "invoices", invoice_payload(open_order)).json()
    lines_href = f"{self_href(created)}/child/invoiceLines"
    account = created["invoiceLines"][0]["DistributionCombination"]
    response = post(pod, lines_href, {"LineNumber": 3, "LineType": "Miscellaneous", "LineAmount": 4.5,
                                      "DistributionCombination": account})  # fmt: skip
    assert response.status_code == 201, response.text
    line = response.json()
    assert line["LineNumber"] == 3 and self_href(line).startswith(lines_href + "/")
    duplicate = post(pod, lines_href, {"LineNumber": 3, "LineType": "Item", "LineAmount": 1})
    assert duplicate.status_code == 400
    updated = patch(pod, self_href(line), {"LineAmount": "5.25"})
    assert updated.status_code == 200 and updated.json()["LineAmount"] == 5.25
    assert len(pod.ok(lines_href)["items"]) == 3


def test_validate_and_cancel_invoice_actions(
    pod: Pod, open_order: dict[str, Any], behind_the_contract: Any
) -> None:
    payload = invoice_payload(open_order)
    created = post(pod, "invoices", payload).json()
    wrong_type = post(pod, "invoices/action/validateInvoice", validating(created))
    assert wrong_type.status_code == 415
    response = post(pod, "invoices/action/validateInvoice", validating(created), headers=ACTION)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/vnd.oracle.adf.actionresult+json")
    assert response.json() == {"result": VALIDATED_RESULT}
    assert pod.ok(self_href(created))["ValidationStatus"] == "Validated"
    patch(pod, self_href(created), {"InvoiceAmount": "1.00"})
    again = post(pod, "invoices/action/validateInvoice", validating(created), headers=ACTION)
    assert again.json() == {"result": VALIDATED_RESULT}  # the action ran; the status says what it found
    assert pod.ok(self_href(created))["ValidationStatus"] == "Needs revalidation"  # lines no longer add up
    cancel = post(pod, "invoices/action/cancelInvoice", named(created), headers=ACTION)
    assert cancel.status_code == 200
    canceled = pod.ok(self_href(created))
    assert (
        canceled["CanceledFlag"] is True
        and canceled["ValidationStatus"] == "Canceled"
        and canceled["InvoiceAmount"] == 0
    )
    assert patch(pod, self_href(created), {"Description": "x"}).status_code == 400
    assert post(pod, "invoices/action/cancelInvoice", named(created), headers=ACTION).status_code == 400
    assert post(pod, "invoices/action/noSuchAction", {}, headers=ACTION).status_code == 404


def test_paid_invoice_cannot_be_canceled(pod: Pod) -> None:
    paid = pod.ok("invoices", q="PaidStatus=Paid", limit=1)["items"][0]
    response = post(pod, "invoices/action/cancelInvoice", named(paid), headers=ACTION)
    assert response.status_code == 400 and paid["InvoiceNumber"] in response.text


def _draft(order: dict[str, Any], number: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "ProcurementBU": order["BillToBU"],
        "Supplier": order["Supplier"],
        "SupplierSite": order["SupplierSite"],
        "Buyer": order["Buyer"],
        "Description": "Baustelle Nord – Material",
        "lines": [
            {"LineNumber": 1, "Description": "Stahlträger HEB 200", "CategoryName": "Construction Materials",
             "Quantity": "2.5", "Price": "1200.10", "UOM": "Ton"},
            {"LineNumber": 2, "Description": "Electrician", "Quantity": 10, "Price": 85,
             "schedules": [{"Quantity": 10, "RequestedDeliveryDate": "2025-04-01"}]},
        ],
    }  # fmt: skip
    if number:
        body["OrderNumber"] = number
    return body


def test_draft_purchase_order_lifecycle(pod: Pod, open_order: dict[str, Any]) -> None:
    response = post(pod, "draftPurchaseOrders", _draft(open_order))
    assert response.status_code == 201, response.text
    draft = response.json()
    assert draft["StatusCode"] == "INCOMPLETE" and draft["Ordered"] == pytest.approx(2.5 * 1200.10 + 850)
    assert draft["lines"][0]["schedules"][0]["distributions"][0]["POChargeAccount"].split("-")[2] == "63100"
    assert draft["lines"][1]["schedules"][0]["RequestedDeliveryDate"] == "2025-04-01"
    href = self_href(draft)
    assert "/draftPurchaseOrders/" in href
    changed = patch(pod, href, {"Description": "Geändert"})
    assert changed.status_code == 200 and changed.json()["Description"] == "Geändert"
    submitted = post(pod, f"{href}/action/submit", {}, headers=ACTION)
    assert submitted.status_code == 200 and submitted.json() == {"result": "SUCCESS"}
    assert pod.get(href).status_code == 404  # no longer a draft
    order = pod.ok("purchaseOrders", finder=f"PrimaryKey;POHeaderId={draft['POHeaderId']}")["items"][0]
    assert order["StatusCode"] == "OPEN"
    closed = post(pod, f"{self_href(order)}/action/close", {}, headers=ACTION)
    assert closed.status_code == 200 and pod.ok(self_href(order))["StatusCode"] == "CLOSED"
    assert post(pod, f"{self_href(order)}/action/close", {}, headers=ACTION).status_code == 400


def test_order_numbers_are_unique_per_business_unit(pod: Pod, open_order: dict[str, Any]) -> None:
    pod.set("behaviour", order_number_writable=True)  # the reading where a create may set it
    number = f"MAN-{uuid.uuid4().hex[:8]}"
    assert post(pod, "draftPurchaseOrders", _draft(open_order, number)).status_code == 201
    duplicate = post(pod, "draftPurchaseOrders", _draft(open_order, number))
    assert duplicate.status_code == 400 and number in duplicate.text and "OrderNumber" in duplicate.text
    other_unit = pod.ok("purchaseOrders", q=f"StatusCode=OPEN;BillToBU!={open_order['BillToBU']}", limit=1)[
        "items"
    ][0]
    assert post(pod, "draftPurchaseOrders", _draft(other_unit, number)).status_code == 201


@pytest.mark.parametrize(
    ("change", "attribute"),
    [
        (lambda d: {**d, "Supplier": "Nobody Inc."}, "Supplier"),
        (lambda d: {**d, "lines": []}, "lines"),
        (lambda d: {**d, "lines": [{"LineNumber": 1, "Price": 1, "Description": "x"}]}, "Quantity"),
        (lambda d: {**d, "lines": [{**d["lines"][0], "CategoryName": "Toys"}]}, "CategoryName"),
        (lambda d: {**d, "StatusCode": "OPEN"}, "StatusCode"),
        (lambda d: {**d, "Buyer": "Nobody"}, "buyer"),
    ],
    ids=[
        "unknown-supplier",
        "no-lines",
        "line-without-quantity",
        "unknown-category",
        "read-only-status",
        "unknown-buyer",
    ],
)
def test_invalid_draft_purchase_orders(
    pod: Pod, open_order: dict[str, Any], change: Any, attribute: str, behind_the_contract: Any
) -> None:
    response = post(pod, "draftPurchaseOrders", change(_draft(open_order)))
    assert response.status_code == 400 and attribute in response.text, response.text


def test_requisition_cancel_action(pod: Pod) -> None:
    requisition = pod.ok("purchaseRequisitions", q="DocumentStatusCode=APPROVED", limit=1)["items"][0]
    response = post(pod, f"{self_href(requisition)}/action/cancel", {}, headers=ACTION)
    assert response.status_code == 200
    assert pod.ok(self_href(requisition))["DocumentStatus"] == "Canceled"
    assert (
        pod.record("purchaseRequisitions", requisition["RequisitionHeaderId"])["DocumentStatusCode"]
        == "CANCELED"
    )


def test_writes_are_stamped_by_the_pod_clock(pod: Pod, open_order: dict[str, Any]) -> None:
    pod.set("clock", advance_seconds=86_400)
    now = dt.datetime.fromisoformat(pod.state()["clock"]["now"])
    created = post(pod, "invoices", invoice_payload(open_order)).json()
    after = dt.datetime.fromisoformat(pod.state()["clock"]["now"])
    stamp = dt.datetime.fromisoformat(created["CreationDate"])
    # Between the pod clock's readings before and after the write (a day ahead of ours), however long the
    # write took; the stamp may be in whole seconds.
    assert now.replace(microsecond=0) <= stamp <= after
    assert pod.ok("invoices", q=f"LastUpdateDate >= '{now.isoformat()}'", version=2)["count"] >= 1


def test_invoice_defaults_and_required_fields_are_settings(
    pod: Pod, open_order: dict[str, Any], behind_the_contract: Any
) -> None:
    pod.set(
        "behaviour",
        invoice_required=["InvoiceNumber", "InvoiceCurrency", "InvoiceDate", "BusinessUnit", "Supplier",
                          "SupplierSite", "Description"],
        invoice_line_required=["LineNumber", "LineAmount", "Description"],
        rest_invoice_source="External",
        new_invoice_validation_status="Never validated",
    )  # fmt: skip
    payload = invoice_payload(open_order)
    missing = {key: value for key, value in payload.items() if key != "Description"}
    response = post(pod, "invoices", missing)
    assert response.status_code == 400 and "Description" in response.text
    response = post(pod, "invoices", payload)
    assert response.status_code == 400 and "line 1" in response.text and "Description" in response.text
    for line in payload["invoiceLines"]:
        line["Description"] = "Freight and goods"
    created = post(pod, "invoices", {key: value for key, value in payload.items() if key != "InvoiceAmount"})
    assert created.status_code == 201, created.text
    assert (
        created.json()["InvoiceSource"] == "External"
        and created.json()["ValidationStatus"] == "Never validated"
    )
