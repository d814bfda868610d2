"""JDE -> Procurify paid marks: a bill the bills flow posted whose voucher JDE has paid, while Procurify
holds no payment for it, is marked paid once (``mark-as-paid``; when not: ``procurify.bill_marks``). Depth:
docs/integrations/jde_procurify.md, "The flows" (paid marks).
"""

import logging
from collections.abc import Iterable, Iterator, Mapping
from functools import partial
from typing import Any

from dagster import AssetExecutionContext

from connector_assets.flows.assembly import Flow
from connector_assets.flows.assets import build_flow_assets
from connector_assets.flows.core import Mapped, Rejected
from connector_assets.flows.record_models import record_model, string
from connector_assets.flows.replay_resources import resources_from_settings
from connector_assets.flows.replays import Replay
from connector_assets.jde import targets
from connector_assets.jde.assets import jde_partitions
from connector_assets.jde.paid_vouchers import (
    PaidVoucher,
    paid_today,
    paid_voucher,
    pay_items,
    voucher_text,
)
from connector_assets.jde.posted_sources import sources_of_vouchers, voucher_rows_of
from connector_assets.jde.tables import AP_LEDGER
from connector_assets.procurify.bill_mark_records import ProcurifyPaidMark
from connector_assets.procurify.bill_marks import markable
from connector_assets.procurify.bill_paid_marks import (
    ProcurifyBillPaidMarks,
    status_name,
)
from connector_assets.procurify.record_reads import RecordReadFailed, queued_for_read, read_for_record
from connector_assets.runtime.session_source import SessionSource
from connector_resources.jde.session import JdeSession
from connector_resources.ledger import Ledger
from connector_resources.procurify.session import ProcurifySession
from connector_resources.refusals import Refusal

from .own import Own
from .paid_voucher_bills import bills_by_marks, vouchers_of_bill

ENTITY = "bill_paid"


ProcurifyPaidMarkRecord = record_model(
    "ProcurifyPaidMarkRecord",
    "A mark-as-paid Procurify accepts: one bill uuid and a day.",
    base=ProcurifyPaidMark,
    voucher=string(5, 40),
)


def map_mark(
    bill_uuid: str, voucher: PaidVoucher, bill: Mapping[str, Any] | None
) -> Mapped | Rejected | None:
    """One paid JDE voucher of a Procurify bill -> its mark (pure). ``bill``: the bill as Procurify has it
    now (None: not read, the ledger says it is marked already). None: Procurify pays it itself."""
    text = voucher_text(voucher.key)
    body = {"bill_uuids": [bill_uuid], "payment_date": voucher.paid_on.isoformat()}
    fields = {"bill_uuid": bill_uuid, "payment_date": voucher.paid_on.isoformat(), "voucher": text}
    mapped = Mapped(bill_uuid, body, fields, natural_key={"bill_uuid": bill_uuid})
    markable_bill = markable(bill) if bill is not None else True
    if markable_bill:
        return mapped
    if markable_bill is None:
        return None  # Procurify pays it itself
    name = status_name(bill)
    said = (
        f"Procurify bill {bill.get('invoice_number') or bill_uuid}: JDE paid its voucher {text} on "
        f"{voucher.paid_on.isoformat()}, but the bill is {name} in Procurify and Procurify marks only "
        "approved bills paid (mark-as-paid); approve it in Procurify, then replay (or abandon this item if "
        "it should stay as it is)"
    )
    return Rejected.of(bill_uuid, Refusal("conflict", said, {"system": "procurify"}))


def mark_records(
    own: Own,
    ledger: Ledger,
    jde: SessionSource[JdeSession],
    procurify: SessionSource[ProcurifySession],
    rows: Iterable[Mapping[str, object]],
    log: logging.Logger | None = None,
):
    """The paid JDE vouchers among ``rows`` (F0411 rows of a day) that are ``own``'s Procurify bills,
    mapped."""
    candidates = paid_today(rows)
    if not candidates:
        return
    user = str(own.it.setting("batch_user")).strip()
    with jde.session() as jde_session:  # voucher -> the bill uuid the bills flow posted as it
        by_marks = bills_by_marks(own.pairing, ledger, procurify)
        bills = sources_of_vouchers(ledger, own.posted_bills, jde_session, candidates, user, by_marks)
        items = pay_items(jde_session, sorted(bills)) if bills else {}
    paid = {k: v for k in sorted(bills) if (v := paid_voucher(k, items.get(k, [])))}
    if log is not None:
        log.info(
            f"{len(candidates)} voucher(s) paid on the day, {len(bills)} Procurify bill(s), {len(paid)} paid"
        )
    if not paid:
        return
    by_payment, route = 0, own.route
    with procurify.session() as session:
        for key, voucher in paid.items():
            uuid = bills[key]
            marked = ledger.get_xref(own.name, ENTITY, route.source_system, uuid, route.target_system)
            try:
                bill = (
                    None
                    if marked is not None and marked.target_id
                    else read_for_record("the bill", lambda uuid=uuid: session.get("bills", uuid))
                )
            except RecordReadFailed as failed:  # this bill alone waits for Procurify; the rest are marked
                yield queued_for_read(uuid, f"bill {uuid} (paid in JDE)", failed)
                continue
            record = map_mark(uuid, voucher, bill)
            if record is None:
                by_payment += 1
                continue
            yield record
    if log is not None and by_payment:
        log.info(f"{by_payment} bill(s) have a payment in Procurify: paid through it, not marked")


def paid_marks_flow(own: Own) -> Flow:
    """``own``'s paid marks flow."""

    def map_marks(context: AssetExecutionContext, partition: str | None) -> Iterator[Mapped | Rejected]:
        r = context.resources
        rows = r.staging.read_rows(AP_LEDGER.asset, partition)
        yield from mark_records(own, r.ledger.get(), r.jde, r.procurify, rows, context.log)

    def remap_marks(context: Any, keys: list[str]) -> Iterator[Mapped | Rejected]:
        """The named bills' vouchers read from JDE again (replay): the bills flow's xref names each
        voucher."""
        r = context.resources
        ledger = r.ledger.get()
        with r.jde.session() as jde_session, r.procurify.session() as session:

            def unkept(uuid: str) -> list[dict[str, object]]:  # the batch rows purged: the voucher by marks
                bill = read_for_record("the bill", lambda: session.get("bills", uuid))
                return vouchers_of_bill(own.pairing, ledger, jde_session, bill)

            vouchers = voucher_rows_of(ledger, own.posted_bills, jde_session, keys, unkept)
        wanted = set(keys)
        for record in mark_records(own, ledger, r.jde, r.procurify, vouchers):
            if record.source_key in wanted:
                yield record

    spec = own.route.flow(
        "paid_marks",
        ENTITY,
        ProcurifyPaidMarkRecord,
        map_marks,
        remap_marks,
        ProcurifyBillPaidMarks,
        reads={"JDE": (AP_LEDGER.table, targets.BATCH_TABLE), "procurify": ("bills",)},
        # A refusal is a fact about one bill (not approved in Procurify); nothing systemic is a share of them.
        systemic_share=1.0,
    )
    assets = build_flow_assets(spec, partitions_def=jde_partitions, upstream=[AP_LEDGER.asset])
    resources = partial(resources_from_settings, ("jde", "procurify", "staging"), instance=own.name)
    return Flow(spec, assets, replay=Replay(ProcurifyBillPaidMarks.for_replay, resources))
