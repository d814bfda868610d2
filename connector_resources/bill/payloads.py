"""What the client sends: request bodies checked, normalised and encoded without binary floats.

Why checked here: a record BILL would refuse costs a call from the hourly budget and comes back
with BILL's wording; a record the client refuses comes back at once, naming the record and the
field, in words a finance user understands. Only what the reference says is required is enforced
(vendor ``name``; bill ``vendorId``, ``dueDate``, ``invoice.invoiceNumber`` / ``invoiceDate`` and
lines with ``amount`` or ``quantity`` + ``price``; record-payment ``vendorId``, ``processDate`` and
``payments[].billId`` / ``amount``); every other field passes through unchanged, so a caller can
send any field BILL documents.

Amounts: ``Decimal``, ``int`` or a decimal string, never ``float`` (a float has already lost the
cent it was meant to carry). The body is encoded by ``encode_json``, which writes a ``Decimal``
as the exact JSON number it holds; the standard encoder would need a float on the way.
Dates: ``date`` or ``yyyy-MM-dd`` strings, as BILL writes them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from connector_resources.bill.errors import BillInputError
from connector_resources.http.wire_values import WireRules, wire_body

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# Keys whose values are amounts or quantities; strings there must be decimals.
_NUMERIC_KEYS = frozenset({"amount", "price", "quantity", "exchangeRate", "fundingAmount"})


# -- encoding ----------------------------------------------------------------------------------------


def encode_json(value: Any) -> bytes:
    """Compact UTF-8 JSON in which ``Decimal`` values are exact numbers (``245.10`` stays ``245.10``)."""
    return _encode(value).encode("utf-8")


def _encode(value: Any) -> str:
    if value is None or isinstance(value, bool | str | int):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{value} is not a number JSON can carry")
        return format(value, "f")
    if isinstance(value, float):
        raise TypeError(f"refusing to encode the float {value!r}; amounts must be Decimal")
    if isinstance(value, Mapping):
        items = (f"{json.dumps(str(k), ensure_ascii=False)}:{_encode(v)}" for k, v in value.items())
        return "{" + ",".join(items) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(_encode(v) for v in value) + "]"
    raise TypeError(f"cannot encode a {type(value).__name__} as JSON")


# -- values ------------------------------------------------------------------------------------------


def _refused(record: str, path: str, problem: str) -> BillInputError:
    return BillInputError(f"{record}: {path or 'the record'}: {problem}", record=record)


def _moment(value: datetime, record: str, path: str) -> str:
    if value.tzinfo is None:
        raise BillInputError(f"{record}: {path} is a naive datetime; give it a time zone", record=record)
    return format_timestamp(value)


def _text_value(value: str, record: str, path: str) -> Any:
    """A string under an amount or quantity key must be a decimal (sent as the exact number)."""
    return to_decimal(value, path, record) if path.rsplit(".", 1)[-1] in _NUMERIC_KEYS else value


def _exact(value: Decimal, record: str, path: str) -> Decimal:
    return value  # ``encode_json`` writes it as the exact JSON number


WIRE = WireRules(refuse=_refused, moment=_moment, amount=_exact, text=_text_value)


def to_decimal(value: Any, path: str, record: str) -> Decimal:
    """An amount as ``Decimal`` (from Decimal, int or a decimal string; never float)."""
    if isinstance(value, float):
        raise BillInputError(
            f"{record}: {path} is the float {value!r}; pass amounts as Decimal, int or a decimal string "
            "so no cent is lost",
            record=record,
        )
    if isinstance(value, bool):
        raise BillInputError(f"{record}: {path} is {value!r}, not an amount", record=record)
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip())
        except InvalidOperation:
            raise BillInputError(f"{record}: {path} is {value!r}, not an amount", record=record) from None
    else:
        raise BillInputError(f"{record}: {path} is missing or not an amount", record=record)
    if not result.is_finite():
        raise BillInputError(f"{record}: {path} is {value!r}, not an amount", record=record)
    return result


def to_date(value: Any, path: str, record: str) -> str:
    """A date as ``yyyy-MM-dd`` (from ``date`` or such a string)."""
    if isinstance(value, datetime):
        raise BillInputError(f"{record}: {path} is a datetime; BILL wants a date (yyyy-MM-dd)", record=record)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str) and _DATE.match(value.strip()):
        try:
            return date.fromisoformat(value.strip()).isoformat()
        except ValueError:
            pass
    raise BillInputError(f"{record}: {path} is {value!r}; BILL wants a date (yyyy-MM-dd)", record=record)


def format_timestamp(value: datetime) -> str:
    """An aware datetime as BILL writes v3 times: ``2025-03-10T15:00:00.000+00:00`` (UTC)."""
    utc = value.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}+00:00"


def _text(mapping: Mapping[str, Any], key: str) -> str:
    value = mapping.get(key)
    return value.strip() if isinstance(value, str) else ""


def _require_text(mapping: Mapping[str, Any], key: str, path: str, record: str) -> str:
    value = _text(mapping, key)
    if not value:
        raise BillInputError(f"{record}: {path} is required", record=record)
    return value


def _require_mapping(value: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise BillInputError(
            f"{what} must be a mapping of BILL fields, got {type(value).__name__}", record=what
        )
    return value


# -- records ------------------------------------------------------------------------------------------


def vendor_label(vendor: Mapping[str, Any]) -> str:
    """How a vendor is named in messages: ``vendor 'Granite Supply Co'``."""
    name = _text(vendor, "name")
    return f"vendor {name!r}" if name else "vendor (no name)"


def vendor_body(vendor: Any, label: str | None = None) -> dict[str, Any]:
    """A vendor create body: ``name`` required, amounts and dates converted, the rest as given."""
    vendor = _require_mapping(vendor, label or "vendor")
    record = label or vendor_label(vendor)
    _require_text(vendor, "name", "name", record)
    return wire_body(dict(vendor), record, WIRE)


def bill_label(bill: Mapping[str, Any]) -> str:
    """How a bill is named in messages: ``bill 'INV-1' of vendor 009...``."""
    invoice = bill.get("invoice") if isinstance(bill.get("invoice"), Mapping) else {}
    number = _text(invoice, "invoiceNumber")
    vendor = _text(bill, "vendorId")
    head = f"bill {number!r}" if number else "bill (no invoice number)"
    return f"{head} of vendor {vendor}" if vendor else head


def bill_body(bill: Any) -> dict[str, Any]:
    """A bill create body with the reference's required fields checked (see module docstring)."""
    bill = _require_mapping(bill, "bill")
    record = bill_label(bill)
    _require_text(bill, "vendorId", "vendorId", record)
    if "dueDate" not in bill:
        raise BillInputError(f"{record}: dueDate is required", record=record)
    to_date(bill["dueDate"], "dueDate", record)
    invoice = bill.get("invoice")
    if not isinstance(invoice, Mapping):
        raise BillInputError(f"{record}: invoice (invoiceNumber, invoiceDate) is required", record=record)
    _require_text(invoice, "invoiceNumber", "invoice.invoiceNumber", record)
    if "invoiceDate" not in invoice:
        raise BillInputError(f"{record}: invoice.invoiceDate is required", record=record)
    to_date(invoice["invoiceDate"], "invoice.invoiceDate", record)
    lines = bill.get("billLineItems")
    if not isinstance(lines, Sequence) or isinstance(lines, str) or not lines:
        raise BillInputError(f"{record}: billLineItems needs at least one line", record=record)
    for index, line in enumerate(lines):
        path = f"billLineItems[{index}]"
        if not isinstance(line, Mapping):
            raise BillInputError(f"{record}: {path} must be a mapping of line fields", record=record)
        if line.get("amount") is not None:
            to_decimal(line["amount"], f"{path}.amount", record)
        elif line.get("quantity") is not None and line.get("price") is not None:
            to_decimal(line["quantity"], f"{path}.quantity", record)
            to_decimal(line["price"], f"{path}.price", record)
        else:
            raise BillInputError(
                f"{record}: {path} needs an amount, or a quantity and a price", record=record
            )
    body = wire_body(dict(bill), record, WIRE)
    body["dueDate"] = to_date(bill["dueDate"], "dueDate", record)
    body["invoice"]["invoiceDate"] = to_date(invoice["invoiceDate"], "invoice.invoiceDate", record)
    return body


def record_payment_label(vendor_id: str, payments: Sequence[Mapping[str, Any]]) -> str:
    bills = ", ".join(str(p.get("billId", "?")) for p in payments[:3] if isinstance(p, Mapping))
    more = f" (+{len(payments) - 3} more)" if len(payments) > 3 else ""
    return f"payment to vendor {vendor_id or '?'} for bill(s) {bills or '?'}{more}"


def record_payment_body(
    vendor_id: str, process_date: Any, payments: Sequence[Mapping[str, Any]], to_print_check: bool
) -> dict[str, Any]:
    """``POST /v3/bills/record-payment``'s body (reference §2.8); amounts must be positive."""
    if isinstance(payments, Mapping) or not isinstance(payments, Sequence) or not payments:
        raise BillInputError("record payment: payments needs at least one {billId, amount}")
    record = record_payment_label(vendor_id, payments)
    if not isinstance(vendor_id, str) or not vendor_id.strip():
        raise BillInputError(f"{record}: vendorId is required", record=record)
    lines = []
    for index, payment in enumerate(payments):
        path = f"payments[{index}]"
        if not isinstance(payment, Mapping):
            raise BillInputError(f"{record}: {path} must be a mapping with billId and amount", record=record)
        bill_id = _require_text(payment, "billId", f"{path}.billId", record)
        amount = to_decimal(payment.get("amount"), f"{path}.amount", record)
        if amount <= 0:
            raise BillInputError(
                f"{record}: {path}.amount is {amount}; BILL takes positive payments only "
                "(negative amounts are vendor credits)",
                record=record,
            )
        kept = {k: v for k, v in payment.items() if k not in ("billId", "amount")}
        extra = wire_body(kept, record, WIRE, path)
        lines.append({"billId": bill_id, "amount": amount, **extra})
    return {
        "vendorId": vendor_id.strip(),
        "processDate": to_date(process_date, "processDate", record),
        "toPrintCheck": bool(to_print_check),
        "payments": lines,
    }
