"""Bills: per vendor (its Fusion supplier) and period, Procurify's approved bill register against the Fusion
payables invoices the invoices flow wrote for it, and each pair's paid status. Pure: ``reads`` fetches.

The period is the month of the bill's ``invoice_date``. Why the invoice date and not the last change: the
invoices flow sends ``InvoiceDate`` = ``invoice_date`` (``bill_mappers``), so both sides date a bill in the
same month and a period's totals can be compared; a change stamp would move a bill between periods every
time a clerk touched it. (``gl_post_date`` goes to ``AccountingDate``, which Fusion may move on its own.)

Procurify's side of a vendor and period: its bills dated in the period whose status counts as approved
(``ML_FUSION_PROCURIFY_BILL_STATUSES``, the invoices flow's own setting), each at ``total_cost_with_tax``
rounded to the cent (what the flow sends as ``InvoiceAmount``). A bill another process exported before this
integration sent it (``last_export_date``, no ``invoice`` cross-reference) is not this integration's to
send (the flow skips it): counted, left out of both sides.

Fusion's side: the invoices of those bills (the ``invoice`` cross-reference, bill uuid -> ``InvoiceId``),
each read from Fusion now; a canceled one counts nothing. Only invoices this integration wrote or adopted
are compared: Fusion's own invoices of the same supplier (entered there, another feed) are not a
difference.

Named, each with its amounts: an approved bill with no Fusion invoice (with why: the invoices flow's queue
or hold reason, or "not sent yet"), an invoice gone from Fusion or canceled there, an amount that differs,
an invoice of ours whose bill is no longer approved (or gone) in Procurify, and a pair whose paid status
disagrees, saying which side is behind.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from connector_assets.flows.reconciliation import Report, money
from connector_assets.flows.reconciliation_totals import SideTotals
from connector_assets.fusion.reconcile_reads import FusionInvoice
from connector_assets.procurify.reconcile_reads import RegisterBill
from connector_assets.procurify.register_comparison import RegisterComparison, RegisterWords


class BillRows(SideTotals):
    """Per vendor (and its supplier) and period: counts and totals of both sides."""

    def __init__(self) -> None:
        super().__init__(
            columns=(
                "Vendor",
                "Fusion supplier",
                "Period",
                "Procurify approved bills",
                "Procurify amount",
                "Fusion invoices",
                "Fusion amount",
            ),
            first="procurify",
            empty="No approved Procurify bill or Fusion invoice of ours changed this day.",
        )


def _paid_words(invoice: FusionInvoice) -> str:
    figures = (
        f", {money(invoice.amount_paid)} of {money(invoice.amount)} paid"
        if invoice.amount_paid is not None
        else ""
    )
    how = f" by {invoice.paid_how}" if invoice.paid_how else ""
    return f"{invoice.paid.replace('partial', 'partially paid')}{how}{figures}"


def compare_paid(
    report: Report, bill: RegisterBill, invoice: FusionInvoice, scope: str, why: str | None
) -> None:
    """One pair's paid status: Fusion's invoice (PaidStatus, else AmountPaid, else its payments) against
    the bill (status 4 Paid). ``why``: the payment status flow's queue reason for the invoice, if any."""
    if invoice.paid == "unknown":
        report.counts["paid_status_unknown_in_fusion"] += 1
        return
    if invoice.paid == "paid" and not bill.paid:
        if bill.payment_under_way:
            report.counts["paid_in_fusion_payment_under_way_in_procurify"] += 1
            return
        queued = why or "not marked paid yet, and not in the payment status flow's retry queue either"
        report.differ(
            "paid status",
            bill.label,
            scope,
            "Paid",
            bill.status,
            f"{invoice.label} is paid in Fusion ({_paid_words(invoice)}) but Procurify {bill.label} is "
            f"{bill.status}: Procurify is behind ({queued})",
        )
        return
    if bill.paid and invoice.paid != "paid":
        report.differ(
            "paid status",
            bill.label,
            scope,
            _paid_words(invoice),
            bill.status,
            f"Procurify {bill.label} is Paid but {invoice.label} is {_paid_words(invoice)} in Fusion: "
            "Fusion is behind (or the bill was marked paid in Procurify without a Fusion payment)",
        )
        return
    if invoice.paid == "partial":
        report.counts["bills_partially_paid_in_fusion"] += 1  # Procurify cannot record a part payment
        return
    report.counts["paid_status_agrees"] += 1


WORDS = RegisterWords.of(
    """
    target: fusion
    missing kind: bill missing in Fusion
    missing: Procurify {bill} of {vendor}, {status} for {amount}, has no Fusion invoice ({why})
    not sent: not sent yet, and not in the invoices flow's retry queue either
    no counterpart: the vendor has no Fusion supplier yet
    amount kind: invoice amount
    amount: Procurify {bill} of {vendor} is {amount} but {doc.label} is {other} in Fusion (difference {gap})
    """
)


@dataclass
class InvoicesOfBills(RegisterComparison):
    """The register against the Fusion invoices of ours, which a canceled invoice does not count for, and
    each pair's paid status (``why_unpaid``: InvoiceId -> the payment status flow's queue reason)."""

    why_unpaid: Mapping[str, str] = field(default_factory=dict)

    def not_approved(self, bill: RegisterBill, invoice: FusionInvoice | None) -> None:
        if invoice is None or not invoice.found or invoice.canceled:
            return
        self.rows.add(self.key, "fusion", invoice.amount)
        self.report.differ(
            "invoice without approved bill",
            bill.label,
            self.scope,
            money(invoice.amount),
            bill.status,
            f"{invoice.label} ({money(invoice.amount)}) was sent to Fusion for Procurify {bill.label} of "
            f"{self.vendor}, which is {bill.status} in Procurify now (the integration never cancels a Fusion "
            "invoice: cancel it in Fusion if that is right)",
        )

    def unusable(self, bill: RegisterBill, invoice: FusionInvoice) -> bool:
        if invoice.found and not invoice.canceled:
            return False
        gone = "canceled in Fusion" if invoice.found else "no longer in Fusion"
        self.report.differ(
            "bill missing in Fusion",
            bill.label,
            self.scope,
            "canceled" if invoice.found else "-",
            money(bill.amount),
            f"Procurify {bill.label} of {self.vendor}, {bill.status} for {money(bill.amount)}, was sent to "
            f"Fusion as {invoice.label}, which is {gone}",
        )
        return True

    def paired(self, bill: RegisterBill, invoice: FusionInvoice) -> None:
        compare_paid(self.report, bill, invoice, self.scope, self.why_unpaid.get(invoice.invoice_id))


def compare_vendor_period(
    report: Report,
    rows: BillRows,
    vendor: str,
    supplier: str | None,
    period: str,
    register: list[RegisterBill],
    invoices: dict[str, FusionInvoice],
    why_missing: dict[str, str],
    why_unpaid: dict[str, str],
) -> None:
    """One vendor's period. ``register``: the vendor's Procurify bills dated in the period (any status);
    ``supplier``: its Fusion supplier (label), None when the vendor has none; ``invoices``: bill uuid ->
    the Fusion invoice of ours written for it (read now), for every bill of the register that has one;
    ``why_missing``: bill uuid -> the invoices flow's queue or hold reason; ``why_unpaid``: InvoiceId ->
    the payment status flow's queue reason."""
    key = (vendor, supplier or "no Fusion supplier", period)
    rows.touch(key)
    comparison = InvoicesOfBills(
        report, rows, key, f"{vendor}, {period}", vendor, supplier, WORDS, why_unpaid
    )
    comparison.compare(register, invoices, why_missing)


def invoice_without_bill(report: Report, invoice: FusionInvoice, bill_uuid: str) -> None:
    """An invoice of ours whose Procurify bill Procurify no longer has."""
    report.differ(
        "invoice without approved bill",
        f"bill {bill_uuid}",
        invoice.supplier or "-",
        money(invoice.amount),
        "-",
        f"{invoice.label} of {invoice.supplier or 'an unknown supplier'} ({money(invoice.amount)}) was sent "
        f"to Fusion for Procurify bill {bill_uuid}, which Procurify no longer has",
    )
