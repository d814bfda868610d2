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
site in ``ML_FUSION_BUSINESS_UNIT`` is ``fusion.supplier_sites.SupplierSites.site_for(..., "pay")``. An
unpaired vendor holds the bill on ``vendor_pairs.vendor_dependency`` (released by whatever pairs it); a
supplier without a usable pay site refuses it with the reason (queued; replay once the site exists).

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
from datetime import date
from typing import Any

from connector_assets.flows import amounts
from connector_assets.flows.assets import build_flow_assets
from connector_assets.flows.core import Created, Mapped, Rejected, audit_record
from connector_assets.flows.replay_resources import ledger_target_replay, resources_from_settings
from connector_assets.fusion.payments import invoice_payments, paid_state
from connector_assets.integrations.fusion_procurify.bill_mappers import InvoiceRecord, invoice_of
from connector_assets.integrations.fusion_procurify.bill_reader import (
    ENTITY,
    STATUSES_ENV,
    WORDING,
    BillReader,
    InvoiceRules,
    approved_statuses,
)
from connector_assets.integrations.fusion_procurify.charge_accounts import UPSTREAM, ChargeAccounts
from connector_assets.integrations.fusion_procurify.integration import INTEGRATION, ROUTE
from connector_assets.procurify.bill_fields import status_code
from connector_assets.procurify.bill_reads import remapped_bills, settled_records_of
from connector_assets.procurify.bill_status import BILL_STATUS_NAMES
from connector_assets.procurify.staged_bills import BILLS_ASSET, staged_bills
from connector_assets.saas import saas_daily_partitions
from connector_resources.fusion.errors import (
    FusionError,
    FusionOutcomeUnknownError,
    FusionValidationError,
)
from connector_resources.ledger import Ledger
from connector_resources.redaction import get_logger
from connector_resources.replay import ReplayHandler, register_replay_handler

log = get_logger(__name__)

VALIDATED = "Validated"


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
        yield from remapped_bills(
            keys,
            lambda key: procurify.get("bills", key),
            statuses=rules.statuses,
            posted=reader.posted,
            statuses_env=STATUSES_ENV,
            wording=WORDING,
            mapped=lambda found: _records(reader, found, run_id=None, partition=None),
        )


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

_records = settled_records_of(INVOICES_FLOW)  # each bill mapped; an exported-elsewhere skip audited

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
    # What the reconciliation reads through this module: the approved statuses and how they read.
    "BILL_STATUS_NAMES",
    "ENTITY",
    "approved_statuses",
    "status_code",
    "INVOICES_FLOW",
    "InvoiceTarget",
    "differences",
    "invoice_assets",
    "register_invoice_replays",
]
