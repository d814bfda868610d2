"""The day's JDE vouchers against their Coupa invoices, header and every line by line number.

The JDE side is read and mapped as the flow does (``changed_vouchers``, then ``voucher_record`` with the
staged account snapshot); Coupa is read by invoice number, 49 a call, each answer kept under its own
supplier. What is compared: docs/integrations/jde_coupa.md, "Reconciliation".
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from connector_assets.coupa.reconcile_day import shown, shown_money, shown_quantity
from connector_assets.coupa.reconcile_reads import amount_of, by_key, code_of, day_of, number_of, text
from connector_assets.flows.reconciliation import CURRENCY_MISMATCH, currencies_differ
from connector_assets.flows.reconciliation_totals import SideTotals
from connector_assets.jde.documents import JdeVoucher, changed_vouchers

from ..invoices import original_vouchers, voucher_record
from .sides import Day, Kind, Own, Said, in_coupa, planned
from .suppliers import label as supplier_label

DEAD = frozenset({"voided", "abandoned"})  # Coupa statuses of an invoice that no longer stands
INVOICE, CREDIT_NOTE = "Invoice", "Credit Note"  # Coupa's document-type, shown on every invoice


def compare_invoices(day: Day, own: Own, names: dict[str, str]) -> None:
    accounts = own.mapping.accounts.snapshot(day.staging)
    changed = changed_vouchers(day.staging, day.jde, day.day)
    originals = original_vouchers(day.jde, changed)
    vouchers, refused = planned(changed, lambda v: voucher_record(v, accounts, own.mapping, originals))
    keys = [*vouchers, *refused]
    numbers = {key: text(v[0].pay_items[0].get("VINV")) for key, v in {**vouchers, **refused}.items()}
    found = by_key(
        day.coupa,
        "invoices",
        "invoice_number",
        numbers.values(),
        lambda r: (number_of(r.get("supplier")), text(r.get("invoice-number"))),
    )
    totals = SideTotals(
        ("Supplier", "JDE vouchers", "JDE gross", "Coupa invoices", "Coupa total"),
        "JDE",
        "No vouchers that day.",
    )

    def said(key: str) -> Said:
        voucher = (vouchers.get(key) or refused[key])[0]
        supplier = str(int(voucher.pay_items[0]["AN8"]))
        record = f"voucher {key}" + (f" (invoice {numbers[key]})" if numbers[key] else "")
        what = f"{record} of {supplier_label(supplier, names.get(supplier, ''))}"
        return Said(supplier, record, what, voucher.gross())

    matched = {}
    for key in keys:  # an invoice number is unique per supplier: kept only under its own
        candidates = found.get((said(key).supplier, numbers[key])) or []
        if candidates:
            matched[key] = candidates[0]
    for key, named, coupa in in_coupa(
        day,
        Kind(own.invoices, "invoices", "invoice", "total-with-taxes"),
        keys,
        matched,
        refused,
        said,
        totals,
    ):
        voucher, body = vouchers[key] if key in vouchers else (refused[key][0], None)
        _compare(day, named.record, named.what, named.supplier, voucher, body, coupa)
    totals.report_to(day.report, "invoice_suppliers", "invoices_per_supplier")


def _compare(
    day: Day,
    record: str,
    what: str,
    supplier: str,
    voucher: JdeVoucher,
    body: dict[str, Any] | None,
    coupa: dict[str, Any],
) -> None:
    """The header and lines as the flow writes them (``body``; None when it refuses the voucher now: only
    its gross and status are compared) against Coupa's invoice."""
    counterpart = f"invoice {coupa['id']}"

    def differ(kind: str, field_name: str, jde_value: str, coupa_value: str, where: str = "") -> None:
        day.field(kind, f"{what}{where}", record, supplier, counterpart, field_name, jde_value, coupa_value)

    status = text(coupa.get("status"))
    if status in DEAD:
        paid = sorted({text(item.get("PST")) for item in voucher.pay_items} - {""})
        differ("status", "status", f"pay status {'/'.join(paid)}" if paid else "open", status)
    amounts_differ = body is not None and _compare_body(differ, body, coupa)
    # In the voucher's currency, as the invoices flow reads it (ACR for a foreign voucher, AG otherwise).
    gross, their_gross = voucher.gross(), amount_of(coupa.get("total-with-taxes"))
    if not amounts_differ and gross != their_gross:  # a line or the tax named already says why
        differ("gross", "total-with-taxes", shown_money(gross), shown_money(their_gross))


def _compare_body(differ: Any, body: dict[str, Any], coupa: dict[str, Any]) -> bool:
    """The header fields and lines of ``body`` against Coupa's; True when an amount (a line's, the tax)
    differs."""
    header = [
        ("invoice number", "invoice-number", body["invoice-number"], text(coupa.get("invoice-number"))),
        ("supplier", "supplier", body["supplier"]["number"], number_of(coupa.get("supplier"))),
        ("invoice date", "invoice-date", body["invoice-date"], day_of(coupa.get("invoice-date")) or ""),
        (CURRENCY_MISMATCH, "currency", body["currency"]["code"], code_of(coupa.get("currency"))),
        (
            "document type",
            "document-type",
            CREDIT_NOTE if body.get("is-credit-note") else INVOICE,
            text(coupa.get("document-type")),
        ),
    ]
    for kind, field_name, jde_value, coupa_value in header:
        if kind == "document type" and not coupa_value:
            coupa_value = INVOICE  # Coupa's default when it does not say
        if text(jde_value) != coupa_value:
            differ(kind, field_name, shown(jde_value), shown(coupa_value))
    if currencies_differ(body["currency"]["code"], code_of(coupa.get("currency"))):
        return True  # amounts in two currencies: the mismatch is named, the amounts are not compared
    tax = amount_of(body.get("tax-amount")) or Decimal(0)
    their_tax = amount_of(coupa.get("tax-amount")) or Decimal(0)
    amounts = tax != their_tax
    if amounts:
        differ("tax", "tax-amount", shown_money(tax), shown_money(their_tax))
    lines = {
        int(line["line-num"]): line
        for line in coupa.get("invoice-lines") or []
        if line.get("line-num") is not None
    }
    for line in body["invoice-lines"]:
        number = int(line["line-num"])
        where = f", line {number}"
        theirs = lines.pop(number, None)
        if theirs is None:
            amount = Decimal(str(line["price"])) * Decimal(str(line["quantity"]))
            differ("line missing in Coupa", f"line {number}", shown_money(amount), "missing", where)
            amounts = True
            continue
        price, their_price = Decimal(str(line["price"])), amount_of(theirs.get("price"))
        if price != their_price:
            differ("line amount", "price", shown_money(price), shown_money(their_price), where)
            amounts = True
        quantity, their_quantity = Decimal(str(line["quantity"])), amount_of(theirs.get("quantity"))
        if their_quantity is not None and quantity != their_quantity:
            differ(
                "line quantity", "quantity", shown_quantity(quantity), shown_quantity(their_quantity), where
            )
            amounts = True
        account, their_account = code_of(line.get("account")), code_of(theirs.get("account"))
        if account != their_account:
            differ("line account", "account", shown(account), shown(their_account), where)
        if text(line.get("description")) != text(theirs.get("description")):
            description = shown(line.get("description"))
            differ("line description", "description", description, shown(theirs.get("description")), where)
    for number in sorted(lines):
        total = shown_money(amount_of(lines[number].get("total")))
        differ("line only in Coupa", f"line {number}", "missing", total)
        amounts = True
    return amounts
