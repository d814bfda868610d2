"""What a vendor and a bill are in BILL's API: the request bodies, the record columns checked before they
are sent, and the limits BILL takes, whatever system the record came from (an integration's mapper extends
the columns with its source's key, so any next X -> BILL flow writes the same bodies). Field limits:
BILL's reference documents none; these are the BILL sandbox's (what it refuses beyond).
"""

from datetime import date
from decimal import Decimal
from typing import Any

from connector_assets.flows.amounts import CENT, money
from connector_assets.flows.record_models import ISO_DAY, matching, number, record_model, string, whole

NAME_MAX = 100
TAX_ID_MAX = 20
ADDRESS_LINE_MAX = 100
CITY_MAX = 50
STATE_MAX = 50
POSTAL_CODE_MAX = 20
PAYEE_MAX = 100
INVOICE_NUMBER_MAX = 50  # invoice.invoiceNumber
DESCRIPTION_MAX = 1000  # a bill's and a bill line's description

# Empty address_country ("") when an address has no country: refused, BILL mails checks by it.
BillVendorColumns = record_model(
    "BillVendorColumns",
    "A BILL vendor in the limits BILL takes: a name, the payee name, and, when there is an address, a "
    "two-letter ISO country. An integration's vendor record extends it with the source's key.",
    name=string(1, NAME_MAX),
    tax_id=string(max_length=TAX_ID_MAX, nullable=True),
    payee_name=string(1, PAYEE_MAX),
    address_line1=string(max_length=ADDRESS_LINE_MAX, nullable=True),
    address_line2=string(max_length=ADDRESS_LINE_MAX, nullable=True),
    address_city=string(max_length=CITY_MAX, nullable=True),
    address_state=string(max_length=STATE_MAX, nullable=True),
    address_postal_code=string(max_length=POSTAL_CODE_MAX, nullable=True),
    address_country=matching(r"^[A-Z]{2}$", nullable=True),
)

BillColumns = record_model(
    "BillColumns",
    "A BILL bill: which invoice, when due, at least one line, a positive total. An integration's bill "
    "record extends it with the source's key and supplier.",
    invoice_number=string(1, INVOICE_NUMBER_MAX),
    invoice_date=matching(ISO_DAY),
    due_date=matching(ISO_DAY),
    lines=whole(ge=1),
    total=number(gt=0),
)


def vendor_parts(
    name: str, person: bool, payee: str, tax_id: str | None, address: dict[str, str] | None
) -> tuple[dict[str, object], dict[str, object]]:
    """A vendor's body (BILL reference §2.6: ``accountType`` PERSON or BUSINESS, ``additionalInfo.taxId``,
    ``paymentInformation.payeeName``, the ``address`` parts given) and its ``BillVendorColumns``."""
    body: dict[str, object] = {
        "name": name,
        "accountType": "PERSON" if person else "BUSINESS",
        "paymentInformation": {"payeeName": payee},
    }
    if tax_id:
        body["additionalInfo"] = {"taxId": tax_id}
    if address:
        body["address"] = address
    shown = address or {}
    fields = {
        "name": name,
        "tax_id": tax_id,
        "payee_name": payee,
        "address_line1": shown.get("line1"),
        "address_line2": shown.get("line2"),
        "address_city": shown.get("city"),
        "address_state": shown.get("stateOrProvince"),
        "address_postal_code": shown.get("zipOrPostalCode"),
        "address_country": shown.get("country"),
    }
    return body, fields


def bill_line(
    amount: Decimal, description: str, classifications: dict[str, str], currency: str | None = None
) -> dict[str, Any]:
    """One of a bill's ``billLineItems``: its amount (in cents; with ``currency``, that currency's own
    decimals, a finer amount refused: ``amounts.money``), description and classification ids."""
    return {
        "amount": money(amount, currency) if currency is not None else str(amount.quantize(CENT)),
        "description": description[:DESCRIPTION_MAX],
        "classifications": classifications,
    }


def bill_parts(
    invoice: tuple[str, date | None],
    due: date | None,
    description: str,
    lines: list[dict[str, Any]],
    vendor_id: str | None,
    order_number: int | None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A bill's body (invoice number and date, due date, description, ``billLineItems``; ``vendorId`` once
    known, ``purchaseOrderNumber`` when it comes from an order) and its ``BillColumns``."""
    number, invoice_date = invoice
    body: dict[str, Any] = {
        "invoice": {"invoiceNumber": number, "invoiceDate": invoice_date.isoformat() if invoice_date else ""},
        "dueDate": due.isoformat() if due else "",
        "description": description[:DESCRIPTION_MAX],
        "billLineItems": lines,
    }
    if vendor_id:
        body["vendorId"] = vendor_id
    if order_number is not None:
        body["purchaseOrderNumber"] = str(order_number)
    fields = {
        "invoice_number": number,
        "invoice_date": body["invoice"]["invoiceDate"],
        "due_date": body["dueDate"],
        "lines": len(lines),
        "total": float(sum((Decimal(line["amount"]) for line in lines), Decimal(0))),
    }
    return body, fields
