"""Purchase orders: each Procurify PO the day concerns against the Fusion order made of it, field by field and
line by line (``PO_line_num``), and the Fusion orders no PO explains; what the flow queued, held or skipped is
an expected gap (``Gaps``). Pure: ``day`` reads. docs/integrations/fusion_procurify.md, "Reconciliation".
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from connector_assets.flows.reconciliation import Report, money
from connector_assets.flows.values import decimal, text
from connector_assets.fusion.reconcile_reads import FusionPo, FusionPoLine
from connector_assets.procurify.order_fields import (
    PO_CANCELLED,
    PO_STATE_NAMES,
    id_of,
    item_vendor,
    live_items,
    name_of,
)
from connector_resources.fusion.payloads import PurchaseOrderLine

from ..order_mappers import order_lines
from .reads import GapsLike

SCOPE = "purchase orders"
CLOSED_IN_FUSION = frozenset({"CANCELED", "CANCELLED", "FINALLY CLOSED", "FINALLY_CLOSED"})
Combination = Callable[[str, str | None], tuple[str | None, str | None]]


@dataclass(frozen=True)
class ExpectedOrder:
    """A Procurify PO as the purchase orders flow would send it now: its state, vendor and paired supplier,
    currency and lines (None when the flow cannot map them: it refuses the PO)."""

    key: str  # PO<n>
    number: str
    label: str
    state: str  # "purchased", "cancelled" ...
    cancelled: bool
    vendor_id: str
    supplier_id: str | None
    currency: str
    total: Decimal
    lines: tuple[PurchaseOrderLine, ...] | None


def expected_order(
    po: Mapping[str, Any], key: str, supplier_of: Callable[[str], str | None], combination: Combination
) -> ExpectedOrder:
    """The PO (read in full) as the flow maps it (``order_mappers.order_lines`` on its live items)."""
    number = text(po.get("procurify_PO"))
    vendor = po.get("pref_vendor") if isinstance(po.get("pref_vendor"), Mapping) else {}
    items = live_items(po.get("order_items") or [])
    vendor_id = id_of(vendor) or next((item_vendor(i) for i in items if item_vendor(i)), "")
    label = f"Procurify PO {number}" + (f" ({text(vendor.get('name'))})" if text(vendor.get("name")) else "")
    state = decimal(po.get("state"))
    mapped = order_lines(f"Procurify PO {number}", items, combination)
    return ExpectedOrder(
        key=key,
        number=number,
        label=label,
        state=PO_STATE_NAMES.get(int(state) if state is not None else -1, text(po.get("state")) or "?"),
        cancelled=state is not None and int(state) == PO_CANCELLED,
        vendor_id=vendor_id,
        supplier_id=supplier_of(vendor_id) if vendor_id else None,
        currency=name_of(po.get("purchased_currency")).upper(),
        total=(decimal(po.get("total")) or Decimal(0)),
        lines=None if mapped.problems or not mapped.lines else tuple(mapped.lines),
    )


@dataclass
class _Pair:
    report: Report
    expected: ExpectedOrder
    order: FusionPo
    found: list[tuple[str, str, str, str, str]]  # kind, field, Procurify value, Fusion value, words

    def differ(self, kind: str, field: str, mine: Any, theirs: Any, words: str) -> None:
        self.found.append((kind, field, str(mine), str(theirs), words))


def _line_words(line: PurchaseOrderLine | FusionPoLine | None) -> str:
    if line is None:
        return "-"
    quantity, price = decimal(line.quantity), decimal(line.price)
    amount = (quantity * price) if quantity is not None and price is not None else None
    return f"{_num(quantity)} x {_num(price)} = {money(amount)}"


def _num(value: Decimal | None) -> str:
    return "-" if value is None else format(value.normalize(), "f")


def _amount(line: PurchaseOrderLine) -> Decimal:
    quantity, price = decimal(line.quantity), decimal(line.price)
    return (quantity or Decimal(0)) * (price or Decimal(0))


def _compare_lines(pair: _Pair) -> None:
    expected, order = pair.expected, pair.order
    if expected.lines is None or order.lines is None:
        return
    ours = {line.line_number: line for line in expected.lines}
    theirs = {line.number: line for line in order.lines}
    for n in sorted(set(ours) | set(theirs)):
        mine, fusion = ours.get(n), theirs.get(n)
        where = f"{expected.label} line {n} / {order.label} line {n}"
        if mine is None or fusion is None:
            side = "Fusion only" if mine is None else "Procurify only"
            pair.differ(
                "order line",
                f"line {n}",
                _line_words(mine),
                _line_words(fusion),
                f"{where}: the line is in {side.replace(' only', '')} only",
            )
            continue
        same_quantity = decimal(mine.quantity) == fusion.quantity
        same_price = decimal(mine.price) == fusion.price
        if not (same_quantity and same_price):
            pair.differ(
                "order line amount",
                f"line {n} (Quantity x Price)",
                money(_amount(mine)),
                money(fusion.amount),
                f"{where}: {_line_words(mine)} in Procurify but {_line_words(fusion)} in Fusion",
            )
        if text(mine.description) and text(mine.description) != fusion.description:
            pair.differ(
                "order line description",
                f"line {n} (Description)",
                text(mine.description),
                fusion.description or "-",
                f"{where}: described {text(mine.description)!r} in Procurify, "
                f"{fusion.description!r} in Fusion",
            )
        if mine.charge_account and fusion.account and mine.charge_account != fusion.account:
            pair.differ(
                "order line account",
                f"line {n} (charge account)",
                mine.charge_account,
                fusion.account,
                f"{where}: charged to {fusion.account} in Fusion, but its Procurify account code and "
                f"department map to {mine.charge_account}",
            )


def compare_order(report: Report, expected: ExpectedOrder, order: FusionPo, gaps: GapsLike) -> None:
    """A Procurify PO against the Fusion order the flow made of it (``order.found`` False: Fusion has
    none)."""
    report.compared += 1
    label = expected.label
    if not order.found:
        if expected.cancelled:
            report.counts["procurify_pos_cancelled_before_sent"] += 1
            return
        if gaps.account_for(report, "purchase_orders", label, expected.key):
            return
        report.differ(
            "PO missing in Fusion",
            label,
            SCOPE,
            f"{expected.state}, {money(expected.total)}",
            "-",
            f"{label} is {expected.state} in Procurify for {money(expected.total)} but Fusion has no order "
            "of it (not sent yet, and not in the purchase orders flow's retry queue either)",
            field="order",
        )
        return
    pair = _Pair(report, expected, order, [])
    status = order.status or "OPEN"
    if expected.cancelled and status not in CLOSED_IN_FUSION:
        pair.differ(
            "order status",
            "state / StatusCode",
            "cancelled",
            status,
            f"{label} is cancelled in Procurify but {order.label} is {status} in Fusion (cancelling a Fusion "
            "order is a buyer's decision the connector does not take)",
        )
    elif not expected.cancelled and status in CLOSED_IN_FUSION:
        pair.differ(
            "order status",
            "state / StatusCode",
            expected.state,
            status,
            f"{order.label} is {status} in Fusion but {label} is {expected.state} in Procurify",
        )
    if expected.supplier_id and order.supplier_id and expected.supplier_id != order.supplier_id:
        pair.differ(
            "order supplier",
            "supplier",
            f"SupplierId {expected.supplier_id}",
            f"SupplierId {order.supplier_id}",
            f"{order.label} names supplier {order.supplier or order.supplier_id} (SupplierId "
            f"{order.supplier_id}), but Procurify vendor {expected.vendor_id} of {label} is paired with "
            f"SupplierId {expected.supplier_id}",
        )
    if expected.currency and order.currency and expected.currency != order.currency:
        pair.differ(
            "order currency",
            "purchased_currency / CurrencyCode",
            expected.currency,
            order.currency,
            f"{label} is in {expected.currency} but {order.label} is in {order.currency}",
        )
    _compare_lines(pair)
    if not pair.found:
        report.counts["pos_in_agreement"] += 1
        return
    if gaps.account_for(report, "purchase_orders", label, expected.key):
        return  # the flow queued the change for a buyer: that item says what differs
    for kind, field, mine, theirs, words in pair.found:
        report.differ(kind, label, SCOPE, mine, theirs, words, counterpart=order.label, field=field)


def order_without_po(report: Report, order: FusionPo, key: str) -> None:
    """A Fusion order of ours whose Procurify PO Procurify no longer has."""
    report.compared += 1
    number = key.removeprefix("PO")
    report.differ(
        "PO missing in Procurify",
        f"Procurify PO {number}",
        SCOPE,
        "-",
        f"{order.status or 'status unknown'}",
        f"{order.label} ({order.status or 'status unknown'}, {order.supplier or 'supplier unknown'}) was "
        f"made for Procurify PO {number}, which Procurify does not have",
        counterpart=order.label,
        field="order",
    )


def order_only_in_fusion(report: Report, order: FusionPo, vendor: str) -> None:
    """A Fusion order created that day for a supplier paired with Procurify ``vendor`` that no Procurify PO
    explains (entered in Fusion, or by another process)."""
    report.compared += 1
    report.differ(
        "order only in Fusion",
        f"no PO ({vendor})",
        SCOPE,
        "-",
        f"{order.status or '?'}, {money(order.total)}",
        f"{order.label} ({order.status or 'status unknown'}, {money(order.total)}) was created in Fusion "
        f"that day for {order.supplier or 'its supplier'}, paired with {vendor}, and no Procurify PO "
        "explains it",
        counterpart=order.label,
        field="order",
    )
