"""The day's Coupa Pay payments against what JDE recorded: each payment of an invoice (one per
``payment-details`` entry, as the payments flow records them) found in F0414 under its reference
(``COUPAPAY-<id>``, read by reference, 100 to a call) on the voucher of its invoice, at its amount.

Which payments: every Coupa Pay payment Coupa created or changed that day, in a status the flow records
(money committed: ``READY_PAYMENT_STATUSES``), for an amount above zero (a refund or a credit is refused by
rule and queued). One JDE has not recorded is an expected gap when the retry queue holds it (held until its
invoice's voucher exists, refused), else a difference.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from connector_assets.coupa.reconcile_reads import amount_of, text, touched
from connector_assets.integrations.coupa_jde.invoices import BatchKey
from connector_assets.integrations.coupa_jde.payments import PAYMENTS_FLOW, READY_PAYMENT_STATUSES
from connector_assets.integrations.coupa_jde.reconcile.sides import Day, shown_money
from connector_assets.jde.reconcile_documents import batch_lines, payments_by_reference
from connector_resources.jde import JdeError

INVOICE = "InvoiceHeader"


def compare_payments(day: Day) -> None:
    payments = touched(day.coupa, "payments", day.start, day.end)
    details: list[tuple[str, str, Decimal, str]] = []  # (payment id, invoice id, amount, reference)
    for payment in payments:
        if text(payment.get("status")) not in READY_PAYMENT_STATUSES:
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
        day.batches.update(batch_lines(session, {i: BatchKey.for_invoice(i) for i in unread}))
        try:
            recorded = payments_by_reference(session, {ref for *_, ref in details})
        except JdeError as exc:  # an AIS user without F0414: the payments cannot be verified here
            day.report.counts["coupa_payments_not_verifiable"] = len(details)
            day.report.tables["payments_not_verifiable"] = f"F0414 could not be read: {exc}"
            return
    on_voucher: dict[tuple[str, tuple], Decimal] = defaultdict(Decimal)
    for reference, rows in recorded.items():
        for row in rows:
            voucher = (text(row.get("KCO")), int(row["DOC"]), text(row.get("DCT")))
            on_voucher[(reference, voucher)] += amount_of(row.get("PAAP")) or Decimal(0)
    for payment_id, invoice, amount, reference in details:
        record = f"payment {payment_id} of invoice {invoice}"
        batch = day.batches.get(invoice)
        voucher = batch.voucher if batch is not None else None
        supplier = text(batch.pay_items[0].get("AN8")) if batch is not None else ""
        key = f"{payment_id}:{invoice}"
        if voucher is None or (reference, voucher) not in on_voucher:
            if day.expected(PAYMENTS_FLOW, record, key):
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
            day.field(
                "payment amount", f"Coupa Pay {record}", record, supplier, f"{counterpart} ({reference})",
                "amount", shown_money(amount), shown_money(paid),
            )  # fmt: skip
