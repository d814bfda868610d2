"""Procore -> JD Edwards vouchers (flow 2): an approved requisition becomes one JDE batch voucher against
its commitment's order (``voucher_mappers``), never rewritten, its ``origin_id`` never set (reference §2.5).
Docs: docs/integrations/procore_jde.md, "The flows" (AP batch vouchers)."""

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from connector_assets.flows.after_write import skips_audited
from connector_assets.flows.assembly import Flow
from connector_assets.flows.core import FlowSpec, Mapped, Rejected
from connector_assets.flows.never_written import never_written_settled
from connector_assets.flows.replays import Replay
from connector_assets.flows.unread_holds import held_unread
from connector_assets.jde import targets
from connector_assets.jde.periods import JdePeriods
from connector_assets.jde.purchase_orders import PO_HEADER_TABLE
from connector_assets.jde.supplier_numbers import SupplierNumbers
from connector_assets.jde.target_base import JDE_CHECKS
from connector_assets.procore.companies import first_company, record_company, tagged
from connector_assets.procore.document_fields import project_label, vendor_id_of
from connector_assets.procore.document_reads import Kept, RequisitionReads, step_kept
from connector_assets.procore.queued_reads import PerCompany, queued, read_queued
from connector_assets.procore.sources import COMPANY_FIELD
from connector_assets.procore.staged_documents import latest_approved
from connector_resources.ledger import Ledger
from connector_resources.refusals import Refusal, refused
from connector_resources.said import refusal_for

from .cost_codes import CostCodeMap
from .integration import Own
from .purchase_orders import commitment_order, order_flow_assets, read_ahead
from .vendors import remember_vendor_hold, supplier_numbers
from .voucher_mappers import (
    ProcoreVoucherRecord,
    Skipped,
    VoucherInputs,
    map_requisition,
    synced_elsewhere,
    voucher_head,
)

ENTITY = "voucher"


class VoucherBatches(targets.VoucherBatches):
    source_label = "Procore"


def vouchers_enabled(own: Own) -> bool:
    """``own``'s ``vouchers``: whether approved requisitions become JDE vouchers."""
    return own.it.setting("vouchers")


def off_note(own: Own) -> str:
    """What a run or replay says while ``own``'s vouchers are off."""
    return f"vouchers are off ({own.it.variable('vouchers')}=off): approved requisitions are not vouchered"


@dataclass(frozen=True)
class Holds:
    """What an instance's (``own``) voucher waits for: its commitment's order (``orders``' record), else
    (order written) its vendor (``vendors``')."""

    own: Own
    orders: FlowSpec
    vendors: FlowSpec


class VoucherReader(RequisitionReads):
    """What one mapped step (or replay) reads for its requisitions, on one Procore session (the Procore
    side's ``RequisitionReads``: each commitment and vendor once, a requisition's payment due and lines),
    and each vendor's AN8 and each order's JDE key (``purchase_orders.commitment_order``) from the ledger;
    ``holds``: what its vouchers wait for."""

    def __init__(
        self,
        holds: Holds,
        session: Any,
        ledger: Ledger,
        costs: CostCodeMap,
        suppliers: SupplierNumbers | None = None,
        kept: Kept | None = None,
        periods: JdePeriods | None = None,
    ) -> None:
        super().__init__(session, kept)
        self.holds, self.own = holds, holds.own
        self.ledger, self.costs, self.periods = ledger, costs, periods  # periods None: judged when written
        self.suppliers = suppliers or supplier_numbers(
            self.own, ledger, None
        )  # None: the ledger's links only

    def an8(self, vendor_id: str) -> str | None:
        """The vendor's JDE address number (``SupplierNumbers.an8``, the vendor read once per run and only
        when the ledger does not know it); None holds the voucher on its vendor."""
        return self.suppliers.an8(vendor_id, lambda: self.vendor(vendor_id))

    def unread_hold(self, requisition_id: str, commitment_id: str, project_id: int | None) -> Rejected | None:
        """The hold on its order not written yet, else on its vendor with no JDE number (``held_unread``)."""
        commitment = self.commitment(commitment_id, project_id) if commitment_id else None
        if not isinstance(commitment, dict):
            return None
        if commitment_order(self.own, self.ledger, commitment_id) is None:
            hold = self.holds.orders.dependency_key(commitment_id)
        else:
            vendor_id = vendor_id_of(commitment)
            if not vendor_id or self.an8(vendor_id) is not None:
                return None
            hold = self.holds.vendors.dependency_key(vendor_id)
        return held_unread(self.ledger, ENTITY, requisition_id, hold)

    def period_hold(self, requisition: dict[str, Any], project_id: int | None) -> Rejected | None:
        """Held on its closed JDE A/P period (or the close in progress) as the write step would hold it
        (``VoucherBatches.period_wait``), before its lines are read: the replay once it opens reads them,
        and any refusal of its mapping shows then. None when it may post, or its head does not map."""
        commitment = self.commitments.get(str(requisition.get("commitment_id") or ""))
        if self.periods is None or project_id is None or not isinstance(commitment, dict):
            return None
        job = self.costs.job(str(project_id), project_label(commitment))
        head = None if isinstance(job, str) else voucher_head(requisition, str(job.company))
        source = VoucherBatches.source_label
        waits = VoucherBatches.period_wait(self.periods, self.own.name, head, source) if head else None
        return None if waits is None else Rejected.waiting(str(requisition.get("id")), waits)

    def record(self, requisition: dict[str, Any], updated_at: datetime) -> Mapped | Rejected | Skipped:
        requisition_id = str(requisition.get("id"))
        elsewhere = synced_elsewhere(
            requisition, self.own.written_target(self.ledger, ENTITY, requisition_id) is not None
        )
        if elsewhere is not None:
            return elsewhere
        project = requisition.get("_project_id") or requisition.get("project_id")
        own = int(project) if project is not None and str(project).isdigit() else None
        payload = {"project_id": str(own or "")}
        held = self.unread_hold(requisition_id, str(requisition.get("commitment_id") or ""), own)
        held = held or self.period_hold(requisition, own)
        if held is not None:  # its lines are read when it is released
            return replace(held, payload=payload)
        read = self.read(requisition)  # the Procore side's reads: commitment, payment due, lines
        if isinstance(read, str):
            return Rejected.of(
                requisition_id, refusal_for(read, [read], rule="requisition unreadable"), payload
            )
        requisition, commitment, project_id, lines = read
        commitment_id = str(requisition.get("commitment_id"))
        vendor_id = vendor_id_of(commitment)
        inputs = VoucherInputs(
            requisition=requisition,
            lines=lines,
            commitment=commitment,
            project_id=str(project_id),
            project_label=project_label(commitment),
            an8=self.an8(vendor_id) if vendor_id else None,
            order_id=commitment_order(self.own, self.ledger, commitment_id),
            order_dependency=self.holds.orders.dependency_key(commitment_id),
            vendor_dependency=self.holds.vendors.dependency_key(vendor_id) if vendor_id else None,
            updated_at=updated_at,
        )
        mapped = map_requisition(inputs, self.costs)
        if isinstance(mapped, Rejected):  # a hold on a missing account stays one (``held_on``)
            return replace(mapped, payload=payload)
        return mapped


class VoucherReaders(PerCompany):
    """One ``VoucherReader`` per Procore company: a requisition, its commitment and its vendor are read in
    the requisition's company (``_procore_company_id``; none: the first company)."""

    def __init__(
        self,
        holds: Holds,
        sessions: Any,
        ledger: Ledger,
        costs: CostCodeMap,
        procore: Any,
        jde: Any,
        context: Any = None,
    ) -> None:
        suppliers = supplier_numbers(holds.own, ledger, jde, context)
        run = getattr(getattr(context, "run", None), "run_id", None)
        periods = JdePeriods(None, run, opens=jde.session) if jde is not None else None  # read once per run

        def reader(session: Any) -> VoucherReader:  # what it reads kept for the run (``step_kept``)
            kept = step_kept(context, session.company_id)
            return VoucherReader(holds, session, ledger, costs, suppliers, kept, periods)

        super().__init__(sessions, first_company(procore), reader)
        self.ledger, self.holds = ledger, holds

    def read_ahead(self, requisitions: Iterable[tuple[dict[str, Any], datetime]]) -> None:
        """The commitments the requisitions name, and their vendors, read by list in each company
        (``purchase_orders.read_ahead``) before the requisitions are mapped one by one."""
        by_company: dict[int, dict[int, list[str]]] = defaultdict(lambda: defaultdict(list))
        kinds: dict[str, Any] = {}
        for requisition, _ in requisitions:
            project = str(requisition.get("_project_id") or requisition.get("project_id") or "")
            commitment_id = str(requisition.get("commitment_id") or "")
            if project.isdigit() and commitment_id:
                by_company[record_company(requisition, self.default)][int(project)].append(commitment_id)
                kinds[commitment_id] = requisition.get("commitment_type")  # reference §2.5
        for company, by_project in by_company.items():
            reader = self.of(company)
            read_ahead(reader, reader.suppliers, by_project, kinds)


def _records(
    spec: FlowSpec,
    readers: VoucherReaders | VoucherReader,
    requisitions: Iterable[tuple[dict[str, Any], datetime]],
    *,
    run_id: str | None,
    partition: str | None,
) -> Iterator[Mapped | Rejected]:
    """Each requisition mapped in its company for the vouchers flow ``spec`` (``readers``: one
    ``VoucherReader`` per company; a test's single reader: untagged); one synced with an ERP elsewhere is
    settled (marked, its dependents refused), a skip (nothing payable) audited here, neither passed on."""
    ledger = readers.ledger
    if isinstance(readers, VoucherReaders):
        requisitions = list(requisitions)
        readers.read_ahead(requisitions)

    def mapped() -> Iterator[Mapped | Rejected | Skipped]:
        for requisition, updated_at in requisitions:
            company, reader = readers(requisition) if isinstance(readers, VoucherReaders) else (None, readers)
            record = reader.record(requisition, updated_at)
            if company is not None and isinstance(record, Mapped | Rejected):
                remember_vendor_hold(ledger, readers.holds.vendors, record, company)
                record = tagged(record, company)
            yield record

    settled = never_written_settled(spec, ledger, mapped(), run_id=run_id, partition=partition)
    yield from skips_audited(spec, ledger, settled, run_id=run_id, partition=partition)


def vouchers_flow(own: Own, orders: FlowSpec, vendors: FlowSpec) -> Flow:
    """``own``'s vouchers flow, each voucher waiting for its commitment's order (``orders``' record), else
    its vendor (``vendors``')."""
    holds = Holds(own, orders, vendors)

    def map_vouchers(context: Any, partition: str | None) -> Iterator[Mapped | Rejected]:
        """The partition's approved requisitions as JDE batch vouchers (nothing when vouchers are off)."""
        if not vouchers_enabled(own):
            context.log.info(off_note(own))
            context.add_output_metadata({"vouchers": off_note(own)}, output_name="result")
            return
        resources = context.resources
        approved = own.statuses("approved_statuses")
        requisitions = latest_approved(resources.staging, own.procore.requisitions, partition, approved)
        if not requisitions:
            return
        costs = own.costs.load(resources.staging)
        ledger = resources.ledger.get()
        with resources.procore.company_sessions() as sessions:
            readers = VoucherReaders(
                holds, sessions, ledger, costs, resources.procore, resources.jde, context
            )
            yield from _records(spec, readers, requisitions, run_id=context.run.run_id, partition=partition)

    def remap_vouchers(context: Any, keys: list[str]) -> Iterator[Mapped | Rejected]:
        """The named requisitions read from Procore again and mapped with today's tables (replay)."""
        if not vouchers_enabled(own):
            where = {"system": "Procore", "setting": own.it.variable("vouchers")}
            for key in keys:
                yield Rejected.of(key, Refusal("configuration", off_note(own), where))
            return
        resources = context.resources
        costs = own.costs.today(resources.staging)
        ledger = resources.ledger.get()
        approved = own.statuses("approved_statuses")
        places = queued(ledger, own.name, spec.name, keys, first_company(resources.procore))
        with resources.procore.company_sessions() as sessions:
            readers = VoucherReaders(holds, sessions, ledger, costs, resources.procore, resources.jde)
            found: list[tuple[dict[str, Any], datetime]] = []
            for key, company, _session, requisition in read_queued(
                sessions, "requisitions", "requisition", keys, places
            ):
                if isinstance(requisition, Rejected):
                    yield requisition
                elif str(requisition.get("status") or "").lower() not in approved:
                    sentence = (
                        f"requisition {key} is {requisition.get('status')!r} in Procore now, not approved: "
                        "no voucher; abandon this item if that is right"
                    )
                    yield tagged(Rejected.of(key, refused(sentence, rule="not approved")), company)
                else:
                    requisition = {**requisition, COMPANY_FIELD: company}  # read in its company, mapped in it
                    found.append((requisition, requisition.get("_updated_at") or datetime.now().astimezone()))
            yield from _records(spec, readers, found, run_id=None, partition=None)

    spec = own.route.flow(
        "vouchers",
        ENTITY,
        ProcoreVoucherRecord,
        map_vouchers,
        remap_vouchers,
        VoucherBatches,
        # Beside the staged requisitions and F0901 (upstream): the batch file (adopt), the order the xref
        # names.
        reads={
            "JDE": (VoucherBatches.batch_table, PO_HEADER_TABLE, *targets.PERIOD_TABLES),
            # the invoice's lines (``requisition_lines``); a line without its own cost code takes that of
            # the commitment line it bills
            "procore": (
                "requisitions",
                "requisition_contract_items",
                "commitments",
                "commitment_line_items",
                "vendors",
                "cost_codes",
            ),
        },
    )
    # A voucher waits for its commitment's order, or (order written) its vendor; an order pulled for it may
    # wait for its vendor in turn, pulled first (``parent_pull``).
    assets = order_flow_assets(own, spec, (own.procore.requisitions,), orders, (orders, vendors))
    replay = Replay(VoucherBatches.for_replay, own.resources, outside=JDE_CHECKS)
    return Flow(spec, assets, replay=replay)
