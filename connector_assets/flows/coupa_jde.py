"""Coupa -> JD Edwards: approved invoices become batch vouchers (F0411Z1/F0911Z1), Coupa Pay payments
are recorded against those vouchers (F0411), both through the ml-connector orchestrations.

Where the records come from. Coupa call-outs land in the ledger's webhook inbox (sources
``coupa_invoices`` / ``coupa_payments``) the moment a document changes; the poll of ``coupa_invoices`` /
``coupa_payments`` (a UTC day partition on ``updated-at``) is the fallback for call-outs that never
arrived. The mapped step of a day reads both: the staged partition and the inbox events whose record
changed that day. One document can therefore show up several times (inbox and poll, redeliveries, two
versions); the latest ``updated-at`` wins, ties go to the polled copy (read from the API after the
call-out went out). A version older than the newest one already seen for that document (kept as a
per-document cursor in the ledger, which never moves backwards) is never applied: a late, out-of-order
call-out must not overwrite what JDE already holds.

What is sent. Invoices Coupa considers ready for the ERP (approved, not yet exported by anyone) become
one voucher: one pay item for the total, one G/L line per invoice line, header charges (tax, shipping)
on their own lines. Coupa account codes become JDE accounts through the mapping table
(``coupa_jde_account_map``) or, unmapped, through the account's segments (``20-8150`` -> ``20.8150``),
and are checked against the staged F0901 (``jde_gl_accounts``) before anything is sent: an unknown or
non-postable account is refused with the account named, the other invoices proceed. A changed invoice
whose voucher JDE already holds is never rewritten or sent again: it is queued for a person.

Marked exported in Coupa. Once an invoice's voucher batch or a payment is in JDE (by a run or a replay),
``<flow>_marked_exported`` marks it ``exported`` in Coupa with a request of its own, as Coupa's ERP
integration pattern asks (``export_marks``); a payment that settles several invoices is marked when all
of its JDE payments are written.

Inbox rows are acknowledged (``processed``) by ``<flow>_inbox_done``, which runs after the write step
succeeded for the partition: by then every record of the run was written, skipped, or queued with its
reason. Until then they stay pending, so a failed run loses nothing: the next run of the day reads them
again. The manifest of the rows a run consumed is staged per run (keyed by the root run id, so a
re-execution from failure finds it).

Why the writes cannot duplicate. A voucher goes through ``ML_CreateVoucherBatch`` with batch keys derived
from the Coupa invoice alone (EDUS ``MLCOUPA``, EDBT ``CP<id>``, EDTN ``COUPA-INV-<id>``, EDLN 1..n):
any rerun sends the same keys and JDE refuses a second copy with 59A4. When the ledger shows an
earlier attempt that never recorded its result, the batch is looked up in F0411Z1 first and adopted;
a 59A4 on create (the ledger lost the intent entirely, or two runs raced) is adopted too, after
checking that the batch really holds this invoice. A payment goes through ``ML_RecordPayment`` with
the Coupa Pay payment id as ``Payment_Reference``, which JDE records once per voucher (59AB on a
repeat, adopted the same way).

Payments wait for their voucher: a payment is *held* in the retry queue until its invoice's voucher
batch is written (``Mapped.depends_on``), released when it is, and it can only be recorded once the
Batch Voucher Processor (R04110ZA) has turned the batch into an F0411 voucher; until then it is
queued with that reason and retried. Only Coupa Pay payments are sent: an invoice's own ``payments``
entries are ERP payments recorded *into* Coupa (by JDE -> Coupa or another payables system), and
sending them back to JDE would pay the voucher twice.
"""

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import pandera.pandas as pa
from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    AssetSelection,
    Failure,
    MaterializeResult,
    asset,
    define_asset_job,
)
from pandera.typing import Series

from connector_assets.flows.assets import build_flow_assets, executable_keys, flow_backfill_policy
from connector_assets.flows.core import Created, FlowSpec, Mapped, Rejected, replay_handler
from connector_assets.flows.export_marks import ExportMark, build_export_marks
from connector_assets.flows.mapping_tables import MappingTable, build_mapping_table_asset
from connector_assets.flows.replay_resources import resources_from_settings
from connector_assets.incremental import days_in_window
from connector_assets.jde.tables import AP_LEDGER, GL_ACCOUNTS
from connector_assets.polling import build_poll_schedule
from connector_assets.saas_assets import saas_partitions
from connector_assets.staging import Column, StagingResource
from connector_resources import settings
from connector_resources.jde import Condition, JdeOrchestrationError
from connector_resources.ledger import InboxEvent, Ledger, QueueItem
from connector_resources.redaction import redact
from connector_resources.replay import ReplayOutcome, register_replay_handler, shared_context, shared_value

INTEGRATION = "coupa_jde"
INVOICE_SOURCE = "coupa_invoices"  # the staged poll asset and the webhook inbox source share the name
PAYMENT_SOURCE = "coupa_payments"
# What the JDE side reaches beyond the staged sources; each is named once, here, and the flows' ``reads`` /
# ``writes`` (what ``ml-connector ping`` checks) use the same names as the code below.
BATCH_TABLE = "F0411Z1"  # the voucher batch rows the orchestration wrote (adopt, find the voucher)
CREATE_VOUCHERS = "ML_CreateVoucherBatch"
RECORD_PAYMENT = "ML_RecordPayment"
EDI_USER = "MLCOUPA"  # F0411Z1.EDUS: the integration user that owns every batch this flow writes
# Coupa's documented ERP export is exported=false with status approved (voided = a reversal): an invoice
# another process already exported is never sent again by this one.
READY_INVOICE_STATUSES = frozenset({"approved"})
# Coupa's documented ERP export of Coupa Pay starts at payment_initiated: the money is committed from then
# on. completed_with_errors is not recorded (nor reversed: that stays a person's decision in JDE).
READY_PAYMENT_STATUSES = frozenset({"payment_initiated", "payment_in_progress", "completed_successfully"})
ACCOUNT_MAP_ASSET = "coupa_jde_account_map"
ACCOUNT_MAP_ENV = "ML_COUPA_JDE_ACCOUNT_MAP"
CHARGES = {
    "tax-amount": "tax",
    "shipping-amount": "shipping",
    "handling-amount": "handling",
    "misc-amount": "misc",
}
MANIFEST_COLUMNS = (Column("inbox_id", "int"), Column("document_id"), Column("outcome"))
CENT = Decimal("0.01")

# What a finance user reads when JDE refuses a write (the JDE code and its own words follow).
JDE_REASONS = {
    "0052": "the business unit does not exist in JDE",
    "59A0": "JDE refused one of the values sent",
    "59A1": "the supplier is not in JDE's supplier master (F0401)",
    "59A2": "an account is not in JDE's account master (F0901)",
    "59A3": "an account is not postable in JDE",
    "59A5": "the G/L distribution does not add up to the invoice total",
    "59A6": "the purchase order does not exist in JDE",
    "59A8": "the voucher is not in JDE's A/P ledger (F0411)",
    "59A9": "the voucher's pay item is on hold in JDE; release the hold first",
    "59AC": "the payment is larger than the voucher's open amount",
}


# -- Coupa documents, wherever they came from ----------------------------------------------------------


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def coupa_time(value: Any) -> datetime | None:
    """A Coupa timestamp (``2025-03-12T08:01:30-07:00``) as aware UTC, None when absent or unreadable."""
    if isinstance(value, datetime):
        return _utc(value)
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return _utc(datetime.fromisoformat(value.strip().replace("Z", "+00:00")))
    except ValueError:
        return None


def version_text(moment: datetime) -> str:
    """Fixed-width UTC text, so versions compare as strings in the ledger's cursor table."""
    return _utc(moment).strftime("%Y-%m-%dT%H:%M:%SZ")


def inbox_record(event: InboxEvent) -> dict[str, Any] | None:
    """The Coupa record a call-out carried (the record itself, or an envelope's ``data``); None when the
    body is not a Coupa record with an id and an ``updated-at``."""
    try:
        payload = json.loads(event.body.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(payload, dict):
        return None
    record = payload["data"] if isinstance(payload.get("data"), dict) else payload
    if record.get("id") is None or coupa_time(record.get("updated-at")) is None:
        return None
    return record


def inbox_day(event: InboxEvent) -> str | None:
    """The UTC day (partition key) of the record an inbox event carries."""
    record = inbox_record(event)
    changed = coupa_time(record.get("updated-at")) if record else None
    return changed.date().isoformat() if changed else None


@dataclass
class Version:
    """One version of one Coupa document, from the poll or from a call-out."""

    document_id: str
    updated_at: datetime
    record: dict[str, Any]
    origin: str  # "poll" | "inbox"


@dataclass
class DocumentBatch:
    current: list[Version]  # the version of each document to apply now
    stale: int = 0
    superseded: int = 0
    unreadable: int = 0


def _manifest_asset(flow: str) -> str:
    return f"{flow}_inbox_manifest"


def _manifest_partition(context: AssetExecutionContext, partition: str | None) -> str:
    # The root run id: a re-execution from failure (a new run id) still finds what the first run consumed.
    run = context.run
    return f"{partition or 'all'}.{run.root_run_id or run.run_id}"


def _days(context: AssetExecutionContext) -> list[str | None]:
    """The day partitions of this run: one, or each day of a single-run backfill's range (as the flow
    factory's steps do, so the acknowledging step finds every day's manifest)."""
    if not context.has_partition_key and not context.has_partition_key_range:
        return [None]
    window = context.partition_time_window
    return [day.isoformat() for day in days_in_window(window.start, window.end)]


def _inbox_events(ledger: Ledger, source: str) -> Iterator[InboxEvent]:
    after = 0
    while True:
        page = ledger.inbox_pending(source=source, after_id=after, limit=500)
        yield from page
        if len(page) < 500:
            return
        after = page[-1].id


def collect_documents(
    context: AssetExecutionContext, partition: str | None, source: str, spec: FlowSpec
) -> DocumentBatch:
    """The latest version of every document of ``source`` changed on ``partition``, from the staged poll
    and the pending inbox events together, with older versions than already seen dropped.

    Records the inbox rows it consumed in the run's manifest (``<flow>_inbox_done`` acknowledges them
    after the write) and marks rows that can never be processed (not a Coupa record) as failed now.
    """
    staging: StagingResource = context.resources.staging
    ledger: Ledger = context.resources.ledger.get()
    run_id = context.run.run_id
    flow, entity = spec.name, spec.entity
    latest: dict[str, Version] = {}
    consumed: list[tuple[int, str]] = []
    batch = DocumentBatch([])

    def offer(candidate: Version) -> None:
        held = latest.get(candidate.document_id)
        if held is None:
            latest[candidate.document_id] = candidate
            return
        newer = candidate.updated_at > held.updated_at or (
            candidate.updated_at == held.updated_at and candidate.origin == "poll"
        )
        latest[candidate.document_id] = candidate if newer else held
        batch.superseded += 1

    for row in staging.read_rows(source, partition):
        record = json.loads(row["record"])
        changed = coupa_time(record.get("updated-at")) or (
            _utc(row["updated_at"]) if row["updated_at"] else None
        )
        if changed is None:
            raise Failure(f"{source} {row['id']} in partition {partition} has no updated-at; re-read the day")
        offer(Version(str(row["id"]), changed, record, "poll"))
    for event in _inbox_events(ledger, source):
        record = inbox_record(event)
        if record is None:
            ledger.inbox_mark(event.id, status="failed", error="not a Coupa record with an id and updated-at")
            batch.unreadable += 1
            continue
        changed = coupa_time(record.get("updated-at"))
        assert changed is not None  # inbox_record checked it
        if partition is not None and changed.date().isoformat() != partition:
            continue  # another day's run applies it
        consumed.append((event.id, str(record["id"])))
        offer(Version(str(record["id"]), changed, record, "inbox"))

    outcomes: dict[str, str] = {}
    with ledger.transaction() as conn:
        for version in latest.values():
            stream = _version_stream(flow, version.document_id)
            seen = ledger.get_cursor(INTEGRATION, stream, conn=conn)
            if seen is not None and version_text(version.updated_at) < seen:
                batch.stale += 1
                outcomes[version.document_id] = "stale"
                if version.origin == "poll":
                    continue  # an old day's poll naturally holds versions changed again since: not news
                ledger.audit(
                    integration=INTEGRATION,
                    flow=flow,
                    entity=entity,
                    action="skip",
                    source_system="coupa",
                    source_id=version.document_id,
                    reason=f"an older version of this {entity} (changed {version_text(version.updated_at)}) "
                    f"arrived after a newer one (changed {seen}) was seen; the older one is not applied",
                    run_id=run_id,
                    partition_key=partition,
                    conn=conn,
                )
                continue
            ledger.advance_cursor(INTEGRATION, stream, version_text(version.updated_at), conn=conn)
            outcomes[version.document_id] = "applied"
            batch.current.append(version)

    manifest = _manifest_partition(context, partition)
    writer = staging.writer(_manifest_asset(spec.flow), manifest, MANIFEST_COLUMNS)
    try:
        for inbox_id, document_id in consumed:
            writer.write({"inbox_id": inbox_id, "document_id": document_id, "outcome": outcomes[document_id]})
        writer.commit()
    except BaseException:
        writer.abort()
        raise
    batch.current.sort(key=lambda v: int(v.document_id) if v.document_id.isdigit() else 0)
    context.log.info(
        f"{flow}: {len(batch.current)} current, {batch.stale} stale, {batch.superseded} superseded, "
        f"{batch.unreadable} unreadable inbox event(s); {len(consumed)} inbox event(s) consumed"
    )
    return batch


def _version_stream(flow: str, document_id: str) -> str:
    return f"version:{flow}:{document_id}"


# -- JDE accounts: the F0901 cache and the Coupa -> JDE account mapping -----------------------------------


@dataclass(frozen=True)
class GlAccount:
    company: str
    posting_edit: str  # F0901.PEC: blank = postable, N non-posting, I inactive


class GlAccounts:
    """The staged F0901 (``jde_gl_accounts``) keyed by (business unit, object, subsidiary)."""

    def __init__(self, rows: Iterable[dict[str, Any]]) -> None:
        self.accounts: dict[tuple[str, str, str], GlAccount] = {}
        for row in rows:
            key = tuple((row.get(c) or "").strip().upper() for c in ("MCU", "OBJ", "SUB"))
            self.accounts[key] = GlAccount((row.get("CO") or "").strip(), (row.get("PEC") or "").strip())

    @classmethod
    def load(cls, staging: StagingResource) -> "GlAccounts":
        accounts = cls(staging.read_rows(GL_ACCOUNTS.asset, None))
        if not accounts.accounts:
            # Without the account master every line would be "not found": a systemic cause, not bad records.
            raise Failure(
                f"the JDE account master cache ({GL_ACCOUNTS.asset}, F0901) is empty or was never read; "
                f"materialize {GL_ACCOUNTS.asset}, then rerun this partition"
            )
        return accounts

    def lookup(self, account: str) -> GlAccount | None:
        parts = account.split(".")
        key = (parts[0], parts[1], parts[2] if len(parts) == 3 else "")
        return self.accounts.get(key)


class AccountMap:
    """Coupa account code -> JDE account (``BU.OBJ.SUB``), from the mapping table; also ``charge:tax``,
    ``charge:shipping`` ... for header charges. Unmapped codes are read from the Coupa account's
    segments (segment 1 = business unit, 2 = object, 3 = subsidiary), the usual set-up when Coupa's
    chart is loaded from JDE: Coupa ``20-8150`` is JDE ``20.8150``."""

    def __init__(self, table: Mapping[str, str]) -> None:
        self.table = {str(k).strip(): str(v).strip().upper() for k, v in table.items()}

    def jde_account(self, coupa_account: dict[str, Any] | None) -> str | None:
        if not isinstance(coupa_account, dict):
            return None
        code = str(coupa_account.get("code") or "").strip()
        if code in self.table:
            return self.table[code]
        segments = [str(coupa_account.get(f"segment-{n}") or "").strip() for n in (1, 2, 3)]
        if not (segments[0] and segments[1]):
            return None
        return ".".join(s for s in segments if s).upper()

    def charge_account(self, charge: str) -> str | None:
        return self.table.get(f"charge:{charge}")


def _account_text_ok(text: str) -> bool:
    parts = text.split(".")
    return len(parts) in (2, 3) and all(p.strip() for p in parts[:2]) and len(text) <= 29


def _jde_account_problem(text: str) -> str | None:
    """What is wrong with a JDE account as typed in the table, in a finance user's words."""
    return None if _account_text_ok(text) else "the JDE account must read BU.OBJ or BU.OBJ.SUB"


# Optional (no sandbox file): unset, the table is empty and Coupa account segments are read as BU.OBJ.SUB,
# so there is no sandbox table for the guard to refuse once JDE or Coupa is pointed at a real instance.
ACCOUNTS = MappingTable(
    asset=ACCOUNT_MAP_ASSET,
    variable=ACCOUNT_MAP_ENV,
    key="coupa_account",
    value="jde_account",
    description="Coupa account code -> JDE account (BU.OBJ.SUB) mapping table, staged from the CSV file "
    f"named by ${ACCOUNT_MAP_ENV} (columns coupa_account, jde_account; charge:tax etc. for header charges). "
    "Empty when unset: Coupa account segments are then read as BU.OBJ.SUB.",
    sandbox_file=None,
    check=_jde_account_problem,
    clean=str.upper,
)
coupa_jde_account_map = build_mapping_table_asset(ACCOUNTS, group=INTEGRATION)


# -- invoices -> vouchers ----------------------------------------------------------------------------


@dataclass(frozen=True)
class BatchKey:
    """The F0411Z1/F0911Z1 batch key of one Coupa invoice: the same on every attempt, by construction."""

    user: str
    batch: str
    transaction: str

    @classmethod
    def for_invoice(cls, invoice_id: str) -> "BatchKey":
        return cls(EDI_USER, f"CP{invoice_id}", f"COUPA-INV-{invoice_id}")

    @property
    def target_id(self) -> str:
        return f"{self.user}/{self.batch}/{self.transaction}"

    def conditions(self) -> list[Condition]:
        return [
            Condition("F0411Z1.EDUS", "EQUAL", self.user),
            Condition("F0411Z1.EDBT", "EQUAL", self.batch),
            Condition("F0411Z1.EDTN", "EQUAL", self.transaction),
        ]


AMOUNT = r"^-?\d{1,13}\.\d{2}$"
ISO_DAY = r"^\d{4}-\d{2}-\d{2}$"
VERSION = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$"


class JdeVoucherRecord(pa.DataFrameModel):
    """What ML_CreateVoucherBatch accepts: the contract's lengths, an 8-digit supplier, a 5-digit company,
    2-decimal amounts, 1-999 distribution lines, and batch keys that fit EDBT(15) / EDTN(22)."""

    invoice_number: Series[str] = pa.Field(str_length={"min_value": 1, "max_value": 25})
    supplier_number: Series[str] = pa.Field(str_matches=r"^\d{1,8}$")
    company: Series[str] = pa.Field(str_matches=r"^\d{5}$")
    gross_amount: Series[str] = pa.Field(str_matches=AMOUNT)
    invoice_date: Series[str] = pa.Field(str_matches=ISO_DAY)
    currency: Series[str] = pa.Field(str_matches=r"^[A-Z]{3}$")
    distribution_lines: Series[int] = pa.Field(ge=1, le=999)
    batch_number: Series[str] = pa.Field(str_length={"min_value": 1, "max_value": 15})
    transaction_number: Series[str] = pa.Field(str_length={"min_value": 1, "max_value": 22})
    coupa_updated_at: Series[str] = pa.Field(str_matches=VERSION)

    class Config:
        strict = True
        coerce = True


def _amount(value: Any) -> Decimal | None:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return amount if amount.is_finite() else None


def _number(value: Any) -> int | None:
    """A JDE document or address number as AIS may render it (``1234``, ``"1234"``, ``1234.0``); None
    when blank or zero, which is how an unassigned number reads."""
    amount = _amount(str(value).strip()) if value is not None else None
    if amount is None or amount != amount.to_integral_value() or amount <= 0:
        return None
    return int(amount)


def _money(amount: Decimal) -> str:
    return f"{amount.quantize(CENT):f}"


def _day(value: Any) -> str | None:
    """Coupa renders date-only fields as local midnight (``2025-03-10T00:00:00-08:00``): the day is the
    date as written, never converted to UTC (which could move it to the previous day)."""
    if isinstance(value, str) and len(value) >= 10:
        try:
            return date.fromisoformat(value[:10]).isoformat()
        except ValueError:
            return None
    return None


def supplier_number(ledger: Ledger, supplier: Any) -> str | None:
    """The JDE address number of a Coupa supplier: the JDE -> Coupa supplier cross-reference first (it
    knows which JDE supplier became this Coupa one), else the supplier's ``number`` when it is one."""
    if not isinstance(supplier, dict) or supplier.get("id") is None:
        return None
    xref = ledger.find_xref_by_target("jde_coupa", "supplier", "coupa", str(supplier["id"]))
    if xref is not None:
        return xref.source_key
    number = str(supplier.get("number") or "").strip()
    return number if number.isdigit() and len(number) <= 8 else None


def _describe_supplier(supplier: Any) -> str:
    if not isinstance(supplier, dict):
        return "(none)"
    return f"{supplier.get('name') or '?'} (Coupa supplier {supplier.get('id')})"


def map_invoice(
    invoice: dict[str, Any], updated_at: datetime, gl: GlAccounts, accounts: AccountMap, ledger: Ledger
) -> Mapped | Rejected:
    """One approved Coupa invoice -> the ML_CreateVoucherBatch inputs, or the reason it cannot be one."""
    invoice_id = str(invoice["id"])
    number = str(invoice.get("invoice-number") or "")
    label = f"invoice {invoice_id} ({number or 'no number'})"
    problems: list[str] = []
    an8 = supplier_number(ledger, invoice.get("supplier"))
    if an8 is None:
        problems.append(
            f"supplier {_describe_supplier(invoice.get('supplier'))} has no JDE supplier number: sync it "
            "from JDE (suppliers flow) or set its Coupa number to the JDE address number"
        )
    total = _amount(invoice.get("total-with-taxes"))
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
        amount = _amount(line.get("total"))
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
            amount = _amount(invoice.get(key) or 0)
            if amount:
                # Header charges have no account in Coupa: the mapping table names one (charge:tax ...),
                # otherwise they follow the invoice's largest line, so the voucher still balances.
                account = accounts.charge_account(charge) or largest
                lines.append((account, sign * amount, charge.capitalize(), f"{charge} charge"))
    companies: set[str] = set()
    for account, amount, _, source in lines:
        found = gl.lookup(account) if _account_text_ok(account) else None
        if found is None:
            problems.append(f"account {account} not found in F0901 ({source})")
        elif found.posting_edit in ("N", "I"):
            why = "a non-posting summary account" if found.posting_edit == "N" else "inactive"
            problems.append(
                f"account {account} is not postable (posting edit code {found.posting_edit}: {why}; {source})"
            )
        else:
            companies.add(found.company)
        if amount != amount.quantize(CENT):
            problems.append(f"amount {amount} on account {account} has more than 2 decimals ({source})")
    if len(companies) > 1:
        listed = ", ".join(sorted(companies))
        problems.append(
            f"the lines charge accounts of companies {listed}; one JDE voucher belongs to one company"
        )
    distributed = sum((line[1] for line in lines), Decimal(0))
    if total is not None and lines and distributed != sign * total:
        problems.append(
            f"lines and charges add up to {_money(distributed)} "
            f"but the invoice total is {_money(sign * total)}"
        )
    invoice_date = _day(invoice.get("invoice-date"))
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
        "Due_Date": _day(invoice.get("net-due-date")),
        "Currency_Code": currency or None,
        "Pay_Status": "A",
        "Remark": f"Coupa invoice {invoice_id}",
        "Pay_Items": [{"EDI_Line_Number": 1, "Gross_Amount": _money(distributed)}],
        "Distribution": [
            {"EDI_Line_Number": n, "Account": account, "Amount": _money(amount), "Explanation": text}
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
            "gross_amount": _money(distributed),
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
    documents = collect_documents(context, partition, INVOICE_SOURCE, INVOICES_FLOW)
    if not documents.current:
        return
    yield from _invoice_records(staging, ledger, documents.current, ACCOUNTS.snapshot(staging))


def _invoice_records(
    staging: StagingResource, ledger: Ledger, versions: list[Version], table: Mapping[str, str]
) -> Iterator[Mapped | Rejected]:
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
            yield map_invoice(invoice, version.updated_at, gl, accounts, ledger)
        elif status == "voided" and ours:
            # Reversing a voucher is a decision for JDE's payables team; the integration tells them.
            yield Rejected(
                version.document_id,
                f"invoice {version.document_id} ({invoice.get('invoice-number')}) was voided in Coupa "
                f"after its voucher was sent to JDE (batch {xref.target_id}); void the voucher in JDE",
            )


def _current_versions(coupa: Any, entity: str, document_ids: Iterable[str]) -> list[Version]:
    """The documents as Coupa holds them now (a replay maps the latest version, not the queued one)."""
    versions = []
    with coupa.session(flow="polling") as session:
        for document_id in sorted(set(document_ids)):
            if not document_id.isdigit():
                continue
            record = session.get(entity, document_id)
            changed = coupa_time(record.get("updated-at"))
            if changed is not None:
                versions.append(Version(document_id, changed, record, "poll"))
    return versions


def remap_invoices(context: Any, keys: list[str]) -> Iterator[Mapped | Rejected]:
    """The named invoices read from Coupa again and mapped with today's tables (replay): the account file
    is staged afresh first, so a fixed table takes effect."""
    resources = context.resources
    table = ACCOUNTS.restage(resources.staging)
    versions = _current_versions(resources.coupa, "invoices", keys)
    yield from _invoice_records(resources.staging, resources.ledger.get(), versions, table)


# -- Coupa Pay payments -> payments on vouchers -------------------------------------------------------


class JdePaymentRecord(pa.DataFrameModel):
    """What ML_RecordPayment accepts: a positive 2-decimal amount, a date, a reference of at most 25."""

    payment_reference: Series[str] = pa.Field(str_length={"min_value": 1, "max_value": 25})
    payment_amount: Series[str] = pa.Field(str_matches=r"^\d{1,13}\.\d{2}$")
    payment_date: Series[str] = pa.Field(str_matches=ISO_DAY)
    invoice_id: Series[str] = pa.Field(str_matches=r"^\d{1,12}$")
    coupa_updated_at: Series[str] = pa.Field(str_matches=VERSION)

    class Config:
        strict = True
        coerce = True


def map_payment(payment: dict[str, Any], updated_at: datetime) -> Iterator[Mapped | Rejected]:
    """One Coupa Pay payment -> one payment per invoice it settles (its ``payment-details``)."""
    payment_id = str(payment["id"])
    reference = f"COUPAPAY-{payment_id}"
    # Coupa Pay has no payment date of its own: the day it was created is when the payment was made.
    paid_on = _day(payment.get("payment-date")) or _day(payment.get("created-at"))
    for detail in payment.get("payment-details") or []:
        if str(detail.get("source-transaction-type") or "InvoiceHeader") != "InvoiceHeader":
            continue  # pays an expense report or the like, not a voucher
        invoice_id = str(detail.get("source-transaction-id") or "")
        key = f"{payment_id}:{invoice_id}"
        amount = _amount(detail.get("payment-total"))
        if not invoice_id.isdigit() or amount is None or paid_on is None:
            yield Rejected(
                key,
                f"payment {payment_id} for invoice {invoice_id or '?'} "
                f"({detail.get('source-transaction-reference')}): its invoice, amount "
                f"{detail.get('payment-total')!r} or date cannot be read",
            )
            continue
        if amount <= 0:
            yield Rejected(key, _not_a_payment(payment_id, invoice_id, detail, amount))
            continue
        batch = BatchKey.for_invoice(invoice_id)
        yield Mapped(
            source_key=key,
            body={
                "EDI_User_ID": batch.user,
                "EDI_Batch_Number": batch.batch,
                "EDI_Transaction_Number": batch.transaction,
                "Payment_Amount": _money(amount),
                "Payment_Date": paid_on,
                "Payment_Reference": reference,
            },
            fields={
                "payment_reference": reference,
                "payment_amount": _money(amount),
                "payment_date": paid_on,
                "invoice_id": invoice_id,
                "coupa_updated_at": version_text(updated_at),
            },
            natural_key={"Payment_Reference": reference, "invoice_id": invoice_id},
            depends_on=INVOICES_FLOW.dependency_key(invoice_id),
        )


def _not_a_payment(payment_id: str, invoice_id: str, detail: dict[str, Any], amount: Decimal) -> str:
    """Why a Coupa Pay amount of zero or less is not recorded in JDE, in a finance user's words.

    ML_RecordPayment (docs/jde_orchestrations) records an amount paid, greater than zero, against a voucher;
    JDE has no negative payment. A negative amount is money coming back (a refund) or a credit note applied
    in the payment run: the credit itself reaches JDE as a debit memo voucher through the invoices flow, and
    applying it to the supplier's open vouchers is an AP clerk's step in JDE, not a payment to record.
    """
    invoice = f"invoice {invoice_id} ({detail.get('source-transaction-reference') or 'no reference'})"
    if amount == 0:
        return f"Coupa payment {payment_id} for {invoice} moves no money (0.00): nothing to record in JDE."
    return (
        f"Coupa payment {payment_id} for {invoice} is {_money(amount)}, a refund or a credit applied: JDE "
        "payments cannot be negative (ML_RecordPayment records amounts paid, greater than zero). The "
        "credit note reaches JDE as a debit memo voucher; apply it to the supplier's open vouchers in JDE "
        "(or record the refund as a receipt), then abandon this item."
    )


def map_payments(context: AssetExecutionContext, partition: str | None) -> Iterator[Mapped | Rejected]:
    """The partition's Coupa Pay payments (poll + inbox, latest version each) that committed money."""
    documents = collect_documents(context, partition, PAYMENT_SOURCE, PAYMENTS_FLOW)
    yield from _payment_records(context.resources.ledger.get(), documents.current)


def remap_payments(context: Any, keys: list[str]) -> Iterator[Mapped | Rejected]:
    """The named payments (``payment:invoice``) read from Coupa again and mapped (replay)."""
    versions = _current_versions(context.resources.coupa, "payments", [k.split(":", 1)[0] for k in keys])
    yield from _payment_records(context.resources.ledger.get(), versions)


def _payment_records(ledger: Ledger, versions: list[Version]) -> Iterator[Mapped | Rejected]:
    for version in versions:
        payment = version.record
        if str(payment.get("status") or "") not in READY_PAYMENT_STATUSES:
            continue
        records = list(map_payment(payment, version.updated_at))
        # As for invoices: exported by our own mark still goes through (skipped unless changed).
        ours = any(
            (x := ledger.get_xref(INTEGRATION, "payment", "coupa", r.source_key, "JDE")) and x.target_id
            for r in records
        )
        if ours or not payment.get("exported"):
            yield from records


# -- the JDE side ---------------------------------------------------------------------------------------


class VoucherChanged(ValueError):
    """A record changed after it was written to JDE; the integration never rewrites or doubles it."""


class JdeRefused(ValueError):
    """JDE named a business reason (an error code) for refusing the write: fix the data, then replay."""


class VoucherNotReady(RuntimeError):
    """The voucher batch exists but R04110ZA has not made it an F0411 voucher yet: retry later."""


def jde_reason(exc: JdeOrchestrationError) -> str:
    """JDE's refusal in a finance user's words, with JDE's own code, title and text after them."""
    errors = [m for m in exc.messages if m.code and m.severity == "error"]
    if not errors:
        return str(exc)
    first = errors[0]
    plain = JDE_REASONS.get(first.code, "JDE refused it")
    detail = first.mobile or first.description or first.title
    return redact(f"{plain} (JDE {first.code} {first.title}: {detail})")


def _iso_date(value: Any) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) and value else None


class _JdeTarget:
    """Shared by both targets: the session, the ledger, and an audit line for an adoption."""

    spec: FlowSpec

    def __init__(self, session: Any, ledger: Ledger, run_id: str | None, partition: str | None) -> None:
        self.session = session
        self.ledger = ledger
        self.run_id = run_id
        self.partition = partition
        self.opened_at = datetime.now(UTC)

    def _xref(self, record: Mapped):
        s = self.spec
        return self.ledger.get_xref(
            s.integration, s.entity, s.source_system, record.source_key, s.target_system
        )

    def update(self, target_id: str, record: Mapped) -> None:
        xref = self._xref(record)
        if xref is None or not xref.target_id:
            return  # adopting what an earlier attempt wrote: it is already there, nothing to change
        raise VoucherChanged(
            f"changed in Coupa after it was written to JDE as {target_id}; JDE vouchers and payments are "
            "never rewritten or sent twice by the integration: correct it in JDE, then abandon this item"
        )


class VoucherBatches(_JdeTarget):
    """Coupa invoices as JDE batch vouchers (F0411Z1 pay items + F0911Z1 distribution)."""

    def _batch_rows(self, record: Mapped) -> list[dict[str, Any]]:
        key = BatchKey.for_invoice(record.source_key)
        return list(
            self.session.browse(
                BATCH_TABLE,
                columns=["EDUS", "EDBT", "EDTN", "EDLN", "AN8", "VINV"],
                conditions=key.conditions(),
            )
        )

    def _adoptable(self, record: Mapped) -> str | None:
        rows = self._batch_rows(record)
        if not rows:
            return None
        key = BatchKey.for_invoice(record.source_key)
        holds = {(str(r.get("AN8")), str(r.get("VINV") or "").strip()) for r in rows}
        if holds != {(str(record.body["Supplier"]), record.body["Invoice_Number"].strip())}:
            raise VoucherChanged(
                f"JDE batch {key.target_id} holds supplier/invoice {sorted(holds)}, not supplier "
                f"{record.body['Supplier']} invoice {record.body['Invoice_Number']}; check the batch in JDE"
            )
        return key.target_id

    def find(self, record: Mapped) -> str | None:
        # Only a record an *earlier* attempt claimed can have been written without the ledger knowing; a
        # fresh claim needs no read (and a surprise there still ends as 59A4, handled in ``create``).
        xref = self._xref(record)
        if xref is None or xref.target_id or xref.created_at >= self.opened_at:
            return None
        return self._adoptable(record)

    def create(self, record: Mapped) -> str | Created:
        body = dict(record.body)
        for name in ("Invoice_Date", "GL_Date", "Due_Date"):
            body[name] = _iso_date(body.get(name))
        try:
            self.session.orchestrate(CREATE_VOUCHERS, body)
        except JdeOrchestrationError as exc:
            if "59A4" in exc.codes:
                adopted = self._adoptable(record)
                if adopted is not None:
                    return Created(
                        adopted,
                        "adopt",
                        f"JDE already holds voucher batch {adopted} (59A4 duplicate batch key): an earlier "
                        "attempt wrote it before the ledger recorded it; adopted, not written twice",
                    )
            if exc.is_business_error:
                raise JdeRefused(jde_reason(exc)) from None
            raise
        return BatchKey.for_invoice(record.source_key).target_id


class VoucherPayments(_JdeTarget):
    """Coupa Pay payments recorded on the JDE vouchers the invoices flow wrote."""

    def _voucher(self, record: Mapped) -> tuple[str, int]:
        key = BatchKey(
            record.body["EDI_User_ID"], record.body["EDI_Batch_Number"], record.body["EDI_Transaction_Number"]
        )
        rows = list(
            self.session.browse(
                BATCH_TABLE,
                columns=["EDLN", "EDSP", "KCO", "DOC", "AN8", "VINV"],
                conditions=key.conditions(),
            )
        )
        if not rows:
            invoice = record.fields["invoice_id"]
            raise VoucherNotReady(
                f"the voucher batch {key.target_id} of invoice {invoice} is not in JDE's F0411Z1"
            )
        processed = [r for r in rows if str(r.get("EDSP") or "").strip() == "1"]
        if not processed:
            raise VoucherNotReady(
                f"the voucher batch {key.target_id} of invoice {record.fields['invoice_id']} has not been "
                "turned into a voucher by the Batch Voucher Processor (R04110ZA) yet; retried later"
            )
        if _number(processed[0].get("DOC")):
            return str(processed[0]["KCO"]).strip(), int(processed[0]["DOC"])
        return self._voucher_in_f0411(key, processed[0], record.fields["invoice_id"])

    def _voucher_in_f0411(self, key: BatchKey, row: dict[str, Any], invoice: str) -> tuple[str, int]:
        """The voucher R04110ZA made, found by supplier and invoice number when the processed batch row
        does not carry its document number (the reference only says the processor sets ``EDSP = 1``)."""
        an8, vinv = _number(row.get("AN8")), str(row.get("VINV") or "").strip()
        if not an8 or not vinv:
            raise VoucherNotReady(
                f"the voucher batch {key.target_id} of invoice {invoice} was processed but names neither its "
                "voucher nor its supplier and invoice number; find the voucher in JDE and record the payment"
            )
        vouchers = {
            (str(r.get("KCO") or "").strip(), int(r["DOC"]))
            for r in self.session.browse(
                AP_LEDGER.table,
                columns=["KCO", "DOC", "DCT", "SFX"],
                conditions=[
                    Condition("F0411.AN8", "EQUAL", an8),
                    Condition("F0411.VINV", "EQUAL", vinv),
                    Condition("F0411.DCT", "EQUAL", "PV"),
                ],
            )
            if _number(r.get("DOC"))
        }
        if len(vouchers) != 1:
            found = "no voucher" if not vouchers else f"{len(vouchers)} vouchers"
            raise VoucherNotReady(
                f"the voucher batch {key.target_id} of invoice {invoice} was processed, and JDE's F0411 has "
                f"{found} for supplier {an8} invoice {vinv}; retried later"
            )
        return vouchers.pop()

    def find(self, record: Mapped) -> str | None:
        return None  # JDE offers no read of recorded payments; a repeat is refused with 59AB in ``create``

    def create(self, record: Mapped) -> str | Created:
        company, document = self._voucher(record)
        reference = record.body["Payment_Reference"]
        target_id = f"{company}/{document}/PV/{reference}"
        inputs = {
            "Document_Company": company,
            "Document_Number": document,
            "Document_Type": "PV",
            "Payment_Amount": record.body["Payment_Amount"],
            "Payment_Date": _iso_date(record.body["Payment_Date"]),
            "Payment_Reference": reference,
        }
        try:
            self.session.orchestrate(RECORD_PAYMENT, inputs)
        except JdeOrchestrationError as exc:
            if "59AB" in exc.codes:
                return Created(
                    target_id,
                    "adopt",
                    f"JDE already recorded payment {reference} on voucher {company} {document} (59AB): an "
                    "earlier attempt did before the ledger recorded it; adopted, not paid twice",
                )
            if exc.is_business_error:
                raise JdeRefused(jde_reason(exc)) from None
            raise
        return target_id


@contextmanager
def _open(
    target_class: type[_JdeTarget], jde: Any, ledger: Ledger, run_id: str | None, partition: str | None
):
    with jde.session() as session:
        yield target_class(session, ledger, run_id, partition)


def _open_for_run(target_class: type[_JdeTarget]):
    def open_target(context: AssetExecutionContext):
        partition = context.partition_key if context.has_partition_key else None
        ledger = context.resources.ledger.get()
        return _open(target_class, context.resources.jde, ledger, context.run.run_id, partition)

    return open_target


INVOICES_FLOW = FlowSpec(
    integration=INTEGRATION,
    name="invoices",
    entity="invoice",
    source_system="coupa",
    target_system="JDE",
    schema=JdeVoucherRecord,
    map_records=map_invoices,
    open_target=_open_for_run(VoucherBatches),
    remap=remap_invoices,
    reads={"JDE": (BATCH_TABLE,)},  # beside the staged invoices and account master (upstream)
    writes={"JDE": (CREATE_VOUCHERS,), "coupa": ("invoices",)},  # and the export mark
)
PAYMENTS_FLOW = FlowSpec(
    integration=INTEGRATION,
    name="payments",
    entity="payment",
    source_system="coupa",
    target_system="JDE",
    schema=JdePaymentRecord,
    map_records=map_payments,
    open_target=_open_for_run(VoucherPayments),
    remap=remap_payments,
    reads={"JDE": (BATCH_TABLE, AP_LEDGER.table)},
    writes={"JDE": (RECORD_PAYMENT,), "coupa": ("payments",)},
)
VoucherBatches.spec = INVOICES_FLOW
VoucherPayments.spec = PAYMENTS_FLOW


# -- assets, job, schedule ------------------------------------------------------------------------------


def build_inbox_done(spec: FlowSpec, source: str) -> AssetsDefinition:
    """``<flow>_inbox_done``: acknowledges the inbox rows a run consumed, once its write step succeeded."""
    name = f"{spec.flow}_inbox_done"

    @asset(
        name=name,
        group_name=INTEGRATION,
        kinds={"coupa"},
        partitions_def=saas_partitions,
        deps=[AssetKey(f"{spec.flow}_written")],
        required_resource_keys={"staging", "ledger"},
        backfill_policy=flow_backfill_policy(saas_partitions),
        description=f"Webhook inbox rows ({source}) whose {spec.entity} was written, skipped or queued in "
        "this run, marked processed. Runs only after the write step succeeded, so a failed run leaves them "
        "pending.",
    )
    def _done(context: AssetExecutionContext) -> MaterializeResult:
        staging: StagingResource = context.resources.staging
        ledger: Ledger = context.resources.ledger.get()
        outcomes: dict[str, int] = {}
        for partition in _days(context):
            manifest = _manifest_partition(context, partition)
            for row in staging.read_rows(_manifest_asset(spec.flow), manifest):
                ledger.inbox_mark(int(row["inbox_id"]), status="processed")
                outcomes[row["outcome"]] = outcomes.get(row["outcome"], 0) + 1
            staging.path(_manifest_asset(spec.flow), manifest).unlink(missing_ok=True)
        return MaterializeResult(metadata={"processed": sum(outcomes.values()), **outcomes})

    return _done


coupa_jde_invoice_assets = build_flow_assets(
    INVOICES_FLOW,
    partitions_def=saas_partitions,
    upstream=[INVOICE_SOURCE, GL_ACCOUNTS.asset, ACCOUNT_MAP_ASSET],
    resource_keys={"jde"},
    group=INTEGRATION,
    kinds={"coupa", "jde"},
)
# Payments come after the invoices of the same run, so a payment and its invoice arriving together are
# both written in one run instead of the payment waiting in the queue for the next.
coupa_jde_payment_assets = build_flow_assets(
    PAYMENTS_FLOW,
    partitions_def=saas_partitions,
    upstream=[PAYMENT_SOURCE, f"{INVOICES_FLOW.flow}_written"],
    resource_keys={"jde"},
    group=INTEGRATION,
    kinds={"coupa", "jde"},
)


def payment_records(session: Any, payment_id: str) -> set[str]:
    """The written records a Coupa Pay payment stands for: one per invoice it settles (``map_payment``)."""
    payment = session.get("payments", payment_id)
    return {
        f"{payment_id}:{detail.get('source-transaction-id')}"
        for detail in payment.get("payment-details") or []
        if str(detail.get("source-transaction-type") or "InvoiceHeader") == "InvoiceHeader"
    }


INVOICE_EXPORT_MARK = ExportMark(INVOICES_FLOW, "invoices")
PAYMENT_EXPORT_MARK = ExportMark(
    PAYMENTS_FLOW,
    "payments",
    document_of=lambda source_key: source_key.split(":", 1)[0],
    records_of=payment_records,
)


def _export_marks(mark: ExportMark) -> AssetsDefinition:
    return build_export_marks(
        mark,
        partitions_def=saas_partitions,
        # The polling session's scopes include the invoice and payment writes the marks are (§2.8).
        open_source=lambda context: context.resources.coupa.session(flow="polling"),
        source_resource="coupa",
        group=INTEGRATION,
        kinds={"coupa"},
    )


coupa_jde_invoice_flow = [
    *coupa_jde_invoice_assets,
    build_inbox_done(INVOICES_FLOW, INVOICE_SOURCE),
    _export_marks(INVOICE_EXPORT_MARK),
]
coupa_jde_payment_flow = [
    *coupa_jde_payment_assets,
    build_inbox_done(PAYMENTS_FLOW, PAYMENT_SOURCE),
    _export_marks(PAYMENT_EXPORT_MARK),
]
coupa_jde_flow_assets = [*coupa_jde_invoice_flow, *coupa_jde_payment_flow]
coupa_jde_assets = [coupa_jde_account_map, *coupa_jde_flow_assets]

# Both flows in one run (the inbox sensor's job, and for backfills): a payment and its invoice arriving
# together are both written, in that order. Each flow also has a job and a poll schedule of its own.
# A job stages the mapping table its invoices are mapped with first, in the same run, so a run never
# finds the table missing and the snapshot it used is the one its materialization shows.
coupa_jde_job = define_asset_job(
    "coupa_jde_flows",
    selection=AssetSelection.assets(*executable_keys(coupa_jde_flow_assets), ACCOUNT_MAP_ASSET),
    description="Coupa invoices -> JDE batch vouchers and Coupa Pay payments -> JDE voucher payments for a "
    "day (the Coupa poll's staged partition plus the webhook inbox).",
)
FLOW_JOBS = {  # flow -> (its assets, cadence setting)
    INVOICES_FLOW: ([coupa_jde_account_map, *coupa_jde_invoice_flow], "ML_COUPA_JDE_INVOICES_CRON"),
    PAYMENTS_FLOW: (coupa_jde_payment_flow, "ML_COUPA_JDE_PAYMENTS_CRON"),
}
coupa_jde_flow_jobs = {
    spec: define_asset_job(
        spec.flow,
        selection=AssetSelection.assets(*executable_keys(flow)),
        description=f"Coupa {spec.name} of a day (poll + webhook inbox) -> JDE, then marked exported.",
    )
    for spec, (flow, _) in FLOW_JOBS.items()
}
coupa_jde_jobs = [coupa_jde_job, *coupa_jde_flow_jobs.values()]

# The polling fallback, per flow: a few minutes after each Coupa poll (coupa_sources_poll, */15).
coupa_jde_schedules = [
    build_poll_schedule(
        f"{spec.flow}_poll",
        coupa_jde_flow_jobs[spec],
        cron=settings.value(variable),
        timezone="UTC",
        description=f"Apply today's polled Coupa {spec.name} to JDE (missed call-outs included); "
        "after midnight, close yesterday once.",
    )
    for spec, (_, variable) in FLOW_JOBS.items()
]


# -- replay -----------------------------------------------------------------------------------------------


def _replay(
    spec: FlowSpec,
    target_class: type[_JdeTarget],
    jde: Any,
    resources: Callable[[], dict[str, Any]] | None,
):
    """``replay_handler`` for a Coupa -> JDE flow.

    With ``resources`` the record is read from Coupa again and its current version mapped with today's
    tables (a version JDE already holds is then skipped as unchanged). Without, the queued payload is
    written, unless a newer version from Coupa has been seen since (the version rule of the runs).
    """

    def handle(item: QueueItem, ledger: Ledger) -> ReplayOutcome:
        if resources is None:
            version = str((item.payload.get("fields") or {}).get("coupa_updated_at") or "")
            document = item.source_key.split(":", 1)[0]
            newest = ledger.get_cursor(INTEGRATION, _version_stream(spec.name, document))
            if version and newest and version < newest:
                return ReplayOutcome(
                    None, "skip", f"superseded by a newer version from Coupa ({newest}); not applied"
                )
        # Built and opened once per replay (``ReplayScope``): remap and write share them, and so do the
        # replay's other records.
        built = shared_value(("resources", id(resources)), resources) if resources is not None else None
        resource = jde if jde is not None else (built or {}).get("jde")
        if resource is None:
            resource = shared_value("coupa_jde_settings_jde", _jde_from_settings)
        target_key = ("target", spec.name, id(resource), id(ledger))
        inner = replay_handler(
            spec,
            lambda: shared_context(target_key, lambda: _open(target_class, resource, ledger, None, None)),
            None if built is None else lambda: built,
        )
        return inner(item, ledger)

    return handle


def _jde_from_settings() -> Any:
    from connector_resources.jde import JdeAisResource

    # from_settings may hold EnvVar references; initialising resolves them outside a Dagster run.
    return JdeAisResource.from_settings().process_config_and_initialize()


def register_coupa_jde_replay_handlers(
    jde: Any = None, resources: Callable[[], dict[str, Any]] | None = None
) -> None:
    """``ml-connector replay`` handlers for vouchers and payments.

    By default each queued record is read from Coupa again and mapped with today's tables and settings
    (``resources_from_settings``). Given only ``jde`` (a ``JdeAisResource``), the queued payload is
    written with it instead; given ``resources`` too, those are what the record is re-read with.
    """
    if jde is None and resources is None:
        resources = resources_from_settings
    register_replay_handler(INTEGRATION, "invoices", _replay(INVOICES_FLOW, VoucherBatches, jde, resources))
    register_replay_handler(INTEGRATION, "payments", _replay(PAYMENTS_FLOW, VoucherPayments, jde, resources))
