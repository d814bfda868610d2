"""Bills: each Procurify bill against the JDE batch (and voucher) the bills flow wrote, found by the batch
keys derived from its UUID (``bill_mappers.batch_key``), and vouchers no bill explains. What is compared:
docs/integrations/jde_procurify.md, "Reconciliation".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any

from connector_assets.flows.reconciliation import CURRENCY_MISMATCH, Report, currencies_differ, money
from connector_assets.flows.reconciliation_expected import Expectations
from connector_assets.flows.reconciliation_totals import SideTotals
from connector_assets.jde.reconcile_reads import JdeBatch, JdeVoucherState
from connector_assets.procurify.bill_fields import bill_vendor_id, currency_code
from connector_assets.procurify.order_fields import words
from connector_assets.procurify.reconcile_reads import register_bill

from ..bill_mappers import BATCH_KEYS, bill_iso_day

# The bill UUID a batch's keys hold (``bill_mappers.batch_key`` reversed), None for a batch of another kind.
bill_uuid_of = BATCH_KEYS.uuid_of


@dataclass(frozen=True)
class ProcurifyBill:
    """A Procurify bill as the comparison reads it (a list row or a full read)."""

    uuid: str
    invoice: str
    vendor_id: str
    vendor: str  # "Procurify vendor 77 (Granite Supply)"
    amount: Decimal
    status: str  # "Approved", "Paid", ... as Procurify names it
    approved: bool
    exported_elsewhere: bool
    paid: bool
    payment_under_way: bool
    invoice_date: str | None
    gl_date: str | None  # what the flow posts as the G/L date: gl_post_date, else invoice_date
    currency: str  # the 3-letter code the flow sends, "" when none

    @property
    def label(self) -> str:
        return f"bill {self.uuid} (invoice {self.invoice or 'none'})"

    @property
    def period(self) -> str | None:
        return self.gl_date[:7] if self.gl_date else None


def procurify_bill(bill: Mapping[str, Any], statuses: frozenset[int], sent: bool) -> ProcurifyBill:
    """A bill row as compared; ``statuses`` count as approved, ``sent``: the integration posted it."""
    base = register_bill(bill, "", statuses, sent)
    vendor = bill.get("vendor") if isinstance(bill.get("vendor"), Mapping) else {}
    vendor_id = bill_vendor_id(bill)
    name = words(vendor.get("name"))
    invoice_date = bill_iso_day(bill.get("invoice_date"))
    code = currency_code(bill)
    read = {name: value for name, value in asdict(base).items() if name not in ("period", "currency")}
    return ProcurifyBill(
        **read,
        vendor_id=vendor_id,
        vendor=f"Procurify vendor {vendor_id}" + (f" ({name})" if name else ""),
        invoice_date=invoice_date,
        gl_date=bill_iso_day(bill.get("gl_post_date")) or invoice_date,
        currency=code if len(code) == 3 and code.isalpha() else "",
    )


class BillRows(SideTotals):
    """Per vendor and period: counts and totals of both sides."""

    def __init__(self) -> None:
        super().__init__(
            columns=("Vendor", "Period", "Procurify bills", "Procurify amount", "JDE vouchers", "JDE amount"),
            first="procurify",
            empty="No approved Procurify bills changed this day.",
        )


@dataclass
class BillContext:
    """What a bill's comparison needs besides both records: the vendor's JDE supplier (None: none), the
    batch the ledger says the bill was posted as (None: not posted), and the retry queues of the bills flow
    and of the flows that settle payments (``payments`` and ``paid_marks``)."""

    an8: str | None
    posted_as: str | None
    bills: Expectations
    payments: Expectations
    found: list[tuple[tuple[Any, ...], dict[str, Any]]] = field(default_factory=list)
    # Under journal posting: what the payments flow's journals for the bill debit (amount, currency),
    # None when JDE holds none; under voucher posting the voucher's own pay status says it (``journal``).
    journal_paid: tuple[Decimal, str] | None = None
    journal: bool = False


def compare_bill(
    report: Report, rows: BillRows, bill: ProcurifyBill, batch: JdeBatch | None, context: BillContext
) -> None:
    """One bill against its batch (None: JDE holds none under its keys); see the module docstring."""
    period = bill.period or "-"
    scope = f"{bill.vendor}, {period}"
    key = (bill.vendor, period)
    if batch is None:
        if bill.exported_elsewhere:
            report.counts["bills_exported_by_another_process"] += 1
            return
        if not bill.approved:
            return  # not the integration's to post (draft, denied ...)
        report.compared += 1
        rows.add(key, "procurify", bill.amount)
        if context.bills.account_for(report, bill.label, bill.uuid):
            return
        if context.posted_as:
            why = f"it was posted as batch {context.posted_as}, which JDE no longer holds"
        elif context.an8 is None:
            why = "the vendor has no JDE supplier yet"
        else:
            why = "not posted yet, and not in the retry queue either"
        report.differ(
            "bill missing in JDE",
            f"batch {context.posted_as}" if context.posted_as else "-",
            scope,
            "-",
            money(bill.amount),
            f"{bill.label} of {bill.vendor}, {bill.status} in Procurify for {money(bill.amount)}, has no JDE "
            f"voucher ({why})",
            counterpart=bill.label,
            field="batch",
        )
        return
    report.compared += 1
    if bill.approved:
        rows.add(key, "procurify", bill.amount)
    rows.add(key, "jde", batch.amount)
    where = batch.where
    found: list[tuple[tuple[Any, ...], dict[str, Any]]] = []

    def differ(kind: str, ours: Any, theirs: Any, said: str, named: str) -> None:
        found.append(((kind, where, scope, ours, theirs, said), {"counterpart": bill.label, "field": named}))

    if not bill.approved:
        differ(
            "bill status",
            "posted",
            bill.status,
            f"JDE {where} of supplier {batch.an8 or '?'} ({money(batch.amount)}) was posted for "
            f"{bill.label}, which is {bill.status} in Procurify now",
            "voucher / status",
        )
    elif batch.voided:
        differ(
            "bill status",
            "voided",
            bill.status,
            f"JDE {where} is voided (F0411 VOD) but {bill.label} is {bill.status} in Procurify for "
            f"{money(bill.amount)}",
            "VOD / status",
        )
    else:
        _fields(bill, batch, differ)
    if found and not context.bills.account_for(report, bill.label, bill.uuid):
        for args, named in found:
            report.differ(*args, **named)
    if not found:
        report.counts["bills_in_balance"] += 1
        _paid(report, bill, batch, scope, context)


def _fields(bill: ProcurifyBill, batch: JdeBatch, differ: Any) -> None:
    where = batch.where
    mismatch = currencies_differ(bill.currency, batch.currency)
    if mismatch:
        differ(
            CURRENCY_MISMATCH,
            batch.currency,
            bill.currency,
            f"{bill.label} is {money(bill.amount, bill.currency)} {bill.currency} in Procurify but JDE "
            f"{where} is in {batch.currency} ({money(batch.amount, batch.currency)}); amounts in two "
            "currencies are not compared",
            "currency",
        )
    elif batch.amount != bill.amount:
        differ(
            "bill amount",
            money(batch.amount),
            money(bill.amount),
            f"{bill.label} of {bill.vendor} is {money(bill.amount)} in Procurify but {money(batch.amount)} "
            f"in JDE {where} (difference {money(batch.amount - bill.amount)})",
            "AG / total_cost_with_tax",
        )
    if words(batch.invoice) != words(bill.invoice):
        differ(
            "bill invoice number",
            batch.invoice or "-",
            bill.invoice or "-",
            f"{bill.label}: invoice number {bill.invoice!r} in Procurify but {batch.invoice!r} on JDE "
            f"{where}",
            "VINV / invoice_number",
        )
    if batch.invoice_date and bill.invoice_date and batch.invoice_date != bill.invoice_date:
        differ(
            "bill invoice date",
            batch.invoice_date,
            bill.invoice_date,
            f"{bill.label}: invoice date {bill.invoice_date} in Procurify but {batch.invoice_date} on JDE "
            f"{where}",
            "DIVJ / invoice_date",
        )
    if batch.gl_date and bill.gl_date and batch.gl_date != bill.gl_date:
        differ(
            "bill G/L date",
            batch.gl_date,
            bill.gl_date,
            f"{bill.label}: G/L date {bill.gl_date} in Procurify (gl_post_date, else invoice_date) but "
            f"{batch.gl_date} on JDE {where}",
            "DGJ / gl_post_date",
        )


def _paid(report: Report, bill: ProcurifyBill, batch: JdeBatch, scope: str, context: BillContext) -> None:
    """The paid status of a bill whose voucher is otherwise in balance: JDE paid it and Procurify not
    (``paid_marks`` marks it), or Procurify paid it and JDE not (``payments`` posts it). Under journal
    posting, JDE's word is the payment journals for the bill (``_journal_paid``)."""
    found = _journal_paid(bill, batch, context) if context.journal else _voucher_paid(bill, batch)
    if found is None or context.payments.account_for(report, bill.label, bill.uuid):
        return
    ours, theirs, said, named = found
    report.differ(
        "bill paid status", batch.where, scope, ours, theirs, said, counterpart=bill.label, field=named
    )


def _voucher_paid(bill: ProcurifyBill, batch: JdeBatch) -> tuple[str, str, str, str] | None:
    """JDE's and Procurify's paid status, why they differ and the field, when they do."""
    if not batch.document:
        return None  # no voucher yet: nothing is paid in JDE before R04110ZA
    if batch.paid and not bill.paid and not bill.payment_under_way:
        said = f"JDE {batch.where} is paid but {bill.label} is {bill.status} in Procurify, with no payment"
        return "paid", bill.status, said, "PST, AAP / status"
    if bill.paid and not batch.paid:
        said = (
            f"{bill.label} is Paid in Procurify but JDE {batch.where} is open for {money(batch.open_amount)}"
        )
        return f"open ({money(batch.open_amount)} open)", bill.status, said, "PST, AAP / status"
    return None


def _journal_paid(
    bill: ProcurifyBill, batch: JdeBatch, context: BillContext
) -> tuple[str, str, str, str] | None:
    """A journal-posted bill's paid status: paid in JDE when the payments flow's journals for it debit its
    whole amount (in its currency), against Procurify's."""
    debited, currency = context.journal_paid or (Decimal(0), batch.currency)
    paid_in_jde = debited >= batch.amount > 0 and not currencies_differ(currency, batch.currency)
    where = f"payment journal for batch {batch.batch}" if context.journal_paid else "no payment journal"
    if paid_in_jde and not bill.paid and not bill.payment_under_way:
        said = f"JDE holds {where} paying {money(debited, currency)} but {bill.label} is {bill.status} in "
        said += "Procurify, with no payment"
        return f"paid ({money(debited, currency)})", bill.status, said, "payment journal / status"
    if bill.paid and not paid_in_jde:
        said = f"{bill.label} is Paid in Procurify but JDE holds {where} ({money(debited, currency)} of "
        said += f"{money(batch.amount, batch.currency)} paid)"
        return f"{money(debited, currency)} paid", bill.status, said, "payment journal / status"
    return None


def compare_voucher_only_in_jde(report: Report, voucher: JdeVoucherState, vendor_id: str, day: str) -> None:
    """A voucher entered in JDE on ``day`` for a supplier paired with Procurify vendor ``vendor_id``, from
    no batch of ours."""
    report.compared += 1
    report.differ(
        "voucher only in JDE",
        voucher.label,
        f"JDE supplier {voucher.an8}",
        money(voucher.gross),
        "-",
        f"JDE {voucher.label} of supplier {voucher.an8} (Procurify vendor {vendor_id}), invoice "
        f"{voucher.invoice or 'none'}, {money(voucher.gross)}, was entered in JDE on {day} from no Procurify "
        "bill",
        counterpart="-",
        field="bill",
    )


def compare_bill_gone(report: Report, batch: JdeBatch) -> None:
    """A batch of ours whose bill Procurify no longer holds."""
    report.compared += 1
    report.differ(
        "bill missing in Procurify",
        batch.where,
        f"JDE supplier {batch.an8 or '?'}",
        money(batch.amount),
        "-",
        f"JDE {batch.where} was posted for Procurify bill {batch.source_key}, which Procurify does not have",
        counterpart=f"bill {batch.source_key}",
        field="bill",
    )
