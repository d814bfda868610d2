"""JD Edwards purchase orders read back by the reference a flow wrote (F4301 VR01, with its F4311 lines), or
changed in a window for some order types, so a reconciliation lists what JDE holds that its source does not
explain. Read by key, 100 keys to a call (``browse_in``), in the caller's session, as
``jde.reconcile_documents`` reads the other documents.
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from decimal import Decimal
from typing import Any

from connector_assets.flows.reconciliation import amount
from connector_assets.jde.lookup import browse_in
from connector_assets.jde.purchase_orders import PO_HEADER_TABLE, PO_LINE_TABLE, order_id, parse_order_id
from connector_assets.jde.reconcile_documents import as_date, row_account
from connector_resources.jde import Condition
from connector_resources.jde.dates import jde_datetime


@dataclass(frozen=True)
class OrderLine:
    """One F4311 line as a comparison reads it: its number (LNID), reference (VR01), account, extended cost
    (AEXP) and last / next status (LTTR / NXTR); ``cancelled`` when its last status is at or above the
    caller's cancelled status."""

    number: Decimal
    reference: str
    account: str
    extended: Decimal
    last_status: str
    next_status: str
    cancelled: bool

    @property
    def label(self) -> str:
        """``line 2`` (``line 2.5`` for a line JDE inserted between two)."""
        return f"line {self.number.normalize():f}"


@dataclass
class ReferencedOrder:
    """One JDE purchase order: its key, reference (F4301.VR01), supplier and header (company, order type,
    business unit, order date, remark), its lines in line number order, and the extended cost of the lines
    not cancelled by account (``by_account``), of those whose line reference (F4311.VR01) has the line
    prefix by reference and account (``reference_accounts``) and in all (``by_reference``)."""

    key: str  # KCOO:DOCO:DCTO
    reference: str
    supplier: str
    business_unit: str = ""
    order_date: date | None = None
    remark: str = ""
    changed_at: datetime | None = None  # F4301 UPMJ + TDAY, as UTC
    lines: list[OrderLine] = field(default_factory=list)
    by_account: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    reference_accounts: dict[str, dict[str, Decimal]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(Decimal))
    )

    @property
    def company(self) -> str:
        return self.key.split(":")[0]

    @property
    def order_type(self) -> str:
        return self.key.split(":")[2]

    @property
    def name(self) -> str:
        """``order 4011 OP 00001``: the number, type and company, as JDE's screens show it."""
        company, number, kind = self.key.split(":")[:3]
        return f"order {number} {kind} {company}"

    @property
    def by_reference(self) -> dict[str, Decimal]:
        """Line reference -> the extended cost of the lines under it."""
        return {ref: sum(found.values(), Decimal(0)) for ref, found in self.reference_accounts.items()}

    @property
    def cancelled(self) -> bool:
        """Every line cancelled (an order with no line is not)."""
        return bool(self.lines) and all(line.cancelled for line in self.lines)

    @property
    def total(self) -> Decimal:
        """The extended cost of its lines not cancelled."""
        return sum(self.by_account.values(), Decimal(0))

    def add(self, line: OrderLine, line_prefix: str) -> None:
        self.lines.append(line)
        if line.cancelled:
            return
        self.by_account[line.account] += line.extended
        if line.reference.startswith(line_prefix):
            self.reference_accounts[line.reference][line.account] += line.extended


HEADER_COLUMNS = ["KCOO", "DOCO", "DCTO", "AN8", "VR01", "MCU", "TRDJ", "RMK", "UPMJ", "TDAY"]
LINE_COLUMNS = ["KCOO", "DOCO", "DCTO", "LNID", "VR01", "AEXP", "ANI", "OMCU", "OBJ", "SUB", "LTTR", "NXTR"]


def orders_by_reference(
    session: object,
    references: Mapping[str, str],
    written: Mapping[str, str | None],
    line_prefix: str,
    cancelled_status: int = 980,
) -> dict[str, ReferencedOrder]:
    """Source id -> its JDE purchase order: F4301 by VR01 (``references``: VR01 -> source id; the order
    ``written`` names for the id when JDE holds several, else the oldest), with its F4311 lines (those whose
    VR01 starts with ``line_prefix`` also summed by reference; those whose last status is at or above
    ``cancelled_status`` kept apart from the sums)."""
    if not references:
        return {}
    candidates: dict[str, list[dict[str, object]]] = defaultdict(list)
    for row in browse_in(session, PO_HEADER_TABLE, "VR01", list(references), HEADER_COLUMNS):
        sid = references.get(str(row.get("VR01") or "").strip())
        if sid is not None:
            candidates[sid].append(row)
    orders: dict[str, ReferencedOrder] = {}
    for sid, found in candidates.items():
        keyed = {order_id(r.get("KCOO"), r.get("DOCO"), r.get("DCTO")): r for r in found}
        chosen = written.get(sid) if written.get(sid) in keyed else min(keyed, key=_doco)
        orders[sid] = _order(keyed[str(chosen)])
    read_lines(session, orders.values(), line_prefix, cancelled_status)
    return orders


def read_lines(
    session: object, orders: Iterable[ReferencedOrder], line_prefix: str, cancelled_status: int
) -> None:
    """Every F4311 line of these orders, read by order number (100 to a call), added in line order."""
    by_key = {order.key: order for order in orders}
    numbers = sorted({_doco(key) for key in by_key})
    rows = browse_in(session, PO_LINE_TABLE, "DOCO", numbers, LINE_COLUMNS) if numbers else []
    for row in sorted(rows, key=lambda r: amount(r.get("LNID"))):
        order = by_key.get(order_id(row.get("KCOO"), row.get("DOCO"), row.get("DCTO")))
        if order is not None:
            order.add(_line(row, cancelled_status), line_prefix)


def orders_changed(
    session: Any,
    window: tuple[datetime, datetime],
    order_types: Iterable[str],
    zone: tzinfo,
    business_units: Iterable[str],
) -> list[ReferencedOrder]:
    """The orders of ``order_types`` on ``business_units`` JDE changed in ``window`` (aware datetimes):
    F4301 by UPMJ over the window's JDE days (``zone``: JDE's time zone) and order type, kept when UPMJ +
    TDAY falls in the window and MCU is one of the units; their lines are not read (``read_lines``)."""
    start, end = window
    first, last = start.astimezone(zone).date(), (end - timedelta(microseconds=1)).astimezone(zone).date()
    units = {unit.strip() for unit in business_units}
    found = []
    for order_type in sorted(set(order_types)):
        conditions = [
            Condition(f"{PO_HEADER_TABLE}.UPMJ", "GREATER_EQUAL", first),
            Condition(f"{PO_HEADER_TABLE}.UPMJ", "LESS_EQUAL", last),
            Condition(f"{PO_HEADER_TABLE}.DCTO", "EQUAL", order_type),
        ]
        columns = [f"{PO_HEADER_TABLE}.{alias}" for alias in HEADER_COLUMNS]
        for row in session.browse(PO_HEADER_TABLE, columns=columns, conditions=conditions):
            order = _order(row, zone)
            moment = order.changed_at
            if order.business_unit in units and moment is not None and start <= moment < end:
                found.append(order)
    return found


def _order(row: Mapping[str, Any], zone: tzinfo = UTC) -> ReferencedOrder:
    moment = jde_datetime(as_date(row.get("UPMJ")), row.get("TDAY"))
    return ReferencedOrder(
        order_id(row.get("KCOO"), row.get("DOCO"), row.get("DCTO")),
        str(row.get("VR01") or "").strip(),
        str(row.get("AN8") or "").strip(),
        business_unit=str(row.get("MCU") or "").strip(),
        order_date=as_date(row.get("TRDJ")),
        remark=str(row.get("RMK") or "").strip(),
        changed_at=moment.replace(tzinfo=zone).astimezone(UTC) if moment else None,
    )


def _line(row: Mapping[str, object], cancelled_status: int) -> OrderLine:
    last = str(row.get("LTTR") or "").strip()
    return OrderLine(
        amount(row.get("LNID")),
        str(row.get("VR01") or "").strip(),
        row_account(row, "OMCU"),
        amount(row.get("AEXP")),
        last,
        str(row.get("NXTR") or "").strip(),
        last.isdigit() and int(last) >= cancelled_status,
    )


def _doco(key: str) -> int:
    return parse_order_id(key)[1]
