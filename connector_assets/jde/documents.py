"""JD Edwards documents as the flows out of JDE read them: per day partition and by key, as typed records.

A day's staged rows are rarely a whole document (a supplier whose F0401 row changed has an old F0101
name), so the readers complete each document from JDE by key (one query per 100 keys, ``browse_in``): a
mapper gets whole documents and never does I/O. They never map.
"""

from collections.abc import Iterable, Mapping
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
from connector_assets.runtime.session_source import SessionSource
from connector_assets.runtime.staging import StagingResource
from connector_resources.jde.dates import parse_jde_date
from connector_resources.jde.session import JdeSession
from connector_resources.refusals import Refusal, refused

SUPPLIER_COLUMNS = ["AN8", "HDPY", "TRAP", "CRRP"]  # CRRP: the supplier's A/P currency
ADDRESS_COLUMNS = ["AN8", "ALPH", "TAX", "AT1", "TAXC"]
# F0116 Address by Date (general JDE knowledge: the reference documents no address table).
ADDRESS_BY_DATE_COLUMNS = ["AN8", "EFTB", "ADD1", "ADD2", "ADD3", "ADD4", "CTY1", "ADDS", "ADDZ", "CTR"]
# F0911 columns read for a voucher's distribution. EXTL "AE" marks the automatic (offset) entries
# posting adds; they are not part of what the voucher was distributed to. [DD: general JDE knowledge]
DISTRIBUTION_TABLE = "F0911"  # read by voucher number, not staged: flows declare it in ``FlowSpec.reads``
DISTRIBUTION_COLUMNS = [
    *("KCO", "DOC", "DCT", "LT", "EXTL", "JELN", "ANI", "MCU", "OBJ", "SUB", "AA", "CRCD", "EXA"),
]
# The ledger types of a voucher's distribution (reference, "Multi-currency batch vouchers and journals"):
# F0911 keeps every line's domestic amount in ledger AA and, for a voucher entered in a foreign currency,
# the same line's amount in that currency in ledger CA. A flow sends the document's own amounts.
DOMESTIC_LEDGER, FOREIGN_LEDGER = "AA", "CA"
FOREIGN_MODE = "F"  # currency mode CRRM of a document entered in a foreign currency
ORDER_LINE_ACCOUNT_COLUMNS = ["DOCO", "LNID", "ANI", "LNTY"]


# -- suppliers: F0401 + F0101 (+ F0116 addresses, + the send-to's F0101) -------------------------------------


@dataclass(frozen=True)
class JdeSupplier:
    """One supplier: its F0401 row and its F0101 row (None if missing); on request, ``mailing``, its F0116
    address in effect, and ``send_to``, the F0101 row of another address number F0401 SNTO names (a
    lockbox, a factoring company)."""

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


def _number(value: object) -> int | None:
    text = str(value if value is not None else "").strip()
    return int(text) if text.isdigit() else None


def by_an8(session: JdeSession, table: str, columns: list[str], an8s: list[int]) -> dict[int, dict]:
    """``table``'s rows of these address numbers, by address number (``browse_in``)."""
    return {int(row["AN8"]): row for row in browse_in(session, table, "AN8", an8s, columns)}


def changed_suppliers(
    staging: StagingResource,
    jde: SessionSource[JdeSession],
    partition: str | None,
    also: Iterable[int] = (),
    *,
    addresses: bool = False,
    remit_to: bool = False,
) -> list[JdeSupplier]:
    """The suppliers whose F0401 or F0101 row (search type V) changed on ``partition``, and ``also`` these
    address numbers, completed from JDE; with ``addresses`` also those whose F0116 address changed that day
    (staged ``SUPPLIER_ADDRESSES`` must then be materialized), with ``remit_to`` those whose send-to
    party's F0101 row changed (its name is their payee name)."""
    suppliers, book, wanted = _staged_suppliers(staging, partition, addresses)
    senders = set(book) if remit_to else set()
    return suppliers_by_number(
        jde, wanted | set(also), suppliers, book, addresses=addresses, remit_to=remit_to, paying_to=senders
    )


def _staged_suppliers(
    staging: StagingResource, partition: str | None, addresses: bool
) -> tuple[dict[int, dict], dict[int, dict], set[int]]:
    """A day's staged F0401 and F0101 rows by number, and the suppliers they (and F0116) say changed."""
    suppliers = {int(r["AN8"]): r for r in staging.read_rows(SUPPLIERS.asset, partition)}
    book = {int(r["AN8"]): r for r in staging.read_rows(ADDRESS_BOOK.asset, partition)}
    wanted = set(suppliers) | {an8 for an8, row in book.items() if (row.get("AT1") or "").strip() == "V"}
    if addresses:
        wanted |= {int(r["AN8"]) for r in staging.read_rows(SUPPLIER_ADDRESSES.asset, partition)}
    return suppliers, book, wanted


def read_suppliers_ahead(
    staging: StagingResource,
    jde: SessionSource[JdeSession],
    partitions: Iterable[str | None],
    also: Iterable[int] = (),
    *,
    addresses: bool = False,
    remit_to: bool = False,
) -> None:
    """What ``changed_suppliers`` reads for each of ``partitions``, read at once (inside
    ``kept_rows.keeping``, for the days to find): every supplier wanted on any day read whole, as a day
    reads those it has not staged."""
    wanted, senders = set(also), set()
    for partition in partitions:
        _, book, day = _staged_suppliers(staging, partition, addresses)
        wanted |= day
        senders |= set(book) if remit_to else set()
    suppliers_by_number(jde, wanted, addresses=addresses, remit_to=remit_to, paying_to=senders)


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
    """The suppliers ``wanted`` (address numbers), in number order, the F0101 / F0401 half not in hand read
    by number; an address-book entry without a supplier master is left out. ``addresses``: with
    ``JdeSupplier.mailing``; ``remit_to``: with ``send_to`` (a staged F0401 row lacks SNTO, so every F0401
    row is read again); ``paying_to``: the suppliers whose SNTO names one of these too, in one session."""
    suppliers, book = dict(suppliers or {}), dict(book or {})
    columns = SUPPLIER_COLUMNS + (["SNTO"] if remit_to else [])
    mailing: dict[int, dict] = {}
    with jde.session() as session:
        senders = browse_in(session, SUPPLIERS.table, "SNTO", sorted(set(paying_to)), ["AN8", "SNTO"])
        ordered = sorted(set(wanted) | {int(row["AN8"]) for row in senders})
        unnamed = [n for n in ordered if n not in book]
        book.update(by_an8(session, ADDRESS_BOOK.table, ADDRESS_COLUMNS, unnamed))
        missing = [n for n in ordered if n not in suppliers or any(c not in suppliers[n] for c in columns)]
        suppliers.update(by_an8(session, SUPPLIERS.table, columns, missing))
        found = [n for n in ordered if n in suppliers]
        if remit_to:
            payees = {_number(suppliers[n].get("SNTO")) for n in found} - {None, 0} - set(book)
            book.update(by_an8(session, ADDRESS_BOOK.table, ADDRESS_COLUMNS, sorted(payees)))  # type: ignore[arg-type]
        if addresses:
            mailing = addresses_in_effect(session, found)
    out = []
    for n in found:
        record = JdeSupplier(n, suppliers[n], book.get(n), mailing.get(n))
        payee = record.send_to_number if remit_to else None
        out.append(replace(record, send_to=book.get(payee)) if payee else record)
    return out


def addresses_in_effect(session: JdeSession, an8s: list[int], today: date | None = None) -> dict[int, dict]:
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
    lines (F4311) in line-number order, priced in the order's own currency (``priced_in_own_currency``)."""

    key: tuple[str, int, str, str]
    header: dict[str, Any] | None
    lines: list[dict[str, Any]] = field(default_factory=list)

    @property
    def label(self) -> str:
        return "/".join(str(k) for k in self.key)

    @property
    def foreign(self) -> bool:
        """Entered in a currency other than its company's (F4301 CRRM F)."""
        return self.header is not None and entered_foreign(self.header)

    @property
    def currency(self) -> str:
        """The order's currency (F4301 CRCD, else its first line's), upper case; blank when JDE names none."""
        return str((self._first or {}).get("CRCD") or "").strip().upper()

    @property
    def supplier(self) -> str:
        """The order's supplier number as text: F4301 AN8, else its first line's ("" with neither)."""
        return str(int(self._first.get("AN8") or 0)) if self._first is not None else ""

    @property
    def _first(self) -> dict[str, Any] | None:
        return self.header or (self.lines[0] if self.lines else None)


def order_key(row: dict) -> tuple[str, int, str, str]:
    return (
        str(row["KCOO"]).strip(),
        int(row["DOCO"]),
        str(row["DCTO"]).strip(),
        str(row.get("SFXO") or "").strip(),
    )


# A line's unit cost and extended amount, and the columns holding them in the order's own currency when it
# was entered in a foreign one (general JDE data-dictionary knowledge; the reference lists FRRC/FEA among
# F4311's foreign amounts).
DOMESTIC_PRICE_COLUMNS = {"PRRC": "FRRC", "AEXP": "FEA"}
DOMESTIC_SUFFIX = "_DOMESTIC"  # where a priced line keeps JDE's domestic conversion: PRRC_DOMESTIC


def priced_in_own_currency(header: dict[str, Any] | None, line: dict[str, Any]) -> dict[str, Any]:
    """An F4311 line with its unit cost and extended amount in the order's currency: for a foreign order
    (F4301 CRRM F) PRRC / AEXP are JDE's conversion, so they take FRRC / FEA (JDE's kept as PRRC_DOMESTIC /
    AEXP_DOMESTIC), once for every mapper out of JDE. A domestic order's line is returned as it is."""
    if header is None or not entered_foreign(header):
        return line
    priced = dict(line)
    for domestic, foreign in DOMESTIC_PRICE_COLUMNS.items():
        priced[domestic + DOMESTIC_SUFFIX] = line.get(domestic)
        priced[domestic] = line.get(foreign)
    return priced


def _orders(headers: dict[tuple, dict], lines: dict[tuple, list[dict]], keys: Iterable[tuple]):
    out = []
    for key in sorted(keys):
        header = headers.get(key)
        ordered = sorted(lines.get(key, []), key=lambda r: Decimal(str(r["LNID"])))
        out.append(JdePurchaseOrder(key, header, [priced_in_own_currency(header, line) for line in ordered]))
    return out


def _staged_whole(row: Mapping[str, object]) -> bool:
    """Whether a staged F4301 row holds the columns the header is read for now: a day staged before the
    currency columns were (its file lacks them, or a later merge left them null) is read from JDE again."""
    return all(alias in row for alias in PO_HEADERS.aliases) and row.get("CRRM") is not None


def changed_purchase_orders(
    staging: StagingResource, jde: SessionSource[JdeSession], partition: str | None
) -> list[JdePurchaseOrder]:
    """The orders whose header or any line changed on ``partition``, with their header and all lines."""
    return changed_purchase_orders_of_days(staging, jde, [partition])


def changed_purchase_orders_of_days(
    staging: StagingResource, jde: SessionSource[JdeSession], partitions: Iterable[str | None]
) -> list[JdePurchaseOrder]:
    """``changed_purchase_orders`` of several days read at once (a step reading ahead for its days): the
    headers a day has not staged whole, and every changed order's lines, in one read each."""
    changed: set[tuple] = set()
    headers: dict[tuple, dict] = {}
    unstaged: set[int] = set()
    for partition in partitions:
        staged = {order_key(r): r for r in staging.read_rows(PO_HEADERS.asset, partition)}
        day = set(staged) | {order_key(r) for r in staging.read_rows(PO_LINES.asset, partition)}
        whole = {key: row for key, row in staged.items() if _staged_whole(row)}
        unstaged |= {key[1] for key in day} - {key[1] for key in whole}
        changed |= day
        headers.update(whole)
    lines: dict[tuple, list[dict]] = {}
    with jde.session() as session:
        for row in browse_in(session, PO_HEADERS.table, "DOCO", sorted(unstaged), PO_HEADERS.aliases):
            headers.setdefault(order_key(row), row)
        docos = sorted({key[1] for key in changed})
        for row in browse_in(session, PO_LINES.table, "DOCO", docos, PO_LINES.aliases):
            lines.setdefault(order_key(row), []).append(row)
    return _orders(headers, lines, changed)


def purchase_orders_by_number(jde: SessionSource[JdeSession], docos: Iterable[int]) -> list[JdePurchaseOrder]:
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


def entered_foreign(row: Mapping[str, object]) -> bool:
    """A document row entered in a foreign currency (currency mode CRRM F): its amounts in its own currency
    are the currency amounts (ACR, FAP, PFAP), its domestic ones JDE's conversion."""
    return str(row.get("CRRM") or "").strip().upper() == FOREIGN_MODE


class ForeignAmountMissing(ValueError):
    """A foreign pay item whose own-currency amount JDE did not give: sending its domestic amount in the
    foreign currency would post the wrong amount, so the voucher is refused saying so."""

    @property
    def refusal(self) -> Refusal:
        return refused(str(self), rule="foreign amount not read")


def own_amount(row: Mapping[str, object], domestic: str = "AG", foreign: str = "ACR") -> Decimal:
    """A pay item's amount in the voucher's own currency: ``foreign`` (ACR gross, FAP open) when it was
    entered in a foreign currency, else ``domestic`` (AG, AAP). No fallback to the domestic column for a
    foreign row: that is JDE's conversion, a different amount (1,000.00 EUR is 1,083.40 in AG)."""
    column = foreign if entered_foreign(row) else domestic
    value = row.get(column)
    if entered_foreign(row) and (value is None or str(value).strip() == ""):
        raise ForeignAmountMissing(
            f"pay item {str(row.get('SFX') or '').strip() or '?'} is in {str(row.get('CRCD') or '').strip()} "
            f"(F0411 CRRM F) but its amount in that currency (F0411 {column}) was not read"
        )
    return Decimal(str(value if value not in (None, "") else 0))


@dataclass(frozen=True)
class JdeVoucher:
    """One voucher (KCO, DOC, DCT): its pay items (F0411) in suffix order; for a voucher on a purchase
    order, the order's first line (F4311: where its account is), else its G/L distribution (F0911 without
    posting's automatic entries) in line order: ledger AA for a domestic voucher, ledger CA (the lines in
    the voucher's currency) for a foreign one."""

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
        return _number(self.pay_items[0].get("PO"))

    @property
    def foreign(self) -> bool:
        """Entered in a currency other than its company's (F0411 CRRM F): its amounts are ACR / FAP."""
        return entered_foreign(self.pay_items[0])

    @property
    def currency(self) -> str:
        """The voucher's currency (F0411 CRCD), upper case; blank when JDE names none."""
        return str(self.pay_items[0].get("CRCD") or "").strip().upper()

    def gross(self) -> Decimal:
        """The pay items' gross in the voucher's currency (``own_amount``: ACR when foreign, else AG)."""
        return sum((own_amount(item) for item in self.pay_items), Decimal(0))

    def tax(self) -> Decimal:
        """The pay items' tax (F0411 STAM). A foreign voucher keeps its own-currency tax in CTAM, which the
        readers do not read: one with a tax raises ``ForeignAmountMissing`` rather than send JDE's domestic
        tax as if it were in the voucher's currency."""
        tax = sum((Decimal(str(item.get("STAM") or 0)) for item in self.pay_items), Decimal(0))
        if tax and self.foreign:
            raise ForeignAmountMissing(
                f"it is in {self.currency} (F0411 CRRM F) and carries a tax (STAM {tax} in the company's "
                f"currency); its tax in {self.currency} (CTAM) is not read by this integration"
            )
        return tax


def voucher_key(row: dict) -> tuple[str, int, str]:
    return (str(row["KCO"]).strip(), int(row["DOC"]), str(row["DCT"]).strip())


def _distributions(session: JdeSession, vouchers: dict[tuple, bool]) -> dict[tuple, list[dict]]:
    """The G/L distribution lines of ``vouchers`` (KCO, DOC, DCT -> entered in a foreign currency), read
    from F0911 by DOC: ledger AA for a domestic voucher, ledger CA (its own currency) for a foreign one."""
    found: dict[tuple, list[dict]] = {}
    docs = sorted({doc for _, doc, _ in vouchers})
    for row in browse_in(session, DISTRIBUTION_TABLE, "DOC", docs, DISTRIBUTION_COLUMNS):
        key = voucher_key(row)
        if key not in vouchers:
            continue
        ledger = FOREIGN_LEDGER if vouchers[key] else DOMESTIC_LEDGER
        if str(row.get("LT") or "").strip() != ledger:
            continue
        if str(row.get("EXTL") or "").strip() == "AE":
            continue
        found.setdefault(key, []).append(row)
    for rows in found.values():
        rows.sort(key=lambda r: Decimal(str(r.get("JELN") or 0)))
    return found


def complete_vouchers(jde: SessionSource[JdeSession], pay_items: Iterable[dict]) -> list[JdeVoucher]:
    """Pay items (F0411 rows) grouped into vouchers, each completed with what its lines are charged to:
    the first line of its purchase order, or its F0911 distribution when it matches no order."""
    vouchers: dict[tuple, list[dict]] = {}
    for row in pay_items:
        vouchers.setdefault(voucher_key(row), []).append(row)
    ordered = {key: sorted(items, key=lambda r: str(r["SFX"])) for key, items in sorted(vouchers.items())}
    shells = [JdeVoucher(key, items) for key, items in ordered.items()]
    orders = sorted({v.order for v in shells if v.order is not None})
    unmatched = {v.key: v.foreign for v in shells if v.order is None}
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


def changed_vouchers(
    staging: StagingResource, jde: SessionSource[JdeSession], partition: str | None
) -> list[JdeVoucher]:
    """The vouchers with a pay item changed on ``partition``, each with every pay item JDE holds for it,
    completed: P0411 restamps one pay item's UPMJ only, and part of a voucher's pay items against its whole
    F0911 distribution reads as a voucher that does not balance."""
    return vouchers_by_key(jde, {voucher_key(row) for row in staging.read_rows(AP_LEDGER.asset, partition)})


def vouchers_by_key(jde: SessionSource[JdeSession], keys: Iterable[tuple[str, int, str]]) -> list[JdeVoucher]:
    """The vouchers (KCO, DOC, DCT) as JDE holds them now, completed."""
    wanted = set(keys)
    if not wanted:
        return []
    docs = sorted({w[1] for w in wanted})
    with jde.session() as session:
        rows = browse_in(session, AP_LEDGER.table, "DOC", docs, AP_LEDGER.aliases)
        found = [row for row in rows if voucher_key(row) in wanted]
    return complete_vouchers(jde, found)
