"""JD Edwards -> Procurify paid marks (flow ``paid_marks``, entity ``bill_paid``): a Procurify bill the bills
flow posted to JDE, whose JDE voucher JDE has paid while Procurify holds no payment for the bill, is marked
paid in Procurify once (``POST /api/v3/ap/bills/mark-as-paid/``, reference 2.6: the one "mark paid" write
the API has; it sets approved, payment-less bills to Paid on a ``payment_date``).

What is read. The day's staged F0411 rows (``jde_ap_ledger``, by UPMJ): every voucher with a pay item
changed that day and pay status ``P``. Which of them are Procurify bills: the bills flow's ``bill`` xref
names the voucher, by document key ``KCO:DOC:DCT``, or by the batch key ``EDUS/EDBT/EDTN`` of the
F0411Z1 rows R04110ZA made it from (read for the day's candidates in one F0411Z1 browse per company,
``EDUS`` = ``ML_JDE_PROCURIFY_BATCH_USER``, ``DOC`` in the list). A voucher is paid when every pay item
of it (read from F0411 now, since the day's rows hold only the pay items changed that day) has open
amount ``AAP`` 0 and pay status ``PST`` ``P`` (reference F0411: ``P`` paid; a voided voucher also has
nothing open but is not ``P``, and must not be marked paid). Its payment date is the latest UPMJ of its
pay items (F0411 carries no payment date; the payment itself is in F0413/F0414, which the flows do not
stage): the day JDE recorded the payment.

What is sent, and when not.

* The bill (``GET /api/v2/ap/bills/{uuid}/``) has a payment (``payment_uuid`` / ``bill_payment``):
  Procurify is paying it itself (the payments flow takes that payment to JDE); not marked, counted.
* No payment and status 2 Approved: marked paid, once. Source key and target id: the bill uuid.
* No payment and status 4 Paid already (marked by a person, or by an earlier attempt whose answer was
  lost): adopted (``find``), not marked again.
* No payment and any other status (draft, confirmed, denied, withdrawn, ...): Procurify's mark-as-paid
  takes approved bills only; queued with the bill's status named, replayed once someone approves it.
* A bill already marked (the ledger's xref) is skipped without reading Procurify.
"""

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import Any

from dagster import AssetExecutionContext

from connector_assets.flows import amounts
from connector_assets.flows.assets import build_flow_assets
from connector_assets.flows.core import Mapped, Rejected
from connector_assets.flows.lazy_model import lazy_model
from connector_assets.flows.replay_resources import resources_from_settings
from connector_assets.integrations.jde_procurify.integration import BACK_ROUTE, INTEGRATION, ROUTE
from connector_assets.integrations.jde_procurify.payment_mappers import BillInJde
from connector_assets.jde import targets
from connector_assets.jde.assets import jde_partitions
from connector_assets.jde.lookup import browse_in
from connector_assets.jde.tables import AP_LEDGER
from connector_assets.procurify.bill_mark_records import ProcurifyPaidMark
from connector_assets.procurify.bill_marks import has_payment
from connector_assets.procurify.bill_paid_marks import ProcurifyBillPaidMarks, register_paid_mark_replays
from connector_assets.procurify.bill_status import BILL_STATUS_NAMES
from connector_assets.procurify.record_reads import RecordReadFailed, queued_for_read, read_for_record
from connector_resources import settings
from connector_resources.ledger import Ledger

ENTITY = "bill_paid"
BILL_ENTITY = "bill"
BATCH_USER_ENV = "ML_JDE_PROCURIFY_BATCH_USER"
PAID = "P"  # F0411 PST: paid
APPROVED_BILL, PAID_BILL = 2, 4  # Procurify bill status codes (reference 2.6)
LIST_CHUNK = 100  # voucher numbers per F0411 / F0411Z1 read (MATCH_ANY of EQUAL conditions)


VoucherKey = tuple[str, int, str]  # KCO, DOC, DCT


def voucher_text(key: VoucherKey) -> str:
    """``KCO:DOC:DCT``, the bills flow's document key of a voucher."""
    return f"{key[0]}:{key[1]}:{key[2]}"


@dataclass(frozen=True)
class PaidVoucher:
    """A JDE voucher every pay item of which is paid, and the day JDE recorded it."""

    key: VoucherKey
    paid_on: date


def paid_voucher(key: VoucherKey, pay_items: Iterable[Mapping[str, Any]]) -> PaidVoucher | None:
    """The voucher as paid, or None while a pay item is open or not in pay status P (pure)."""
    items = list(pay_items)
    if not items:
        return None
    for item in items:
        open_amount = amounts.amount(item.get("AAP"))
        if open_amount is None or open_amount != 0 or str(item.get("PST") or "").strip() != PAID:
            return None
    days = [d for item in items if isinstance(d := item.get("UPMJ"), date)]
    return PaidVoucher(key, max(days)) if days else None


def _key(row: Mapping[str, Any]) -> VoucherKey | None:
    number = targets.jde_number(row.get("DOC"))
    if number is None:
        return None
    return str(row.get("KCO") or "").strip(), number, str(row.get("DCT") or "").strip()


def paid_today(rows: Iterable[Mapping[str, Any]]) -> list[VoucherKey]:
    """Vouchers of the day's F0411 rows with a pay item in pay status P (the candidates), sorted."""
    return sorted({k for r in rows if str(r.get("PST") or "").strip() == PAID and (k := _key(r))})


# -- which candidates are Procurify bills ----------------------------------------------------------------


def _chunks(values: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(values), LIST_CHUNK):
        yield values[start : start + LIST_CHUNK]


def _by_voucher_number(
    jde_session: Any, table: str, numbers: list[int], columns: list[str]
) -> Iterator[dict]:
    """Rows of ``table`` whose DOC is one of ``numbers``, as ``MATCH_ANY`` of ``EQUAL`` conditions
    (``jde.lookup.browse_in``): the in-list operator's JSON spelling (likely ``LIST``) is unconfirmed
    (jde-ais reference 2.5), and a server that does not know it would refuse every read. The rows of other
    companies or EDI users with the same number are dropped by the caller."""
    return browse_in(jde_session, table, "DOC", numbers, columns)


def bills_of_vouchers(ledger: Ledger, jde_session: Any, vouchers: list[VoucherKey]) -> dict[VoucherKey, str]:
    """Voucher -> the Procurify bill uuid the bills flow posted as it: by the voucher's document key,
    else by the batch key of the F0411Z1 rows the voucher was made from."""
    found: dict[VoucherKey, str] = {}
    rest: list[VoucherKey] = []
    for key in vouchers:
        xref = ledger.find_xref_by_target(
            INTEGRATION, BILL_ENTITY, BACK_ROUTE.target_system, voucher_text(key)
        )
        if xref is not None:
            found[key] = xref.source_key
        else:
            rest.append(key)
    user = settings.value(BATCH_USER_ENV).strip()
    pending = {(company, number) for company, number, _dct in rest}
    for chunk in _chunks(sorted({number for _company, number in pending})):
        rows = _by_voucher_number(
            jde_session, targets.BATCH_TABLE, chunk, ["EDUS", "EDBT", "EDTN", "KCO", "DOC", "DCT"]
        )
        for row in rows:
            company, number = str(row.get("KCO") or "").strip(), targets.jde_number(row.get("DOC"))
            if str(row.get("EDUS") or "").strip() != user or (company, number) not in pending:
                continue
            batch = targets.BatchKey(
                str(row.get("EDUS") or "").strip(),
                str(row.get("EDBT") or "").strip(),
                str(row.get("EDTN") or "").strip(),
            )
            xref = ledger.find_xref_by_target(
                INTEGRATION, BILL_ENTITY, BACK_ROUTE.target_system, batch.target_id
            )
            if xref is None:
                continue
            dct = str(row.get("DCT") or "").strip()
            for key in rest:
                if key[0] == company and key[1] == number and dct in ("", key[2]):
                    found[key] = xref.source_key
    return found


def pay_items(jde_session: Any, vouchers: list[VoucherKey]) -> dict[VoucherKey, list[dict[str, Any]]]:
    """Every pay item of ``vouchers`` as F0411 holds it now (PST, AAP, UPMJ), one browse per chunk of
    voucher numbers (another company's voucher of the same number is read and dropped)."""
    wanted = set(vouchers)
    items: dict[VoucherKey, list[dict[str, Any]]] = {k: [] for k in vouchers}
    for chunk in _chunks(sorted({number for _company, number, _dct in vouchers})):
        rows = _by_voucher_number(
            jde_session, AP_LEDGER.table, chunk, ["KCO", "DOC", "DCT", "SFX", "PST", "AAP", "UPMJ"]
        )
        for row in rows:
            key = _key(row)
            if key in wanted:
                items[key].append(row)
    return items


# -- the mapper ------------------------------------------------------------------------------------------


@lazy_model
def ProcurifyPaidMarkRecord() -> type:
    """A mark-as-paid Procurify accepts: one bill uuid and a day."""
    import pandera.pandas as pa
    from pandera.typing import Series

    class ProcurifyPaidMarkRecord(ProcurifyPaidMark.model):
        voucher: Series[str] = pa.Field(str_length={"min_value": 5, "max_value": 40})

    return ProcurifyPaidMarkRecord


def _status_name(bill: Mapping[str, Any]) -> str:
    status = bill.get("status")
    return BILL_STATUS_NAMES.get(int(status), str(status)) if str(status).isdigit() else str(status)


def map_mark(
    bill_uuid: str, voucher: PaidVoucher, bill: Mapping[str, Any] | None
) -> Mapped | Rejected | None:
    """One paid JDE voucher of a Procurify bill -> its mark (pure). ``bill``: the bill as Procurify has it
    now (None: not read, the ledger says it is marked already). None: Procurify pays it itself."""
    text = voucher_text(voucher.key)
    body = {"bill_uuids": [bill_uuid], "payment_date": voucher.paid_on.isoformat()}
    fields = {"bill_uuid": bill_uuid, "payment_date": voucher.paid_on.isoformat(), "voucher": text}
    mapped = Mapped(bill_uuid, body, fields, natural_key={"bill_uuid": bill_uuid})
    if bill is None:
        return mapped
    if has_payment(bill):
        return None
    if str(bill.get("status")) in (str(APPROVED_BILL), str(PAID_BILL)):
        return mapped
    name = _status_name(bill)
    return Rejected(
        bill_uuid,
        f"Procurify bill {bill.get('invoice_number') or bill_uuid}: JDE paid its voucher {text} on "
        f"{voucher.paid_on.isoformat()}, but the bill is {name} in Procurify and Procurify marks only "
        "approved bills paid (mark-as-paid); approve it in Procurify, then replay (or abandon this item if "
        "it should stay as it is)",
    )


def mark_records(
    ledger: Ledger, jde: Any, procurify: Any, rows: Iterable[Mapping[str, Any]], log: Any = None
):
    """The paid JDE vouchers among ``rows`` (F0411 rows of a day) that are Procurify bills, mapped."""
    candidates = paid_today(rows)
    if not candidates:
        return
    with jde.session() as jde_session:
        bills = bills_of_vouchers(ledger, jde_session, candidates)
        items = pay_items(jde_session, sorted(bills)) if bills else {}
    paid = {k: v for k in sorted(bills) if (v := paid_voucher(k, items.get(k, [])))}
    if log is not None:
        log.info(
            f"{len(candidates)} voucher(s) paid on the day, {len(bills)} Procurify bill(s), {len(paid)} paid"
        )
    if not paid:
        return
    by_payment = 0
    with procurify.session() as session:
        for key, voucher in paid.items():
            uuid = bills[key]
            marked = ledger.get_xref(INTEGRATION, ENTITY, ROUTE.source_system, uuid, ROUTE.target_system)
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


def map_marks(context: AssetExecutionContext, partition: str | None) -> Iterator[Mapped | Rejected]:
    r = context.resources
    rows = r.staging.read_rows(AP_LEDGER.asset, partition)
    yield from mark_records(r.ledger.get(), r.jde, r.procurify, rows, context.log)


def remap_marks(context: Any, keys: list[str]) -> Iterator[Mapped | Rejected]:
    """The named bills' vouchers read from JDE again (replay): the bills flow's xref names each voucher."""
    r = context.resources
    ledger = r.ledger.get()
    vouchers: list[dict[str, Any]] = []
    with r.jde.session() as jde_session:
        for key in keys:
            xref = ledger.get_xref(
                INTEGRATION, BILL_ENTITY, BACK_ROUTE.source_system, key, BACK_ROUTE.target_system
            )
            in_jde = BillInJde.parse(xref.target_id if xref is not None else None)
            if in_jde is None:
                continue
            if in_jde.batch is not None:
                rows = jde_session.browse(
                    targets.BATCH_TABLE,
                    columns=["KCO", "DOC", "DCT"],
                    conditions=in_jde.batch.conditions(),
                )
                vouchers.extend({**row, "PST": PAID} for row in rows if targets.jde_number(row.get("DOC")))
            else:
                vouchers.append(
                    {"KCO": in_jde.company, "DOC": in_jde.number, "DCT": in_jde.doc_type, "PST": PAID}
                )
    wanted = set(keys)
    for record in mark_records(ledger, r.jde, r.procurify, vouchers):
        if record.source_key in wanted:
            yield record


# -- the Procurify side ----------------------------------------------------------------------------------


class BillPaidMarks(ProcurifyBillPaidMarks):
    """Bills marked paid for JDE's paid vouchers; a record's source key is its bill's uuid."""

    status_name = staticmethod(_status_name)


PAID_MARKS_FLOW = ROUTE.flow(
    "paid_marks",
    ENTITY,
    ProcurifyPaidMarkRecord,
    map_marks,
    remap_marks,
    BillPaidMarks,
    reads={"JDE": (AP_LEDGER.table, targets.BATCH_TABLE), "procurify": ("bills",)},
    # A refusal is a fact about one bill (not approved in Procurify); nothing systemic is a share of them.
    systemic_share=1.0,
)

paid_marks_assets = build_flow_assets(
    PAID_MARKS_FLOW,
    partitions_def=jde_partitions,
    upstream=[AP_LEDGER.asset],
    resource_keys={"jde", "procurify"},
    group=INTEGRATION,
    kinds={"jde", "procurify"},
)


def register_paid_marks_replays(resources: Callable[[], dict[str, Any]] | None = None) -> None:
    """``ml-connector replay`` for queued marks: the bill's voucher is read from JDE again and the bill
    from Procurify (today's status), then marked once through the same target."""
    build = resources or partial(resources_from_settings, ("jde", "procurify", "staging"))
    register_paid_mark_replays(INTEGRATION, PAID_MARKS_FLOW, BillPaidMarks, build)
