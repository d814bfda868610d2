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

Never twice (how it is written is the Fusion side's ``fusion.invoice_target.FusionInvoices``; this module's
``InvoiceTarget`` gives it the flow and Procurify's name). The natural key is (``InvoiceNumber``,
``Supplier``), which Payables keeps unique (reference §2.6): ``write_one`` searches it
(``FusionSession.find_invoice``) before every create, so an invoice Fusion already holds (entered by hand, or
created by an attempt whose answer was lost) is adopted. It is adopted only when its supplier, amount and date
agree with the bill; otherwise the bill is refused naming the difference (a person decides which is right).
The pod's own duplicate-number refusal on create (a race with a person keying the same invoice) becomes the
same search and the same adoption. An adopted invoice is never changed by the adoption itself.

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

from collections.abc import Callable, Iterator
from typing import Any

from connector_assets.flows.assets import build_flow_assets
from connector_assets.flows.core import Mapped, Rejected
from connector_assets.flows.replay_resources import resources_from_settings
from connector_assets.fusion.invoice_target import FusionInvoices, invoices_for_run, invoices_replay
from connector_assets.integrations.fusion_procurify.bill_mappers import InvoiceRecord
from connector_assets.integrations.fusion_procurify.bill_reader import (
    ENTITY,
    STATUSES_ENV,
    BillReader,
    InvoiceRules,
    approved_statuses,
)
from connector_assets.integrations.fusion_procurify.charge_accounts import UPSTREAM, ChargeAccounts
from connector_assets.integrations.fusion_procurify.integration import INTEGRATION, ROUTE
from connector_assets.procurify.bill_fields import status_code
from connector_assets.procurify.bill_status import BILL_STATUS_NAMES
from connector_assets.procurify.staged_bills import BILLS_ASSET, staged_bills
from connector_assets.saas import saas_daily_partitions
from connector_resources.replay import ReplayHandler, register_replay_handler


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
        reader = BillReader(procurify, fusion, ledger, accounts, rules, INVOICES_FLOW)
        yield from reader.settled(bills, run_id=context.run.run_id, partition=partition)


def remap_invoices(context: Any, keys: list[str]) -> Iterator[Mapped | Rejected]:
    """The named bills read from Procurify again and mapped with today's settings and tables (a replay
    stages the mapping tables and combinations afresh first, so a fixed map takes effect)."""
    resources = context.resources
    rules = InvoiceRules.from_settings()
    accounts = ChargeAccounts.load(resources.staging, restage=True)
    ledger = resources.ledger.get()
    with resources.procurify.session() as procurify, resources.fusion.session() as fusion:
        reader = BillReader(procurify, fusion, ledger, accounts, rules, INVOICES_FLOW)
        yield from reader.replayed(keys, lambda key: procurify.get("bills", key), STATUSES_ENV)


# -- where it is written --------------------------------------------------------------------------------


class InvoiceTarget(FusionInvoices):
    """Fusion's invoice target (``fusion.invoice_target``) for this flow: Procurify named in what it refuses
    or queues."""

    source_label = "Procurify"


INVOICES_FLOW = ROUTE.flow(
    "invoices",
    ENTITY,
    InvoiceRecord,
    map_invoices,
    remap_invoices,
    invoices_for_run(InvoiceTarget, lambda: INVOICES_FLOW),
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
    return invoices_replay(INVOICES_FLOW, InvoiceTarget, resources)


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
    "invoice_assets",
    "register_invoice_replays",
]
