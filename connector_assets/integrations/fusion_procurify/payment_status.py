"""Fusion -> Procurify payment status (flow ``payment_status``, entity ``paid_mark``): a bill whose Fusion
invoice (this integration's) Fusion has paid in full is marked paid in Procurify once (``mark-as-paid``).
Which invoices: ``fusion.paid_invoices``; paid or not: ``fusion.payments``; the rest:
docs/integrations/fusion_procurify.md, "What the APIs make possible, and what a person does".
"""

from collections.abc import Iterator, Mapping
from functools import partial
from typing import Any

from connector_assets.asset_keys import asset_key
from connector_assets.flows.assembly import Flow
from connector_assets.flows.assets import build_flow_assets
from connector_assets.flows.core import Mapped, Rejected, skips_audited
from connector_assets.flows.replays import Replay
from connector_assets.fusion.paid_invoices import PaidCandidate, candidates, explicitly_unpaid, staged_records
from connector_assets.fusion.payments import invoice_payments, paid_state
from connector_assets.procurify.bill_paid_marks import ProcurifyBillPaidMarks
from connector_assets.saas.assets import saas_partitions
from connector_resources.fusion.errors import FusionNotFoundError
from connector_resources.ledger import Ledger
from connector_resources.refusals import master_missing

from .own import Own
from .payment_mappers import (
    ProcurifyPaidMarkRecord,
    Skipped,
    map_paid_mark,
)

ENTITY = "paid_mark"
INVOICE_ENTITY = "invoice"  # the invoices flow's entity: bill uuid -> Fusion InvoiceId
PAYMENTS_ASSET, INVOICES_ASSET = asset_key("fusion", "payments"), asset_key("fusion", "invoices")


def our_bill(instance: str, ledger: Ledger, invoice_id: str) -> str | None:
    """The Procurify bill uuid whose Fusion invoice ``invoice_id`` is (``instance``'s invoices flow's
    ``invoice`` xref), or None: an invoice this instance did not write or adopt."""
    xref = ledger.find_xref_by_target(instance, INVOICE_ENTITY, "fusion", invoice_id)
    return xref.source_key if xref is not None else None


def mark_records(
    instance: str,
    ledger: Ledger,
    fusion_session: Any,
    procurify: Any,
    found: Mapping[str, PaidCandidate],
    log: Any = None,
) -> Iterator[Mapped | Rejected | Skipped]:
    """Each candidate invoice read now from Fusion (``fusion_session``) and decided against its bill
    (``payment_mappers.map_paid_mark``) in ``instance``'s ledger; ``procurify`` is the resource, opened only
    when there is work."""
    if not found:
        return
    with procurify.session() as procurify_session:
        for invoice_id in sorted(found, key=lambda k: (len(k), k)):
            candidate = found[invoice_id]
            marked = ledger.get_xref(instance, ENTITY, "fusion", invoice_id, "procurify")
            is_marked = marked is not None and bool(marked.target_id)
            try:
                invoice = fusion_session.get("invoices", invoice_id)
            except FusionNotFoundError:
                sentence = (
                    f"Fusion invoice {invoice_id} (Procurify bill {candidate.source_key}) is no longer in "
                    "Fusion, so its paid status cannot be read; check it in Fusion, then abandon this item"
                )
                gone = master_missing(sentence, system="Fusion", what="invoice", value=invoice_id)
                yield Rejected.of(invoice_id, gone)
                continue
            if not is_marked and not candidate.payments and explicitly_unpaid(invoice):
                continue  # changed on the day, not paid: nothing to read or say
            payments = invoice_payments(fusion_session, invoice, candidate.payments)
            state = paid_state(invoice, payments)
            bill = None
            if state.state == "paid" and not is_marked:
                bill = procurify_session.get("bills", candidate.source_key)
            record = map_paid_mark(invoice, state, candidate.source_key, marked=is_marked, bill=bill)
            if record is not None:
                yield record
    if log is not None:
        log.info(f"{len(found)} of our Fusion invoice(s) touched on the day")


class BillPaidMarks(ProcurifyBillPaidMarks):
    """The Procurify side's paid marks (``procurify.bill_paid_marks``): a refusal names the bill by uuid."""

    bill_named = "bill {uuid}"


def payment_status_flow(own: Own) -> Flow:
    """``own``'s payment status flow."""

    def map_payment_status(context: Any, partition: str | None) -> Iterator[Mapped | Rejected]:
        """The day's payments and changed invoices that are ours, each decided against its Procurify bill."""
        r = context.resources
        ledger = r.ledger.get()
        payments = staged_records(r.staging, PAYMENTS_ASSET, partition)
        invoices = staged_records(r.staging, INVOICES_ASSET, partition)
        if not payments and not invoices:
            return
        with r.fusion.session() as fusion_session:
            ours = partial(our_bill, own.name, ledger)
            found = candidates(fusion_session, payments, invoices, ours, context.log)
            records = mark_records(own.name, ledger, fusion_session, r.procurify, found, context.log)
            # A skip is audited here and not passed on.
            yield from skips_audited(spec, ledger, records, run_id=context.run.run_id, partition=partition)

    def remap_payment_status(context: Any, keys: list[str]) -> Iterator[Mapped | Rejected]:
        """The named invoices (InvoiceIds) read from Fusion again (replay), with their bills from the
        ledger."""
        r = context.resources
        ledger = r.ledger.get()
        found = {}
        for key in keys:
            bill = our_bill(own.name, ledger, key)
            if bill is not None:
                found[key] = PaidCandidate(key, bill)
        run = getattr(context, "run", None)
        with r.fusion.session() as fusion_session:
            records = mark_records(own.name, ledger, fusion_session, r.procurify, found)
            run_id = getattr(run, "run_id", None)
            yield from skips_audited(spec, ledger, records, run_id=run_id, partition=None)

    spec = own.back.flow(
        "payment_status",
        ENTITY,
        ProcurifyPaidMarkRecord,
        map_payment_status,
        remap_payment_status,
        BillPaidMarks,
        reads={"fusion": ("invoices", "payments"), "procurify": ("bills",)},
        # A refusal is a fact about one invoice or bill (not approved, voided after marking); nothing
        # systemic.
        systemic_share=1.0,
    )
    assets = build_flow_assets(
        spec, partitions_def=saas_partitions, upstream=[PAYMENTS_ASSET, INVOICES_ASSET]
    )
    return Flow(spec, assets, replay=Replay(BillPaidMarks.for_replay, own.resources))
