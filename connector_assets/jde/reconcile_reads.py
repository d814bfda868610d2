"""JD Edwards read back for a reconciliation: the batches a flow wrote (with the F0411 voucher once R04110ZA
made one), the payment journals of a document and the vouchers of a day, money in the document's currency;
read by key, 100 to a call (``lookup.browse_in``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from connector_assets.flows.reconciliation import iso_day, period_of
from connector_assets.jde.documents import DISTRIBUTION_TABLE as GL_TABLE
from connector_assets.jde.lookup import browse_in
from connector_assets.jde.order_status import text
from connector_assets.jde.reconcile_documents import currency_of, document_amount, gross, open_amount
from connector_assets.jde.tables import AP_LEDGER
from connector_assets.jde.targets import BATCH_TABLE, JOURNAL_TABLE
from connector_assets.runtime.session_source import SessionSource
from connector_resources.jde.session import JdeSession

# A Z-file row's batch key (EDUS / EDBT / EDTN / EDLN), whether R04110ZA processed it, and its document.
BATCH_KEY_COLUMNS = ["EDUS", "EDBT", "EDTN", "EDLN", "EDSP", "KCO", "DOC", "DCT"]
# Money in both currencies (``reconcile_documents.document_amount`` reads the document's): F0411Z1 / F0411
# AG and ACR, F0911Z1 AA and ACR, with the currency mode CRRM and code CRCD.
BATCH_COLUMNS = [*BATCH_KEY_COLUMNS, "AN8", "VINV", "DGJ", "AG", "ACR", "CRRM", "CRCD"]  # F0411Z1
JOURNAL_COLUMNS = [*BATCH_KEY_COLUMNS, "DGJ", "AA", "ACR", "CRRM", "CRCD", "EXA", "SBL", "SBLT"]  # F0911Z1
VOUCHER_COLUMNS = ["KCO", "DOC", "DCT", "SFX", "AG", "ACR", "CRRM", "CRCD"]
# A voucher's pay items as a field-by-field comparison reads them (F0411): amounts, pay and void status,
# supplier, invoice, dates and currency.
VOUCHER_STATE_COLUMNS = [
    *VOUCHER_COLUMNS,
    *("AN8", "AAP", "FAP", "PST", "VOD", "VINV", "DIVJ", "DGJ", "DICJ", "RMK"),
]
BATCH_STATE_COLUMNS = [*BATCH_COLUMNS, "DIVJ"]  # F0411Z1, with what a batch says before R04110ZA

SourceOf = Callable[[str, str], "str | None"]  # (EDBT, EDTN) -> the source record the batch was written for


# -- orders ---------------------------------------------------------------------------------------------


def order_header(key: str) -> dict[str, object]:
    """The F4301 keys of an order key ``KCOO:DOCO:DCTO[:SFXO]``."""
    parts = key.split(":")
    return {
        "KCOO": parts[0],
        "DOCO": int(parts[1]),
        "DCTO": parts[2],
        "SFXO": parts[3] if len(parts) > 3 else "",
    }


def order_label(key: str) -> str:
    """``4011 OP 00001``: the order's number, type and company, as JDE's screens show it."""
    header = order_header(key)
    suffix = f"-{header['SFXO']}" if header["SFXO"] not in ("", "000") else ""
    return f"{header['DOCO']} {header['DCTO']}{suffix} {header['KCOO']}"


# -- voucher and journal batches ------------------------------------------------------------------------


@dataclass(frozen=True)
class JdeBatch:
    """One batch a flow wrote, as JDE holds it, with the source record its keys name."""

    source_key: str
    batch: str  # EDUS/EDBT/EDTN
    invoice: str
    period: str | None
    amount: Decimal  # in the document's currency (``currency``): ACR of a foreign entry, else AG / AA
    document: str = ""  # "00001 10234 PV" once R04110ZA made the voucher; "" while only in the batch
    currency: str = ""  # CRCD (blank: JDE holds none, the company's)
    # Read by ``batches_by_transaction`` (field by field); the other reads leave them at their defaults.
    an8: str = ""
    invoice_date: str | None = None  # ISO day
    gl_date: str | None = None  # ISO day
    voided: bool = False  # a pay item of the voucher is voided (F0411 VOD V)
    paid: bool = False  # every pay item paid (F0411 PST P), the voucher not voided
    open_amount: Decimal | None = None  # the voucher's open amount (F0411 AAP), None before R04110ZA
    journal: bool = False  # a journal entry batch (F0911Z1): R09110Z posts it to F0911, never to F0411

    @property
    def where(self) -> str:
        if self.document:
            return f"{'journal entry' if self.journal else 'voucher'} {self.document}"
        return f"batch {self.batch} (not processed yet)"


def _sourced_batches(
    rows: Iterable[dict[str, Any]], source_of: SourceOf
) -> Iterator[tuple[str, str, str, list[dict[str, Any]], tuple[str, str, str] | None]]:
    """Batch rows grouped by (EDBT, EDTN) in that order, each group that names a source record as
    (source key, batch, transaction, its rows, the voucher R04110ZA made of it or None)."""
    by_batch: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_batch[(text(row.get("EDBT")), text(row.get("EDTN")))].append(row)
    for (batch, transaction), group in sorted(by_batch.items()):
        source = source_of(batch, transaction)
        if source is not None:
            yield source, batch, transaction, group, _document(group[0])


def _document(row: Mapping[str, object]) -> tuple[str, str, str] | None:
    """(KCO, DOC, DCT) of the voucher R04110ZA made from a processed batch row, None before."""
    doc = str(row.get("DOC") or "").strip()
    if text(row.get("EDSP")) != "1" or not doc.isdigit() or not int(doc):
        return None
    return text(row.get("KCO")), str(int(doc)), text(row.get("DCT")) or "PV"


# -- batches by their transaction numbers, and the vouchers of a day --------------------------------------


@dataclass(frozen=True)
class JdeVoucherState:
    """One F0411 voucher (its pay items together) as JDE holds it now."""

    document: tuple[str, str, str]  # (KCO, DOC, DCT), DOC without leading zeros
    an8: str
    gross: Decimal
    open_amount: Decimal
    invoice: str = ""
    invoice_date: str | None = None
    gl_date: str | None = None
    entered: str | None = None  # its batch date (DICJ): the day it was entered
    currency: str = ""
    voided: bool = False
    paid: bool = False
    remark: str = ""  # RMK: the batch's remark, naming the source document (how a purged batch is found)

    @property
    def label(self) -> str:
        return "voucher " + " ".join(self.document)

    @property
    def marks(self) -> dict[str, Any]:
        """What the voucher carries from its batch, as ``paid_vouchers.voucher_marks`` gives it."""
        kco, doc, dct = self.document
        return {
            "KCO": kco,
            "DOC": int(doc),
            "DCT": dct,
            "AN8": self.an8,
            "VINV": self.invoice,
            "RMK": self.remark,
        }


def _voucher_state(document: tuple[str, str, str], items: Sequence[Mapping[str, Any]]) -> JdeVoucherState:
    first = items[0]
    voided = any(text(i.get("VOD")).upper() == "V" for i in items)
    return JdeVoucherState(
        document=document,
        an8=str(int(first["AN8"]))
        if str(first.get("AN8") or "").strip().isdigit()
        else text(first.get("AN8")),
        gross=gross(items),
        open_amount=open_amount(items),
        invoice=text(first.get("VINV")),
        invoice_date=iso_day(first.get("DIVJ")),
        gl_date=iso_day(first.get("DGJ")),
        entered=iso_day(first.get("DICJ")),
        currency=currency_of(first),
        voided=voided,
        paid=not voided and all(text(i.get("PST")).upper() == "P" for i in items),
        remark=text(first.get("RMK")),
    )


def _states(rows: Iterable[Mapping[str, Any]]) -> dict[tuple[str, str, str], JdeVoucherState]:
    """(KCO, DOC, DCT) -> the voucher its F0411 pay items make."""
    grouped: dict[tuple[str, str, str], list[Mapping[str, Any]]] = defaultdict(list)
    for row in rows:
        grouped[(text(row.get("KCO")), str(int(row["DOC"])), text(row.get("DCT")))].append(row)
    return {document: _voucher_state(document, items) for document, items in grouped.items()}


def vouchers_changed_on(jde: Any, day: Any) -> list[JdeVoucherState]:
    """Every voucher a pay item of which changed on ``day`` (a date or an ISO day; F0411 UPMJ: entered,
    changed, paid, voided), read whole (every pay item of each)."""
    day = date.fromisoformat(day) if isinstance(day, str) else day
    with jde.session() as session:
        changed = list(browse_in(session, AP_LEDGER.table, "UPMJ", [day], ["KCO", "DOC", "DCT"]))
        numbers = sorted({int(r["DOC"]) for r in changed})
        documents = {(text(r.get("KCO")), str(int(r["DOC"])), text(r.get("DCT"))) for r in changed}
        rows = list(browse_in(session, AP_LEDGER.table, "DOC", numbers, VOUCHER_STATE_COLUMNS))
    states = _states(rows)
    return [states[d] for d in sorted(documents) if d in states]


def batch_sources(
    jde: Any,
    documents: Iterable[tuple[str, str, str]],
    user: str,
    prefix: str,
    source_of: SourceOf,
) -> dict[tuple[str, str, str], tuple[str, str]]:
    """(KCO, DOC, DCT) -> (the source record, ``EDUS/EDBT/EDTN``) of the vouchers R04110ZA made from a batch
    written under ``user`` with a batch number starting ``prefix`` (F0411Z1 read by DOC, 100 to a call);
    a voucher entered any other way is absent."""
    wanted = set(documents)
    numbers = sorted({int(doc) for _kco, doc, _dct in wanted})
    if not numbers:
        return {}
    found: dict[tuple[str, str, str], tuple[str, str]] = {}
    with jde.session() as session:
        for row in browse_in(session, BATCH_TABLE, "DOC", numbers, BATCH_KEY_COLUMNS):
            document = _document(row)
            batch, transaction = text(row.get("EDBT")), text(row.get("EDTN"))
            if document is None or document not in wanted or text(row.get("EDUS")) != user:
                continue
            if not batch.startswith(prefix):
                continue
            source = source_of(batch, transaction)
            if source is not None:
                found[document] = (source, f"{user}/{batch}/{transaction}")
    return found


def batches_by_transaction(
    jde: Any,
    transactions: Iterable[str],
    posting: str,
    user: str,
    prefix: str,
    source_of: SourceOf,
) -> list[JdeBatch]:
    """The batches written under EDI user ``user`` with a batch number starting ``prefix`` whose transaction
    number (EDTN) is one of ``transactions``, read by EDTN, 100 to a call, whatever their supplier or
    period: voucher batches (F0411Z1) with their F0411 voucher field by field once processed (gross, open
    amount, paid, voided), or for ``posting`` ``journal`` the F0911Z1 AP credit line (subledger type A,
    negated). ``source_of`` names each batch's source record (None: not one)."""
    wanted = sorted(set(transactions))
    if not wanted:
        return []
    with jde.session() as session:
        if posting == "journal":
            rows = list(browse_in(session, JOURNAL_TABLE, "EDTN", wanted, JOURNAL_COLUMNS))
            return _journal_rows(rows, user, prefix, source_of, _posted_journals(session, rows))
        rows = [
            r
            for r in browse_in(session, BATCH_TABLE, "EDTN", wanted, BATCH_STATE_COLUMNS)
            if text(r.get("EDUS")) == user and text(r.get("EDBT")).startswith(prefix)
        ]
        documents = {d for d in (_document(r) for r in rows) if d}
        numbers = sorted({int(doc) for _kco, doc, _dct in documents})
        states = _states(browse_in(session, AP_LEDGER.table, "DOC", numbers, VOUCHER_STATE_COLUMNS))
    found = []
    for source, batch, transaction, group, document in _sourced_batches(rows, source_of):
        first = group[0]
        state = states.get(document) if document else None
        an8 = text(first.get("AN8"))
        found.append(
            JdeBatch(
                source_key=source,
                batch=f"{user}/{batch}/{transaction}",
                invoice=state.invoice if state else text(first.get("VINV")),
                period=period_of(state.gl_date if state else iso_day(first.get("DGJ"))),
                amount=state.gross if state else gross(group),
                document=" ".join(document) if document and state else "",
                an8=str(int(an8)) if an8.isdigit() else an8,
                invoice_date=state.invoice_date if state else iso_day(first.get("DIVJ")),
                gl_date=state.gl_date if state else iso_day(first.get("DGJ")),
                currency=state.currency if state else currency_of(first),
                voided=state.voided if state else False,
                paid=state.paid if state else False,
                open_amount=state.open_amount if state else None,
            )
        )
    return found


def vouchers_of_purged_batches(
    jde: SessionSource[JdeSession], documents: Mapping[str, tuple[str, tuple[str, str, str]]]
) -> list[JdeBatch]:
    """Source key -> (``EDUS/EDBT/EDTN``, the F0411 voucher (KCO, DOC, DCT) it was found as) of batches JDE
    processed and purged (R04110ZA's "purge processed transactions", R0411Z1P): each as a ``JdeBatch`` read
    from its F0411 voucher alone, as ``batches_by_transaction`` reads a processed batch, so a purged batch's
    document is compared, never reported missing. A voucher F0411 no longer holds is absent."""
    numbers = sorted({int(doc) for _batch, (_kco, doc, _dct) in documents.values()})
    if not numbers:
        return []
    with jde.session() as session:
        states = _states(browse_in(session, AP_LEDGER.table, "DOC", numbers, VOUCHER_STATE_COLUMNS))
    found = []
    for source, (batch, document) in sorted(documents.items()):
        state = states.get(document)
        if state is None:
            continue
        found.append(
            JdeBatch(
                source_key=source,
                batch=batch,
                invoice=state.invoice,
                period=period_of(state.gl_date),
                amount=state.gross,
                document=" ".join(document),
                currency=state.currency,
                an8=state.an8,
                invoice_date=state.invoice_date,
                gl_date=state.gl_date,
                voided=state.voided,
                paid=state.paid,
                open_amount=state.open_amount,
            )
        )
    return found


def _posted_journals(session: JdeSession, rows: Sequence[Mapping[str, object]]) -> set[tuple[str, str, str]]:
    """(KCO, DOC, DCT) of the journal entries R09110Z made of batch ``rows`` that F0911 holds: where a
    journal goes once processed (EDSP 1 and its DOC on the batch rows), as F0411 is where a voucher goes."""
    made = {d for d in (_journal_document(r) for r in rows) if d}
    numbers = sorted({int(doc) for _kco, doc, _dct in made})
    posted = browse_in(session, GL_TABLE, "DOC", numbers, ["KCO", "DOC", "DCT"]) if numbers else []
    return made & {(text(r.get("KCO")), str(int(r["DOC"])), text(r.get("DCT"))) for r in posted}


def _journal_document(row: Mapping[str, object]) -> tuple[str, str, str] | None:
    """(KCO, DOC, DCT) of the journal entry R09110Z made from a processed batch row, None before."""
    doc = str(row.get("DOC") or "").strip()
    if text(row.get("EDSP")) != "1" or not doc.isdigit() or not int(doc):
        return None
    return text(row.get("KCO")), str(int(doc)), text(row.get("DCT"))


def _journal_rows(
    rows: Iterable[Mapping[str, object]],
    user: str,
    prefix: str,
    source_of: SourceOf,
    posted: set[tuple[str, str, str]],
) -> list[JdeBatch]:
    """The AP credit lines (subledger type A: the supplier) of journal batches under ``user`` / ``prefix``;
    a batch whose journal entry is in ``posted`` (F0911) is named by it, else "not processed yet"."""
    found = []
    for row in rows:
        batch, transaction = text(row.get("EDBT")), text(row.get("EDTN"))
        if text(row.get("EDUS")) != user or not batch.startswith(prefix):
            continue
        if text(row.get("SBLT")).upper() != "A":
            continue
        source = source_of(batch, transaction)
        if source is None:
            continue
        gl_date = iso_day(row.get("DGJ"))
        sbl = text(row.get("SBL"))
        document = _journal_document(row)
        found.append(
            JdeBatch(
                document=" ".join(document) if document in posted else "",
                journal=True,
                source_key=source,
                batch=f"{user}/{batch}/{transaction}",
                invoice=text(row.get("EXA")).removeprefix("Inv ").strip(),
                period=period_of(gl_date),
                amount=-document_amount(row, "AA"),
                currency=currency_of(row),
                an8=str(int(sbl)) if sbl.isdigit() else sbl,
                gl_date=gl_date,
            )
        )
    return found


def journal_payments(
    jde: Any, transactions: Iterable[str], user: str, prefix: str
) -> dict[str, tuple[Decimal, str]]:
    """Transaction number (EDTN) -> (the debit total, the currency) of the payment journal batches a flow
    wrote under EDI user ``user`` with batch numbers starting ``prefix`` (F0911Z1 read by EDTN, 100 to a
    call; amounts in the entry's currency): what JDE holds that says a document posted as a journal, which
    carries no voucher and so no pay status, was paid. A transaction with no line is absent."""
    wanted = sorted(set(transactions))
    if not wanted:
        return {}
    with jde.session() as session:
        rows = list(browse_in(session, JOURNAL_TABLE, "EDTN", wanted, JOURNAL_COLUMNS))
    found: dict[str, tuple[Decimal, str]] = {}
    for row in rows:
        if text(row.get("EDUS")) != user or not text(row.get("EDBT")).startswith(prefix):
            continue
        transaction, value = text(row.get("EDTN")), document_amount(row, "AA")
        paid, currency = found.get(transaction, (Decimal(0), ""))
        found[transaction] = (paid + max(value, Decimal(0)), currency or currency_of(row))
    return found
