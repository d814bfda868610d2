"""JD Edwards read back for a reconciliation: an order's total (F4301 / F4311), the voucher or journal batches
a flow wrote under its EDI user and batch prefix (F0411Z1 / F0911Z1, and the F0411 voucher once R04110ZA
processed a batch), and suppliers (F0401 + F0101), each as a comparison sees it.

Used by the JD Edwards <-> Procurify reconciliation (``jde_procurify.reconcile``); any integration that
compares what it sent to or from JDE reads JDE this way: by key, 100 keys to a call (``lookup.browse_in``),
never from the ledger alone. What is the integration's is passed in: how its ledger keys an order, which
lines it counts, which source record a batch's keys name, when a supplier is not one to buy from.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from connector_assets.flows.reconciliation import iso_day, period_of
from connector_assets.jde.documents import purchase_orders_by_number
from connector_assets.jde.lookup import browse_in
from connector_assets.jde.tables import ADDRESS_BOOK, AP_LEDGER, SUPPLIERS
from connector_assets.jde.targets import BATCH_TABLE, JOURNAL_TABLE
from connector_resources.jde import Condition

# A Z-file row's batch key (EDUS / EDBT / EDTN / EDLN), whether R04110ZA processed it, and its document.
BATCH_KEY_COLUMNS = ["EDUS", "EDBT", "EDTN", "EDLN", "EDSP", "KCO", "DOC", "DCT"]
BATCH_COLUMNS = [*BATCH_KEY_COLUMNS, "AN8", "VINV", "DGJ", "AG", "ACR", "CRRM"]  # F0411Z1
JOURNAL_COLUMNS = [*BATCH_KEY_COLUMNS, "DGJ", "AA", "EXA", "SBL", "SBLT"]  # F0911Z1
VOUCHER_COLUMNS = ["KCO", "DOC", "DCT", "SFX", "AG", "ACR", "CRRM"]

SourceOf = Callable[[str, str], "str | None"]  # (EDBT, EDTN) -> the source record the batch was written for


def _text(value: Any) -> str:
    return " ".join(str(value or "").split())


def _decimal(value: Any) -> Decimal | None:
    raw = str(value if value is not None else "").strip()
    return Decimal(raw) if raw else None


def _amount(value: Any) -> Decimal:
    found = _decimal(value)
    return found if found is not None else Decimal(0)


def suppliers_of_day(staging: Any, day: str) -> set[str]:
    """JDE suppliers (AN8, no padding) whose F0401 row, or F0101 row as a supplier (search type V), was
    staged as changed that day."""
    numbers = {str(int(r["AN8"])) for r in staging.read_rows(SUPPLIERS.asset, day)}
    numbers |= {
        str(int(r["AN8"]))
        for r in staging.read_rows(ADDRESS_BOOK.asset, day)
        if str(r.get("AT1") or "").strip() == "V"
    }
    return numbers


# -- orders ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class JdeOrderTotal:
    """A JDE order as JDE holds it now (``found`` False: JDE has no such order any more)."""

    key: str  # KCOO:DOCO:DCTO
    label: str  # "4011 OP 00001", how JDE users name it
    found: bool
    total: Decimal = Decimal(0)
    lines: int = 0  # lines counted (not cancelled)
    cancelled_lines: int = 0


def order_header(key: str) -> dict[str, Any]:
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


def order_totals(
    jde: Any,
    keys: Iterable[str],
    key_of: Callable[[Mapping[str, Any]], str],
    counted: Callable[[Sequence[Mapping[str, Any]]], Sequence[Mapping[str, Any]]],
) -> dict[str, JdeOrderTotal]:
    """Key -> the order as JDE holds it now: the F4311 AEXP total of its ``counted`` lines (those not
    cancelled); ``key_of`` keys an F4301 header as ``keys`` do (``KCOO:DOCO:DCTO[:SFXO]``)."""
    wanted = set(keys)
    found: dict[str, JdeOrderTotal] = {}
    docos = {int(k.split(":")[1]) for k in wanted}
    for order in purchase_orders_by_number(jde, docos) if docos else []:
        if order.header is None:
            continue
        key = key_of(order.header)
        if key not in wanted:
            continue
        live = counted(order.lines)
        total = sum((_amount(line.get("AEXP")) for line in live), Decimal(0))
        found[key] = JdeOrderTotal(
            key, order_label(key), True, total, len(live), len(order.lines) - len(live)
        )
    for key in wanted - set(found):
        found[key] = JdeOrderTotal(key, order_label(key), False)
    return found


# -- voucher and journal batches ------------------------------------------------------------------------


@dataclass(frozen=True)
class JdeBatch:
    """One batch a flow wrote, as JDE holds it, with the source record its keys name."""

    source_key: str
    batch: str  # EDUS/EDBT/EDTN
    invoice: str
    period: str | None
    amount: Decimal
    document: str = ""  # "00001 10234 PV" once R04110ZA made the voucher; "" while only in the batch

    @property
    def where(self) -> str:
        return f"voucher {self.document}" if self.document else f"batch {self.batch} (not processed yet)"


def written_batches(
    jde: Any, an8: str, posting: str, user: str, prefix: str, source_of: SourceOf
) -> list[JdeBatch]:
    """Every batch written under EDI user ``user`` with batch numbers starting ``prefix`` for supplier
    ``an8`` (any period), read from JDE: voucher batches (F0411Z1 pay items, at the F0411 voucher's gross
    once processed) or, for ``posting`` ``journal``, journal batches (the F0911Z1 AP credit line with the
    supplier as subledger, negated). ``source_of`` names each batch's source record (None: not one)."""
    with jde.session() as session:
        if posting == "journal":
            return _journal_batches(session, an8, user, prefix, source_of)
        return _voucher_batches(session, an8, user, prefix, source_of)


def _batch_rows(
    session: Any, table: str, columns: list[str], user: str, prefix: str, *equal: tuple[str, Any]
) -> list[dict[str, Any]]:
    """The Z-file rows of ``table`` under EDI user ``user`` whose batch number starts ``prefix``, with the
    ``equal`` (column, value) conditions."""
    conditions = [
        Condition(f"{table}.EDUS", "EQUAL", user),
        Condition(f"{table}.EDBT", "STR_START_WITH", prefix),
        *(Condition(f"{table}.{column}", "EQUAL", value) for column, value in equal),
    ]
    return session.browse(table, columns=columns, conditions=conditions)


def _voucher_batches(session: Any, an8: str, user: str, prefix: str, source_of: SourceOf) -> list[JdeBatch]:
    rows = _batch_rows(session, BATCH_TABLE, BATCH_COLUMNS, user, prefix, ("AN8", int(an8)))
    by_batch: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_batch[(_text(row.get("EDBT")), _text(row.get("EDTN")))].append(row)
    vouchers = _vouchers(session, [r for group in by_batch.values() for r in group])
    found = []
    for (batch, transaction), group in sorted(by_batch.items()):
        source = source_of(batch, transaction)
        if source is None:
            continue
        first = group[0]
        document = _document(first)
        amount = vouchers.get(document) if document else None
        found.append(
            JdeBatch(
                source_key=source,
                batch=f"{user}/{batch}/{transaction}",
                invoice=_text(first.get("VINV")),
                period=period_of(iso_day(first.get("DGJ"))),
                amount=amount if amount is not None else sum((_gross(r) for r in group), Decimal(0)),
                document=" ".join(document) if document and amount is not None else "",
            )
        )
    return found


def _document(row: Mapping[str, Any]) -> tuple[str, str, str] | None:
    """(KCO, DOC, DCT) of the voucher R04110ZA made from a processed batch row, None before."""
    doc = str(row.get("DOC") or "").strip()
    if _text(row.get("EDSP")) != "1" or not doc.isdigit() or not int(doc):
        return None
    return _text(row.get("KCO")), str(int(doc)), _text(row.get("DCT")) or "PV"


def _gross(row: Mapping[str, Any]) -> Decimal:
    """A pay item's gross in the voucher's own currency (foreign when entered in foreign mode)."""
    if _text(row.get("CRRM")).upper() == "F" and _decimal(row.get("ACR")):
        return _amount(row.get("ACR"))
    return _amount(row.get("AG"))


def _vouchers(session: Any, rows: list[dict[str, Any]]) -> dict[tuple[str, str, str], Decimal]:
    """(KCO, DOC, DCT) -> the F0411 voucher's gross (its pay items summed), for the processed batches."""
    wanted = {d for d in (_document(r) for r in rows) if d}
    if not wanted:
        return {}
    totals: dict[tuple[str, str, str], Decimal] = {}
    numbers = sorted({int(doc) for _kco, doc, _dct in wanted})
    for row in browse_in(session, AP_LEDGER.table, "DOC", numbers, VOUCHER_COLUMNS):
        key = (_text(row.get("KCO")), str(int(row["DOC"])), _text(row.get("DCT")))
        if key in wanted:
            totals[key] = totals.get(key, Decimal(0)) + _gross(row)
    return totals


def _journal_batches(session: Any, an8: str, user: str, prefix: str, source_of: SourceOf) -> list[JdeBatch]:
    rows = _batch_rows(
        session, JOURNAL_TABLE, JOURNAL_COLUMNS, user, prefix, ("SBL", str(int(an8))), ("SBLT", "A")
    )
    found = []
    for row in rows:
        batch, transaction = _text(row.get("EDBT")), _text(row.get("EDTN"))
        source = source_of(batch, transaction)
        if source is None:
            continue
        found.append(
            JdeBatch(
                source_key=source,
                batch=f"{user}/{batch}/{transaction}",
                invoice=_text(row.get("EXA")).removeprefix("Inv ").strip(),
                period=period_of(iso_day(row.get("DGJ"))),
                amount=-_amount(row.get("AA")),
                document="",
            )
        )
    return found


# -- suppliers ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class JdeSupplier:
    """A JDE supplier as read for a comparison (``found`` False: JDE has no F0401 row for it)."""

    an8: str
    found: bool
    name: str = ""
    inactive: str = ""  # why it is not one to buy from ("" when active)

    @property
    def label(self) -> str:
        return f"JDE supplier {self.an8}" + (f" ({self.name})" if self.name else "")


InactiveReason = Callable[[int, Mapping[str, Any], "Mapping[str, Any] | None"], str]


def suppliers_by_number(jde: Any, an8s: Iterable[str], inactive: InactiveReason) -> dict[str, JdeSupplier]:
    """AN8 -> the supplier as JDE holds it (F0401 AN8 / HDPY / HOLD + F0101 ALPH / AT1), ``found`` False
    when JDE has no F0401 row; ``inactive(an8, F0401 row, F0101 row or None)`` says why it is not one to
    buy from ("" when it is)."""
    wanted = sorted({int(a) for a in an8s})
    if not wanted:
        return {}
    with jde.session() as session:
        suppliers = {
            int(r["AN8"]): r
            for r in browse_in(session, SUPPLIERS.table, "AN8", wanted, ["AN8", "HDPY", "HOLD"])
        }
        book = {
            int(r["AN8"]): r
            for r in browse_in(session, ADDRESS_BOOK.table, "AN8", sorted(suppliers), ["AN8", "ALPH", "AT1"])
        }
    found = {}
    for number in wanted:
        key = str(number)
        if number not in suppliers:
            found[key] = JdeSupplier(key, False)
            continue
        name = _text((book.get(number) or {}).get("ALPH"))
        found[key] = JdeSupplier(key, True, name, inactive(number, suppliers[number], book.get(number)))
    return found
