"""Coupa -> JD Edwards invoices: approved Coupa invoices become JDE batch vouchers (F0411Z1/F0911Z1)
through ``ML_CreateVoucherBatch`` (``connector_assets.jde.targets.VoucherBatches``); batch keys come from
the Coupa invoice alone, so any rerun meets JDE's 59A4 and adopts. Field by field, currency and the order
reference: docs/integrations/coupa_jde.md, "The flows".
"""

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import partial
from typing import Any

from dagster import AssetExecutionContext

from connector_assets.coupa.documents import INVOICES, coupa_day, current_versions
from connector_assets.coupa.targets import jde_order
from connector_assets.flows import amounts
from connector_assets.flows.assembly import Flow
from connector_assets.flows.assets import build_flow_assets
from connector_assets.flows.core import FlowSpec, Mapped, Rejected
from connector_assets.flows.documents import Version, collect_documents, newest_seen, version_text
from connector_assets.flows.export_marks import ExportMark
from connector_assets.flows.never_written import NeverWritten, never_written_settled
from connector_assets.flows.record_models import matching, record_model
from connector_assets.flows.replay_resources import resources_from_settings
from connector_assets.flows.replays import OutsideChecks, Replay, ReplayTarget, Resources
from connector_assets.jde import contracts, targets
from connector_assets.jde.accounts import GlAccounts
from connector_assets.jde.batch_bodies import LedgerLine, OrderReference, voucher_batch_body, voucher_fields
from connector_assets.jde.missing_master import chart_account_missing
from connector_assets.jde.tables import GL_ACCOUNTS
from connector_assets.jde.target_base import JDE_CHECKS
from connector_assets.runtime.staging import StagingResource
from connector_assets.saas.assets import saas_partitions
from connector_resources.coupa.errors import CoupaNotFoundError
from connector_resources.held_outside import Kind, OutsideCheck, Said
from connector_resources.ledger import Ledger, QueueItem, dependency_key
from connector_resources.missing_records import HELD_UNTIL
from connector_resources.refusals import (
    Refusal,
    mapping_missing,
    master_missing,
    refused,
    source_invalid,
    waits_for_record,
)
from connector_resources.said import refusal_for, said

from .accounts import AccountMap
from .batch_keys import voucher_remark
from .integration import route
from .marks import coupa_export_marks
from .own import Own

# Coupa's documented ERP export is exported=false with status approved (voided = a reversal): an invoice
# another process already exported is never sent again by this one.
READY_INVOICE_STATUSES = frozenset({"approved"})
CHARGES = {
    "tax-amount": "tax",
    "shipping-amount": "shipping",
    "handling-amount": "handling",
    "misc-amount": "misc",
}


JdeVoucherRecord = record_model(
    "JdeVoucherRecord",
    "A voucher batch ML_CreateVoucherBatch accepts, and the Coupa version it was mapped from.",
    base=contracts.JdeVoucherRecord,
    coupa_updated_at=matching(contracts.VERSION),
)


class VoucherBatches(targets.VoucherBatches):
    source_label = "Coupa"


SUPPLIER_ENTITY = "supplier"  # this integration's own: a Coupa supplier matched by hand with its JDE supplier
NO_NUMBER = "has no JDE supplier number"


def supplier_number(ledger: Ledger, supplier: Any, own: Own) -> str | None:
    """The JDE address number of a Coupa supplier: a person's match first (``manual_pairs``: a supplier
    whose number is no address number), then the JDE -> Coupa supplier cross-reference (it knows which JDE
    supplier became this Coupa one), else the supplier's ``number`` when it is one. Read before the
    invoice is mapped, so the mapper itself reads nothing."""
    if not isinstance(supplier, dict) or supplier.get("id") is None:
        return None
    matched = ledger.get_xref(own.name, SUPPLIER_ENTITY, "coupa", str(supplier["id"]), "JDE")
    if matched is not None and matched.target_id:
        return matched.target_id
    xref = ledger.find_xref_by_target(*own.paired("supplier", "coupa"), str(supplier["id"]))
    if xref is not None:
        return xref.source_key
    number = str(supplier.get("number") or "").strip()
    return number if number.isdigit() and len(number) <= 8 else None


def invoice_order(ledger: Ledger, invoice: dict[str, Any], own: Own) -> OrderReference | None:
    """The JDE purchase order a Coupa invoice was raised against: the one order its lines bill
    (``po-number``) that the JDE -> Coupa flow created from JDE (its cross-reference holds it, written to
    Coupa). None when its lines bill no such order, or several (one voucher header holds one order). Read
    before the invoice is mapped, so the mapper itself reads nothing."""
    numbers = {
        str(line.get("po-number") or "").strip()
        for line in invoice.get("invoice-lines") or []
        if isinstance(line, dict) and str(line.get("po-number") or "").strip()
    }
    orders: set[OrderReference] = set()
    for number in numbers:
        xref = ledger.get_xref(*own.paired("purchase order", "JDE"), number, "coupa")
        order = jde_order(number) if xref is not None and xref.target_id else None
        if order is not None:
            orders.add(OrderReference(*order))
    return orders.pop() if len(orders) == 1 else None


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
        raw = invoice.get("total-with-taxes")
        sentence = f"the invoice total {raw!r} is not an amount"
        problems.append(said(source_invalid(sentence, field="total-with-taxes", value=raw)))
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
            sentence = f"{where}: Coupa account {code!r} has no JDE account (mapping table or segments)"
            table = accounts.name
            problems.append(
                said(mapping_missing(sentence, table=table, what="Coupa account", value=str(code)))
            )
            continue
        if amount is None:
            raw = line.get("total")
            problems.append(
                said(source_invalid(f"{where}: amount {raw!r} is not an amount", field="total", value=raw))
            )
            continue
        source = f"Coupa account {code}, {where}"
        lines.append((account, sign * amount, str(line.get("description") or "")[:30], source))
    if not lines and not problems:
        problems.append(said(refused("the invoice has no lines", rule="invoice has no lines")))
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


def supplier_dependency(integration: str, supplier_id: str) -> str:
    """What an invoice of Coupa supplier ``supplier_id`` with no JDE number is held on: instance
    ``integration``'s supplier pair of it (``coupa_jde:supplier:coupa:<id>``), which a match by hand makes
    and releases (``manual_pairs``), and ``supplier_appeared`` finds once JDE -> Coupa has synced the
    supplier (its Coupa number then is the address number)."""
    return dependency_key(integration, SUPPLIER_ENTITY, "coupa", supplier_id)


@dataclass(frozen=True)
class Waits:
    """A record an invoice names that JDE lacks yet: the key it is held on, what the mapping found, and
    what it waits for in words; ``lacks``: what it is as data when it is a master record JDE lacks (an
    account of its chart), else it waits for the record ``key`` names (a supplier's pair)."""

    key: str
    why: str
    until: str
    lacks: Refusal | None = None

    @property
    def refusal(self) -> Refusal:
        """The hold as data: on the master record JDE lacks, else on the record it waits for."""
        return self.lacks if self.lacks is not None else waits_for_record(self.why, self.key)


# The parameter naming the Coupa supplier an invoice lacks a JDE number for, on whatever refuses the invoice:
# a match by hand of that supplier makes it due (``manual_pairs``).
COUPA_SUPPLIER = "coupa_supplier"


def _naming_supplier(refusal: Refusal, waits: list[Waits]) -> Refusal:
    """``refusal`` naming the Coupa supplier the invoice also waits for a pair of, if it does."""
    paired = [w.key.rsplit(":", 1)[-1] for w in waits if w.lacks is None]
    if not paired:
        return refusal
    return Refusal(refusal.kind, refusal.sentence, {**refusal.params, COUPA_SUPPLIER: paired[0]})


def held_words(label: str, waits: list[Waits]) -> str:
    """Why ``label`` is held: each record it waits for, and that nothing is sent meanwhile."""
    return (
        f"{label}: {'; '.join(w.why for w in waits)}. {HELD_UNTIL} {' and '.join(w.until for w in waits)}; "
        "nothing is sent to JDE until then (or until the invoice changes in Coupa), then it is sent once"
    )


def map_invoice(
    invoice: dict[str, Any],
    updated_at: datetime,
    gl: GlAccounts,
    accounts: AccountMap,
    an8: str | None,
    own: Own,
    order: OrderReference | None = None,
) -> Mapped | Rejected:
    """One approved Coupa invoice -> the ML_CreateVoucherBatch inputs, or the reason it cannot be one;
    ``an8`` is its supplier's JDE address number (``supplier_number``), None when it has none; ``order`` the
    JDE purchase order it was raised against (``invoice_order``), if any."""
    invoice_id = str(invoice["id"])
    number = str(invoice.get("invoice-number") or "")
    label = f"invoice {invoice_id} ({number or 'no number'})"
    currency = str((invoice.get("currency") or {}).get("code") or "").strip().upper()
    problems: list[str] = []
    waits: list[Waits] = []  # records JDE lacks yet: held on them, not refused
    supplier = invoice.get("supplier")
    if an8 is None:
        named = "(none)"
        if isinstance(supplier, dict):
            named = f"{supplier.get('name') or '?'} (Coupa supplier {supplier.get('id')})"
        lacks = (
            f"supplier {named} {NO_NUMBER}: sync it from JDE "
            "(suppliers flow), set its Coupa number to the JDE address number, or match it by hand"
        )
        if isinstance(supplier, dict) and str(supplier.get("id") or "").isdigit():
            supplier_id = str(supplier["id"])
            until = f"Coupa supplier {supplier_id} has a JDE supplier (synced, numbered or matched by hand)"
            waits.append(Waits(supplier_dependency(own.name, supplier_id), lacks, until))
        else:
            problems.append(said(source_invalid(lacks, field="supplier")))
    planned = distribution(invoice, accounts)
    problems += planned.problems
    lines, total, sign = planned.lines, planned.total, planned.sign
    companies: set[str] = set()
    for account, line_amount, _, source in lines:
        found = gl.postable(account, source)
        missing = chart_account_missing(gl, account, label, found) if isinstance(found, str) else None
        if missing is not None:  # of JDE's chart, not set up yet for its unit: held on it
            until = f"account {missing.ident} is in JDE's account master (F0901)"
            lacks = master_missing(str(found), system="JDE", what="account", value=missing.ident)
            waits.append(Waits(missing.depends_on, str(found), until, lacks))
        elif isinstance(found, str):
            problems.append(found)
        else:
            companies.add(found.company)
        if not amounts.fits(line_amount, currency):
            places = amounts.minor_units(currency)
            sentence = (
                f"amount {line_amount} on account {account} has more decimals than the invoice's currency "
                f"{currency or '(none)'} has ({places}) ({source})"
            )
            problems.append(said(source_invalid(sentence, field="amount", value=str(line_amount))))
    if len(companies) > 1:
        listed = ", ".join(sorted(companies))
        sentence = f"the lines charge accounts of companies {listed}; one JDE voucher belongs to one company"
        problems.append(said(refused(sentence, rule="invoice charges several companies")))
    distributed = sum((line[1] for line in lines), Decimal(0))
    if total is not None and lines and distributed != sign * total:
        sentence = (
            f"lines and charges add up to {distributed:f} {currency} "
            f"but the invoice total is {sign * total:f} {currency}"
        )
        problems.append(said(source_invalid(sentence, field="total-with-taxes", value=f"{sign * total:f}")))
    invoice_date = coupa_day(invoice.get("invoice-date"))
    if invoice_date is None:
        raw = invoice.get("invoice-date")
        problems.append(
            said(source_invalid(f"the invoice date {raw!r} is not a date", field="invoice-date", value=raw))
        )
    if not invoice_id.isdigit() or len(invoice_id) > 12:
        sentence = f"the Coupa id {invoice_id!r} does not fit a JDE batch key (at most 12 digits)"
        problems.append(said(source_invalid(sentence, field="id", value=invoice_id)))
    if problems:  # a refusal names the waits too: all of it is what a person fixes
        sentence = f"{label}: " + "; ".join(problems + [w.why for w in waits])
        refusal = refusal_for(sentence, problems, rule="invoice not a voucher")
        return Rejected.of(invoice_id, _naming_supplier(refusal, waits))
    if waits:
        why = held_words(label, waits)
        first = waits[0].refusal
        return Rejected.held_for(invoice_id, waits[0].key, why, Refusal(first.kind, why, first.params))
    key = own.batch_key(invoice_id)
    company = companies.pop()
    body = voucher_batch_body(
        key,
        company=company,
        supplier=an8,
        invoice_number=number,
        invoice_date=invoice_date,
        gl_date=invoice_date,  # the invoice date: the period the cost belongs to
        due_date=coupa_day(invoice.get("net-due-date")),
        currency=currency,
        remark=voucher_remark(invoice_id),
        gross=distributed,
        distribution=[LedgerLine(account, amount, text) for account, amount, text, _ in lines],
        order=order,
    )
    summary = voucher_fields(
        key, invoice_number=number, supplier=an8 or "", company=company, gross=distributed,
        invoice_date=invoice_date, currency=currency, lines=len(lines),
    )  # fmt: skip
    return Mapped(
        source_key=invoice_id,
        body=body,
        fields={**summary, "coupa_updated_at": version_text(updated_at)},
        natural_key={"Supplier": an8, "Invoice_Number": number, "target_id": key.target_id},
    )


Records = Iterator[Mapped | Rejected | NeverWritten]  # the mapper's, NeverWritten settled before the write


def _invoice_records(
    own: Own, staging: StagingResource, ledger: Ledger, versions: list[Version], table: Mapping[str, str]
) -> Records:
    """``versions`` mapped with the account table ``table`` (the staged snapshot, or today's for a replay)."""
    gl = GlAccounts.load(staging)
    accounts = AccountMap(table, own.accounts.name)
    for version in versions:
        invoice = version.record
        status = str(invoice.get("status") or "")
        xref = ledger.get_xref(own.name, "invoice", "coupa", version.document_id, "JDE")
        ours = xref is not None and bool(xref.target_id)
        # Exported by this integration (our mark) still goes through: unchanged it is skipped, changed it
        # is queued for a person. Exported by anyone else it is theirs.
        if status in READY_INVOICE_STATUSES and (ours or not invoice.get("exported")):
            an8 = supplier_number(ledger, invoice.get("supplier"), own)
            order = invoice_order(ledger, invoice, own)
            yield map_invoice(invoice, version.updated_at, gl, accounts, an8, own, order)
        elif status in READY_INVOICE_STATUSES:
            yield NeverWritten(
                version.document_id,
                f"invoice {version.document_id} ({invoice.get('invoice-number')}) was exported from Coupa by "
                "another process (not this integration); not sent to JDE",
            )
        elif status == "voided" and ours:
            # Reversing a voucher is a decision for JDE's payables team; the integration tells them.
            sentence = (
                f"invoice {version.document_id} ({invoice.get('invoice-number')}) was voided in Coupa "
                f"after its voucher was sent to JDE (batch {xref.target_id}); void the voucher in JDE"
            )
            yield Rejected.of(version.document_id, Refusal("conflict", sentence, {"system": "JDE"}))


def invoices_flow(own: Own) -> Flow:
    """``own``'s invoices flow, read after the staged invoices and account master; its replay's own sweep
    releases the invoices held for their supplier's JDE number."""

    def map_invoices(context: AssetExecutionContext, partition: str | None) -> Records:
        """The partition's approved invoices (poll + inbox, latest version each) as voucher batches."""
        ledger: Ledger = context.resources.ledger.get()
        staging: StagingResource = context.resources.staging
        current = collect_documents(context, partition, source, spec).current
        if not current:
            return
        mapped = _invoice_records(own, staging, ledger, current, own.accounts.snapshot(staging))
        yield from never_written_settled(spec, ledger, mapped, run_id=context.run.run_id, partition=partition)

    def remap_invoices(context: Any, keys: list[str]) -> Records:
        """The named invoices read from Coupa again and mapped with today's tables (replay): the account
        file is staged afresh first, so a fixed table takes effect."""
        resources = context.resources
        table = own.accounts.restage(resources.staging)
        versions = current_versions(resources.coupa, "invoices", keys)
        ledger = resources.ledger.get()
        mapped = _invoice_records(own, resources.staging, ledger, versions, table)
        yield from never_written_settled(spec, ledger, mapped)

    source = own.coupa.source(INVOICES)
    spec = route(own.it).flow(
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
    assets = [
        *own.coupa.assets(INVOICES.asset),  # an instance on a Coupa tenant of its own stages its invoices
        *build_flow_assets(
            spec,
            inbox=source,
            partitions_def=saas_partitions,
            upstream=[GL_ACCOUNTS.asset, own.accounts.asset],
            resource_keys={"jde"},
        ),
        coupa_export_marks(ExportMark(spec, "invoices")),
    ]
    replay = coupa_replay(VoucherBatches.for_replay, partial(supplier_checks, own.name))
    return Flow(spec, assets, replay=replay, inbox=source)


def supplier_appeared(coupa: Any, supplier_ids: list[str]) -> dict[str, str]:
    """Of Coupa suppliers ``supplier_ids`` (invoices held for want of their JDE number), those whose Coupa
    number is an address number now, with why: JDE -> Coupa's suppliers flow writes the JDE number there
    when it syncs or adopts one, as a person may. One read per supplier, in a replay sweep."""
    ready: dict[str, str] = {}
    with coupa.session() as session:
        for supplier_id in supplier_ids:
            try:
                number = str(session.get("suppliers", supplier_id).get("number") or "").strip()
            except CoupaNotFoundError:
                continue
            if number.isdigit() and len(number) <= 8:
                ready[supplier_id] = f"Coupa supplier {supplier_id} carries JDE address number {number} now"
    return ready


def supplier_checks(integration: str, resources: Resources) -> dict[Kind, OutsideCheck]:
    """Instance ``integration``'s sweep releasing the invoices held for their supplier's JDE number once
    Coupa shows it (``supplier_appeared``, on the replay's Coupa: ``resources()["coupa"]``, today's
    settings' when the replay has none); a match by hand releases them itself (``manual_pairs``)."""

    def check(ids: list[str]) -> dict[str, str]:
        coupa = resources().get("coupa") or resources_from_settings(("coupa",), instance=integration)["coupa"]
        return supplier_appeared(coupa, ids)

    said = (
        "wait for their Coupa supplier's JDE supplier: sync it from JDE (suppliers flow), set its Coupa "
        "number to the JDE address number, or match it by hand; a replay or run after that sends them once"
    )
    return {(integration, SUPPLIER_ENTITY, "coupa"): Said(check, said)}


def newer_in_coupa(spec: FlowSpec, item: QueueItem, ledger: Ledger) -> str:
    """Why a Coupa -> JDE record's queued payload is not written by a replay given JDE alone (``Replay.
    superseded``): a newer version from Coupa has been seen since (its ``coupa_updated_at``); "" if it is."""
    version = str((item.payload.get("fields") or {}).get("coupa_updated_at") or "")
    newest = newest_seen(ledger, spec, item.source_key.split(":", 1)[0])
    if version and newest and version < newest:
        return f"superseded by a newer version from Coupa ({newest}); not applied"
    return ""


def coupa_replay(target: ReplayTarget, sweep: OutsideChecks) -> Replay:
    """A Coupa -> JDE flow's replay: read from Coupa again and mapped with today's tables; given JDE alone,
    the queued payload is written unless Coupa has a newer version. Sweeps: every JDE flow's
    (``JDE_CHECKS``), then the flow's own ``sweep``."""
    return Replay(target, outside=(*JDE_CHECKS, sweep), source="coupa", superseded=newer_in_coupa)
