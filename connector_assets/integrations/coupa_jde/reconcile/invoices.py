"""The day's Coupa invoices against the JDE voucher batches the invoices flow wrote for them, G/L lines by
the flow's own plan (``invoices.distribution``). Which invoices and what is compared:
docs/integrations/coupa_jde.md, "Reconciliation".
"""

from __future__ import annotations

from typing import Any

from connector_assets.coupa.reconcile_day import shown, shown_money
from connector_assets.coupa.reconcile_reads import code_of, day_of, number_of, text, touched
from connector_assets.flows.reconciliation import CURRENCY_MISMATCH, currencies_differ
from connector_assets.jde.reconcile_documents import (
    PAY_ITEM_MONEY_COLUMNS,
    VOIDED,
    BatchLines,
    account_key,
    document_amount,
    gross,
    open_amount,
    pay_items,
    row_account,
)
from connector_resources.jde.dates import parse_jde_date

from ..accounts import AccountMap
from ..invoices import READY_INVOICE_STATUSES, distribution, supplier_number
from .batches import invoice_batches
from .sides import Day, where_in_jde

DEAD = frozenset({"voided", "abandoned"})  # Coupa statuses of an invoice that no longer stands


def compare_invoices(day: Day) -> None:
    invoices = touched(day.coupa, "invoices", day.start, day.end)
    ids = [str(i["id"]) for i in invoices]
    xrefs = day.ledger.get_xrefs(day.own.name, day.invoices.entity, "coupa", ids, "JDE")
    ours = {key for key, xref in xrefs.items() if xref is not None and xref.target_id}
    wanted: dict[str, dict[str, Any]] = {}
    for invoice in invoices:
        key, status = str(invoice["id"]), text(invoice.get("status"))
        if key in ours or (status in READY_INVOICE_STATUSES and not invoice.get("exported")):
            wanted[key] = invoice
        elif status in READY_INVOICE_STATUSES:
            day.report.counts["coupa_invoices_exported_elsewhere"] += 1
        else:
            day.report.counts["coupa_invoices_not_for_jde"] += 1  # draft, in approval, voided unsent ...
    day.report.counts["coupa_invoices_in_window"] = len(invoices)
    accounts = AccountMap(day.own.accounts.snapshot(day.staging), day.own.accounts.name)
    with day.jde.session() as session:
        found = invoice_batches(session, day, wanted)
        vouchers = [b.voucher for b in found.values() if b.voucher is not None]
        columns = ["KCO", "DOC", "DCT", "SFX", "AAP", "FAP", "PST", "VOD", *PAY_ITEM_MONEY_COLUMNS]
        ledger = pay_items(session, vouchers, columns) if vouchers else {}
        pattern = session.date_pattern
    day.batches.update(found)
    for key, invoice in wanted.items():
        number = text(invoice.get("invoice-number"))
        record = f"invoice {key}" + (f" ({number})" if number else "")
        supplier = number_of(invoice.get("supplier")) or text((invoice.get("supplier") or {}).get("name"))
        what = f"Coupa {record} of supplier {supplier or '?'}"
        batch = found.get(key)
        if batch is None:
            _missing(day, record, what, supplier, xrefs.get(key), key)
            continue
        day.compared.add(key)
        day.report.compared += 1
        items = ledger.get(batch.voucher, []) if batch.voucher is not None else []
        with day.held_differently(day.invoices, record, key):
            _compare(day, record, what, supplier, invoice, batch, items, accounts, pattern)


def _missing(day: Day, record: str, what: str, supplier: str, xref: Any, key: str) -> None:
    if day.expected(day.invoices, record, key):
        return
    if xref is not None and xref.target_id:
        words = f"{what} was written to JDE as batch {xref.target_id}, which JDE no longer holds"
    else:
        words = f"{what} is not in JDE, and not in the retry queue either"
    day.report.differ(
        "missing in JDE", record, supplier, "present", "missing", words,
        counterpart=(xref.target_id if xref is not None and xref.target_id else ""), field="record",
    )  # fmt: skip


def _compare(
    day: Day,
    record: str,
    what: str,
    supplier: str,
    invoice: dict[str, Any],
    batch: BatchLines,
    items: list[dict[str, Any]],
    accounts: AccountMap,
    pattern: Any,
) -> None:
    counterpart = where_in_jde(batch)

    def differ(kind: str, field_name: str, coupa_value: str, jde_value: str, where: str = "") -> None:
        day.field(kind, f"{what}{where}", record, supplier, counterpart, field_name, coupa_value, jde_value)

    first = batch.pay_items[0]
    an8 = supplier_number(day.ledger, invoice.get("supplier"), day.own) or ""
    jde_an8 = str(int(first["AN8"])) if str(first.get("AN8") or "").strip() else ""
    if an8 != jde_an8:
        differ("supplier", "supplier", shown(an8), shown(jde_an8))
    if text(invoice.get("invoice-number")) != text(first.get("VINV")):
        differ(
            "invoice number", "invoice-number", shown(invoice.get("invoice-number")), shown(first.get("VINV"))
        )
    invoice_day = day_of(invoice.get("invoice-date")) or ""
    jde_day = parse_jde_date(first.get("DIVJ"), pattern)
    if invoice_day != (jde_day.isoformat() if jde_day else ""):
        differ(
            "invoice date", "invoice-date", shown(invoice_day), shown(jde_day.isoformat() if jde_day else "")
        )
    currency = code_of(invoice.get("currency")).upper()
    held_in = text(first.get("CRCD")).upper()
    mismatch = currencies_differ(currency, held_in)
    if mismatch:  # amounts in two currencies: named once as the currency, never as amounts
        differ(CURRENCY_MISMATCH, "currency", shown(currency), shown(held_in))
    _status(day, record, what, supplier, invoice, items, counterpart)
    if mismatch:
        return
    planned = distribution(invoice, accounts)
    lines = dict(batch.distribution)
    amounts_differ = False
    for number, (account, amount, _text, source) in enumerate(planned.lines, start=1):
        where = f", {source}"
        row = lines.pop(number, None)
        if row is None:
            differ("line missing in JDE", f"line {number}", shown_money(amount), "missing", where)
            amounts_differ = True
            continue
        theirs = document_amount(row, "AA")
        if amount != theirs:
            differ("line amount", "amount", shown_money(amount), shown_money(theirs), where)
            amounts_differ = True
        if account_key(account) != row_account(row, "MCU"):
            differ(
                "line account", "account", shown(account_key(account)), shown(row_account(row, "MCU")), where
            )
    for number in sorted(lines):
        differ(
            "line only in JDE", f"line {number}", "missing", shown_money(document_amount(lines[number], "AA"))
        )
        amounts_differ = True
    held = gross(items or batch.pay_items)
    total = planned.total * planned.sign if planned.total is not None else None
    if not amounts_differ and total != held:  # a line named already says why
        differ("gross", "gross", shown_money(total), shown_money(held))
    still_open = open_amount(items)
    if invoice.get("paid") is True and items and still_open and not _voided(items):
        jde_value = f"{shown_money(still_open)} open"
        words = f"{what}: paid in Coupa but {jde_value} in JDE {counterpart}"
        day.report.differ(
            "paid", record, supplier, "paid", jde_value, words, counterpart=counterpart, field="paid"
        )


def _status(
    day: Day, record: str, what: str, supplier: str, invoice: dict[str, Any], items: list, counterpart: str
) -> None:
    """An invoice voided in Coupa while JDE holds its voucher, or a voucher voided in JDE (F0411 VOD, by
    the A/P clerk) while its invoice stands in Coupa: A/P would no longer pay what Coupa says is owed."""
    status = text(invoice.get("status"))
    if (status in DEAD) != _voided(items):
        day.field("status", what, record, supplier, counterpart, "status", status or "?", _standing(items))


def _voided(items: list[dict[str, Any]]) -> bool:
    """Every pay item of the voucher voided in JDE (F0411 VOD V)."""
    return bool(items) and all(text(i.get("VOD")) == VOIDED for i in items)


def _standing(items: list[dict[str, Any]]) -> str:
    """How JDE holds a voucher, in a finance user's words: voided, its pay status, or an unprocessed
    batch."""
    if not items:
        return "batch not processed yet"
    if _voided(items):
        return "voided"
    statuses = sorted({text(i.get("PST")) for i in items} - {""})
    return f"pay status {'/'.join(statuses)}" if statuses else "voucher"
