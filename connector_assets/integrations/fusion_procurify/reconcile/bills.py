"""Bills: per vendor and period (the month of ``invoice_date``), Procurify's approved bill register against
the Fusion invoices the flow wrote, field by field and line by line, and the Fusion invoices no bill
explains; money per currency, never converted. Pure: ``day`` reads. docs/integrations/fusion_procurify.md,
"Reconciliation".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from connector_assets.flows.reconciliation import CURRENCY_MISMATCH, Report, currencies_differ, money
from connector_assets.flows.reconciliation_totals import SideTotals
from connector_assets.flows.values import text
from connector_assets.fusion.reconcile_reads import FusionInvoice
from connector_assets.procurify.bill_fields import (
    additional_costs,
    bill_tax,
    currency_code,
    in_currency,
    priced_items,
)
from connector_assets.procurify.reconcile_reads import RegisterBill
from connector_assets.procurify.register_comparison import RegisterComparison, RegisterWords

from ..bill_mappers import bill_currency
from .reads import GapsLike


class BillRows(SideTotals):
    """Per vendor (and its supplier) and period: counts and totals of both sides."""

    def __init__(self) -> None:
        super().__init__(
            columns=(
                "Vendor",
                "Fusion supplier",
                "Period",
                "Currency",
                "Procurify approved bills",
                "Procurify amount",
                "Fusion invoices",
                "Fusion amount",
            ),
            first="procurify",
            empty="No approved Procurify bill or Fusion invoice of ours changed this day.",
        )


@dataclass(frozen=True)
class ExpectedInvoice:
    """What the invoices flow sends for a bill, as Procurify holds it now: number, date, currency, amount,
    and the lines (``(LineType, amount)`` in order) when the bill was read in full (None otherwise)."""

    number: str
    invoice_date: str
    currency: str
    lines: tuple[tuple[str, Decimal], ...] | None = None


def expected_of(row: Mapping[str, Any], full: Mapping[str, Any] | None = None) -> ExpectedInvoice:
    """The invoice a bill becomes (``bill_mappers.map_bill``'s header and line amounts), from its list row
    and, when read, the full bill."""
    return ExpectedInvoice(
        number=text(row.get("invoice_number")),
        invoice_date=text(row.get("invoice_date"))[:10],
        currency=currency_code(row),
        lines=expected_lines(full) if full is not None else None,
    )


def expected_lines(bill: Mapping[str, Any]) -> tuple[tuple[str, Decimal], ...] | None:
    """One ``Item`` line per bill item (its amount), then a ``Tax`` line for ``tax_amount`` and a
    ``Freight`` line per additional cost, as the invoices flow writes them, in the bill's currency; None
    when the bill cannot be mapped (the flow refuses it, so there is nothing to compare)."""
    problems: list[str] = []
    currency = bill_currency(bill)
    lines = [
        ("Item", in_currency(amount, currency))
        for _position, _item, _where, amount in priced_items(bill, problems, currency)
    ]
    tax = bill_tax(bill, problems)
    costs, cost_problems = additional_costs(bill)
    if problems or cost_problems or currency is None:
        return None
    if tax:
        lines.append(("Tax", in_currency(tax, currency)))
    lines += [("Freight", in_currency(value, currency)) for _position, _cost, value in costs if value]
    return tuple(lines)


def _shown(value: Decimal | None, of: FusionInvoice | RegisterBill) -> str:
    """An amount of an invoice or a bill with its currency, in its decimals: ``1,000 JPY``."""
    return f"{money(value, of.currency or None)} {of.currency}".rstrip()


def _paid_words(invoice: FusionInvoice) -> str:
    figures = (
        f", {money(invoice.amount_paid, invoice.currency or None)} of {_shown(invoice.amount, invoice)} paid"
        if invoice.amount_paid is not None
        else ""
    )
    how = f" by {invoice.paid_how}" if invoice.paid_how else ""
    return f"{invoice.paid.replace('partial', 'partially paid')}{how}{figures}"


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
    """The register against the Fusion invoices of ours (``RegisterComparison``'s walk), each difference
    named with the invoice, the field and both values (Procurify's first), every pair compared field by
    field and line by line (``expected``: bill uuid -> what the flow sends for it), and the queue's word
    first (``gaps``). ``supplier_number``: the vendor's paired supplier's ``SupplierNumber`` ("": unknown)."""

    gaps: GapsLike | None = None
    expected: Mapping[str, ExpectedInvoice] = field(default_factory=dict)
    supplier_number: str = ""
    accounted: set[str] = field(default_factory=set)
    mismatched: set[str] = field(default_factory=set)  # bills whose invoice is in another currency

    def expected_gap(self, flow: str, bill: RegisterBill, *keys: str) -> bool:
        """Whether ``bill`` (or its pair) is an expected gap by ``flow``'s queue (counted once)."""
        if bill.uuid in self.accounted:
            return True
        if self.gaps is not None and self.gaps.account_for(self.report, flow, bill.label, *keys):
            self.accounted.add(bill.uuid)
            return True
        return False

    def _differ(
        self, kind: str, bill: RegisterBill, document: Any, field: str, mine: Any, theirs: Any, words: str
    ) -> None:
        if self.expected_gap("invoices", bill, bill.uuid):
            return
        label = getattr(document, "label", "") or "-"
        self.report.differ(kind, bill.label, self.scope, mine, theirs, words, counterpart=label, field=field)

    def differ(
        self, kind: str, bill: RegisterBill, value: str, template: str, document: Any = None, **more: Any
    ) -> None:
        """The walk's two differences (no invoice; another amount), Procurify's value first."""
        why = more.pop("why", "")
        if kind == self.words.missing_kind and self.expected_gap("invoices", bill, bill.uuid):
            return
        words = self.sentence(bill, template, document, why=why, **more)
        field = "invoice" if document is None else "InvoiceAmount"
        self._differ(kind, bill, document, field, money(bill.amount, bill.currency or None), value, words)

    def currency_mismatch(self, bill: RegisterBill, document: FusionInvoice) -> bool:
        """A pair in two currencies: named as such (both currencies and amounts), its amounts left out."""
        if not currencies_differ(bill.currency, document.currency):
            return False
        self.mismatched.add(bill.uuid)
        self._differ(
            CURRENCY_MISMATCH,
            bill,
            document,
            "InvoiceCurrency",
            bill.currency,
            document.currency,
            f"Procurify {bill.label} of {self.vendor} is in {bill.currency} "
            f"({_shown(bill.amount, bill)}) but {document.label} is in "
            f"{document.currency} ({_shown(document.amount, document)}) in Fusion: not the same money, so "
            "the amounts are not compared; correct the currency on the wrong side",
        )
        return True

    def not_approved(self, bill: RegisterBill, invoice: FusionInvoice | None) -> None:
        if invoice is None or not invoice.found or invoice.canceled:
            return
        self.report.compared += 1
        self.rows.add(self.key, "fusion", invoice.amount)
        self._differ(
            "bill status",
            bill,
            invoice,
            "status",
            bill.status,
            f"{invoice.status or 'open'}, {_shown(invoice.amount, invoice)}",
            f"{invoice.label} ({_shown(invoice.amount, invoice)}) was sent to Fusion for Procurify "
            f"{bill.label} of {self.vendor}, which is {bill.status} in Procurify now (the integration never "
            "cancels a Fusion invoice: cancel it in Fusion if that is right)",
        )

    def unusable(self, bill: RegisterBill, invoice: FusionInvoice) -> bool:
        if invoice.found and not invoice.canceled:
            return False
        self.report.compared += 1
        if invoice.found:
            self._differ(
                "invoice status",
                bill,
                invoice,
                "ValidationStatus",
                bill.status,
                invoice.status or "Canceled",
                f"Procurify {bill.label} of {self.vendor} is {bill.status} for "
                f"{_shown(bill.amount, bill)} but {invoice.label}, sent for it, is canceled in Fusion",
            )
        else:
            self._differ(
                "invoice missing in Fusion",
                bill,
                invoice,
                "invoice",
                money(bill.amount, bill.currency or None),
                "-",
                f"Procurify {bill.label} of {self.vendor}, {bill.status} for {_shown(bill.amount, bill)}, "
                f"was sent to Fusion as {invoice.label}, which Fusion no longer has",
            )
        return True

    def paired(self, bill: RegisterBill, invoice: FusionInvoice) -> None:
        self.report.compared += 1
        expected = self.expected.get(bill.uuid)
        if expected is not None:
            self._header(bill, invoice, expected)
            self._lines(bill, invoice, expected)
        compare_paid(self, bill, invoice)

    def _header(self, bill: RegisterBill, invoice: FusionInvoice, expected: ExpectedInvoice) -> None:
        checks = (  # the currency is compared first, with the amount (``currency_mismatch``)
            ("invoice number", "InvoiceNumber", expected.number, invoice.number),
            ("invoice date", "InvoiceDate", expected.invoice_date, invoice.invoice_date),
            ("invoice supplier", "SupplierNumber", self.supplier_number, invoice.supplier_number),
        )
        for kind, name, mine, theirs in checks:
            if mine and theirs and mine != theirs:
                self._differ(
                    kind,
                    bill,
                    invoice,
                    name,
                    mine,
                    theirs,
                    f"Procurify {bill.label} of {self.vendor} has {name} {mine} but {invoice.label} has "
                    f"{theirs} in Fusion",
                )

    def _lines(self, bill: RegisterBill, invoice: FusionInvoice, expected: ExpectedInvoice) -> None:
        if expected.lines is None or invoice.lines is None or bill.uuid in self.mismatched:
            return
        currency = bill.currency or None
        live = [line for line in invoice.lines if not line.canceled]
        if len(live) != len(expected.lines):
            self._differ(
                "invoice lines",
                bill,
                invoice,
                "invoiceLines",
                len(expected.lines),
                len(live),
                f"Procurify {bill.label} of {self.vendor} makes {len(expected.lines)} invoice line(s) "
                f"({_line_list(expected.lines, currency)}) but {invoice.label} has {len(live)} "
                f"({_line_list(((line.line_type, line.amount) for line in live), currency)})",
            )
            return
        for (line_type, amount), line in zip(expected.lines, live, strict=True):
            if amount != line.amount:
                self._differ(
                    "invoice line amount",
                    bill,
                    invoice,
                    f"line {line.number} ({line.line_type}) LineAmount",
                    money(amount, currency),
                    money(line.amount, currency),
                    f"Procurify {bill.label} of {self.vendor}: its {line_type.lower()} line is "
                    f"{money(amount, currency)} but line {line.number} of {invoice.label} is "
                    f"{money(line.amount, currency)} in Fusion (difference "
                    f"{money(line.amount - amount, currency)})",
                )


def _line_list(lines: Any, currency: str | None) -> str:
    return ", ".join(f"{kind} {money(amount, currency)}" for kind, amount in lines)


def compare_paid(comparison: InvoicesOfBills, bill: RegisterBill, invoice: FusionInvoice) -> None:
    """One pair's paid status: Fusion's invoice (PaidStatus, else AmountPaid, else its payments) against
    the bill (status 4 Paid); a pair the payment status flow queued is an expected gap."""
    report, scope = comparison.report, comparison.scope
    if invoice.paid == "unknown":
        report.counts["paid_status_unknown_in_fusion"] += 1
        return
    behind = ""
    if invoice.paid == "paid" and not bill.paid:
        if bill.payment_under_way:
            report.counts["paid_in_fusion_payment_under_way_in_procurify"] += 1
            return
        behind = (
            f"{invoice.label} is paid in Fusion ({_paid_words(invoice)}) but Procurify {bill.label} is "
            f"{bill.status}: Procurify is behind (not marked paid yet, and not in the payment status flow's "
            "retry queue either)"
        )
    elif bill.paid and invoice.paid != "paid":
        behind = (
            f"Procurify {bill.label} is Paid but {invoice.label} is {_paid_words(invoice)} in Fusion: Fusion "
            "is behind (or the bill was marked paid in Procurify without a Fusion payment)"
        )
    elif invoice.paid == "partial":
        report.counts["bills_partially_paid_in_fusion"] += 1  # Procurify cannot record a part payment
        return
    if not behind:
        report.counts["paid_status_agrees"] += 1
        return
    if comparison.expected_gap("payment_status", bill, invoice.invoice_id):
        return
    report.differ(
        "paid status",
        bill.label,
        scope,
        bill.status,
        _paid_words(invoice),
        behind,
        counterpart=invoice.label,
        field="status / PaidStatus",
    )


def compare_vendor_period(
    report: Report,
    rows: BillRows,
    vendor: str,
    supplier: str | None,
    period: str,
    register: list[RegisterBill],
    invoices: dict[str, FusionInvoice],
    gaps: GapsLike | None = None,
    expected: Mapping[str, ExpectedInvoice] | None = None,
    supplier_number: str = "",
) -> None:
    """One vendor's period. ``register``: the vendor's Procurify bills dated in the period (any status);
    ``supplier``: its Fusion supplier (label), None when the vendor has none; ``invoices``: bill uuid ->
    the Fusion invoice of ours written for it (read now), for every bill of the register that has one;
    ``gaps``: the flows' queues; ``expected``: bill uuid -> what the flow sends for it (its header, and its
    lines when the bill was read in full); ``supplier_number``: the paired supplier's number."""
    # One row per currency the vendor billed in that period: a total adds amounts of one currency only.
    for currency in sorted({bill.currency for bill in register}) or [""]:
        bills = [bill for bill in register if bill.currency == currency]
        key = (vendor, supplier or "no Fusion supplier", period, currency or "-")
        rows.touch(key)
        comparison = InvoicesOfBills(
            report,
            rows,
            key,
            f"{vendor}, {period}",
            vendor,
            supplier,
            WORDS,
            gaps=gaps,
            expected=expected or {},
            supplier_number=supplier_number,
        )
        missing = [b for b in bills if b.approved and b.uuid not in invoices and not b.exported_elsewhere]
        report.compared += len(missing)
        comparison.compare(bills, invoices, {})


def invoice_without_bill(report: Report, invoice: FusionInvoice, bill_uuid: str) -> None:
    """An invoice of ours whose Procurify bill Procurify no longer has."""
    report.compared += 1
    report.differ(
        "bill missing in Procurify",
        f"bill {bill_uuid}",
        invoice.supplier or "-",
        "-",
        money(invoice.amount, invoice.currency or None),
        f"{invoice.label} of {invoice.supplier or 'an unknown supplier'} ({_shown(invoice.amount, invoice)}) "
        f"was sent to Fusion for Procurify bill {bill_uuid}, which Procurify no longer has",
        counterpart=invoice.label,
        field="bill",
    )


def invoice_only_in_fusion(report: Report, invoice: FusionInvoice, vendor: str) -> None:
    """A Fusion invoice created that day for a supplier paired with Procurify ``vendor`` that no Procurify
    bill explains (entered in Fusion, or by another process)."""
    report.compared += 1
    report.differ(
        "invoice only in Fusion",
        f"no bill ({vendor})",
        f"{vendor}, {invoice.invoice_date[:7] or '?'}",
        "-",
        money(invoice.amount, invoice.currency or None),
        f"{invoice.label} of {invoice.supplier or 'its supplier'} ({_shown(invoice.amount, invoice)}, dated "
        f"{invoice.invoice_date or '?'}) was created in Fusion that day for a supplier paired with {vendor}, "
        "and no Procurify bill explains it",
        counterpart=invoice.label,
        field="invoice",
    )
