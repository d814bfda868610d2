"""The day's Coupa Pay payments against what JDE recorded in F0414, one per ``payment-details`` entry.
Which payments and what is compared: docs/integrations/coupa_jde.md, "Reconciliation".
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from connector_assets.coupa.reconcile_day import shown_money
from connector_assets.coupa.reconcile_reads import amount_of, text, touched
from connector_assets.jde.reconcile_documents import document_amount, payments_by_reference
from connector_resources.jde import JdeError

from ..payments import READY_PAYMENT_STATUSES
from .batches import invoice_batches
from .sides import Day

INVOICE = "InvoiceHeader"


def compare_payments(day: Day) -> None:
    payments = touched(day.coupa, "payments", day.start, day.end)
    details: list[tuple[str, str, Decimal, str]] = []  # (payment id, invoice id, amount, reference)
    ready = [p for p in payments if text(p.get("status")) in READY_PAYMENT_STATUSES]
    ours = _ours(day, ready)
    for payment in ready:
        if payment.get("exported") and str(payment["id"]) not in ours:
            day.report.counts["coupa_payments_exported_elsewhere"] += 1  # another process took it to an ERP
            continue
        for detail in payment.get("payment-details") or []:
            amount = amount_of(detail.get("payment-total"))
            invoice = str(detail.get("source-transaction-id") or "")
            if text(detail.get("source-transaction-type") or INVOICE) != INVOICE or not invoice.isdigit():
                continue
            if amount is not None and amount > 0:
                details.append((str(payment["id"]), invoice, amount, f"COUPAPAY-{payment['id']}"))
    day.report.counts["coupa_payments_in_window"] = len(payments)
    if not details:
        return
    with day.jde.session() as session:
        unread = {i for _, i, _, _ in details} - set(day.batches)
        day.batches.update(invoice_batches(session, day, unread))
        try:
            recorded = payments_by_reference(session, {ref for *_, ref in details})
        except JdeError as exc:  # an AIS user without F0414: the payments cannot be verified here
            day.report.counts["coupa_payments_not_verifiable"] = len(details)
            day.report.tables["payments_not_verifiable"] = f"F0414 could not be read: {exc}"
            return
    elsewhere = _exported_elsewhere(day, {i for _, i, _, _ in details if i not in day.batches})
    on_voucher: dict[tuple[str, tuple], Decimal] = defaultdict(Decimal)
    for reference, rows in recorded.items():
        for row in rows:
            voucher = (text(row.get("KCO")), int(row["DOC"]), text(row.get("DCT")))
            on_voucher[(reference, voucher)] += document_amount(row, "PAAP", "PFAP")  # the voucher's currency
    for payment_id, invoice, amount, reference in details:
        record = f"payment {payment_id} of invoice {invoice}"
        batch = day.batches.get(invoice)
        voucher = batch.voucher if batch is not None else None
        supplier = text(batch.pay_items[0].get("AN8")) if batch is not None else ""
        key = f"{payment_id}:{invoice}"
        if invoice in elsewhere:  # the flow leaves it, as it leaves its invoice: another process's
            day.report.counts["coupa_payments_of_invoices_exported_elsewhere"] += 1
            continue
        if voucher is None or (reference, voucher) not in on_voucher:
            if day.expected(day.payments, record, key):
                continue
            where = f"voucher {voucher[0]}/{voucher[1]}/{voucher[2]}" if voucher else "no voucher of it"
            words = (
                f"Coupa Pay {record} ({shown_money(amount)}) is not recorded in JDE ({where}: no payment "
                f"{reference}), and not in the retry queue either"
            )
            day.report.differ(
                "payment missing in JDE", record, supplier, shown_money(amount), "missing", words,
                counterpart=where, field="payment",
            )  # fmt: skip
            continue
        day.report.compared += 1
        paid = on_voucher[(reference, voucher)]
        if paid != amount:
            counterpart = f"voucher {voucher[0]}/{voucher[1]}/{voucher[2]}"
            with day.held_differently(day.payments, record, key):
                day.field(
                    "payment amount", f"Coupa Pay {record}", record, supplier, f"{counterpart} ({reference})",
                    "amount", shown_money(amount), shown_money(paid),
                )  # fmt: skip


def _ours(day: Day, payments: list[dict]) -> set[str]:
    """The payments this flow wrote a record of (its cross-reference), exported by its own mark: still
    compared, as the flow still reads them."""
    keys = {
        f"{p['id']}:{d.get('source-transaction-id')}": str(p["id"])
        for p in payments
        for d in p.get("payment-details") or []
    }
    xrefs = day.ledger.get_xrefs(day.payments.integration, day.payments.entity, "coupa", list(keys), "JDE")
    return {keys[k] for k, x in xrefs.items() if x is not None and x.target_id}


def _exported_elsewhere(day: Day, invoices: set[str]) -> set[str]:
    """Of ``invoices`` (those JDE holds no batch of), the ones another process exported from Coupa and this
    integration never wrote: their payments are that process's too (the flow skips them by rule). Read
    from Coupa by id (``id[in]``, 49 a call)."""
    if not invoices:
        return set()
    spec = day.invoices
    xrefs = day.ledger.get_xrefs(spec.integration, spec.entity, "coupa", sorted(invoices), "JDE")
    ours = {key for key, xref in xrefs.items() if xref is not None and xref.target_id}
    found = day.coupa.iter_in("invoices", "id", sorted(invoices - ours), fields=["exported"])
    return {str(r["id"]) for r in found if r.get("exported")}
