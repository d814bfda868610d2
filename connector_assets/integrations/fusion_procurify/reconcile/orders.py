"""Purchase orders on one side only: a Procurify PO the purchase orders flow should have made a Fusion
order of and Fusion does not hold, and a Fusion order with our order number whose Procurify PO is gone or
cancelled. Pure: ``reads`` fetches.

The two sides find each other by the order number (``po_numbers``: Procurify PO 1187 is Fusion
``OrderNumber`` ``PFY1187``), never by the ledger alone: the ``purchase_order`` cross-reference
(``PO<n>`` -> ``POHeaderId``) is read first, and Fusion is searched by the order number when it names none
(an order adopted or made by hand with our number counts as there). Fusion's own orders (any other number)
are not a difference.

Procurify's side of a day: the POs changed that day (``modified_date``); a PO cancelled before it was sent
is one the flow leaves out on purpose, so it is only counted. Fusion's side: the orders (drafts included)
changed that day whose number is one of ours.
"""

from __future__ import annotations

from connector_assets.flows.reconciliation import Report
from connector_assets.fusion.reconcile_reads import FusionPo
from connector_assets.procurify.reconcile_reads import ProcurifyPo

CLOSED_IN_FUSION = frozenset({"CANCELED", "CANCELLED", "FINALLY CLOSED", "FINALLY_CLOSED"})


def compare_procurify_po(report: Report, po: ProcurifyPo, order: FusionPo, why: str | None) -> None:
    """A PO changed in Procurify that day against the Fusion order of its number. ``why``: the purchase
    orders flow's queue or hold reason for it, if any."""
    if po.cancelled and not order.found:
        report.counts["procurify_pos_cancelled_before_sent"] += 1
        return
    report.counts["procurify_pos_compared"] += 1
    if not order.found:
        reason = why or "not sent yet, and not in the purchase orders flow's retry queue either"
        report.differ(
            "PO only in Procurify",
            po.label,
            "purchase orders",
            "-",
            po.number,
            f"{po.label} is purchased in Procurify but Fusion has no order {order.order_number} ({reason})",
        )
        return
    _cancelled_in_procurify(report, po, order, why)


def _cancelled_in_procurify(report: Report, po: ProcurifyPo, order: FusionPo, why: str | None) -> None:
    if po.cancelled and order.status not in CLOSED_IN_FUSION:
        queued = f" ({why})" if why else ""
        report.differ(
            "PO only in Fusion",
            po.label,
            "purchase orders",
            order.status or "open",
            "cancelled",
            f"{po.label} is cancelled in Procurify but {order.label} is {order.status or 'open'} in Fusion "
            f"(cancelling a Fusion order is a buyer's decision the connector does not take){queued}",
        )
        return
    report.counts["pos_on_both_sides"] += 1


def compare_fusion_po(report: Report, order: FusionPo, po: ProcurifyPo, why: str | None) -> None:
    """A Fusion order with our number changed that day against the Procurify PO it was made of."""
    report.counts["fusion_orders_compared"] += 1
    if not po.found:
        report.differ(
            "PO only in Fusion",
            order.label,
            "purchase orders",
            order.order_number,
            "-",
            f"{order.label} ({order.status or 'status unknown'}, {order.supplier or 'supplier unknown'}) "
            f"carries the number of Procurify PO {po.number}, which Procurify does not have",
        )
        return
    _cancelled_in_procurify(report, po, order, why)
