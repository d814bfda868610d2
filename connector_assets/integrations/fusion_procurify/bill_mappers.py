"""One approved Procurify bill -> one Oracle Fusion payables invoice (header, lines, distributions), or why
not. Pure: ``invoices`` reads what it needs. Amounts in the bill's currency and decimals, never converted or
rounded; tax and freight are the bill's own lines. docs/integrations/fusion_procurify.md, "Bills -> invoices".
"""

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from connector_assets.flows import amounts
from connector_assets.flows.core import WAITS_FOR, Mapped, Rejected
from connector_assets.flows.documents import version_text
from connector_assets.flows.lazy_model import lazy_model
from connector_assets.fusion.supplier_sites import SupplierSite
from connector_assets.procurify import bill_fields
from connector_assets.procurify.bill_fields import (
    additional_costs,
    bill_day,
    bill_tax,
    bill_total,
    bill_vendor_id,
    currency_code,
    describe,
    in_currency,
    item_account,
    item_label,
    largest_item,
    order_item,
    priced_items,
)
from connector_resources.fusion.payloads import Invoice, InvoiceDistribution, InvoiceLine
from connector_resources.refusals import Refusal, refused, source_invalid
from connector_resources.said import refusal_for, reworded, said

DESCRIPTION_MAX = 240  # Fusion invoice and line Description
INVOICE_NUMBER_MAX = 50  # Fusion AP InvoiceNumber (Procurify's invoice_number is at most 50 too)
SCHEDULE = 1  # the purchase orders flow writes one schedule per Fusion PO line

# (Procurify account code, department) -> (Fusion combination, problem): ``ChargeAccounts.combination``.
CombinationOf = Callable[[str, str | None], tuple[str | None, str | None]]


@dataclass(frozen=True)
class FusionOrder:
    """The Fusion side of one Procurify PO a bill bills: its ``OrderNumber`` (None while the purchase
    orders flow has not written it), its ``Description``, and the key a bill waits on until it is."""

    order_number: str | None
    description: str = ""
    dependency: str = ""


@dataclass(frozen=True)
class BillInputs:
    """What the flow read for one bill before mapping it."""

    bill: Mapping[str, Any]  # the full bill (GET /api/v2/ap/bills/{uuid}/)
    site: SupplierSite | None  # the vendor's Fusion supplier and pay site; None when unpaired
    vendor_dependency: str  # what the bill waits on while the vendor has no Fusion supplier
    business_unit: str  # ML_FUSION_BUSINESS_UNIT
    updated_at: datetime  # the bill's last_modified_datetime, as staged
    # The instance's variable of a setting (``Instance.variable``), named in a refusal.
    variable: Callable[[str], str]
    # Procurify order item id -> (Procurify PO number, PO_line_num) of the PO line each item bills.
    item_lines: Mapping[str, tuple[int, int]] = field(default_factory=dict)
    orders: Mapping[int, FusionOrder] = field(default_factory=dict)  # Procurify PO number -> Fusion order
    tax_account: str | None = None  # ML_FUSION_PROCURIFY_BILL_TAX_ACCOUNT
    freight_account: str | None = None  # ML_FUSION_PROCURIFY_BILL_FREIGHT_ACCOUNT
    ledger_currency: str = "USD"  # ML_FUSION_PROCURIFY_LEDGER_CURRENCY
    conversion_rate_type: str = "Corporate"  # ML_FUSION_PROCURIFY_CONVERSION_RATE_TYPE


@lazy_model
def InvoiceRecord() -> type:
    """A Procurify bill Fusion's ``POST /invoices`` accepts, with the Procurify version it was mapped from.
    The supplier may be blank only while the record waits (``waits_for``) for the vendor's pair or a PO."""
    import pandas as pd
    import pandera.pandas as pa
    from pandera.typing import Series

    class InvoiceRecord(pa.DataFrameModel):
        invoice_number: Series[str] = pa.Field(str_length={"min_value": 1, "max_value": INVOICE_NUMBER_MAX})
        supplier: Series[str] = pa.Field(nullable=False)
        supplier_site: Series[str] = pa.Field(nullable=False)
        business_unit: Series[str] = pa.Field(str_length={"min_value": 1})
        currency: Series[str] = pa.Field(str_matches=r"^[A-Z]{3}$")
        invoice_amount: Series[str] = pa.Field(str_matches=r"^-?\d+(\.\d{2,3})?$")  # the currency's decimals
        invoice_date: Series[str] = pa.Field(str_matches=r"^\d{4}-\d{2}-\d{2}$")
        lines: Series[int] = pa.Field(ge=0)
        po_matched_lines: Series[int] = pa.Field(ge=0)
        vendor_id: Series[str] = pa.Field(str_matches=r"^\d{1,20}$")
        waits_for: Series[str] = pa.Field(nullable=False)
        procurify_updated_at: Series[str] = pa.Field(nullable=False)

        @pa.dataframe_check(error="an invoice without its Fusion supplier and lines must be held")
        def complete_unless_held(cls, frame: pd.DataFrame) -> Series[bool]:
            ready = (frame["supplier"] != "") & (frame["supplier_site"] != "") & (frame["lines"] > 0)
            return ready | (frame["waits_for"] != "")

    return InvoiceRecord


# -- reading the bill ----------------------------------------------------------------------------------


def bill_currency(bill: Mapping[str, Any]) -> str | None:
    """The bill's currency code when it is one (three letters), else None: the bill is then refused for it,
    and its amounts are read in cents meanwhile so every other problem is still named."""
    code = currency_code(bill)
    return code if re.fullmatch(r"[A-Z]{3}", code) else None


def _label(text: Any, fallback: str) -> str:
    folded = " ".join(str(text or "").split())
    return (folded or fallback)[:DESCRIPTION_MAX]


# -- the mapping ---------------------------------------------------------------------------------------


@dataclass
class _Lines:
    lines: list[InvoiceLine] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    waits: list[str] = field(default_factory=list)  # dependency keys of POs not yet in Fusion
    matched: int = 0
    largest: tuple[Decimal, str] | None = None  # (amount, combination) of the largest item with one
    orders_used: list[int] = field(default_factory=list)


def _item_lines(inputs: BillInputs, combination_of: CombinationOf) -> _Lines:
    out = _Lines()
    currency = bill_currency(inputs.bill)
    for position, item, where, amount in priced_items(inputs.bill, out.problems, currency):
        amount = in_currency(amount, currency)  # exact: priced_items refused anything finer
        number = len(out.lines) + 1
        description = item_label(item, position, DESCRIPTION_MAX)
        line = order_item(item)
        billed = inputs.item_lines.get(str(line.get("id"))) if line is not None else None
        if billed is not None:
            procurify_po, line_number = billed
            order = inputs.orders.get(procurify_po) or FusionOrder(None)
            if order.order_number is None:
                if order.dependency and order.dependency not in out.waits:
                    out.waits.append(order.dependency)
                elif not order.dependency:
                    sentence = f"{where} bills Procurify PO {procurify_po}, unknown in Fusion"
                    out.problems.append(said(refused(sentence, rule="order unknown in Fusion")))
                continue
            if procurify_po not in out.orders_used:
                out.orders_used.append(procurify_po)
            quantity, unit = amounts.amount(item.get("quantity")), amounts.amount(item.get("unit_cost"))
            out.lines.append(
                InvoiceLine(
                    line_number=number,
                    amount=amount,
                    description=description,
                    quantity=quantity if quantity is not None and unit is not None else None,
                    unit_price=unit if quantity is not None and unit is not None else None,
                    purchase_order_number=order.order_number,
                    purchase_order_line_number=line_number,
                    purchase_order_schedule_line_number=SCHEDULE,
                )
            )
            out.matched += 1
            continue
        code, department = item_account(item)
        if code is None:
            sentence = f"{where} has no account code in Procurify, so it has no Fusion charge account"
            out.problems.append(said(source_invalid(sentence, field="account code")))
            continue
        combination, problem = combination_of(code, department)
        if problem or combination is None:
            why = problem or f"account code {code} has no Fusion charge account"
            out.problems.append(reworded(why, f"{where}: {why}"))
            continue
        if out.largest is None or abs(amount) > abs(out.largest[0]):
            out.largest = (amount, combination)
        out.lines.append(
            InvoiceLine(
                line_number=number,
                amount=amount,
                description=description,
                distributions=(InvoiceDistribution(1, amount, combination, description=description),),
            )
        )
    return out


def _largest_item_combination(inputs: BillInputs, combination_of: CombinationOf) -> tuple[str | None, str]:
    """The charge account of the bill's largest item (a PO-matched item's own account code read for it),
    or why there is none: where tax and freight go when no setting names an account."""
    item = largest_item(inputs.bill)
    if item is None:
        return None, "the bill has no item to charge it to"
    code, department = item_account(item)
    if code is None:
        return None, f"its largest item {item.get('id')} has no account code"
    combination, problem = combination_of(code, department)
    return combination, problem or ""


def _extra_lines(
    inputs: BillInputs, combination_of: CombinationOf, out: _Lines, tax: Decimal, costs: list[Decimal]
) -> None:
    """The tax line and one freight line per additional cost, on their account (docs, "Bills -> invoices"),
    each rounded to the bill's currency as Procurify's total is (a float there too)."""
    currency = bill_currency(inputs.bill)
    wanted = [("Tax", "Tax", tax, inputs.tax_account, inputs.variable("bill_tax_account"))] if tax else []
    wanted += [
        (
            "Freight",
            "Freight and additional costs",
            cost,
            inputs.freight_account,
            inputs.variable("bill_freight_account"),
        )
        for cost in costs
        if cost
    ]
    for line_type, text, amount, setting_account, env in wanted:
        combination = setting_account or (out.largest[1] if out.largest else None)
        if combination is None:
            combination, problem = _largest_item_combination(inputs, combination_of)
            if combination is None:
                sentence = (
                    f"its {line_type.lower()} {in_currency(amount, currency)} has no account: {problem}; set "
                    f"{env} to the Fusion charge account for it"
                )
                setting_refusal = Refusal("configuration", sentence, {"system": "Fusion", "setting": env})
                out.problems.append(said(setting_refusal))
                continue
        number = len(out.lines) + 1
        out.lines.append(
            InvoiceLine(
                line_number=number,
                amount=in_currency(amount, currency),
                line_type=line_type,
                description=text,
                distributions=(
                    InvoiceDistribution(
                        1, in_currency(amount, currency), combination, line_type=line_type, description=text
                    ),
                ),
            )
        )


def map_bill(inputs: BillInputs, combination_of: CombinationOf) -> Mapped | Rejected:
    """One approved bill -> its Fusion invoice (docs, "Bills -> invoices"), held while its vendor or a PO it
    bills is not in Fusion yet, or the reason it cannot be one."""
    bill = inputs.bill
    bill_uuid = str(bill.get("uuid") or "")
    label = describe(bill)
    out = _item_lines(inputs, combination_of)
    problems = out.problems
    tax = bill_tax(bill, problems)
    if tax is None:
        tax = Decimal(0)
    found, cost_problems = additional_costs(bill)
    problems.extend(cost_problems)
    costs = [value for _position, _cost, value in found]
    if not out.waits:
        _extra_lines(inputs, combination_of, out, tax, costs)
    currency = currency_code(bill)
    known = bill_currency(bill)
    total = bill_total(bill, problems)
    if total is not None:
        total = in_currency(total, known)
    gross = sum((Decimal(str(line.amount)) for line in out.lines), Decimal(0))
    if total is not None and not problems and not out.waits and out.lines and gross != total:
        sentence = (
            f"its items, tax and additional costs come to {gross} {currency} but Procurify's total with "
            f"tax is {total} {currency}: correct the bill in Procurify and replay, or enter the "
            "invoice in Fusion by hand and abandon this item"
        )
        problems.append(said(source_invalid(sentence, field="total_cost_with_tax", value=str(total))))
    invoice_number = bill_fields.invoice_number(
        bill,
        problems,
        limit=INVOICE_NUMBER_MAX,
        too_long=f"Fusion's {INVOICE_NUMBER_MAX}; it is not cut short",
    )
    invoice_date = bill_day(bill.get("invoice_date"))
    if invoice_date is None:
        raw = bill.get("invoice_date")
        problems.append(
            said(source_invalid(f"the invoice date {raw!r} is not a date", field="invoice_date", value=raw))
        )
    if known is None:
        raw = bill.get("currency")
        problems.append(
            said(source_invalid(f"its currency {raw!r} is not a currency code", field="currency", value=raw))
        )
    vendor_id = bill_vendor_id(bill)
    if not vendor_id:
        problems.append(said(source_invalid("it names no vendor", field="vendor")))
    if not out.lines and not out.waits and not problems:
        problems.append(said(refused("it has no items", rule="no items")))
    if total is not None and not problems and not out.waits and total == 0:
        problems.append(
            said(refused(f"it comes to {total} {currency}: nothing to invoice", rule="zero total"))
        )
    if problems:
        sentence = f"{label}: " + "; ".join(problems)
        return Rejected.of(bill_uuid, refusal_for(sentence, problems, rule="bill not invoiceable"))
    assert total is not None and invoice_date is not None
    waits_for = inputs.vendor_dependency if inputs.site is None else (out.waits[0] if out.waits else "")
    fields = {
        "invoice_number": invoice_number,
        "supplier": inputs.site.supplier if inputs.site else "",
        "supplier_site": inputs.site.site if inputs.site else "",
        "business_unit": inputs.business_unit,
        "currency": currency,
        "invoice_amount": amounts.money(total, currency),
        "invoice_date": invoice_date.isoformat(),
        "lines": len(out.lines),
        "po_matched_lines": out.matched,
        "vendor_id": vendor_id,
        "waits_for": waits_for,
        "procurify_updated_at": version_text(inputs.updated_at),
    }
    if waits_for:  # mapped again when released: nothing to send yet
        return Mapped(
            bill_uuid,
            {WAITS_FOR: waits_for},
            fields,
            natural_key={"InvoiceNumber": invoice_number, "Supplier": fields["supplier"]},
            depends_on=waits_for,
        )
    assert inputs.site is not None
    note = " ".join(str(bill.get("note") or "").split())
    from_po = next(
        (inputs.orders[po].description for po in out.orders_used if inputs.orders[po].description), ""
    )
    accounting_date = bill_day(bill.get("gl_post_date"))
    foreign = currency != inputs.ledger_currency
    invoice = Invoice(
        invoice_number=invoice_number,
        supplier=inputs.site.supplier,
        supplier_site=inputs.site.site,
        amount=total,
        invoice_date=invoice_date,
        currency=currency,
        business_unit=inputs.business_unit,
        description=_label(note or from_po, "") or None,
        accounting_date=accounting_date,
        conversion_rate_type=inputs.conversion_rate_type if foreign else None,
        lines=tuple(out.lines),
        # The day Fusion converts at: the day it accounts the invoice on (docs, "Bills -> invoices").
        extra={"ConversionDate": accounting_date or invoice_date} if foreign else {},
    )
    return Mapped(
        bill_uuid,
        invoice.payload(),
        fields,
        natural_key={"InvoiceNumber": invoice_number, "Supplier": inputs.site.supplier},
    )
