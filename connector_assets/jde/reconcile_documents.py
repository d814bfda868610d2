"""JD Edwards documents read back by the keys a flow wrote, for a reconciliation with another system: by key,
100 to a call (``browse_in``), money in the document's currency (``document_amount``), ``CRCD`` apart.
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Protocol

from connector_assets.flows.reconciliation import amount
from connector_assets.jde.documents import entered_foreign, voucher_key
from connector_assets.jde.lookup import browse_in
from connector_assets.jde.purchase_orders import order_id
from connector_assets.jde.tables import AP_LEDGER
from connector_assets.jde.targets import BATCH_TABLE, JOURNAL_TABLE
from connector_resources.jde import Condition
from connector_resources.jde.session import JdeSession

VoucherKey = tuple[str, int, str]  # KCO, DOC, DCT


class InSession:
    """An open session as the JDE readers take a resource (``session()``): a reader that opens its own
    (``documents.suppliers_by_number``) reads in the caller's, so a reconciliation's calls stay in one."""

    def __init__(self, session: Any) -> None:
        self._session = session

    def session(self) -> Any:
        return nullcontext(self._session)


def document_amount(row: Mapping[str, object], domestic: str = "AG", foreign: str = "ACR") -> Decimal:
    """A row's amount in its document's currency: the currency amount (``ACR``; ``FAP`` for an open
    amount) of a foreign entry, else the domestic column (``AG``, ``AA``, ``AAP``).

    Why not ``AG`` always: for a foreign voucher JDE computes ``AG`` from its exchange rate, so a 1,000.00
    EUR invoice reads 1,083.40 there; the source said 1,000.00 EUR, and that is what must agree. A foreign
    batch row keyed on its domestic side (``CRRM`` F, ``ACR`` blank until R04110ZA computes it) has only
    the domestic amount to give."""
    if entered_foreign(row) and str(row.get(foreign) if row.get(foreign) is not None else "").strip():
        return amount(row.get(foreign))
    return amount(row.get(domestic))


def currency_of(row: Mapping[str, object]) -> str:
    """The row's currency code (``CRCD``), upper case, blank when JDE holds none."""
    return str(row.get("CRCD") or "").strip().upper()


def account_key(text: object) -> str:
    """An account as ``BU.OBJ.SUB`` with each part trimmed and a blank subsidiary dropped (``M30.7120``), so
    what a mapping table says and what a JDE row holds compare equal."""
    parts = [p.strip() for p in str(text or "").split(".")]
    while len(parts) > 2 and not parts[-1]:
        parts.pop()
    return ".".join(parts)


def row_account(row: Mapping[str, object], unit_column: str) -> str:
    """The account of an F4311 J line (``OMCU``) or an F0911Z1 line (``MCU``): business unit, object and
    subsidiary; the account as entered (``ANI``) when those are blank."""
    unit, obj = str(row.get(unit_column) or "").strip(), str(row.get("OBJ") or "").strip()
    if unit and obj:
        return account_key(f"{unit}.{obj}.{row.get('SUB') or ''}")
    return account_key(row.get("ANI"))


# -- voucher batches: F0411Z1 + F0911Z1 ----------------------------------------------------------------------


class BatchKeyed(Protocol):
    """A batch key a flow writes a voucher under (EDUS, EDBT, EDTN)."""

    user: str
    batch: str
    transaction: str


@dataclass
class VoucherBatch:
    """What JDE holds of one voucher batch: its pay items (gross, supplier, order, invoice number and dates)
    and distribution by account; once processed, the F0411 voucher it became (``document``), whose gross
    replaces the batch's, and whether JDE still has it (``gone``), voided it or holds it under a pay
    status."""

    key: Any  # the caller's batch key
    gross: Decimal = Decimal(0)
    pay_items: int = 0
    supplier: str = ""
    order: str = ""  # KCOO:DOCO:DCTO the pay item names, blank when none
    invoice: str = ""  # VINV
    invoice_date: date | None = None  # DIVJ
    gl_date: date | None = None  # DGJ
    document: tuple[str, int, str] | None = None  # (KCO, DOC, DCT) once R04110ZA processed it
    gone: bool = False  # processed, and F0411 no longer holds the voucher
    voided: int = 0  # pay items JDE voided (F0411 VOD)
    pay_status: str = ""  # F0411 PST of the first pay item
    currency: str = ""  # CRCD: the currency its amounts are in (blank: JDE's, the company's)
    # In the document's currency (``document_amount``): the F0911Z1 lines' ACR when foreign, else AA.
    by_account: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))

    @property
    def name(self) -> str:
        """How a JDE user finds it: ``voucher 00001 10234 PV`` once processed, else the batch's keys."""
        if self.document is not None:
            return f"voucher {self.document[0]} {self.document[1]} {self.document[2]}"
        return f"voucher batch {self.key.user}/{self.key.batch}/{self.key.transaction}"


def voucher_batches(session: Any, keys: Mapping[str, BatchKeyed]) -> dict[str, VoucherBatch]:
    """Source id -> its voucher batch in JDE (F0411Z1 + F0911Z1 by the id's batch key, F0411 by voucher
    number once processed), its money in the document's currency; absent when JDE holds no pay item under
    the key."""
    by_transaction = {key.transaction: (sid, key) for sid, key in sorted(keys.items())}
    found: dict[str, VoucherBatch] = {}
    columns = [*("EDUS", "EDBT", "EDTN", "EDLN", "EDSP", "KCO", "DOC", "DCT"), *VOUCHER_BATCH_COLUMNS]
    for row in browse_in(session, BATCH_TABLE, "EDTN", list(by_transaction), columns):
        mine = _batch_of(row, by_transaction)
        if mine is None:
            continue
        voucher = found.setdefault(mine[0], VoucherBatch(mine[1]))
        voucher.gross += document_amount(row)
        voucher.pay_items += 1
        voucher.currency = currency_of(row) or voucher.currency
        voucher.supplier = str(row.get("AN8") or "").strip()
        voucher.invoice = str(row.get("VINV") or "").strip()
        voucher.invoice_date, voucher.gl_date = as_date(row.get("DIVJ")), as_date(row.get("DGJ"))
        if str(row.get("PO") or "").strip() not in ("", "0"):
            voucher.order = order_id(row.get("PKCO"), row.get("PO"), row.get("PDCT"))
        document = str(row.get("DOC") or "").strip()
        if str(row.get("EDSP") or "").strip() == "1" and document.isdigit() and int(document):
            kind = str(row.get("DCT") or "").strip() or "PV"
            voucher.document = (str(row.get("KCO") or "").strip(), int(document), kind)
    columns = ["EDUS", "EDBT", "EDTN", "EDLN", "ANI", "MCU", "OBJ", "SUB", *LINE_MONEY_COLUMNS]
    for row in browse_in(session, JOURNAL_TABLE, "EDTN", list(by_transaction), columns):
        mine = _batch_of(row, by_transaction)
        if mine is not None and mine[0] in found:
            found[mine[0]].by_account[row_account(row, "MCU")] += document_amount(row, "AA")
    _processed(session, [v for v in found.values() if v.document is not None])
    return found


# The money of a pay item (F0411Z1 / F0411) and of a distribution or journal line (F0911Z1) in both
# currencies: domestic AG / AA, foreign ACR, the mode saying which holds the document's, and its currency.
PAY_ITEM_MONEY_COLUMNS = ["AG", "ACR", "CRRM", "CRCD"]
LINE_MONEY_COLUMNS = ["AA", "ACR", "CRRM", "CRCD"]
VOUCHER_BATCH_COLUMNS = [*PAY_ITEM_MONEY_COLUMNS, "AN8", "VINV", "DIVJ", "DGJ", "PKCO", "PO", "PDCT"]
VOIDED = "V"  # F0411 VOD of a voided pay item


def _processed(session: JdeSession, vouchers: list[VoucherBatch]) -> None:
    """The F0411 voucher of each processed batch, read by voucher number (100 to a call): its gross, how
    many of its pay items are voided, its pay status; ``gone`` when F0411 no longer holds it."""
    by_document = {v.document: v for v in vouchers if v.document is not None}
    if not by_document:
        return
    seen: set[tuple[str, int, str]] = set()
    numbers = sorted({document[1] for document in by_document})
    columns = ["KCO", "DOC", "DCT", "SFX", "PST", "VOD", *PAY_ITEM_MONEY_COLUMNS]
    for row in browse_in(session, AP_LEDGER.table, "DOC", numbers, columns):
        document = (str(row.get("KCO") or "").strip(), int(row["DOC"]), str(row.get("DCT") or "").strip())
        voucher = by_document.get(document)
        if voucher is None:
            continue
        if document not in seen:
            seen.add(document)
            voucher.gross, voucher.pay_status = Decimal(0), str(row.get("PST") or "").strip()
        voucher.gross += document_amount(row)
        voucher.currency = currency_of(row) or voucher.currency
        voucher.voided += str(row.get("VOD") or "").strip() == VOIDED
    for document, voucher in by_document.items():
        voucher.gone = document not in seen


def as_date(value: object) -> date | None:
    """A date column as the readers give it (a ``date``), None for a blank one."""
    return value if isinstance(value, date) else None


def _batch_of(row: Mapping[str, object], by_transaction: dict[str, tuple[str, BatchKeyed]]) -> Any:
    """(source id, key) when the row is under one of the keys (user, batch and transaction)."""
    mine = by_transaction.get(str(row.get("EDTN") or "").strip())
    if mine is None:
        return None
    key = mine[1]
    same = (str(row.get("EDUS") or "").strip(), str(row.get("EDBT") or "").strip()) == (key.user, key.batch)
    return mine if same else None


class JournalKeyed(Protocol):
    """A journal batch key: the id it is known by and its F0911Z1 conditions."""

    target_id: str

    def conditions(self, table: str) -> Any: ...


@dataclass(frozen=True)
class InCurrency:
    """An amount JDE shows and the currency it is in (``CRCD``; blank: JDE holds none, the company's), so a
    reconciliation compares it with its source's only when both are in one currency."""

    amount: Decimal
    currency: str


def journal_debits(session: JdeSession, keys: Iterable[JournalKeyed]) -> dict[str, InCurrency]:
    """Key id -> the debit total of the journal batch the key names in F0911Z1 in the entry's currency
    (``document_amount``) and that currency, absent when JDE has no line under it (one read per batch:
    found by key, not by document)."""
    debits: dict[str, InCurrency] = {}
    for key in sorted(keys, key=lambda k: k.target_id):
        columns = ["EDUS", "EDBT", "EDTN", "EDLN", *LINE_MONEY_COLUMNS]
        rows = session.browse(JOURNAL_TABLE, columns=columns, conditions=key.conditions(JOURNAL_TABLE))
        amounts = [document_amount(r, "AA") for r in rows]
        if amounts:
            currency = next((c for r in rows if (c := currency_of(r))), "")
            debits[key.target_id] = InCurrency(sum((a for a in amounts if a > 0), Decimal(0)), currency)
    return debits


# -- vouchers: F0411 pay items -------------------------------------------------------------------------------


def pay_items(
    session: JdeSession, keys: Iterable[VoucherKey], columns: Sequence[str]
) -> dict[VoucherKey, list]:
    """Every pay item (F0411, ``columns``) of these vouchers, read by voucher number."""
    wanted = set(keys)
    items: dict[VoucherKey, list[dict]] = defaultdict(list)
    for row in browse_in(session, AP_LEDGER.table, "DOC", sorted({k[1] for k in wanted}), columns):
        if voucher_key(row) in wanted:
            items[voucher_key(row)].append(row)
    return items


def paid_on_vouchers(session: JdeSession, keys: Iterable[VoucherKey]) -> dict[VoucherKey, InCurrency]:
    """What JDE shows as paid on each of these vouchers in the voucher's currency, and that currency: F0411
    gross less open amount over its pay items (AG - AAP; ACR - FAP for a foreign voucher) and CRCD, read by
    voucher number (100 to a call); a voucher JDE does not hold is not there."""
    columns = ["KCO", "DOC", "DCT", "SFX", "AAP", "FAP", *PAY_ITEM_MONEY_COLUMNS]
    return {
        key: InCurrency(
            sum((gross([r]) - open_amount([r]) for r in items), Decimal(0)),
            next((c for r in items if (c := currency_of(r))), ""),
        )
        for key, items in pay_items(session, keys, columns).items()
    }


def vouchers_on_orders(
    session: JdeSession, refs: Iterable[tuple[str, int, str]], columns: Sequence[str]
) -> dict[tuple, set[VoucherKey]]:
    """Order (KCOO, DOCO, DCTO) -> the vouchers matched to it (F0411 PKCO / PO / PDCT), read by order
    number (``columns`` must hold KCO, DOC, DCT, PKCO, PO and PDCT)."""
    refs = list(refs)
    found: dict[tuple, set[VoucherKey]] = defaultdict(set)
    wanted = {(r[0], str(r[1]), r[2]) for r in refs}
    for row in browse_in(session, AP_LEDGER.table, "PO", sorted({str(r[1]) for r in refs}), columns):
        ref = tuple(str(row.get(c) or "").strip() for c in ("PKCO", "PO", "PDCT"))
        if ref in wanted:
            found[(ref[0], int(ref[1]), ref[2])].add(voucher_key(row))
    return found


def gross(items: Iterable[Mapping[str, object]]) -> Decimal:
    """A voucher's gross in its currency: its pay items' AG (ACR when foreign)."""
    return sum((document_amount(r) for r in items), Decimal(0))


def open_amount(items: Iterable[Mapping[str, object]]) -> Decimal:
    """A voucher's open amount in its currency: its pay items' AAP (FAP when foreign)."""
    return sum((document_amount(r, "AAP", "FAP") for r in items), Decimal(0))


def voucher_label(key: VoucherKey, items: Sequence[Mapping[str, object]]) -> str:
    """``voucher 00001/4711/PV (invoice INV-7)``: the key and the invoice of its first pay item (VINV)."""
    invoice = str(items[0].get("VINV") or "").strip() if items else ""
    return f"voucher {key[0]}/{key[1]}/{key[2]}" + (f" (invoice {invoice})" if invoice else "")


# -- voucher batches line by line, and the batches a flow wrote in a window ------------------------------

BATCH_LINE_COLUMNS = [
    *("EDUS", "EDBT", "EDTN", "EDLN", "EDSP", "EDDT"),
    *("KCO", "DOC", "DCT", "AN8", "VINV", "DIVJ", *PAY_ITEM_MONEY_COLUMNS),
]
DISTRIBUTION_LINE_COLUMNS = [
    *("EDUS", "EDBT", "EDTN", "EDLN", "ANI", "MCU", "OBJ", "SUB", "EXA"),
    *LINE_MONEY_COLUMNS,
]


@dataclass
class BatchLines:
    """One voucher batch as JDE holds it, line by line: its F0411Z1 pay items and F0911Z1 distribution lines
    by EDLN, and the F0411 voucher R04110ZA made of it (None while unprocessed)."""

    key: Any  # the caller's batch key
    pay_items: list[dict[str, Any]] = field(default_factory=list)
    distribution: dict[int, dict[str, Any]] = field(default_factory=dict)

    @property
    def voucher(self) -> VoucherKey | None:
        """(KCO, DOC, DCT) of the voucher once R04110ZA processed the batch (EDSP 1 and a DOC)."""
        for row in self.pay_items:
            doc = str(row.get("DOC") or "").strip()
            if str(row.get("EDSP") or "").strip() == "1" and doc.isdigit() and int(doc):
                return (
                    str(row.get("KCO") or "").strip(),
                    int(doc),
                    str(row.get("DCT") or "").strip() or "PV",
                )
        return None


def batch_lines(session: JdeSession, keys: Mapping[str, BatchKeyed]) -> dict[str, BatchLines]:
    """Source id -> its voucher batch line by line (F0411Z1 and F0911Z1 by EDTN, 100 to a call, kept when EDUS
    and EDBT match too); absent when JDE holds no pay item under the key."""
    by_transaction = {key.transaction: (sid, key) for sid, key in sorted(keys.items())}
    found: dict[str, BatchLines] = {}
    for row in browse_in(session, BATCH_TABLE, "EDTN", list(by_transaction), BATCH_LINE_COLUMNS):
        mine = _batch_of(row, by_transaction)
        if mine is not None:
            found.setdefault(mine[0], BatchLines(mine[1])).pay_items.append(row)
    for row in browse_in(session, JOURNAL_TABLE, "EDTN", list(by_transaction), DISTRIBUTION_LINE_COLUMNS):
        mine = _batch_of(row, by_transaction)
        if mine is not None and mine[0] in found:
            found[mine[0]].distribution[int(row.get("EDLN") or 0)] = row
    return found


def batches_entered(
    session: JdeSession, user: str, prefix: str, first: object, last: object
) -> list[dict[str, object]]:
    """The F0411Z1 pay items entered under EDI user ``user`` with batch numbers starting ``prefix`` (any
    batch number for a blank one) on the days ``first`` to ``last`` (EDDT, the EDI transmission date): the
    batches a flow wrote in a window, and with a blank prefix those keyed by hand under its user too."""
    conditions = [
        Condition(f"{BATCH_TABLE}.EDUS", "EQUAL", user),
        *([Condition(f"{BATCH_TABLE}.EDBT", "STR_START_WITH", prefix)] if prefix else []),
        Condition(f"{BATCH_TABLE}.EDDT", "GREATER_EQUAL", first),
        Condition(f"{BATCH_TABLE}.EDDT", "LESS_EQUAL", last),
    ]
    return list(session.browse(BATCH_TABLE, columns=BATCH_LINE_COLUMNS, conditions=conditions))


PAYMENT_DETAIL_TABLE = "F0414"  # A/P payment detail: RMK holds the payment's reference (ML_RecordPayment 1.1)


def payments_by_reference(session: JdeSession, references: Iterable[str]) -> dict[str, list[dict[str, Any]]]:
    """Reference -> the F0414 rows (one per pay item paid) JDE recorded under it, 100 references to a call;
    the amount paid in the voucher's currency is ``document_amount(row, "PAAP", "PFAP")``."""
    found: dict[str, list[dict[str, object]]] = defaultdict(list)
    # PAAP domestic, PFAP in the voucher's currency for a foreign one (``document_amount(row, "PAAP",
    # "PFAP")``): a foreign voucher is paid in its own currency.
    columns = ["PYID", "KCO", "DOC", "DCT", "SFX", "PAAP", "PFAP", "CRRM", "CRCD", "RMK"]
    for row in browse_in(session, PAYMENT_DETAIL_TABLE, "RMK", sorted(set(references)), columns):
        found[str(row.get("RMK") or "").strip()].append(row)
    return found
