"""Procurify -> JD Edwards bills: an approved bill becomes one JDE AP batch, voucher or journal entry
(``ML_JDE_PROCURIFY_BILL_POSTING``, ``bill_mappers``), recorded in the ledger; a bill waits only for a pair a
flow will make (``unsent_vendors``). Depth: docs/integrations/jde_procurify.md, "The flows" (bills)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from dagster import Failure

from connector_assets.flows.assembly import Flow
from connector_assets.flows.assets import build_flow_assets
from connector_assets.flows.core import FlowSpec, Mapped, Rejected
from connector_assets.flows.flow_run import run_partitions
from connector_assets.flows.instance import Instance
from connector_assets.flows.replay_resources import resources_from_settings
from connector_assets.flows.replays import Replay
from connector_assets.flows.target_boundary import is_placeholder
from connector_assets.jde import targets
from connector_assets.jde.account_codes import AccountScope
from connector_assets.jde.accounts import GlAccounts, account_setting, setting_account_problems
from connector_assets.jde.postings import BatchPostings
from connector_assets.jde.tables import GL_ACCOUNTS
from connector_assets.jde.target_base import JDE_CHECKS
from connector_assets.procurify import bill_fields
from connector_assets.procurify.approved_bill_reader import ApprovedBillReader, Vendors, bill_vendors_for_run
from connector_assets.procurify.bill_fields import bill_vendor_id, describe
from connector_assets.procurify.bill_order_lines import BillOrderLines
from connector_assets.procurify.bill_reads import BillWording, staged_bills
from connector_assets.procurify.record_reads import read_for_record
from connector_assets.procurify.vendor_fields import is_active, not_purchasable_why
from connector_assets.procurify.vendor_list import vendors_for_run
from connector_assets.runtime.run_reads import first_in_run
from connector_assets.saas.entities import saas_daily_partitions
from connector_resources.error_kinds import ConnectorError
from connector_resources.held_parents import Kind, ParentCheck, refuse_held_on_gone_parents
from connector_resources.ledger import Ledger, dependency_key
from connector_resources.procurify import ProcurifyNotFoundError
from connector_resources.procurify.writes import VENDOR_WRITES
from connector_resources.redaction import get_logger
from connector_resources.refusals import Refusal, master_missing
from connector_resources.replay import backoff_for

from .account_map import account_refusal
from .bill_mappers import BillInputs, BillNames, BillPostingRecord, map_bill
from .own import BILL_ENTITY as ENTITY
from .own import Own
from .po_links import jde_orders
from .vendor_mappers import not_sent

log = get_logger(__name__)

WORDING = BillWording(
    sent_as="posted to JDE as {posted}",
    never="reverses a JDE posting; void or reverse it in JDE",
    not_again="not posted to JDE again",
    not_sent="not posted",
    nothing_again="nothing was sent again",
)


def vendor_kind(instance: str) -> Kind:
    """What an unpaired bill of ``instance`` waits on: the vendors flow's records (integration, entity,
    source system)."""
    return (instance, "vendor", "procurify")


def approved_statuses(it: Instance) -> frozenset[int]:
    """``it``'s ``bill_statuses``: the bill status codes (§2.6) that count as approved."""
    return frozenset(int(code) for code in it.setting("bill_statuses"))


@dataclass(frozen=True)
class PostingRules:
    """How bills post today: posting, EDI user, approved statuses and setting accounts (checked in F0901). An
    unset freight account fails nothing: only a bill with additional costs needs it, refused naming it."""

    posting: str
    batch_user: str
    statuses: frozenset[int]
    tax_account: str | None
    ap_account: str | None
    freight_account: str | None = None

    @classmethod
    def checked(cls, gl: GlAccounts, it: Instance) -> PostingRules:
        """``it``'s settings today, the accounts checked against F0901. A bad one fails the step naming it:
        every bill would be refused for the same cause, so it is a systemic failure, and nothing is sent."""
        mode = it.setting("bill_posting")
        tax_env, freight_env, ap_env = (
            it.variable(short) for short in ("bill_tax_account", "bill_freight_account", "ap_account")
        )
        tax, freight = account_setting(tax_env), account_setting(freight_env)
        ap = account_setting(ap_env) if mode == "journal" else None
        problems = []
        if mode == "journal" and ap is None:
            problems.append(f"{ap_env} is not set: a journal posting credits the bill to that account")
        problems += setting_account_problems(
            ((tax_env, tax), (freight_env, freight), (ap_env, ap)), gl, unset=None
        )
        if problems:
            raise Failure("Procurify bills cannot be posted to JDE: " + "; ".join(problems))
        return cls(mode, it.setting("batch_user"), approved_statuses(it), tax, ap, freight)


def posted_as(instance: str, ledger: Ledger, bill_uuid: str) -> str | None:
    """The JDE document ``instance``'s bills flow recorded for the bill (xref target: ``KCO:DOC:DCT``,
    ``EDUS/EDBT/EDTN``)."""
    xref = ledger.get_xref(instance, ENTITY, "procurify", bill_uuid, "JDE")
    return xref.target_id if xref is not None and xref.target_id else None


def vendor_dependency(own: Own, vendor_id: str, vendor: Mapping[str, object] | None) -> str | None:
    """What a bill of an unpaired vendor waits on (``FlowSpec.dependency_key``): the suppliers flow's key for
    its AN8 ``external_id``, else the ``vendors`` flow's key when that flow will send it (``not_sent``); None
    when no flow will pair it (a hold would never end: the bill is refused, ``never_paired_why``)."""
    external = str((vendor or {}).get("external_id") or "").strip()
    if not external:
        if vendor is not None and not_sent(vendor, None, own.it) is not None:
            return None
        return dependency_key(*vendor_kind(own.name), vendor_id)
    if external.isdigit() and len(external) <= 8 and int(external):
        return own.pairing.supplier_dependency(external)
    return None


def unsent_vendors(own: Own, procurify: Callable[[], Any], vendors: Vendors | None = None) -> ParentCheck:
    """The vendors' parent check (``held_parents``, via ``vendor_checks``) on the resource ``procurify()``:
    of the vendors bills are held on, those no flow will pair as Procurify has them now (``vendor_dependency``
    None), each with ``never_paired_why``; one Procurify does not answer for, or all while it cannot be
    reached, stay held till the next look. ``vendors``: those a run read (``bill_vendors_for_run``)."""

    def check(_ledger: Ledger, vendor_ids: list[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        known: Vendors = {} if vendors is None else vendors
        try:
            with procurify().session() as session:
                for vendor_id in vendor_ids:
                    if vendor_id not in known:
                        try:
                            known[vendor_id] = session.get("vendors", vendor_id)
                        except ProcurifyNotFoundError:
                            known[vendor_id] = None
                    vendor = known[vendor_id]
                    if vendor is None:
                        continue
                    if vendor_dependency(own, vendor_id, vendor) is None:
                        found[vendor_id] = never_paired_why(vendor_id, vendor, own.it)
        except ConnectorError as exc:  # Procurify not answering (or not configured): the next look decides
            log.warning("held bills' vendors not checked in Procurify: %s", exc)
        return found

    return check


def never_paired_why(vendor_id: str, vendor: Mapping[str, object] | None, it: Instance) -> str:
    """The refusal's words when no flow will pair the bill's vendor (``vendor_dependency`` None): what keeps
    each flow from pairing it, and what a person can do."""
    external = str((vendor or {}).get("external_id") or "").strip()
    name = " ".join(str((vendor or {}).get("name") or "").split())
    who = f"Procurify vendor {vendor_id}" + (f" ({name})" if name else "")
    an8 = (
        "set the vendor's external_id to its JDE supplier's address number (AN8) in Procurify (the "
        "suppliers flow then pairs them)"
    )
    if external:
        return (
            f"its vendor ({who}) has no JDE supplier, and its external_id {external!r} is not a JDE address "
            f"number, so no flow will pair it: {an8}, then replay"
        )
    shown = vendor or {}
    fixes = [
        fix
        for fix, needed in (
            ("make it a purchasable vendor (type 3 PREFERRED or 4 REGULAR)", not_purchasable_why(shown)),
            ("make it active", not is_active(shown)),
        )
        if needed
    ]
    sent = f"{' and '.join(fixes)} in Procurify so the vendors flow adds it to JDE, or " if fixes else ""
    return (
        f"its vendor ({who}, type {shown.get('type')!r}) has no JDE supplier, and the vendors flow will "
        f"never send it to JDE ({not_sent(shown, None, it)}): {sent}{an8}; then replay"
    )


class BillReader(ApprovedBillReader):
    """The Procurify side's approved-bill reader with what a JDE batch needs besides the bill: the vendor's
    JDE supplier (its vendor read once when unpaired) and each code's JDE account, checked in F0901, as
    ``own``'s bills flow (``spec``) maps them."""

    def __init__(
        self,
        own: Own,
        spec: FlowSpec,
        session: Any,
        ledger: Ledger,
        gl: GlAccounts,
        table: Mapping[str, str],
        rules: PostingRules,
        vendors: Vendors | None = None,
    ) -> None:
        super().__init__(session, ledger, spec, rules.statuses, WORDING, vendors)
        self.own, self.gl = own, gl
        self.voucher = rules.posting == "voucher"  # only a voucher names the order it was raised against
        self.order_lines = BillOrderLines(session)  # a PO named by uuid read once for its number
        self.accounts = own.account_map(table, AccountScope(()))  # code -> account needs no scope
        # Today's posting settings, as every bill of the step is mapped with them.
        self.inputs = partial(
            BillInputs,
            posting=rules.posting,
            batch_user=rules.batch_user,
            names=BillNames.of(own.it, own.accounts),
            tax_account=rules.tax_account,
            ap_account=rules.ap_account,
            freight_account=rules.freight_account,
        )

    def account_of(self, code: str) -> tuple[str | None, str | Refusal | None]:
        account, problem = self.accounts.jde_account(code, self.gl)
        refusal = account_refusal(code, problem, self.accounts, self.own.accounts.name) if problem else None
        return account, refusal

    def mapped(self, bill_uuid: str, full: Mapping[str, object], updated_at: datetime) -> Mapped | Rejected:
        vendor_id = bill_vendor_id(full)
        an8 = self.own.pairing.paired_supplier(self.ledger, vendor_id) if vendor_id else None
        if is_placeholder(an8):  # a preview's supplier the vendors flow would add: paired, but no AN8 yet
            an8 = None
        vendor = self.vendor(vendor_id) if vendor_id and an8 is None else None
        waits = vendor_dependency(self.own, vendor_id, vendor) if vendor_id and an8 is None else ""
        if waits is None:
            said = f"{describe(full)}: {never_paired_why(vendor_id, vendor, self.own.it)}"
            return Rejected.of(
                bill_uuid,
                master_missing(said, system="JDE", what="supplier of Procurify vendor", value=vendor_id),
            )
        inputs = self.inputs(
            bill=full, an8=an8, vendor_dependency=waits, updated_at=updated_at, orders=self.orders_of(full)
        )
        return map_bill(inputs, self.account_of, self.gl, self.accounts.accounts_for_code)

    def orders_of(self, bill: Mapping[str, Any]) -> tuple[str | None, ...]:
        """The JDE order of each Procurify PO the bill names (``added_purchase_orders``), None for a PO no
        JDE order was linked to (``po_links.jde_orders``); nothing is looked up for a journal posting."""
        if not self.voucher:
            return ()
        pos = [self._po_number(entry) for entry in bill.get("added_purchase_orders") or []]
        linked = jde_orders(self.own.links, self.ledger, [po for po in pos if po is not None])
        return tuple(linked[po] if po is not None else None for po in pos)

    def _po_number(self, entry: object) -> int | None:
        """The PO number of an ``added_purchase_orders`` entry; None if Procurify no longer has that PO."""
        try:
            return self.order_lines.added_po(entry)
        except ProcurifyNotFoundError:
            return None


def bills_flow(own: Own, vendors: FlowSpec) -> Flow:
    """``own``'s bills flow; a bill waits for ``vendors`` to add its vendor's JDE supplier."""
    it, name, staged = own.it, own.name, own.procurify

    def map_bills(context: Any, partition: str | None) -> Iterator[Mapped | Rejected]:
        """The partition's approved bills as JDE voucher or journal batches; first, held bills whose
        dependency will never be written refused with why (``refuse_held_on_gone_parents``, asking this
        run's Procurify)."""
        ledger, run_id = context.resources.ledger.get(), context.run.run_id
        vendors_read = bill_vendors_for_run(run_id)
        checks = {vendor_kind(name): unsent_vendors(own, lambda: context.resources.procurify, vendors_read)}
        refused = refuse_held_on_gone_parents(
            ledger, retry_in=backoff_for, integration=name, flow=spec.name, run_id=run_id, checks=checks
        )
        if refused:
            log.warning("%d held bill(s) refused: what they wait for will never be written", len(refused))
        staging = context.resources.staging
        bills = staged_bills(staging, staged.bills, partition)
        if not bills:
            return
        gl = GlAccounts.load(staging)
        rules = PostingRules.checked(gl, it)
        table = own.accounts.snapshot(staging)
        with context.resources.procurify.session() as session:
            reader = BillReader(own, spec, session, ledger, gl, table, rules, vendors_read)
            # A range's first day reads its unpaired vendors for every day.
            first = first_in_run(context, f"{name}/{ENTITY}")
            written, days = VENDOR_WRITES[0], run_partitions(context) if first else [partition]
            listed = reader.read_vendors_ahead(
                vendor_id
                for day in days
                for bill, _at in (bills if day == partition else staged_bills(staging, staged.bills, day))
                if bill_fields.status_code(bill) in rules.statuses
                and (vendor_id := bill_vendor_id(bill))
                and (is_placeholder(an8 := own.pairing.paired_supplier(ledger, vendor_id)) or an8 is None)
            )
            if listed and vendors_for_run(run_id).get("vendors") is None:  # the run's payments find theirs
                vendors_for_run(run_id).update(vendors=listed, written=written)  # and the suppliers step's
            yield from reader.settled(bills, run_id=run_id, partition=partition)

    def remap_bills(context: Any, keys: list[str]) -> Iterator[Mapped | Rejected]:
        """The named bills read again and mapped with today's settings, account table (staged afresh: a
        fixed map takes effect) and F0901."""
        resources = context.resources
        gl = GlAccounts.load(resources.staging)
        rules = PostingRules.checked(gl, it)
        table = own.accounts.restage(resources.staging)
        ledger = resources.ledger.get()
        with resources.procurify.session() as session:
            yield from BillReader(own, spec, session, ledger, gl, table, rules).replayed(
                keys,
                lambda key: read_for_record("the bill", lambda: session.get("bills", key)),
                it.variable("bill_statuses"),
                posted=lambda key: ledger.get_xref(name, ENTITY, "procurify", key, "JDE"),
            )

    class BillPostings(BatchPostings):
        """JDE's voucher-or-journal postings (``jde.postings``) of Procurify bills."""

        source_label = "Procurify"
        changed_since = (
            "amounts, accounts or dates changed in Procurify, or the account map or the "
            f"{it.variable('bill_posting')} / {it.variable('batch_user')} settings changed since"
        )

    def vendor_checks(resources: Callable[[], dict[str, object]]) -> dict[Kind, ParentCheck]:
        """A replay's sweep asks its ``procurify`` if a vendor held bills wait on will be sent at all."""
        return {vendor_kind(name): unsent_vendors(own, lambda: resources()["procurify"])}

    spec = own.back_route.flow(
        "bills",
        ENTITY,
        BillPostingRecord,
        map_bills,
        remap_bills,
        BillPostings,
        # Beside the staged bills, F0901 and the account map (upstream): the batch files (adopt) and, in
        # Procurify, each full bill and an unpaired bill's vendor.
        reads={
            "JDE": (targets.BATCH_TABLE, targets.JOURNAL_TABLE, *targets.PERIOD_TABLES),
            "procurify": ("bills", "vendors"),
        },
    )
    assets = [
        *staged.own_bill_assets,  # an instance reaching a Procurify account of its own stages its own bills
        *build_flow_assets(
            spec,
            partitions_def=saas_daily_partitions(),
            upstream=[staged.bills, GL_ACCOUNTS.asset, own.accounts.asset],
            # A vendor made in Procurify that the vendors flow has not sent yet is pulled by the write step.
            # A bill held on a JDE supplier (its vendor's external_id) is not: the suppliers flow writes
            # Procurify, in another pool; its next run reads the suppliers held bills wait for
            # (``awaited_keys``).
            parents=[vendors],
        ),
    ]
    replay = Replay(
        BillPostings.for_replay,
        partial(resources_from_settings, ("jde", "procurify", "staging"), instance=name),
        outside=JDE_CHECKS,
        parents=(vendor_checks,),
    )
    return Flow(spec, assets, replay=replay)
