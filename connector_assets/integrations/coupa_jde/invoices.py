"""Coupa -> JD Edwards invoices: approved Coupa invoices become JDE batch vouchers (F0411Z1/F0911Z1)
through ``ML_CreateVoucherBatch`` (``connector_assets.jde.targets.VoucherBatches``).

What is sent. Invoices Coupa considers ready for the ERP (approved, not yet exported by anyone) become
one voucher: one pay item for the total, one G/L line per invoice line, header charges (tax, shipping)
on their own lines. Coupa account codes become JDE accounts through the mapping table
(``coupa_jde/account_map``) or, unmapped, through the account's segments (``20-8150`` -> ``20.8150``),
and are checked against the staged F0901 (``jde/gl_accounts``) before anything is sent: an unknown or
non-postable account is refused with the account named, the other invoices proceed. A changed invoice
whose voucher JDE already holds is never rewritten or sent again: it is queued for a person.

Batch keys come from the Coupa invoice alone (EDUS ``MLCOUPA``, EDBT ``CP<id>``, EDTN ``COUPA-INV-<id>``,
EDLN 1..n): any rerun sends the same keys and JDE refuses a second copy with 59A4.

Exported elsewhere. An approved invoice Coupa shows exported that this integration never wrote was taken
to an ERP by another process: it is skipped with an audit event marked as never written
(``flows.never_written``), so a payment held on it is refused naming it, not left waiting for ever.
"""

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from dagster import AssetExecutionContext

from connector_assets.coupa.documents import INVOICES, coupa_day, current_versions
from connector_assets.flows import amounts
from connector_assets.flows.assembly import Flow
from connector_assets.flows.assets import build_flow_assets
from connector_assets.flows.core import Mapped, Rejected
from connector_assets.flows.documents import Version, collect_documents, version_text
from connector_assets.flows.export_marks import ExportMark
from connector_assets.flows.never_written import NeverWritten, never_written_settled
from connector_assets.flows.record_models import matching, record_model
from connector_assets.integrations.coupa_jde.accounts import ACCOUNT_MAP_ASSET, ACCOUNTS, AccountMap
from connector_assets.integrations.coupa_jde.integration import INTEGRATION, ROUTE
from connector_assets.integrations.coupa_jde.marks import coupa_export_marks
from connector_assets.integrations.coupa_jde.replay import flow_replays
from connector_assets.jde import contracts, targets
from connector_assets.jde.accounts import GlAccounts
from connector_assets.jde.periods import register_jde_period_check
from connector_assets.jde.tables import GL_ACCOUNTS
from connector_assets.saas_assets import saas_partitions
from connector_assets.staging import StagingResource
from connector_resources.ledger import Ledger

EDI_USER = "MLCOUPA"  # F0411Z1.EDUS: the integration user that owns every batch this flow writes
# Coupa's documented ERP export is exported=false with status approved (voided = a reversal): an invoice
# another process already exported is never sent again by this one.
READY_INVOICE_STATUSES = frozenset({"approved"})
CHARGES = {
    "tax-amount": "tax",
    "shipping-amount": "shipping",
    "handling-amount": "handling",
    "misc-amount": "misc",
}


class BatchKey(targets.BatchKey):
    """The F0411Z1/F0911Z1 batch key of one Coupa invoice: the same on every attempt, by construction."""

    @classmethod
    def for_invoice(cls, invoice_id: str) -> "BatchKey":
        return cls(EDI_USER, f"CP{invoice_id}", f"COUPA-INV-{invoice_id}")


JdeVoucherRecord = record_model(
    "JdeVoucherRecord",
    "A voucher batch ML_CreateVoucherBatch accepts, and the Coupa version it was mapped from.",
    base=contracts.JdeVoucherRecord,
    coupa_updated_at=matching(contracts.VERSION),
)


class VoucherBatches(targets.VoucherBatches):
    source_label = "Coupa"


# How JDE -> Coupa names its supplier pairs (read by name: integrations never import each other).
JDE_COUPA_SUPPLIERS = ("jde_coupa", "supplier", "coupa")
SUPPLIER_ENTITY = "supplier"  # this integration's own: a Coupa supplier matched by hand with its JDE supplier
NO_NUMBER = "has no JDE supplier number"


def supplier_number(ledger: Ledger, supplier: Any) -> str | None:
    """The JDE address number of a Coupa supplier: a person's match first (``manual_pairs``: a supplier
    whose number is no address number), then the JDE -> Coupa supplier cross-reference (it knows which JDE
    supplier became this Coupa one), else the supplier's ``number`` when it is one. Read before the
    invoice is mapped, so the mapper itself reads nothing."""
    if not isinstance(supplier, dict) or supplier.get("id") is None:
        return None
    matched = ledger.get_xref(INTEGRATION, SUPPLIER_ENTITY, "coupa", str(supplier["id"]), "JDE")
    if matched is not None and matched.target_id:
        return matched.target_id
    xref = ledger.find_xref_by_target(*JDE_COUPA_SUPPLIERS, str(supplier["id"]))
    if xref is not None:
        return xref.source_key
    number = str(supplier.get("number") or "").strip()
    return number if number.isdigit() and len(number) <= 8 else None


def _describe_supplier(supplier: Any) -> str:
    if not isinstance(supplier, dict):
        return "(none)"
    return f"{supplier.get('name') or '?'} (Coupa supplier {supplier.get('id')})"


def lacks_number(supplier_id: str) -> str:
    """The words of a refusal for want of Coupa supplier ``supplier_id``'s JDE number: what a match by
    hand looks for among the refused invoices (``manual_pairs``)."""
    return f"(Coupa supplier {supplier_id}) {NO_NUMBER}"


@dataclass(frozen=True)
class Distribution:
    """An invoice's voucher distribution as the flow plans it (``distribution``): one line per invoice line
    then per header charge, each ``(JDE account, amount, explanation, Coupa source)`` with the voucher's sign
    applied, the invoice's total and sign, and why a line cannot be planned."""

    lines: list[tuple[str, Decimal, str, str]]
    problems: list[str]
    total: Decimal | None
    sign: Decimal


def distribution(invoice: dict[str, Any], accounts: AccountMap) -> Distribution:
    """The G/L lines a Coupa invoice becomes (EDLN 1..n in this order): the mapper writes them, the
    reconciliation compares JDE's F0911Z1 lines with them."""
    problems: list[str] = []
    total = amounts.amount(invoice.get("total-with-taxes"))
    if total is None:
        problems.append(f"the invoice total {invoice.get('total-with-taxes')!r} is not an amount")
    # JDE wants a credit note as a negative voucher (a debit memo); Coupa may send it either way.
    sign = Decimal(-1) if invoice.get("is-credit-note") and total is not None and total > 0 else Decimal(1)
    lines: list[tuple[str, Decimal, str, str]] = []  # (JDE account, amount, explanation, Coupa source)
    for position, line in enumerate(invoice.get("invoice-lines") or [], start=1):
        where = f"line {line.get('line-num') or position}"
        coupa_account = line.get("account")
        account = accounts.jde_account(coupa_account)
        code = coupa_account.get("code") if isinstance(coupa_account, dict) else None
        amount = amounts.amount(line.get("total"))
        if account is None:
            problems.append(f"{where}: Coupa account {code!r} has no JDE account (mapping table or segments)")
            continue
        if amount is None:
            problems.append(f"{where}: amount {line.get('total')!r} is not an amount")
            continue
        source = f"Coupa account {code}, {where}"
        lines.append((account, sign * amount, str(line.get("description") or "")[:30], source))
    if not lines and not problems:
        problems.append("the invoice has no lines")
    if lines:
        largest = max(lines, key=lambda item: abs(item[1]))[0]
        for key, charge in CHARGES.items():
            amount = amounts.amount(invoice.get(key) or 0)
            if amount:
                # Header charges have no account in Coupa: the mapping table names one (charge:tax ...),
                # otherwise they follow the invoice's largest line, so the voucher still balances.
                account = accounts.charge_account(charge) or largest
                lines.append((account, sign * amount, charge.capitalize(), f"{charge} charge"))
    return Distribution(lines, problems, total, sign)


def map_invoice(
    invoice: dict[str, Any], updated_at: datetime, gl: GlAccounts, accounts: AccountMap, an8: str | None
) -> Mapped | Rejected:
    """One approved Coupa invoice -> the ML_CreateVoucherBatch inputs, or the reason it cannot be one;
    ``an8`` is its supplier's JDE address number (``supplier_number``), None when it has none."""
    invoice_id = str(invoice["id"])
    number = str(invoice.get("invoice-number") or "")
    label = f"invoice {invoice_id} ({number or 'no number'})"
    problems: list[str] = []
    if an8 is None:
        problems.append(
            f"supplier {_describe_supplier(invoice.get('supplier'))} {NO_NUMBER}: sync it from JDE "
            "(suppliers flow), set its Coupa number to the JDE address number, or match it by hand"
        )
    planned = distribution(invoice, accounts)
    problems += planned.problems
    lines, total, sign = planned.lines, planned.total, planned.sign
    companies: set[str] = set()
    for account, line_amount, _, source in lines:
        found = gl.postable(account, source)
        if isinstance(found, str):
            problems.append(found)
        else:
            companies.add(found.company)
        if line_amount != line_amount.quantize(amounts.CENT):
            problems.append(f"amount {line_amount} on account {account} has more than 2 decimals ({source})")
    if len(companies) > 1:
        listed = ", ".join(sorted(companies))
        problems.append(
            f"the lines charge accounts of companies {listed}; one JDE voucher belongs to one company"
        )
    distributed = sum((line[1] for line in lines), Decimal(0))
    if total is not None and lines and distributed != sign * total:
        problems.append(
            f"lines and charges add up to {amounts.money(distributed)} "
            f"but the invoice total is {amounts.money(sign * total)}"
        )
    invoice_date = coupa_day(invoice.get("invoice-date"))
    if invoice_date is None:
        problems.append(f"the invoice date {invoice.get('invoice-date')!r} is not a date")
    if not invoice_id.isdigit() or len(invoice_id) > 12:
        problems.append(f"the Coupa id {invoice_id!r} does not fit a JDE batch key (at most 12 digits)")
    if problems:
        return Rejected(invoice_id, f"{label}: " + "; ".join(problems))
    key = BatchKey.for_invoice(invoice_id)
    currency = str((invoice.get("currency") or {}).get("code") or "").upper()
    body = {
        "EDI_User_ID": key.user,
        "EDI_Batch_Number": key.batch,
        "EDI_Transaction_Number": key.transaction,
        "Company": companies.pop(),
        "Supplier": an8,
        "Invoice_Number": number,
        "Invoice_Date": invoice_date,
        "GL_Date": invoice_date,  # the invoice date: the period the cost belongs to
        "Due_Date": coupa_day(invoice.get("net-due-date")),
        "Currency_Code": currency or None,
        "Pay_Status": "A",
        "Remark": f"Coupa invoice {invoice_id}",
        "Pay_Items": [{"EDI_Line_Number": 1, "Gross_Amount": amounts.money(distributed)}],
        "Distribution": [
            {"EDI_Line_Number": n, "Account": account, "Amount": amounts.money(amount), "Explanation": text}
            for n, (account, amount, text, _) in enumerate(lines, start=1)
        ],
    }
    return Mapped(
        source_key=invoice_id,
        body=body,
        fields={
            "invoice_number": number,
            "supplier_number": an8,
            "company": body["Company"],
            "gross_amount": amounts.money(distributed),
            "invoice_date": invoice_date,
            "currency": currency,
            "distribution_lines": len(lines),
            "batch_number": key.batch,
            "transaction_number": key.transaction,
            "coupa_updated_at": version_text(updated_at),
        },
        natural_key={"Supplier": an8, "Invoice_Number": number, "target_id": key.target_id},
    )


def map_invoices(context: AssetExecutionContext, partition: str | None) -> Iterator[Mapped | Rejected]:
    """The partition's approved invoices (poll + inbox, latest version each) as voucher batches."""
    ledger: Ledger = context.resources.ledger.get()
    staging: StagingResource = context.resources.staging
    documents = collect_documents(context, partition, INVOICES, INVOICES_FLOW)
    if not documents.current:
        return
    records = _invoice_records(staging, ledger, documents.current, ACCOUNTS.snapshot(staging))
    yield from never_written_settled(
        INVOICES_FLOW, ledger, records, run_id=context.run.run_id, partition=partition
    )


def _invoice_records(
    staging: StagingResource, ledger: Ledger, versions: list[Version], table: Mapping[str, str]
) -> Iterator[Mapped | Rejected | NeverWritten]:
    """``versions`` mapped with the account table ``table`` (the staged snapshot, or today's for a replay)."""
    gl = GlAccounts.load(staging)
    accounts = AccountMap(table)
    for version in versions:
        invoice = version.record
        status = str(invoice.get("status") or "")
        xref = ledger.get_xref(INTEGRATION, "invoice", "coupa", version.document_id, "JDE")
        ours = xref is not None and bool(xref.target_id)
        # Exported by this integration (our mark) still goes through: unchanged it is skipped, changed it
        # is queued for a person. Exported by anyone else it is theirs.
        if status in READY_INVOICE_STATUSES and (ours or not invoice.get("exported")):
            an8 = supplier_number(ledger, invoice.get("supplier"))
            yield map_invoice(invoice, version.updated_at, gl, accounts, an8)
        elif status in READY_INVOICE_STATUSES:
            yield NeverWritten(
                version.document_id,
                f"invoice {version.document_id} ({invoice.get('invoice-number')}) was exported from Coupa by "
                "another process (not this integration); not sent to JDE",
            )
        elif status == "voided" and ours:
            # Reversing a voucher is a decision for JDE's payables team; the integration tells them.
            yield Rejected(
                version.document_id,
                f"invoice {version.document_id} ({invoice.get('invoice-number')}) was voided in Coupa "
                f"after its voucher was sent to JDE (batch {xref.target_id}); void the voucher in JDE",
            )


def remap_invoices(context: Any, keys: list[str]) -> Iterator[Mapped | Rejected]:
    """The named invoices read from Coupa again and mapped with today's tables (replay): the account file
    is staged afresh first, so a fixed table takes effect."""
    resources = context.resources
    table = ACCOUNTS.restage(resources.staging)
    versions = current_versions(resources.coupa, "invoices", keys)
    ledger = resources.ledger.get()
    records = _invoice_records(resources.staging, ledger, versions, table)
    yield from never_written_settled(INVOICES_FLOW, ledger, records)


INVOICES_FLOW = ROUTE.flow(
    "invoices",
    "invoice",
    JdeVoucherRecord,
    map_invoices,
    remap_invoices,
    VoucherBatches,
    # beside the staged invoices and account master (upstream)
    reads={"JDE": (VoucherBatches.batch_table, *targets.PERIOD_TABLES)},
    writes={"coupa": ("invoices",)},  # the export mark, beside the target's voucher batches
)

# The flow's steps after the staged invoices, GL accounts and account map, then the export marks.
invoice_assets = [
    *build_flow_assets(
        INVOICES_FLOW,
        inbox=INVOICES,
        partitions_def=saas_partitions,
        upstream=[GL_ACCOUNTS.asset, ACCOUNT_MAP_ASSET],
        resource_keys={"jde"},
    ),
    coupa_export_marks(ExportMark(INVOICES_FLOW, "invoices")),
]

# What the package's declaration lists for this flow: its spec, its assets and its replays.
# Vouchers held on a closed JDE period are released once it may post.
FLOW = Flow(
    INVOICES_FLOW, invoice_assets, (flow_replays(INVOICES_FLOW, VoucherBatches, register_jde_period_check),)
)
