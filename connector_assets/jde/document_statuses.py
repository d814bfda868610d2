"""Which JD Edwards documents are far enough along to leave JDE (pure): an approved purchase order, a payable
voucher. The status codes are each customer's own (docs/reference/jde-ais.md), so an integration gives
them from its settings; its flow and reconciliation judge by the same rule.
"""

from dataclasses import dataclass

from connector_assets.jde.documents import JdePurchaseOrder, JdeVoucher
from connector_assets.jde.order_status import status


@dataclass(frozen=True)
class DocumentStatuses:
    """The customer's status codes that say an order line is approved or closed and a voucher payable."""

    approved_status: int  # F4311.LTTR from which a line is approved
    closed_status: int  # F4311.LTTR from which a line is closed or cancelled (left off)
    voucher_statuses: frozenset[str]  # F0411.PST of vouchers sent


def open_lines(order: JdePurchaseOrder, statuses: DocumentStatuses) -> list[dict]:
    """The order's lines not closed or cancelled (last status below the closed status)."""
    return [line for line in order.lines if (status(line.get("LTTR")) or 0) < statuses.closed_status]


def order_approved(order: JdePurchaseOrder, statuses: DocumentStatuses) -> bool:
    """Every open line has reached the approved status (and there is one): an order partly in approval
    waits, so it is never sent with some lines missing."""
    lines = open_lines(order, statuses)
    return bool(lines) and all((status(line.get("LTTR")) or 0) >= statuses.approved_status for line in lines)


def voucher_payable(voucher: JdeVoucher, statuses: DocumentStatuses) -> bool:
    """Every pay item's status (F0411 PST) is one the other system may pay (a paid or held voucher is not)."""
    return all(
        str(item.get("PST") or "").strip().upper() in statuses.voucher_statuses for item in voucher.pay_items
    )
