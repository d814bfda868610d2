"""Procurify -> Oracle Fusion invoices: an approved bill becomes one Fusion payables invoice matched to its
purchase order, then validated. Mapping: ``bill_mappers``; reads and the ledger's export record:
``procurify.approved_bill_reader``; writes: ``fusion.invoice_target``; holds: ``fusion.missing_sites``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from connector_assets.flows.assembly import Flow
from connector_assets.flows.assets import build_flow_assets
from connector_assets.flows.core import FlowSpec, Mapped, Rejected
from connector_assets.flows.flow_run import run_partitions
from connector_assets.flows.instance import Instance
from connector_assets.flows.replays import Replay
from connector_assets.fusion.invoice_target import INVOICE_CHECKS, FusionInvoices
from connector_assets.fusion.missing_sites import site_or_hold
from connector_assets.fusion.order_target import (
    OrderNumbers,
    order_number_of,
    orders_for_run,
    read_order_numbers,
)
from connector_assets.fusion.supplier_sites import Read, SupplierSite, SupplierSites, suppliers_for_run
from connector_assets.procurify.approved_bill_reader import ApprovedBillReader
from connector_assets.procurify.bill_fields import bill_vendor_id, describe, status_code
from connector_assets.procurify.bill_order_lines import BillOrderLines
from connector_assets.procurify.bill_reads import BillWording, staged_bills
from connector_assets.runtime.run_reads import RunReads, first_in_run
from connector_assets.saas.entities import saas_daily_partitions
from connector_resources import settings
from connector_resources.error_kinds import ConnectorError
from connector_resources.ledger import Ledger, dependency_key
from connector_resources.procurify.errors import ProcurifyError, ProcurifyNotFoundError
from connector_resources.refusals import Refusal, master_missing, source_invalid
from connector_resources.said import Said, reworded

from .bill_mappers import (
    BillInputs,
    FusionOrder,
    InvoiceRecord,
    map_bill,
)
from .charge_accounts import ChargeAccounts
from .own import Own
from .po_numbers import po_source_key
from .vendor_pairs import read_paired_suppliers

ENTITY = "invoice"
ORDER_ENTITY = "purchase_order"  # the purchase orders flow's xref: "PO<n>" -> Fusion POHeaderId
BUSINESS_UNIT_ENV = "ML_FUSION_BUSINESS_UNIT"
WORDING = BillWording(  # not_sent / nothing_again: "not sent" / "nothing sent"
    sent_as="sent to Fusion as invoice {posted}",
    never="cancels a Fusion invoice; cancel it in Fusion",
    not_again="not sent to Fusion again",
)


def approved_statuses(it: Instance) -> frozenset[int]:
    """``it``'s ``bill_statuses``: the bill status codes (§2.6) that count as approved."""
    return frozenset(int(code) for code in it.setting("bill_statuses"))


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
    def of(cls, it: Instance) -> InvoiceRules:
        """``it``'s, read now."""
        return cls(
            approved_statuses(it),
            settings.read(BUSINESS_UNIT_ENV),
            str(it.setting("bill_tax_account")).strip() or None,
            str(it.setting("bill_freight_account")).strip() or None,
            it.setting("ledger_currency").upper(),
            str(it.setting("conversion_rate_type")).strip() or "Corporate",
        )


def order_dependency(instance: str, procurify_po: int) -> str:
    """What a bill of Procurify PO ``procurify_po`` waits on until that PO is in Fusion: ``instance``'s
    purchase orders flow's dependency key of it (``fusion_procurify:purchase_order:procurify:PO<n>``)."""
    return dependency_key(instance, ORDER_ENTITY, "procurify", po_source_key(procurify_po))


# A range's bills read in full on its first mapped day, for the Fusion numbers of the orders they bill (one
# list for the run, not one a day), then kept for their own day's mapping, which takes them out; at most
# ``RUN_BILLS_AHEAD``, so a long backfill holds a bounded number (the days beyond read their own as before).
RUN_BILLS_AHEAD = 500
_RUN_BILLS: RunReads[dict[str, Mapping[str, Any]]] = RunReads(dict)


class BillReader(ApprovedBillReader):
    """The flow's bills, on one Procurify and one Fusion session: the Procurify side's approved-bill reader
    (``procurify.approved_bill_reader``) with what only a Fusion invoice needs: the supplier's pay site, the
    PO lines each item bills (``procurify.bill_order_lines``) and the Fusion orders (``fusion.order_target``),
    before ``bill_mappers.map_bill``."""

    def __init__(
        self,
        own: Own,
        flow: FlowSpec,
        procurify: Any,
        fusion: Any,
        ledger: Ledger,
        accounts: ChargeAccounts,
        rules: InvoiceRules,
        suppliers: Read | None = None,
        orders: OrderNumbers | None = None,
        bills: dict[str, Mapping[str, Any]] | None = None,
    ) -> None:
        super().__init__(procurify, ledger, flow, rules.statuses, WORDING)
        self.own = own
        if bills is not None:  # the run's bills read in full ahead (``_RUN_BILLS``), shared by its days
            self.full = bills
        self.procurify, self.fusion, self.accounts, self.rules = procurify, fusion, accounts, rules
        self.sites = SupplierSites(fusion, suppliers)
        self.order_lines = BillOrderLines(procurify)
        self._orders: dict[int, FusionOrder] = {}
        # Fusion's order numbers the run knows (``orders_for_run``: those its steps created or read).
        self.known_orders = orders

    def order(self, procurify_po: int) -> FusionOrder:
        """The Fusion order of a Procurify PO (read by the ``POHeaderId`` the purchase orders flow
        recorded), or a not-yet-written one carrying the key to wait on."""
        if procurify_po not in self._orders:
            key = po_source_key(procurify_po)
            xref = self.ledger.get_xref(self.own.name, ORDER_ENTITY, "procurify", key, "fusion")
            number, description = "", ""
            if xref is not None and xref.target_id:
                number, description = order_number_of(self.fusion, xref.target_id, self.known_orders)
            if not number:
                waits = order_dependency(self.own.name, procurify_po)
                self._orders[procurify_po] = FusionOrder(None, dependency=waits)
            else:
                self._orders[procurify_po] = FusionOrder(number, description=description)
        return self._orders[procurify_po]

    def settled(
        self,
        bills: Iterable[tuple[Mapping[str, Any], datetime]],
        *,
        run_id: str | None,
        partition: str | None,
    ) -> Iterator[Mapped | Rejected]:
        """The bills' records (``ApprovedBillReader.settled``), the Fusion orders they bill read first in
        lists (``read_orders_ahead``) when the run keeps them."""
        bills = list(bills)
        if self.known_orders is not None:
            self.read_orders_ahead(bill for bill, _ in bills)
        return super().settled(bills, run_id=run_id, partition=partition)

    def maps(self, bill: Mapping[str, Any]) -> bool:
        """Whether the mapping reads ``bill`` in full and maps it (``approved_full_bill``'s rule: approved,
        and not exported by another process unless this integration sent it), so needs its supplier."""
        if status_code(bill) not in self.rules.statuses:
            return False
        return not bill.get("last_export_date") or self.posted(str(bill.get("uuid") or "")) is not None

    def read_orders_ahead(self, bills: Iterable[Mapping[str, Any]]) -> None:
        """Read the Fusion numbers of the orders ``bills`` bill in lists (``read_order_numbers``) before
        they are mapped one by one. Only bills the mapping reads in full anyway (approved, not sent, not
        exported elsewhere: ``approved_full_bill``) are read here, kept for it (``full``); their POs are those
        ``added_purchase_orders`` names (one named by UUID read once, kept for the mapping as well). A read
        that fails is left to the bill's own mapping, which queues it."""
        assert self.known_orders is not None
        header_ids: list[str] = []
        for bill in bills:
            bill_uuid = str(bill.get("uuid") or "")
            if status_code(bill) not in self.rules.statuses or bill.get("last_export_date"):
                continue
            if not bill_uuid or self.posted(bill_uuid) is not None:
                continue
            try:
                full = self.full.get(bill_uuid) or self.procurify.get("bills", bill_uuid)
                self.full[bill_uuid] = full
                added = full.get("added_purchase_orders")
                entries = added if isinstance(added, list) else []  # Procurify's list of the bill's POs
                pos = {po for entry in entries if (po := self.order_lines.added_po(entry)) is not None}
            except (ProcurifyError, ConnectorError):
                continue
            for po in pos:
                key = po_source_key(po)
                xref = self.ledger.get_xref(self.own.name, ORDER_ENTITY, "procurify", key, "fusion")
                if xref is not None and xref.target_id:
                    header_ids.append(xref.target_id)
        read_order_numbers(self.fusion, header_ids, self.known_orders)

    def mapped(self, bill_uuid: str, full: Mapping[str, Any], updated_at: datetime) -> Mapped | Rejected:
        full = {**full, "uuid": bill_uuid}
        vendor_id = bill_vendor_id(full)
        site: SupplierSite | None = None
        waits = ""
        if vendor_id:
            supplier_id = self.own.pairing.paired_supplier(self.ledger, vendor_id)
            if supplier_id is None:
                waits = self.own.pairing.vendor_dependency(vendor_id)
            else:
                site, missing, problem = site_or_hold(
                    self.sites, supplier_id, self.rules.business_unit, describe(full)
                )
                if missing is not None:  # Fusion lacks the supplier or its pay site: held on it
                    # The vendor kept with it: a match by hand giving the vendor another supplier
                    # releases it (``manual_pairs``).
                    return Rejected.waiting(bill_uuid, missing, {"vendor_id": vendor_id})
                if site is None:
                    return Rejected.of(bill_uuid, _said(problem, f"{describe(full)}: {problem}"))
        try:
            lines = self.order_lines.item_lines(full)
        except ProcurifyNotFoundError as exc:  # a PO the bill names is gone: never sent unmatched
            sentence = (
                f"{describe(full)}: a purchase order it bills cannot be read from Procurify ({exc}); "
                "nothing sent"
            )
            return Rejected.of(bill_uuid, source_invalid(sentence, field="purchase order"))
        orders = {po: self.order(po) for po in {po for po, _ in lines.values()}}
        rules = self.rules
        inputs = BillInputs(
            bill=full,
            site=site,
            vendor_dependency=waits,
            business_unit=rules.business_unit,
            updated_at=updated_at,
            variable=self.own.it.variable,
            item_lines=lines,
            orders=orders,
            tax_account=rules.tax_account,
            freight_account=rules.freight_account,
            ledger_currency=rules.ledger_currency,
            conversion_rate_type=rules.conversion_rate_type,
        )
        return map_bill(inputs, self.accounts.combination)


def invoices_flow(own: Own, vendors: FlowSpec, purchase_orders: FlowSpec) -> Flow:
    """``own``'s invoices flow: a bill's vendor not paired yet and its PO not written yet are pulled by the
    write step from the ``vendors`` and ``purchase_orders`` flows."""
    bills_asset = own.procurify.bills

    def reader(
        resources: Any,
        procurify: Any,
        fusion: Any,
        run_id: str | None,
        *,
        restage: bool = False,
        **bills: Any,
    ) -> BillReader:
        """A step's reader with today's settings and tables (``restage``: a replay's, the tables and
        combinations staged afresh first, so a fixed map takes effect). In a run, its suppliers and Fusion
        orders are the run's (read once), and ``bills`` its bills read ahead; a replay reads its own."""
        accounts = own.charges.load(resources.staging, restage=restage)
        run = (suppliers_for_run(run_id), orders_for_run(run_id)) if run_id else (None, None)
        rules = InvoiceRules.of(own.it)
        return BillReader(
            own, spec, procurify, fusion, resources.ledger.get(), accounts, rules, *run, **bills
        )

    def map_invoices(context: Any, partition: str | None) -> Iterator[Mapped | Rejected]:
        """The partition's approved bills as Fusion invoices."""
        resources = context.resources
        bills = staged_bills(resources.staging, bills_asset, partition)
        if not bills:
            return
        with resources.procurify.session() as procurify, resources.fusion.session() as fusion:
            # Fusion's suppliers read once per run (``suppliers_for_run``), those of the day's bills in one
            # list.
            run_id = context.run.run_id
            read = reader(resources, procurify, fusion, run_id, bills=_RUN_BILLS(run_id))
            # On the run's first day, the suppliers of every day's bills at once (the list is per run), and
            # the Fusion numbers of the orders they bill (``read_orders_ahead``: one list, not one a day).
            days = run_partitions(context) if first_in_run(context, spec.flow) else [partition]
            staged = [  # the partition's bills as read above, the other days' read here
                bill
                for day in days
                for bill, _ in (
                    bills if day == partition else staged_bills(resources.staging, bills_asset, day)
                )
            ]
            staged = [bill for bill in staged if read.maps(bill)]  # a bill not mapped needs no supplier
            read_paired_suppliers(read.sites, own.pairing, read.ledger, (bill_vendor_id(b) for b in staged))
            if len(days) > 1:
                read.read_orders_ahead(staged[:RUN_BILLS_AHEAD])
            yield from read.settled(bills, run_id=run_id, partition=partition)

    def remap_invoices(context: Any, keys: list[str]) -> Iterator[Mapped | Rejected]:
        """The named bills read from Procurify again and mapped with today's settings and tables (replay)."""
        run_id = getattr(getattr(context, "run", None), "run_id", None)  # a write step's, after a pull
        resources = context.resources
        with resources.procurify.session() as procurify, resources.fusion.session() as fusion:
            read = reader(resources, procurify, fusion, str(run_id) if run_id else None, restage=True)
            statuses = own.it.variable("bill_statuses")
            yield from read.replayed(keys, lambda key: procurify.get("bills", key), statuses)

    class InvoiceTarget(FusionInvoices):
        """Fusion's invoice target (``fusion.invoice_target``) for this flow: Procurify named in what it
        refuses or queues."""

        source_label = "Procurify"

        def supplier_id(self, record: Mapped) -> str | None:
            """The Fusion supplier the bill's vendor is paired with (for a hold on its supplier or site)."""
            vendor_id = str(record.fields.get("vendor_id") or "")
            return own.pairing.paired_supplier(self.ledger, vendor_id) if vendor_id else None

    spec = own.route.flow(
        "invoices",
        ENTITY,
        InvoiceRecord,
        map_invoices,
        remap_invoices,
        InvoiceTarget,
        # Beside the staged bills and the charge account tables (upstream): in Procurify each full bill and
        # the POs of a bill billing several; in Fusion the supplier and its sites, the purchase orders, and
        # the invoices (natural-key search, create, update, validate).
        reads={
            "procurify": ("bills", "purchase_orders"),
            "fusion": ("suppliers", "purchase_orders", "invoices"),
        },
    )
    assets = [
        *own.procurify.bill_assets,  # an instance on a Procurify account of its own stages its own bills
        *build_flow_assets(
            spec,
            partitions_def=saas_daily_partitions(),
            upstream=[bills_asset, *own.charges.upstream, own.matches.asset],
            # A vendor not paired yet and a PO not written yet are pulled by the write step (``parent_pull``).
            parents=[vendors, purchase_orders],
        ),
    ]
    replay = Replay(
        InvoiceTarget.for_replay, own.resources, outside=INVOICE_CHECKS, first=(own.matches.first,)
    )
    return Flow(spec, assets, replay=replay)


def _said(problem: str | None, sentence: str) -> Refusal:
    """The refusal ``problem`` carries (a ``Said``), worded ``sentence``: Fusion lacks an active supplier."""
    kept = reworded(problem or "", sentence)
    if isinstance(kept, Said):
        return kept.refusal
    return master_missing(sentence, system="Fusion", what="active supplier", value="")
