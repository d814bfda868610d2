"""Which JDE documents become BILL bills (pure): an approved purchase order, a payable voucher.

The statuses are the customer's own (``BillPolicy``, from settings). The bills flow and the bills
reconciliation both ask these questions, so that what is missing in BILL is judged by the flow's rule.
"""

from typing import Any

from connector_assets.integrations.jde_bill.bill_mappings import BillPolicy
from connector_assets.jde.documents import JdePurchaseOrder, JdeVoucher


def _status(value: Any) -> int | None:
    text = str(value or "").strip()
    return int(text) if text.isdigit() else None


def open_lines(order: JdePurchaseOrder, policy: BillPolicy) -> list[dict]:
    """The order's lines not closed or cancelled (last status below the closed status)."""
    return [line for line in order.lines if (_status(line.get("LTTR")) or 0) < policy.closed_status]


def order_approved(order: JdePurchaseOrder, policy: BillPolicy) -> bool:
    """Every open line has reached the approved status (and there is one): an order partly in approval
    waits, so its bill is never sent with some lines missing."""
    lines = open_lines(order, policy)
    return bool(lines) and all((_status(line.get("LTTR")) or 0) >= policy.approved_status for line in lines)


def voucher_payable(voucher: JdeVoucher, policy: BillPolicy) -> bool:
    """Every pay item's status (F0411 PST) is one BILL may pay (a paid or held voucher is not offered)."""
    return all(
        str(item.get("PST") or "").strip().upper() in policy.voucher_statuses for item in voucher.pay_items
    )
