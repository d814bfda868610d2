"""Procurify -> Oracle Fusion invoices (issue 15, flow 2): an approved Procurify bill becomes one Fusion
payables invoice (header, lines, distributions), matched to the Fusion purchase order the bill came from,
then validated with Fusion's own action. The mapping is ``bill_mappers``' (its docstring holds the rules).

What is sent. The day's staged bills (``procurify_bills``, polled on ``last_modified_datetime``), latest
version each, whose ``status`` is one of ``ML_FUSION_PROCURIFY_BILL_STATUSES`` (default 2 Approved and the
payment states after it, 4/6/7/8). The list gives a slim bill, so each is read in full by its UUID
(``GET /api/v2/ap/bills/{uuid}/``, procurify.md §2.6) for its items, account codes, departments, PO lines
and note.

Exported elsewhere. A bill Procurify shows as exported (``last_export_date`` set) that this integration
never sent was taken to an ERP by another process: it is skipped with an audit event, never sent twice.
The skip is marked as never written (``flows.never_written``): a record held on the bill is refused, not
left waiting for ever.

Supplier and site. The vendor's Fusion supplier is the pair ``vendor_pairs.paired_supplier`` knows; its pay
site in ``ML_FUSION_BUSINESS_UNIT`` is ``supplier_sites.SupplierSites.site_for(..., "pay")``. An unpaired
vendor holds the bill on ``vendor_pairs.vendor_dependency`` (released by whatever pairs it); a supplier
without a usable pay site refuses it with the reason (queued; replay once the site exists).

Purchase orders. The Procurify POs the bill's items bill (``added_purchase_orders``: summaries, or bare
numbers or UUIDs, its shape being unconfirmed; a UUID is read for its number; with several, each PO is
read by number for which of its ``order_items`` each item bills) are looked up in the purchase orders
flow's cross-reference (``purchase_order``: ``PO<n>`` -> ``POHeaderId``); the Fusion order is read for its
``OrderNumber`` and ``Description``. A PO not yet written to Fusion holds the bill on that flow's key of
it (``fusion_procurify:purchase_order:procurify:PO<n>``), so it is mapped again, matched, once the order
exists.

Never twice. The natural key is (``InvoiceNumber``, ``Supplier``), which Payables keeps unique
(reference §2.6): ``write_one`` searches it (``FusionSession.find_invoice``) before every create, so an
invoice Fusion already holds (entered by hand, or created by an attempt whose answer was lost) is adopted.
It is adopted only when its supplier, amount and date agree with the bill; otherwise the bill is refused
naming the difference (a person decides which is right). The pod's own duplicate-number refusal on create
(a race with a person keying the same invoice) becomes the same search and the same adoption. An adopted
invoice is never changed by the adoption itself.

A bill that changes after it was sent (its content differs from what was written): the invoice is read
with its ETag; while it is not paid (``PaidStatus`` / ``AmountPaid``; on a pod without them, any non-void
payment of it) nor canceled, a change of the header's date or description is sent with ``PATCH`` and
``If-Match`` (a 412 re-reads and retries once, then ``FusionConflictError``, which queues it). A change of
the lines (amounts, accounts, PO matching: an amount change is always one, since the lines add up to it)
is queued for a person with the reason: Fusion invoice lines are AP's to adjust (a line rewrite on a
possibly accounted invoice is not a connector's decision). A paid or canceled invoice is never changed:
queued for a person likewise. A bill moved back (denied, withdrawn) after it was sent is queued too:
cancelling a Fusion invoice is AP's call.

Validation. After a create or an adoption (and after a PATCH), ``FusionSession.validate_invoice`` runs
Payables validation. The result is audited whatever it is, in the reason of the write's own event
(``create`` / ``adopt``; after a PATCH, an ``update`` event of its own when it is not ``Validated``: the
ledger's audit actions have no ``validate``); a result other than
``Validated`` (``Needs revalidation``: holds, lines not matching the amount) is **not** queued: the invoice
is in Fusion and correct as far as Procurify says, and what stops validation (a hold, a tolerance, a
closed period) is resolved in Fusion's invoice workbench, where AP sees it; replaying would only repeat
the same answer. A validation call that fails (pod unavailable) is audited the same way and leaves the
invoice written: Fusion validates it in its own scheduled validation run too.

Marking exported. Procurify's API documents no write marking a bill exported (§2.6), so the export is
recorded in the ledger (``invoice`` cross-reference: bill UUID -> Fusion ``InvoiceId``), not in Procurify.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from connector_assets.flows import amounts
from connector_assets.flows.assets import build_flow_assets
from connector_assets.flows.core import Created, Mapped, Rejected, Skipped, audit_record, skips_audited
from connector_assets.flows.never_written import NeverWritten, never_written_settled
from connector_assets.flows.replay_resources import ledger_target_replay, resources_from_settings
from connector_assets.integrations.fusion_procurify.bill_mappers import (
    BillInputs,
    FusionOrder,
    InvoiceRecord,
    bill_vendor_id,
    describe,
    invoice_of,
    map_bill,
    order_item,
    po_line_number,
)
from connector_assets.integrations.fusion_procurify.charge_accounts import UPSTREAM, ChargeAccounts
from connector_assets.integrations.fusion_procurify.integration import INTEGRATION, ROUTE
from connector_assets.integrations.fusion_procurify.payment_mappers import paid_state
from connector_assets.integrations.fusion_procurify.payment_status import invoice_payments
from connector_assets.integrations.fusion_procurify.po_numbers import po_source_key
from connector_assets.integrations.fusion_procurify.supplier_sites import SupplierSite, SupplierSites
from connector_assets.integrations.fusion_procurify.vendor_pairs import paired_supplier, vendor_dependency
from connector_assets.procurify.bill_status import BILL_STATUS_NAMES
from connector_assets.procurify.record_reads import mapped_or_queued, read_for_record
from connector_assets.procurify.staged_bills import bill_stamp, staged_bills
from connector_assets.saas import saas_daily_partitions
from connector_resources import settings
from connector_resources.fusion.errors import (
    FusionError,
    FusionNotFoundError,
    FusionOutcomeUnknownError,
    FusionValidationError,
)
from connector_resources.ledger import Ledger, dependency_key
from connector_resources.procurify.errors import ProcurifyNotFoundError
from connector_resources.redaction import get_logger
from connector_resources.replay import ReplayHandler, register_replay_handler
from connector_resources.settings import SettingError

log = get_logger(__name__)

ENTITY = "invoice"
BILLS_ASSET = "procurify_bills"  # the staged Procurify bills (connector_assets.saas_assets)
ORDER_ENTITY = "purchase_order"  # the purchase orders flow's xref: "PO<n>" -> Fusion POHeaderId
STATUSES_ENV = "ML_FUSION_PROCURIFY_BILL_STATUSES"
TAX_ACCOUNT_ENV = "ML_FUSION_PROCURIFY_BILL_TAX_ACCOUNT"
FREIGHT_ACCOUNT_ENV = "ML_FUSION_PROCURIFY_BILL_FREIGHT_ACCOUNT"
LEDGER_CURRENCY_ENV = "ML_FUSION_PROCURIFY_LEDGER_CURRENCY"
RATE_TYPE_ENV = "ML_FUSION_PROCURIFY_CONVERSION_RATE_TYPE"
BUSINESS_UNIT_ENV = "ML_FUSION_BUSINESS_UNIT"
VALIDATED = "Validated"


# -- settings -------------------------------------------------------------------------------------------


def approved_statuses() -> frozenset[int]:
    """``ML_FUSION_PROCURIFY_BILL_STATUSES``: the bill status codes (§2.6) that count as approved."""
    raw = settings.value(STATUSES_ENV)
    parts = [p.strip() for p in raw.split(",") if p.strip()]
    if not parts or not all(p.isdigit() and int(p) in BILL_STATUS_NAMES for p in parts):
        raise SettingError(
            f"{STATUSES_ENV}={raw!r}: name Procurify bill status codes 0-8, comma-separated (e.g. 2,4,6,7,8)"
        )
    return frozenset(int(p) for p in parts)


@dataclass(frozen=True)
class InvoiceRules:
    """Today's settings for invoices: approved statuses, business unit, tax / freight accounts, currency."""

    statuses: frozenset[int]
    business_unit: str
    tax_account: str | None
    freight_account: str | None
    ledger_currency: str
    conversion_rate_type: str

    @classmethod
    def from_settings(cls) -> InvoiceRules:
        unit = settings.value(BUSINESS_UNIT_ENV).strip()
        if not unit:
            raise SettingError(f"{BUSINESS_UNIT_ENV} is blank: name the Fusion payables business unit")
        currency = settings.value(LEDGER_CURRENCY_ENV).strip().upper()
        if len(currency) != 3 or not currency.isalpha():
            raise SettingError(f"{LEDGER_CURRENCY_ENV}={currency!r}: give a 3-letter currency code")
        return cls(
            approved_statuses(),
            unit,
            settings.value(TAX_ACCOUNT_ENV).strip() or None,
            settings.value(FREIGHT_ACCOUNT_ENV).strip() or None,
            currency,
            settings.value(RATE_TYPE_ENV).strip() or "Corporate",
        )


# -- what the flow reads --------------------------------------------------------------------------------


def status_code(bill: Mapping[str, Any]) -> int | None:
    """The bill's ``status`` code (an integer in the reference; a digit string is read too)."""
    raw = bill.get("status")
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    text = str(raw if raw is not None else "").strip()
    return int(text) if text.isdigit() else None


def order_dependency(procurify_po: int) -> str:
    """What a bill of Procurify PO ``procurify_po`` waits on until that PO is in Fusion: the purchase
    orders flow's dependency key of it (``fusion_procurify:purchase_order:procurify:PO<n>``)."""
    return dependency_key(INTEGRATION, ORDER_ENTITY, "procurify", po_source_key(procurify_po))


def _po_number(value: Any) -> int | None:
    text = "" if value is None or isinstance(value, bool) else str(value).strip()
    return int(text) if text.isdigit() and int(text) > 0 else None


class BillReader:
    """What one mapped step (or replay) reads for its bills: each full bill, the Procurify POs they bill,
    the pairs, sites and Fusion orders, on one Procurify and one Fusion session."""

    def __init__(
        self,
        procurify: Any,
        fusion: Any,
        ledger: Ledger,
        accounts: ChargeAccounts,
        rules: InvoiceRules,
    ) -> None:
        self.procurify, self.fusion, self.ledger, self.accounts, self.rules = (
            procurify,
            fusion,
            ledger,
            accounts,
            rules,
        )
        self.sites = SupplierSites(fusion)
        self._po_lines: dict[int, dict[str, int]] = {}  # Procurify PO -> order item id -> PO_line_num
        self._orders: dict[int, FusionOrder] = {}
        self._po_by_uuid: dict[str, int | None] = {}  # Procurify PO uuid -> its procurify_PO

    def posted(self, bill_uuid: str) -> str | None:
        xref = self.ledger.get_xref(INTEGRATION, ENTITY, "procurify", bill_uuid, "fusion")
        return xref.target_id if xref is not None and xref.target_id else None

    def po_lines(self, procurify_po: int) -> dict[str, int]:
        """Order item id -> ``PO_line_num`` of a Procurify PO, read by number once per run."""
        if procurify_po not in self._po_lines:
            detail = self.procurify.get("purchase_orders", procurify_po)
            lines: dict[str, int] = {}
            for line in detail.get("order_items") or []:
                number = po_line_number(line) if isinstance(line, Mapping) else None
                if number is not None and line.get("id") is not None:
                    lines[str(line["id"])] = number
            self._po_lines[procurify_po] = lines
        return self._po_lines[procurify_po]

    def added_po(self, entry: Any) -> int | None:
        """The Procurify PO number an ``added_purchase_orders`` entry names. procurify.md §2.6 lists the
        field, not its shape, so besides a summary's ``procurify_PO`` a bare entry is read too: digits are
        the number, anything else a PO UUID read once (``GET /api/v2/purchase_orders/{uuid}/``, which §2.5
        accepts) for its ``procurify_PO``; otherwise a bill of a PO would be sent unmatched."""
        if isinstance(entry, Mapping):
            return _po_number(entry.get("procurify_PO"))
        ident = "" if entry is None or isinstance(entry, bool) else str(entry).strip()
        if not ident or ident.isdigit():
            return _po_number(ident)
        if ident not in self._po_by_uuid:
            detail = self.procurify.get("purchase_orders", ident)
            self._po_by_uuid[ident] = _po_number(detail.get("procurify_PO"))
        return self._po_by_uuid[ident]

    def item_lines(self, bill: Mapping[str, Any]) -> dict[str, tuple[int, int]]:
        """Order item id -> (Procurify PO number, PO line number) of each item that bills a PO line. One
        PO on the bill: every such item is of it (no call); several: each PO is read for its lines."""
        pos = [
            number
            for entry in bill.get("added_purchase_orders") or []
            if (number := self.added_po(entry)) is not None
        ]
        found: dict[str, tuple[int, int]] = {}
        for item in bill.get("items") or []:
            line = order_item(item) if isinstance(item, Mapping) else None
            if line is None or line.get("id") is None or not pos:
                continue
            if len(pos) == 1:
                number = po_line_number(line)
                if number is not None:
                    found[str(line["id"])] = (pos[0], number)
                continue
            for po in pos:
                number = self.po_lines(po).get(str(line["id"]))
                if number is not None:
                    found[str(line["id"])] = (po, number)
                    break
        return found

    def order(self, procurify_po: int) -> FusionOrder:
        """The Fusion order of a Procurify PO (read by the ``POHeaderId`` the purchase orders flow
        recorded), or a not-yet-written one carrying the key to wait on."""
        if procurify_po not in self._orders:
            key = po_source_key(procurify_po)
            xref = self.ledger.get_xref(INTEGRATION, ORDER_ENTITY, "procurify", key, "fusion")
            if xref is None or not xref.target_id:
                self._orders[procurify_po] = FusionOrder(None, dependency=order_dependency(procurify_po))
            else:
                try:
                    record = self.fusion.get("purchase_orders", xref.target_id)
                except FusionNotFoundError:  # a draft not yet submitted: read as a draft, by its id
                    drafts = self.fusion.search("draft_purchase_orders", {"POHeaderId": int(xref.target_id)})
                    record = drafts[0] if drafts else {}
                # The number Fusion has (it numbers the order unless ML_FUSION_SEND_UNCONFIRMED lets us),
                # never the one we would have sent: a bill matched to a number Fusion lacks is refused.
                number = str(record.get("OrderNumber") or "").strip()
                if not number:
                    self._orders[procurify_po] = FusionOrder(None, dependency=order_dependency(procurify_po))
                else:
                    self._orders[procurify_po] = FusionOrder(
                        number, description=str(record.get("Description") or "").strip()
                    )
        return self._orders[procurify_po]

    def record(self, bill: Mapping[str, Any], updated_at: datetime) -> Mapped | Rejected | Skipped | None:
        """The bill (slim or full) as a Fusion invoice, a refusal, a skip, or None when it is none of this
        flow's business (not approved, never sent). Procurify not answering a read this bill needs (its
        full record, its POs' lines) after every retry queues the bill; the rest of the day still goes."""
        return mapped_or_queued(
            str(bill.get("uuid") or ""), describe(bill), lambda: self._record(bill, updated_at)
        )

    def _record(self, bill: Mapping[str, Any], updated_at: datetime) -> Mapped | Rejected | Skipped | None:
        bill_uuid = str(bill.get("uuid") or "")
        status = status_code(bill)
        posted = self.posted(bill_uuid)
        if status not in self.rules.statuses:
            if posted is None:
                return None
            name = BILL_STATUS_NAMES.get(status, str(bill.get("status"))) if status is not None else "?"
            return Rejected(
                bill_uuid,
                f"{describe(bill)} is {name} in Procurify now, after it was sent to Fusion as invoice "
                f"{posted}: the integration never cancels a Fusion invoice; cancel it in Fusion if that is "
                "right, then abandon this item",
            )
        if posted is None and bill.get("last_export_date"):
            return NeverWritten(
                bill_uuid,
                f"{describe(bill)} was exported from Procurify on {bill.get('last_export_date')} by another "
                "process (not this integration); not sent to Fusion again",
            )
        try:
            full = read_for_record("its full bill", lambda: self.procurify.get("bills", bill_uuid))
        except ProcurifyNotFoundError as exc:  # an outage after every retry queues it (``record``)
            return Rejected(
                bill_uuid, f"{describe(bill)} cannot be read from Procurify ({exc}); nothing sent"
            )
        if not bill_vendor_id(full) and bill_vendor_id(bill):
            full = {**full, "vendor": bill["vendor"]}
        full = {**full, "uuid": bill_uuid}
        vendor_id = bill_vendor_id(full)
        site: SupplierSite | None = None
        waits = ""
        if vendor_id:
            supplier_id = paired_supplier(self.ledger, vendor_id)
            if supplier_id is None:
                waits = vendor_dependency(vendor_id)
            else:
                site, problem = self.sites.site_for(supplier_id, self.rules.business_unit, "pay")
                if site is None:
                    return Rejected(bill_uuid, f"{describe(full)}: {problem}")
        try:
            lines = self.item_lines(full)
        except ProcurifyNotFoundError as exc:  # a PO the bill names is gone: never sent unmatched
            return Rejected(
                bill_uuid,
                f"{describe(full)}: a purchase order it bills cannot be read from Procurify "
                f"({exc}); nothing sent",
            )
        orders = {po: self.order(po) for po in {po for po, _ in lines.values()}}
        inputs = BillInputs(
            bill=full,
            site=site,
            vendor_dependency=waits,
            business_unit=self.rules.business_unit,
            updated_at=updated_at,
            item_lines=lines,
            orders=orders,
            tax_account=self.rules.tax_account,
            freight_account=self.rules.freight_account,
            ledger_currency=self.rules.ledger_currency,
            conversion_rate_type=self.rules.conversion_rate_type,
        )
        mapped = map_bill(inputs, self.accounts.combination)
        if isinstance(mapped, Rejected) and posted is not None:
            return Rejected(
                bill_uuid, f"{mapped.reason} (it was sent to Fusion as invoice {posted} before; nothing sent)"
            )
        return mapped


def _records(
    reader: BillReader,
    bills: Iterable[tuple[Mapping[str, Any], datetime]],
    *,
    run_id: str | None,
    partition: str | None,
) -> Iterator[Mapped | Rejected]:
    """Each bill mapped; a skip (exported elsewhere) is audited here and not passed on."""
    records = (reader.record(bill, updated_at) for bill, updated_at in bills)
    settled = never_written_settled(INVOICES_FLOW, reader.ledger, records, run_id=run_id, partition=partition)
    yield from skips_audited(INVOICES_FLOW, reader.ledger, settled, run_id=run_id, partition=partition)


def map_invoices(context: Any, partition: str | None) -> Iterator[Mapped | Rejected]:
    """The partition's approved bills as Fusion invoices."""
    resources = context.resources
    bills = staged_bills(resources.staging, partition)
    if not bills:
        return
    rules = InvoiceRules.from_settings()
    accounts = ChargeAccounts.load(resources.staging)
    ledger = resources.ledger.get()
    with resources.procurify.session() as procurify, resources.fusion.session() as fusion:
        reader = BillReader(procurify, fusion, ledger, accounts, rules)
        yield from _records(reader, bills, run_id=context.run.run_id, partition=partition)


def remap_invoices(context: Any, keys: list[str]) -> Iterator[Mapped | Rejected]:
    """The named bills read from Procurify again and mapped with today's settings and tables (a replay
    stages the mapping tables and combinations afresh first, so a fixed map takes effect)."""
    resources = context.resources
    rules = InvoiceRules.from_settings()
    accounts = ChargeAccounts.load(resources.staging, restage=True)
    ledger = resources.ledger.get()
    with resources.procurify.session() as procurify, resources.fusion.session() as fusion:
        reader = BillReader(procurify, fusion, ledger, accounts, rules)
        found: list[tuple[Mapping[str, Any], datetime]] = []
        for key in keys:
            try:
                bill = procurify.get("bills", key)
            except ProcurifyNotFoundError as exc:
                yield Rejected(key, f"bill {key} cannot be read from Procurify ({exc})")
                continue
            status = status_code(bill)
            if status not in rules.statuses and reader.posted(key) is None:
                yield Rejected(
                    key,
                    f"{describe(bill)} is {BILL_STATUS_NAMES.get(status, status)} in Procurify now, not "
                    f"approved ({STATUSES_ENV}): not sent; abandon this item if that is right",
                )
                continue
            found.append(({**bill, "uuid": key}, bill_stamp(bill)))
        yield from _records(reader, found, run_id=None, partition=None)


# -- where it is written --------------------------------------------------------------------------------


class InvoiceMismatch(ValueError):
    """Fusion holds an invoice with this number from this supplier that disagrees with the bill: never
    adopted, never changed; the record is queued with the difference for a person."""


def _same_amount(value: Any, expected: Any) -> bool:
    left, right = amounts.amount(value), amounts.amount(expected)
    return left is not None and right is not None and left == right


def _day_of(value: Any) -> str:
    text = str(value or "").strip()[:10]
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        return text


def differences(found: Mapping[str, Any], body: Mapping[str, Any]) -> list[str]:
    """How an invoice Fusion holds differs from the mapped one on supplier, amount and date (empty:
    it is this bill's invoice)."""
    out = []
    if str(found.get("Supplier") or "") != str(body.get("Supplier") or ""):
        out.append(f"supplier {found.get('Supplier')!r} (the bill's: {body.get('Supplier')!r})")
    if not _same_amount(found.get("InvoiceAmount"), body.get("InvoiceAmount")):
        out.append(f"amount {found.get('InvoiceAmount')} (the bill's: {body.get('InvoiceAmount')})")
    if _day_of(found.get("InvoiceDate")) != _day_of(body.get("InvoiceDate")):
        out.append(f"date {found.get('InvoiceDate')} (the bill's: {body.get('InvoiceDate')})")
    return out


def _is_paid(invoice: Mapping[str, Any], session: Any) -> bool:
    """Whether Fusion has paid ``invoice`` (in part or in full), so the integration must not change it.
    ``PaidStatus`` / ``AmountPaid`` are unconfirmed names (fusion.md §2.6): on a pod carrying neither, the
    invoice's payments decide (PaidInvoicesFinder, confirmed in §2.8), any non-void one meaning paid, so a
    paid invoice is never PATCHed merely because the pod spells its paid status otherwise."""
    if all(invoice.get(name) in (None, "") for name in ("PaidStatus", "AmountPaid")):
        return bool(paid_state(invoice, invoice_payments(session, invoice, [])).live)
    paid = str(invoice.get("PaidStatus") or "").strip().lower()
    amount = (
        amounts.amount(invoice.get("AmountPaid")) if invoice.get("AmountPaid") not in (None, "") else None
    )
    return paid in ("paid", "partially paid", "y") or bool(amount)


def _is_canceled(invoice: Mapping[str, Any]) -> bool:
    flag = invoice.get("CanceledFlag")
    canceled = flag is True or str(flag or "").strip().lower() in ("true", "y", "1")
    return canceled or str(invoice.get("ValidationStatus") or "").strip().lower() in ("canceled", "cancelled")


def line_summary(lines: Iterable[Mapping[str, Any]]) -> list[tuple[int, str, str, str, str]]:
    """(line number, type, amount, PO number, PO line) of each line: what must agree for the lines to be
    the bill's."""
    out = []
    for line in lines:
        amount = amounts.amount(line.get("LineAmount"))
        out.append(
            (
                int(line.get("LineNumber") or 0),
                str(line.get("LineType") or "Item"),
                amounts.money(amount) if amount is not None else str(line.get("LineAmount")),
                str(line.get("PurchaseOrderNumber") or ""),
                str(line.get("PurchaseOrderLineNumber") or ""),
            )
        )
    return sorted(out)


class InvoiceTarget:
    """The Fusion side: search by (InvoiceNumber, Supplier) and adopt, else create (a duplicate refusal or
    a lost answer turned into the same search and adoption), update a changed bill's header with If-Match,
    validate; on one Fusion session, with the ledger (a found invoice another bill holds is refused, and a
    validation after an update is audited).

    The natural-key search runs inside ``create``, under the record's lease, right before the POST
    (``find`` answers None): so an adoption carries its own audit reason with the validation result, and
    ``write_one`` never "updates" an invoice merely found (an adopted invoice is never changed)."""

    def __init__(self, session: Any, ledger: Ledger, run_id: str | None, partition: str | None) -> None:
        self.session, self.ledger, self.run_id, self.partition = session, ledger, run_id, partition

    def _search(self, record: Mapped) -> dict[str, Any] | None:
        body = record.body
        found = self.session.find_invoice(
            str(body["InvoiceNumber"]), str(body["Supplier"]), business_unit=body.get("BusinessUnit")
        )
        if found is None:
            return None
        label = f"invoice {body['InvoiceNumber']} of supplier {body['Supplier']}"
        holder = self.ledger.find_xref_by_target(INTEGRATION, ENTITY, "fusion", str(found["InvoiceId"]))
        if holder is not None and holder.source_key != record.source_key:
            raise InvoiceMismatch(
                f"{label}: Fusion already holds it (InvoiceId {found['InvoiceId']}) as the invoice of "
                f"Procurify bill {holder.source_key}; two bills carry the same invoice number for one "
                "supplier. Correct the invoice number of one of them in Procurify and replay, or abandon "
                "this item"
            )
        different = differences(found, body)
        if different:
            raise InvoiceMismatch(
                f"{label}: Fusion already holds it (InvoiceId {found.get('InvoiceId')}) with "
                f"{'; '.join(different)}; not adopted and not changed. Correct the bill in Procurify or the "
                "invoice in Fusion and replay, or abandon this item if the Fusion invoice is right"
            )
        return found

    def find(self, record: Mapped) -> str | None:
        return None  # searched in ``create``, under the lease (class docstring)

    def create(self, record: Mapped) -> str | Created:
        found = self._search(record)
        if found is not None:
            target_id = str(found["InvoiceId"])
            return Created(
                target_id,
                "adopt",
                "found in Fusion by invoice number and supplier, with the bill's amount and date; adopted, "
                f"not duplicated; {self.validate(target_id)}",
            )
        try:
            created = self.session.create_invoice(invoice_of(record.body))
        except (FusionValidationError, FusionOutcomeUnknownError) as exc:
            # A duplicate-number refusal (its wording is unconfirmed, so any refusal is checked) or a lost
            # answer: the invoice may be there now; adopt it if it is this bill's, else the error stands.
            found = self._search(record)
            if found is None:
                raise
            target_id = str(found["InvoiceId"])
            why = "refused as a duplicate" if isinstance(exc, FusionValidationError) else "answer lost"
            return Created(
                target_id,
                "adopt",
                f"create {why}; found by invoice number and supplier and adopted; {self.validate(target_id)}",
            )
        target_id = str(created["InvoiceId"])
        return Created(target_id, "create", f"created; {self.validate(target_id)}")

    def update(self, target_id: str, record: Mapped) -> None:
        body = record.body
        current, etag = self.session.get_with_etag("invoices", {"InvoiceId": int(target_id)})
        label = f"invoice {body['InvoiceNumber']} of supplier {body['Supplier']} (InvoiceId {target_id})"
        if _is_canceled(current) or _is_paid(current, self.session):
            state = "canceled" if _is_canceled(current) else "paid"
            raise ValueError(
                f"{label} changed in Procurify after it was sent, but the Fusion invoice is {state}: the "
                "integration does not change it; adjust it in Fusion (or a credit memo), then abandon this "
                "item"
            )
        fusion_lines = line_summary(self.session.iter_children("invoices", current, "invoiceLines"))
        if fusion_lines != line_summary(body.get("invoiceLines") or []):
            raise ValueError(
                f"{label}: the bill's lines (amounts, accounts or PO matching) changed in Procurify after "
                "it was sent; the integration does not rewrite Fusion invoice lines. Adjust the invoice in "
                "Fusion (or cancel it and replay), then abandon this item"
            )

        def changes(fresh: Mapping[str, Any]) -> dict[str, Any]:
            wanted: dict[str, Any] = {}
            if not _same_amount(fresh.get("InvoiceAmount"), body.get("InvoiceAmount")):
                wanted["InvoiceAmount"] = str(body["InvoiceAmount"])
            if _day_of(fresh.get("InvoiceDate")) != body.get("InvoiceDate"):
                wanted["InvoiceDate"] = body["InvoiceDate"]
            described = body.get("Description")
            if described and (fresh.get("Description") or None) != described:
                wanted["Description"] = described
            return wanted

        wanted = changes(current)
        if not wanted:
            return
        self.session.update_with_etag(
            "invoices", current, wanted, etag=etag, build_changes=lambda fresh: changes(fresh) or None
        )
        outcome = self.validate(target_id)
        if not outcome.endswith(VALIDATED):  # the update's own event says "changed in the source"
            audit_record(
                self.ledger,
                INVOICES_FLOW,
                "update",
                record.source_key,
                f"{', '.join(sorted(wanted))} updated; {outcome}",
                target_id=target_id,
                run_id=self.run_id,
                partition=self.partition,
            )

    def validate(self, target_id: str) -> str:
        """Payables validation of the invoice, as words for its audit event (module docstring: a result
        other than Validated is audited, not queued; a failed call leaves the invoice written)."""
        try:
            result = self.session.validate_invoice({"InvoiceId": int(target_id)})
        except FusionError as exc:
            log.warning("fusion invoice %s: validation not run: %s", target_id, exc)
            return f"Fusion validation could not be run ({exc}); Fusion's own validation run will validate it"
        if result == VALIDATED:
            return f"Fusion validation: {result}"
        return f"Fusion validation: {result}; resolve it in Fusion's invoice workbench (holds, tolerances)"


@contextmanager
def open_invoice_target(
    fusion: Any, ledger: Ledger, run_id: str | None = None, partition: str | None = None
) -> Iterator[InvoiceTarget]:
    """An ``InvoiceTarget`` on one session of the Fusion resource, closed after the block."""
    with fusion.session() as session:
        yield InvoiceTarget(session, ledger, run_id, partition)


def invoice_target_for_run(context: Any) -> Any:
    """``FlowSpec.open_target``: on the run's Fusion resource and ledger."""
    partition = context.partition_key if context.has_partition_key else None
    return open_invoice_target(
        context.resources.fusion, context.resources.ledger.get(), context.run.run_id, partition
    )


INVOICES_FLOW = ROUTE.flow(
    "invoices",
    ENTITY,
    InvoiceRecord,
    map_invoices,
    remap_invoices,
    invoice_target_for_run,
    # Beside the staged bills and the charge account tables (upstream): in Procurify each full bill and
    # the POs of a bill billing several; in Fusion the supplier and its sites, the purchase orders, and
    # the invoices (natural-key search, create, update, validate).
    reads={"procurify": ("bills", "purchase_orders"), "fusion": ("suppliers", "purchase_orders", "invoices")},
    writes={"fusion": ("invoices",)},
)

invoice_assets = build_flow_assets(
    INVOICES_FLOW,
    partitions_def=saas_daily_partitions(),
    upstream=[BILLS_ASSET, *UPSTREAM],
    resource_keys={"fusion", "procurify"},
    group=INTEGRATION,
    kinds={"procurify", "oracle"},
)


def invoice_replay(resources: Callable[[], dict[str, Any]]) -> ReplayHandler:
    """The invoices flow's replay handler: remapped with today's tables and settings (``resources()``:
    fusion, procurify, staging, built once per replay), written through a target holding the replay's
    ledger."""
    return ledger_target_replay(
        INVOICES_FLOW, lambda built, ledger: open_invoice_target(built["fusion"], ledger), resources
    )


def register_invoice_replays(resources: Callable[[], dict[str, Any]] | None = None) -> None:
    """``ml-connector replay`` for queued invoices: each bill read again from Procurify and mapped with
    today's tables and settings (``resources_from_settings`` of fusion, procurify and staging unless
    given)."""
    build = resources or (lambda: resources_from_settings(("fusion", "procurify", "staging")))
    register_replay_handler(INTEGRATION, INVOICES_FLOW.name, invoice_replay(build))


__all__ = [
    "INVOICES_FLOW",
    "InvoiceTarget",
    "differences",
    "invoice_assets",
    "order_dependency",
    "register_invoice_replays",
]
