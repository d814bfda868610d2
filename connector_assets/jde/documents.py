"""JD Edwards documents as the flows out of JDE read them: per day partition and by key, as typed records.

A day's staged F-table rows are rarely a whole document: a supplier whose F0401 row changed today has
its F0101 name from years ago, an order whose header changed has lines that did not. The readers here
complete each document from JDE by key (one query per 100 keys, ``browse_in``), so a flow's mapper gets
whole documents and never does I/O itself. They never map: what a target makes of a document is the
integration's.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from connector_assets.jde.extract import jde_timezone
from connector_assets.jde.lookup import browse_in
from connector_assets.jde.tables import (
    ADDRESS_BOOK,
    AP_LEDGER,
    PO_HEADERS,
    PO_LINES,
    SUPPLIER_ADDRESSES,
    SUPPLIERS,
)
from connector_assets.staging import StagingResource
from connector_resources.jde.dates import parse_jde_date

SUPPLIER_COLUMNS = ["AN8", "HDPY", "TRAP"]
ADDRESS_COLUMNS = ["AN8", "ALPH", "TAX", "AT1", "TAXC"]
# F0116 Address by Date (general JDE knowledge: the reference documents no address table).
ADDRESS_BY_DATE_COLUMNS = ["AN8", "EFTB", "ADD1", "ADD2", "ADD3", "ADD4", "CTY1", "ADDS", "ADDZ", "CTR"]
# F0911 columns read for a voucher's distribution. EXTL "AE" marks the automatic (offset) entries
# posting adds; they are not part of what the voucher was distributed to. [DD: general JDE knowledge]
DISTRIBUTION_TABLE = "F0911"  # read by voucher number, not staged: flows declare it in ``FlowSpec.reads``
DISTRIBUTION_COLUMNS = ["KCO", "DOC", "DCT", "LT", "EXTL", "JELN", "ANI", "MCU", "OBJ", "SUB", "AA", "EXA"]
ORDER_LINE_ACCOUNT_COLUMNS = ["DOCO", "LNID", "ANI", "LNTY"]


# -- suppliers: F0401 + F0101 (+ F0116 addresses, + the send-to's F0101) -------------------------------------


@dataclass(frozen=True)
class JdeSupplier:
    """One supplier: its supplier master row (F0401) and its address book row (F0101, None if missing).

    Read on request (``suppliers_by_number``'s ``addresses`` / ``remit_to``): ``mailing``, its F0116 address
    in effect (None when it has none, or when addresses were not read), and ``send_to``, the F0101 row of the
    address number F0401 SNTO names when that is another one (a lockbox, a factoring company)."""

    number: int  # AN8
    supplier: dict[str, Any]
    address: dict[str, Any] | None
    mailing: dict[str, Any] | None = None
    send_to: dict[str, Any] | None = None

    @property
    def send_to_number(self) -> int | None:
        """F0401 SNTO when it names an address number other than the supplier's own (None otherwise)."""
        number = _number(self.supplier.get("SNTO"))
        return number if number and number != self.number else None


def _number(value: Any) -> int | None:
    text = str(value if value is not None else "").strip()
    return int(text) if text.isdigit() else None


def _by_an8(session: Any, table: str, columns: list[str], an8s: list[int]) -> dict[int, dict]:
    return {int(row["AN8"]): row for row in browse_in(session, table, "AN8", an8s, columns)}


def changed_suppliers(
    staging: StagingResource,
    jde: Any,
    partition: str | None,
    also: Iterable[int] = (),
    *,
    addresses: bool = False,
    remit_to: bool = False,
) -> list[JdeSupplier]:
    """The suppliers whose F0401 or F0101 row (search type V) changed on ``partition``, and ``also`` these
    address numbers, completed from JDE.

    With ``addresses`` also those whose F0116 address changed that day (staged ``SUPPLIER_ADDRESSES``, which
    must then be materialized for the day), read with their address in effect; with ``remit_to`` also those
    whose send-to party's F0101 row changed that day (its name is their payee name), read with it."""
    suppliers = {int(r["AN8"]): r for r in staging.read_rows(SUPPLIERS.asset, partition)}
    book = {int(r["AN8"]): r for r in staging.read_rows(ADDRESS_BOOK.asset, partition)}
    wanted = (
        set(suppliers)
        | {an8 for an8, row in book.items() if (row.get("AT1") or "").strip() == "V"}
        | set(also)
    )
    if addresses:
        wanted |= {int(r["AN8"]) for r in staging.read_rows(SUPPLIER_ADDRESSES.asset, partition)}
    senders = set(book) if remit_to else set()
    return suppliers_by_number(
        jde, wanted, suppliers, book, addresses=addresses, remit_to=remit_to, paying_to=senders
    )


def suppliers_by_number(
    jde: Any,
    wanted: Iterable[int],
    suppliers: dict[int, dict] | None = None,
    book: dict[int, dict] | None = None,
    *,
    addresses: bool = False,
    remit_to: bool = False,
    paying_to: Iterable[int] = (),
) -> list[JdeSupplier]:
    """The suppliers ``wanted`` (address numbers), in number order; the F0101 / F0401 half not in hand is
    read by number. An address-book entry without a supplier master is not a supplier (yet): left out.

    ``addresses``: each one's F0116 address in effect is read too (``JdeSupplier.mailing``); ``remit_to``:
    F0401 SNTO and the F0101 row it names (``JdeSupplier.send_to``). A staged F0401 row lacks SNTO (the stage
    does not keep it), so with ``remit_to`` every supplier's F0401 row is read again. ``paying_to``: address
    numbers whose suppliers (those whose SNTO names one of them) are wanted too, all in one session."""
    suppliers, book = dict(suppliers or {}), dict(book or {})
    columns = SUPPLIER_COLUMNS + (["SNTO"] if remit_to else [])
    mailing: dict[int, dict] = {}
    with jde.session() as session:
        senders = browse_in(session, SUPPLIERS.table, "SNTO", sorted(set(paying_to)), ["AN8"])
        ordered = sorted(set(wanted) | {int(row["AN8"]) for row in senders})
        unnamed = [n for n in ordered if n not in book]
        book.update(_by_an8(session, ADDRESS_BOOK.table, ADDRESS_COLUMNS, unnamed))
        missing = [n for n in ordered if n not in suppliers or any(c not in suppliers[n] for c in columns)]
        suppliers.update(_by_an8(session, SUPPLIERS.table, columns, missing))
        found = [n for n in ordered if n in suppliers]
        if remit_to:
            payees = {_number(suppliers[n].get("SNTO")) for n in found} - {None, 0} - set(book)
            book.update(_by_an8(session, ADDRESS_BOOK.table, ADDRESS_COLUMNS, sorted(payees)))  # type: ignore[arg-type]
        if addresses:
            mailing = addresses_in_effect(session, found)
    out = []
    for n in found:
        record = JdeSupplier(n, suppliers[n], book.get(n), mailing.get(n))
        payee = record.send_to_number if remit_to else None
        out.append(replace(record, send_to=book.get(payee)) if payee else record)
    return out


def addresses_in_effect(session: Any, an8s: list[int], today: date | None = None) -> dict[int, dict]:
    """Each address number's F0116 row in effect on ``today`` (the JDE server's date by default): the one
    with the latest effective date (EFTB) not after it; a blank EFTB counts as always. ``EFTB`` is returned
    as a ``date`` (None when blank). Address numbers with none are left out."""
    today = today or datetime.now(jde_timezone()).date()
    pattern = session.date_pattern
    best: dict[int, tuple[date, dict]] = {}
    for row in browse_in(session, SUPPLIER_ADDRESSES.table, "AN8", an8s, ADDRESS_BY_DATE_COLUMNS):
        an8 = int(row["AN8"])
        try:
            effective = parse_jde_date(row.get("EFTB"), pattern)
        except ValueError as exc:
            raise ValueError(f"F0116 address of {an8}: effective date EFTB is unreadable ({exc})") from None
        since = effective or date.min
        if since <= today and (an8 not in best or since >= best[an8][0]):
            best[an8] = (since, {**row, "EFTB": effective})
    return {an8: row for an8, (_, row) in best.items()}


# -- purchase orders: F4301 + F4311 -------------------------------------------------------------------------


@dataclass(frozen=True)
class JdePurchaseOrder:
    """One order (KCOO, DOCO, DCTO, SFXO): its header (F4301, None when only lines were found) and its
    lines (F4311) in line-number order."""

    key: tuple[str, int, str, str]
    header: dict[str, Any] | None
    lines: list[dict[str, Any]] = field(default_factory=list)

    @property
    def label(self) -> str:
        return "/".join(str(k) for k in self.key)

    @property
    def supplier(self) -> str:
        """The order's supplier number as text: F4301 AN8, else its first line's ("" with neither)."""
        row = self.header or (self.lines[0] if self.lines else None)
        return str(int(row.get("AN8") or 0)) if row is not None else ""


def order_key(row: dict) -> tuple[str, int, str, str]:
    return (
        str(row["KCOO"]).strip(),
        int(row["DOCO"]),
        str(row["DCTO"]).strip(),
        str(row.get("SFXO") or "").strip(),
    )


def _orders(headers: dict[tuple, dict], lines: dict[tuple, list[dict]], keys: Iterable[tuple]):
    return [
        JdePurchaseOrder(
            key, headers.get(key), sorted(lines.get(key, []), key=lambda r: Decimal(str(r["LNID"])))
        )
        for key in sorted(keys)
    ]


def changed_purchase_orders(
    staging: StagingResource, jde: Any, partition: str | None
) -> list[JdePurchaseOrder]:
    """The orders whose header or any line changed on ``partition``, with their header and all lines."""
    headers = {order_key(r): r for r in staging.read_rows(PO_HEADERS.asset, partition)}
    changed = set(headers) | {order_key(r) for r in staging.read_rows(PO_LINES.asset, partition)}
    docos = sorted({key[1] for key in changed})
    staged_docos = {key[1] for key in headers}
    lines: dict[tuple, list[dict]] = {}
    with jde.session() as session:
        unstaged = [d for d in docos if d not in staged_docos]
        for row in browse_in(session, PO_HEADERS.table, "DOCO", unstaged, PO_HEADERS.aliases):
            headers.setdefault(order_key(row), row)
        for row in browse_in(session, PO_LINES.table, "DOCO", docos, PO_LINES.aliases):
            lines.setdefault(order_key(row), []).append(row)
    return _orders(headers, lines, changed)


def purchase_orders_by_number(jde: Any, docos: Iterable[int]) -> list[JdePurchaseOrder]:
    """The orders with these order numbers (DOCO, any type and company) as JDE holds them now."""
    numbers = sorted(set(docos))
    lines: dict[tuple, list[dict]] = {}
    with jde.session() as session:
        headers = {
            order_key(r): r for r in browse_in(session, PO_HEADERS.table, "DOCO", numbers, PO_HEADERS.aliases)
        }
        for row in browse_in(session, PO_LINES.table, "DOCO", numbers, PO_LINES.aliases):
            if order_key(row) in headers:
                lines.setdefault(order_key(row), []).append(row)
    return _orders(headers, lines, headers)


# -- vouchers: F0411 pay items, F0911 distribution, the order's lines --------------------------------------


@dataclass(frozen=True)
class JdeVoucher:
    """One voucher (KCO, DOC, DCT): its pay items (F0411) in suffix order; for a voucher on a purchase
    order, the order's first line (F4311: where its account is), else its G/L distribution (F0911,
    ledger AA, without posting's automatic entries) in line order."""

    key: tuple[str, int, str]
    pay_items: list[dict[str, Any]]
    order_line: dict[str, Any] | None = None
    distribution: list[dict[str, Any]] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"{self.key[0]}/{self.key[1]}/{self.key[2]}"

    @property
    def order(self) -> int | None:
        """The purchase order (PO) the voucher matches, from its first pay item."""
        text = str(self.pay_items[0].get("PO") or "").strip()
        return int(text) if text.isdigit() else None


def voucher_key(row: dict) -> tuple[str, int, str]:
    return (str(row["KCO"]).strip(), int(row["DOC"]), str(row["DCT"]).strip())


def _distributions(session: Any, vouchers: list[tuple]) -> dict[tuple, list[dict]]:
    """The AA-ledger G/L distribution lines of ``vouchers`` (KCO, DOC, DCT), read from F0911 by DOC."""
    wanted = set(vouchers)
    found: dict[tuple, list[dict]] = {}
    docs = sorted({doc for _, doc, _ in vouchers})
    for row in browse_in(session, DISTRIBUTION_TABLE, "DOC", docs, DISTRIBUTION_COLUMNS):
        key = voucher_key(row)
        if key not in wanted or str(row.get("LT") or "").strip() != "AA":
            continue
        if str(row.get("EXTL") or "").strip() == "AE":
            continue
        found.setdefault(key, []).append(row)
    for rows in found.values():
        rows.sort(key=lambda r: Decimal(str(r.get("JELN") or 0)))
    return found


def complete_vouchers(jde: Any, pay_items: Iterable[dict]) -> list[JdeVoucher]:
    """Pay items (F0411 rows) grouped into vouchers, each completed with what its lines are charged to:
    the first line of its purchase order, or its F0911 distribution when it matches no order."""
    vouchers: dict[tuple, list[dict]] = {}
    for row in pay_items:
        vouchers.setdefault(voucher_key(row), []).append(row)
    ordered = {key: sorted(items, key=lambda r: str(r["SFX"])) for key, items in sorted(vouchers.items())}
    shells = [JdeVoucher(key, items) for key, items in ordered.items()]
    orders = sorted({v.order for v in shells if v.order is not None})
    unmatched = [v.key for v in shells if v.order is None]
    first_lines: dict[int, dict] = {}
    distributions: dict[tuple, list[dict]] = {}
    if orders or unmatched:
        with jde.session() as session:
            for line in browse_in(session, PO_LINES.table, "DOCO", orders, ORDER_LINE_ACCOUNT_COLUMNS):
                first_lines.setdefault(int(line["DOCO"]), line)  # the order's first line carries the account
            if unmatched:
                distributions = _distributions(session, unmatched)
    return [
        JdeVoucher(
            v.key,
            v.pay_items,
            first_lines.get(v.order) if v.order is not None else None,
            distributions.get(v.key, []),
        )
        for v in shells
    ]


def changed_vouchers(staging: StagingResource, jde: Any, partition: str | None) -> list[JdeVoucher]:
    """The vouchers with a pay item changed on ``partition`` (staged F0411 rows), each with every pay item
    JDE holds for it, completed. F0411 is one row per pay item, each with its own UPMJ: a pay status
    changed in P0411 restamps that pay item only, so the day's rows may be part of a voucher, and part of
    its pay items against its whole F0911 distribution reads as a voucher that does not balance."""
    return vouchers_by_key(jde, {voucher_key(row) for row in staging.read_rows(AP_LEDGER.asset, partition)})


def vouchers_by_key(jde: Any, keys: Iterable[tuple[str, int, str]]) -> list[JdeVoucher]:
    """The vouchers (KCO, DOC, DCT) as JDE holds them now, completed."""
    wanted = set(keys)
    if not wanted:
        return []
    with jde.session() as session:
        rows = [
            row
            for row in browse_in(
                session, AP_LEDGER.table, "DOC", sorted({w[1] for w in wanted}), AP_LEDGER.aliases
            )
            if voucher_key(row) in wanted
        ]
    return complete_vouchers(jde, rows)
