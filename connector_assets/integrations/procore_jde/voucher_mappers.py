"""One approved Procore requisition -> the ``ML_CreateVoucherBatch`` inputs of one JDE batch voucher, or why
not (pure: ``vouchers`` reads). The gross is ``current_payment_due`` to the cent, rounding on the largest
line, a larger difference refused. Docs: docs/integrations/procore_jde.md, "The flows" (AP batch vouchers)."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from connector_assets.flows import amounts
from connector_assets.flows.core import Mapped, Rejected, Skipped
from connector_assets.flows.documents import version_text
from connector_assets.flows.lazy_model import lazy_model
from connector_assets.flows.never_written import NeverWritten
from connector_assets.flows.values import iso_day
from connector_assets.jde import contracts, targets
from connector_assets.jde.batch_bodies import LedgerLine, OrderReference, voucher_batch_body, voucher_fields
from connector_assets.jde.id_batch_keys import IdBatchKeys
from connector_assets.jde.job_accounts import JobAccount
from connector_assets.jde.job_cost_distribution import AccountShare, CostLine, distribute, settlement
from connector_assets.jde.job_cost_map import JobCostMap
from connector_assets.jde.purchase_orders import parse_order_id
from connector_assets.procore.requisition_amounts import line_cost_code, line_payable
from connector_resources.refusals import refused, source_invalid
from connector_resources.said import refusal_for, said

EDI_USER = "MLPROCORE"  # F0411Z1.EDUS: the integration user owning every batch this flow writes
# Every batch this flow writes (F0411Z1.EDUS / EDBT / EDTN): the requisition id as it is while it fits, its
# base 36 beyond (the JDE side's ``IdBatchKeys``; ids of up to 10 digits keep the keys every run wrote).
KEYS = IdBatchKeys(EDI_USER, "PR", "PROCORE-REQ-", "PQ", "PROCOREQ-", source="Procore")
INVOICE_NUMBER_MAX, REMARK_MAX, LINES_MAX = 25, 30, 999


class BatchKey(targets.BatchKey):
    """The F0411Z1/F0911Z1 batch key of one Procore requisition: the same on every attempt."""

    @classmethod
    def for_requisition(cls, requisition_id: str) -> "BatchKey":
        """Today's ``PR<id>`` / ``PROCORE-REQ-<id>`` for an id of up to 10 digits, the base-36 form for a
        longer 64-bit id (``KEYS.for_id``)."""
        key = KEYS.for_id(str(requisition_id))
        return cls(key.user, key.batch, key.transaction)


@lazy_model
def ProcoreVoucherRecord() -> type:
    """A voucher batch ML_CreateVoucherBatch accepts, against a purchase order, with the Procore version it
    was mapped from. Supplier and order may be blank only while the record waits for them (``waits_for``:
    held by the kit, remapped when released); the currency may be blank (JDE then takes the supplier's)."""
    import pandas as pd
    import pandera.pandas as pa
    from pandera.typing import Series

    class ProcoreVoucherRecord(contracts.JdeVoucherRecord.model):
        supplier_number: Series[str] = pa.Field(str_matches=r"^(\d{1,8})?$")
        currency: Series[str] = pa.Field(str_matches=r"^([A-Z]{3})?$")
        order_number: Series[str] = pa.Field(str_matches=r"^(\d{1,8})?$")
        waits_for: Series[str] = pa.Field(nullable=False)
        requisition_number: Series[str] = pa.Field(nullable=False)
        project_id: Series[str] = pa.Field(str_matches=r"^\d{1,20}$")  # a replay reads it from its project
        procore_updated_at: Series[str] = pa.Field(str_matches=contracts.VERSION)

        @pa.dataframe_check(error="a voucher without its supplier or purchase order must be held for them")
        def supplier_and_order_unless_held(cls, frame: pd.DataFrame) -> Series[bool]:
            known = (frame["supplier_number"] != "") & (frame["order_number"] != "")
            return known | (frame["waits_for"] != "")

    return ProcoreVoucherRecord


@dataclass(frozen=True)
class VoucherInputs:
    """What the flow read for one requisition before mapping it."""

    requisition: dict[str, Any]
    lines: list[dict[str, Any]]
    commitment: dict[str, Any] | None  # the commitment the requisition bills (vendor, currency, project)
    project_id: str
    project_label: str  # "562949953432100 (Neubau Bürozentrum München)"
    an8: str | None  # the vendor's JDE address number (vendors.vendor_an8), None when it has none
    order_id: str | None  # the PO xref's target id "KCOO:DOCO:DCTO", None until the PO is written
    order_dependency: str  # the purchase orders flow's dependency_key(commitment id)
    vendor_dependency: str | None  # the vendors flow's dependency_key(vendor id), None without a vendor
    updated_at: datetime


def synced_elsewhere(requisition: dict[str, Any], ours: bool) -> Skipped | None:
    """A requisition whose ``origin_id`` is set is "synced with ERP" in Procore (§2.5): unless the ledger
    holds our voucher of it (``ours``), it is not vouchered again, which would pay the invoice twice. A
    ``NeverWritten`` skip: whatever is held on its voucher is refused, not left waiting for ever."""
    origin = str(requisition.get("origin_id") or "").strip()
    if not origin or ours:
        return None
    return NeverWritten(
        str(requisition.get("id")),
        f"{_describe(requisition)} is already synced with an ERP in Procore (origin_id {origin}); not "
        "vouchered again",
    )


def _describe(requisition: dict[str, Any]) -> str:
    number = requisition.get("number")
    invoice = requisition.get("invoice_number")
    named = f"invoice {invoice}" if invoice else f"no. {number}"
    vendor = requisition.get("vendor_name") or "unknown vendor"
    return f"requisition {requisition.get('id')} ({named}, {vendor})"


def voucher_remark(requisition: dict[str, Any]) -> str:
    """The voucher's header remark (RMK): R04110ZA carries it into F0411, where the reconciliation finds
    a voucher whose batch rows JDE purged (``jde.purged_batches``)."""
    return f"Procore invoice {requisition.get('number') or ''}"[:REMARK_MAX]


def invoice_number_of(requisition: dict[str, Any]) -> str:
    """The voucher's invoice number (VINV): the requisition's, else ``REQ-<number>``."""
    return str(requisition.get("invoice_number") or "").strip() or f"REQ-{requisition.get('number')}"


def gl_day(requisition: dict[str, Any]) -> str | None:
    """The voucher's G/L date: the requisition's period end, else its billing date (the invoice date)."""
    return iso_day(requisition.get("requisition_end")) or iso_day(requisition.get("billing_date"))


def voucher_head(requisition: dict[str, Any], company: str) -> dict[str, Any] | None:
    """The batch key, invoice number and G/L date of the requisition's voucher in ``company`` as
    ``map_requisition`` sends them, known before its lines are read (a hold on its period judged from
    them); None when the mapper would refuse one of them (its refusal then shows)."""
    requisition_id, number = str(requisition.get("id")), invoice_number_of(requisition)
    day = gl_day(requisition)
    if KEYS.key_problem(requisition_id) or len(number) > INVOICE_NUMBER_MAX or day is None:
        return None
    if iso_day(requisition.get("billing_date")) is None:  # the invoice date, refused when not one
        return None
    key = BatchKey.for_requisition(requisition_id).body()
    return {**key, "Company": company, "Invoice_Number": number, "GL_Date": day}


def cost_lines(lines: list[dict[str, Any]], currency: str | None = None) -> Iterator[CostLine]:
    """The requisition's lines as the JDE side distributes them: what each pays this period
    (``line_payable``, in the commitment's ``currency``), on its cost code."""
    for position, line in enumerate(lines, start=1):
        # ``description`` as the sandbox names it, ``description_of_work`` as Procore's G703 lines do (the
        # reference names neither); whitespace folded: F0911 EXA is one line of 30 characters.
        description = " ".join(str(line.get("description") or line.get("description_of_work") or "").split())
        where = f"line {position}" + (f" ({description})" if description else "")
        yield CostLine(where, description, line_payable(line, currency), line_cost_code(line))


def settle_rounding(
    accounts: dict[str, AccountShare], due: Decimal, lines: int, currency: str | None = None
) -> str | None:
    """Make the distribution come to ``due`` (Procore's payable) by putting the rounding difference on the
    largest line (the first of equals, so a rerun picks the same line); None when settled, else why not.
    More than one smallest unit of ``currency`` per payable line (``lines``) is a real difference."""
    unit = amounts.quantum(currency or None)
    found = settlement({account: entry.amount for account, entry in accounts.items()}, due, lines, unit)
    if found.too_large:
        gross = due - found.difference
        return (
            f"its lines come to {amounts.money(gross)} (work and stored materials this period less this "
            f"period's retainage) but Procore's current payment due is {amounts.money(due)}; check the "
            "invoice in Procore (retainage, previous certificates) and enter the voucher by hand if right"
        )
    if found.account is not None:  # the reconciliation expects it there too (``settlement``: one rule)
        accounts[found.account].amount += found.difference
    return found.problem


def commitment_currency(commitment: dict[str, Any] | None) -> str:
    """The currency Procore keeps the commitment in (``currency_configuration.currency_iso_code``), "" when
    it names none."""
    configuration = (commitment or {}).get("currency_configuration") or {}
    return str(configuration.get("currency_iso_code") or "").strip().upper()


def map_requisition(inputs: VoucherInputs, costs: JobCostMap) -> Mapped | Rejected | Skipped:
    """One approved requisition -> its voucher batch (see the module docstring), a refusal, or a skip."""
    requisition = inputs.requisition
    requisition_id = str(requisition.get("id"))
    label = _describe(requisition)
    problems: list[str] = []
    unkeyed = KEYS.key_problem(requisition_id)
    if unkeyed:
        problems.append(said(source_invalid(unkeyed, field="id", value=requisition_id)))
    job = costs.job(inputs.project_id, inputs.project_label)
    if isinstance(job, str):
        problems.append(job)
    project = (inputs.project_id, inputs.project_label)
    currency = commitment_currency(inputs.commitment)
    lines = cost_lines(inputs.lines, currency or None)
    # An account of JDE's chart not set up yet is distributed as it will be, and waited for (below).
    view, waits = costs.awaiting(label)
    accounts, companies = distribute(lines, view, project, "Procore", problems)
    if not isinstance(job, str) and companies - {str(job.company)}:
        listed = ", ".join(sorted(companies))
        sentence = (
            f"the cost codes map to accounts of company {listed}, but project {inputs.project_label} is a "
            f"job of company {job.company}; one JDE voucher belongs to one company"
        )
        problems.append(said(refused(sentence, rule="cost codes of another company than the job")))
    gross = sum((entry.amount for entry in accounts.values()), Decimal(0))
    for account, entry in accounts.items():
        if not amounts.fits(entry.amount, currency):
            places = amounts.minor_units(currency)
            sentence = (
                f"amount {entry.amount} on account {account} has more decimals than the commitment's "
                f"currency {currency or '(none)'} has ({places})"
            )
            problems.append(said(source_invalid(sentence, field="amount", value=str(entry.amount))))
    due_raw = (requisition.get("summary") or {}).get("current_payment_due")
    due = amounts.amount(due_raw) if due_raw not in (None, "") else None
    if due_raw not in (None, "") and due is None:
        sentence = f"Procore's current payment due {due_raw!r} is not an amount"
        problems.append(said(source_invalid(sentence, field="current_payment_due", value=due_raw)))
    if due is not None and not problems:
        payable_lines = sum(
            1 for line in inputs.lines if not isinstance(p := line_payable(line, currency or None), str) and p
        )
        unsettled = settle_rounding(accounts, due, payable_lines, currency)
        if unsettled:
            problems.append(said(refused(unsettled, rule="lines differ from payment due")))
        gross = sum((entry.amount for entry in accounts.values()), Decimal(0))
    invoice_number = invoice_number_of(requisition)
    if len(invoice_number) > INVOICE_NUMBER_MAX:
        sentence = (
            f"the invoice number {invoice_number!r} is longer than JDE's {INVOICE_NUMBER_MAX} "
            "characters (VINV)"
        )
        problems.append(said(source_invalid(sentence, field="invoice_number", value=invoice_number)))
    invoice_date = iso_day(requisition.get("billing_date"))
    if invoice_date is None:
        raw = requisition.get("billing_date")
        problems.append(
            said(source_invalid(f"the billing date {raw!r} is not a date", field="billing_date", value=raw))
        )
    gl_date = gl_day(requisition)
    order = None
    if inputs.order_id:
        try:
            order = parse_order_id(inputs.order_id)
        except ValueError as exc:
            sentence = f"the purchase order's JDE key in the ledger is unreadable: {exc}"
            problems.append(said(refused(sentence, rule="order key unreadable")))
    if len(accounts) > LINES_MAX:
        sentence = f"it has {len(accounts)} accounts; a JDE voucher holds at most {LINES_MAX} lines"
        problems.append(said(refused(sentence, rule="too many accounts")))
    if problems:  # a refusal names the accounts it waits for too: all of it is what a person fixes
        sentence = f"{label}: " + "; ".join(waits.named_with(problems))
        return Rejected.of(requisition_id, refusal_for(sentence, problems, rule="requisition not a voucher"))
    if gross == 0:
        return Skipped(
            requisition_id,
            f"{label}: nothing payable this period (work, stored materials and retainage come to 0.00); "
            "no voucher",
        )
    if gross < 0:
        sentence = (
            f"{label}: its lines come to {amounts.money(gross)}, a credit; the integration only vouchers "
            "amounts owed to the subcontractor: enter the debit memo in JDE by hand and abandon this item"
        )
        return Rejected.of(requisition_id, refused(sentence, rule="credit requisition"))
    if waits:  # an account JDE's chart has not set up yet: held on it, nothing sent, not refused
        return waits.held(requisition_id)
    assert not isinstance(job, str)
    return _mapped(inputs, job, order, accounts, gross, invoice_number, invoice_date or "", gl_date or "")


def _mapped(
    inputs: VoucherInputs,
    job: JobAccount,
    order: tuple[str, int, str] | None,
    accounts: dict[str, AccountShare],
    gross: Decimal,
    invoice_number: str,
    invoice_date: str,
    gl_date: str,
) -> Mapped:
    requisition = inputs.requisition
    requisition_id = str(requisition["id"])
    key = BatchKey.for_requisition(requisition_id)
    waits_for = ""
    if order is None:
        waits_for = inputs.order_dependency
    elif inputs.an8 is None and inputs.vendor_dependency:
        waits_for = inputs.vendor_dependency
    currency = commitment_currency(inputs.commitment)
    number = str(requisition.get("number") or "")
    body = voucher_batch_body(
        key,
        company=job.company,
        supplier=int(inputs.an8) if inputs.an8 else None,
        invoice_number=invoice_number,
        invoice_date=invoice_date,
        gl_date=gl_date,
        due_date=None,  # blank: JDE's payment terms of the supplier from the invoice date
        currency=currency,
        remark=voucher_remark(requisition),
        gross=gross,
        distribution=[LedgerLine(a, entry.amount, entry.explanation()) for a, entry in accounts.items()],
        order=OrderReference(*order) if order else None,
        business_unit=job.business_unit,
    )
    summary = voucher_fields(
        key, invoice_number=invoice_number, supplier=inputs.an8 or "", company=job.company, gross=gross,
        invoice_date=invoice_date, currency=currency, lines=len(accounts),
    )  # fmt: skip
    return Mapped(
        source_key=requisition_id,
        body=body,
        fields={
            **summary,
            "order_number": str(order[1]) if order else "",
            "waits_for": waits_for,
            "requisition_number": number,
            "project_id": inputs.project_id,
            "procore_updated_at": version_text(inputs.updated_at),
        },
        natural_key={"Supplier": inputs.an8, "Invoice_Number": invoice_number, "target_id": key.target_id},
        depends_on=waits_for or None,
    )
