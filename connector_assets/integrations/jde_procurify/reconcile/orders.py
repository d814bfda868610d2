"""Orders: each JDE order sent to Procurify, line by line (``order_mappers.requisition_lines``) against every
PO linked to it, or its requisition while none is, and Procurify POs no JDE order explains. What is named:
docs/integrations/jde_procurify.md, "Reconciliation".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from connector_assets.flows.reconciliation import Report, markdown_table, money
from connector_assets.flows.reconciliation_expected import Expectations
from connector_assets.procurify.order_fields import (
    PO_STATE_NAMES,
    REQUISITION_STATUS_NAMES,
    item_account_code,
    live_items,
    words,
)
from connector_assets.procurify.po_revisions import match_po_lines

ROWS = 100  # rows of the per-order table in metadata
COLUMNS = (
    "JDE order",
    "Procurify",
    "JDE total (AEXP)",
    "Procurify subtotal",
    "Procurify adds (tax, freight, other, less discount)",
    "Procurify total",
    "Difference",
)
PO_CANCELLED = 1
DEAD_REQUISITION = {2: "Denied", 4: "Cancelled"}  # requisition statuses that buy nothing (reference 2.4)


@dataclass(frozen=True)
class JdeOrder:
    """A JDE order as the purchase orders flow sends it now (``found`` False: JDE no longer holds it)."""

    key: str  # KCOO:DOCO:DCTO
    label: str  # "4011 OP 00001"
    found: bool
    open: bool = True  # a line not cancelled
    lines: Sequence[Mapping[str, Any]] = ()  # the requisition lines it maps to (``requisition_lines``)
    total: Decimal = Decimal(0)  # AEXP of the lines not cancelled
    vendor_id: str | None = None  # the Procurify vendor paired with its supplier
    po_num: str = ""  # the PO_Num ``po_links`` writes


@dataclass(frozen=True)
class ProcurifyOrder:
    """What a JDE order became in Procurify: its linked POs (number -> the PO, None when Procurify has no
    such PO) or, with none linked, its requisition (None: not found) and the requisition's lines."""

    pos: Mapping[str, Mapping[str, Any] | None] = field(default_factory=dict)
    requisition: Mapping[str, Any] | None = None
    requisition_uuid: str = ""
    requisition_items: Sequence[Mapping[str, Any]] = ()

    @property
    def what(self) -> str:
        if self.pos:
            return f"PO{'s' if len(self.pos) > 1 else ''} {', '.join(self.pos)}"
        number = (self.requisition or {}).get("num")
        return f"requisition {number}" if number is not None else f"requisition {self.requisition_uuid}"


def _money(value: Any) -> str:
    raw = str(value if value is not None else "").strip()
    try:
        return money(Decimal(raw))
    except ArithmeticError:
        return raw or "-"


def _number(value: Any) -> str:
    raw = str(value if value is not None else "").strip()
    try:
        return f"{Decimal(raw).normalize():f}"
    except ArithmeticError:
        return raw or "-"


def _same(a: Any, b: Any) -> bool:
    try:
        return Decimal(str(a).strip()) == Decimal(str(b).strip())
    except ArithmeticError:
        return False


@dataclass
class OrderRows:
    """The per-order table: JDE total, Procurify subtotal and total, what Procurify adds on top."""

    rows: list[tuple[str, ...]] = field(default_factory=list)
    out_of_balance: int = 0

    def add(self, label: str, what: str, jde: Decimal | None, pos: Sequence[Mapping[str, Any]]) -> None:
        live = [po for po in pos if int(po.get("state") or 0) != PO_CANCELLED]
        subtotal = sum((Decimal(str(po.get("subtotal") or 0)) for po in live), Decimal(0)) if pos else None
        total = sum((Decimal(str(po.get("total") or 0)) for po in live), Decimal(0)) if pos else None
        gap = subtotal - jde if subtotal is not None and jde is not None else None
        self.out_of_balance += bool(gap)
        self.rows.append(
            (
                label,
                what,
                money(jde) if jde is not None else "-",
                money(subtotal) if subtotal is not None else "-",
                money(total - subtotal) if total is not None and subtotal is not None else "-",
                money(total) if total is not None else "-",
                money(gap) if gap is not None else "-",
            )
        )

    def table(self) -> str:
        if not self.rows:
            return "No JDE orders sent to Procurify changed on either side this day."
        return markdown_table(COLUMNS, sorted(self.rows), len(self.rows), ROWS, "more orders.")


class OrderComparison:
    """One JDE order against what it became in Procurify (see the module docstring)."""

    def __init__(self, report: Report, order: JdeOrder, expectations: Expectations) -> None:
        self.report, self.order, self.expectations = report, order, expectations
        self.record = f"JDE order {order.label}"
        self.found: list[tuple[tuple[Any, ...], dict[str, Any]]] = []

    def differ(
        self, kind: str, first: Any, second: Any, said: str, counterpart: str, named: str, record: str = ""
    ) -> None:
        """One difference of this order, named when the comparison ends (``compare``)."""
        args = (kind, record or self.record, self.record, first, second, said)
        self.found.append((args, {"counterpart": counterpart, "field": named}))

    def compare(self, procurify: ProcurifyOrder) -> None:
        """The order compared; its differences named, or, when the purchase orders or the PO links flow
        holds the order in its retry queue (a change the API cannot make, a PO refused), counted as one
        expected gap with the queue's reason."""
        self.report.compared += 1
        self._compare(procurify)
        if not self.found:
            self.report.counts["orders_in_balance"] += 1
        elif not self.expectations.account_for(self.report, self.record, self.order.key):
            for args, named in self.found:
                self.report.differ(*args, **named)

    def _compare(self, procurify: ProcurifyOrder) -> None:
        order = self.order
        if not order.found:
            self.differ(
                "order missing in JDE",
                "-",
                procurify.what,
                f"{self.record} was sent to Procurify ({procurify.what}) but JDE no longer holds it (no "
                "F4301 row)",
                procurify.what,
                "order",
            )
            return
        if procurify.pos:
            self._pos(procurify)
        else:
            self._requisition(procurify)

    def _missing(self, what: str, problem: str) -> None:
        self.differ(
            "order missing in Procurify",
            money(self.order.total),
            "-",
            f"{self.record} was sent to Procurify as {what}, which Procurify does not hold: {problem}",
            what,
            "order",
        )

    def _pos(self, procurify: ProcurifyOrder) -> None:
        order = self.order
        gone = [number for number, po in procurify.pos.items() if po is None]
        if gone:
            self._missing(procurify.what, f"PO {', '.join(gone)} not found")
            return
        pos = {number: po for number, po in procurify.pos.items() if po is not None}
        live = {n: po for n, po in pos.items() if int(po.get("state") or 0) != PO_CANCELLED}
        for number, po in pos.items():
            self._po_header(number, po, cancelled=number not in live)
        if not live:
            if order.open:
                self.differ(
                    "order status",
                    "open",
                    "cancelled",
                    f"{self.record} is open in JDE but {procurify.what} is cancelled in Procurify",
                    procurify.what,
                    "LTTR / state",
                )
            return
        if not order.open:
            self.differ(
                "order status",
                "cancelled",
                PO_STATE_NAMES.get(int(next(iter(live.values())).get("state") or 0), "open"),
                f"{self.record} is cancelled in JDE (every line at or past the closed status) but "
                f"{', '.join('PO ' + n for n in live)} is not cancelled in Procurify",
                ", ".join(f"PO {n}" for n in live),
                "LTTR / state",
            )
            return
        items = []
        owner: dict[int, str] = {}
        for number, po in live.items():
            for item in po.get("order_items") or []:
                items.append(item)
                owner[id(item)] = number
        self._lines(items, lambda item: f"PO {owner[id(item)]}")

    def _po_header(self, number: str, po: Mapping[str, Any], cancelled: bool) -> None:
        order = self.order
        where = f"PO {number}"
        if cancelled:
            return
        vendor = po.get("pref_vendor")
        vendor_id = (
            str(vendor.get("id")) if isinstance(vendor, Mapping) and vendor.get("id") is not None else ""
        )
        if order.vendor_id and vendor_id and vendor_id != order.vendor_id:
            name = words(vendor.get("name")) if isinstance(vendor, Mapping) else ""
            self.differ(
                "order vendor",
                f"Procurify vendor {order.vendor_id}",
                f"Procurify vendor {vendor_id}" + (f" ({name})" if name else ""),
                f"{self.record}'s supplier is Procurify vendor {order.vendor_id}, but {where} is with vendor "
                f"{vendor_id}",
                where,
                "AN8 / pref_vendor",
            )
        po_num = words(po.get("PO_Num"))
        if order.po_num and po_num != order.po_num:
            self.differ(
                "PO number",
                order.po_num,
                po_num or "-",
                f"{where} should carry the JDE order number {order.po_num!r} as its PO_Num but carries "
                f"{po_num or 'none'}",
                where,
                "DOCO DCTO KCOO / PO_Num",
            )

    def _requisition(self, procurify: ProcurifyOrder) -> None:
        requisition = procurify.requisition
        if requisition is None:
            self._missing(procurify.what, "not found by its description")
            return
        status = int(requisition.get("status") or 0)
        if status in DEAD_REQUISITION:
            if self.order.open:
                self.differ(
                    "order status",
                    "open",
                    DEAD_REQUISITION[status],
                    f"{self.record} is open in JDE but {procurify.what} is {DEAD_REQUISITION[status]} in "
                    "Procurify",
                    procurify.what,
                    "LTTR / status",
                )
            return
        if not self.order.open:
            self.differ(
                "order status",
                "cancelled",
                REQUISITION_STATUS_NAMES.get(status, str(status)),
                f"{self.record} is cancelled in JDE but {procurify.what} is "
                f"{REQUISITION_STATUS_NAMES.get(status, status)} in Procurify",
                procurify.what,
                "LTTR / status",
            )
            return
        self._lines(list(live_items(procurify.requisition_items)), lambda _item: procurify.what)

    def _lines(self, items: list[Mapping[str, Any]], where: Any) -> None:
        order = self.order
        match = match_po_lines({"order_items": items}, {"line_items": list(order.lines)}, source="JDE")
        for line in order.lines:
            number = line["sku"].rsplit(" ", 1)[-1]
            record = f"{self.record} line {number}"
            item = match.by_sku.get(line["sku"])
            if item is None:
                self.differ(
                    "order line missing in Procurify",
                    f"{_number(line['quantity'])} x {_money(line['unit_price'])}",
                    "-",
                    f"{record} ({words(line['item_name'])}) has no line in Procurify "
                    f"(matched by {match.how})",
                    "-",
                    "line",
                    record,
                )
                continue
            self._line(record, line, item, f"{where(item)} line {item.get('PO_line_num') or item.get('id')}")
        for label, item in match.unmatched:
            self.differ(
                "order line only in Procurify",
                "-",
                f"{_number(item.get('quantity'))} x {_money(item.get('price'))}",
                f"{where(item)} {label} is on no line of {self.record} not cancelled in JDE",
                f"{where(item)} {label}",
                "line",
            )

    def _line(self, record: str, line: Mapping[str, Any], item: Mapping[str, Any], counterpart: str) -> None:
        checks = (
            ("order line quantity", "UORG / quantity", line["quantity"], item.get("quantity"), _number),
            ("order line price", "PRRC / price", line["unit_price"], item.get("price"), _money),
        )
        for kind, field_, ours, theirs, shown in checks:
            if not _same(ours, theirs):
                self.differ(
                    kind,
                    shown(ours),
                    shown(theirs),
                    f"{record}: {field_.split(' / ')[-1]} is {shown(ours)} in JDE but {shown(theirs)} on "
                    f"{counterpart}",
                    counterpart,
                    field_,
                    record,
                )
        code = item_account_code(item)
        if code and code != line["account_code"]:
            self.differ(
                "order line account",
                line["account_code"],
                code,
                f"{record} is on account code {line['account_code']} in JDE but {code} on {counterpart}",
                counterpart,
                "ANI / account code",
                record,
            )
        if words(item.get("name")) != words(line["item_name"]):
            self.differ(
                "order line name",
                words(line["item_name"]),
                words(item.get("name")) or "-",
                f"{record} is named {words(line['item_name'])!r} in JDE but {words(item.get('name'))!r} on "
                f"{counterpart}",
                counterpart,
                "DSC1 / name",
                record,
            )


def compare_unsent(report: Report, order: JdeOrder, expectations: Expectations) -> None:
    """An approved JDE order of the day the purchase orders flow never sent."""
    report.compared += 1
    record = f"JDE order {order.label}"
    if expectations.account_for(report, record, order.key):
        return
    report.differ(
        "order missing in Procurify",
        record,
        record,
        money(order.total),
        "-",
        f"{record} is approved in JDE but was never sent to Procurify (not written yet, and not in the retry "
        "queue either)",
        field="order",
    )


def compare_new_po(
    report: Report, number: str, po: Mapping[str, Any], orders: Sequence[str], expectations: Expectations
) -> None:
    """A PO made in Procurify that day that no link names: from a JDE order's requisition (``orders``) but
    not linked, or from none (only in Procurify)."""
    report.compared += 1
    vendor = po.get("pref_vendor") if isinstance(po.get("pref_vendor"), Mapping) else {}
    who = f" ({words(vendor.get('name'))})" if vendor.get("name") else ""
    counterpart = f"PO {number}{who}"
    subtotal = _money(po.get("subtotal"))
    if orders:
        keys = [*orders, *(f"{o}/{number}" for o in orders)]
        record = ", ".join(f"JDE order {o}" for o in orders)
        if expectations.account_for(report, counterpart, *keys):
            return
        report.differ(
            "PO not linked",
            record,
            counterpart,
            "-",
            subtotal,
            f"{counterpart} was purchased from the requisition of {record} but is not linked to it (not "
            "linked yet, and not in the retry queue either)",
            counterpart=counterpart,
            field="PO_Num",
        )
        return
    report.differ(
        "PO only in Procurify",
        "-",
        counterpart,
        "-",
        subtotal,
        f"{counterpart} was made in Procurify on its day from no JDE order (subtotal {subtotal}); JDE has no "
        "order for it",
        counterpart=counterpart,
        field="order",
    )
