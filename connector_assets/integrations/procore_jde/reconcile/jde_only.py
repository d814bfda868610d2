"""Orders JDE holds that no Procore record explains: the day's changed orders of the flow's types on the
mapped jobs no cross-reference names, unless their commitment is queued (an expected gap). Docs:
docs/integrations/procore_jde.md, "Reconciliation"."""

from collections.abc import Iterable

from connector_assets.flows.reconciliation import money
from connector_assets.jde.reconcile_orders import ReferencedOrder, read_lines
from connector_resources.ledger import Ledger

from ..order_mappers import CHANGE_ORDER_PREFIX, REFERENCE_PREFIX
from .documents import Context, order_name


def unexplained(integration: str, ledger: Ledger, orders: Iterable[ReferencedOrder]) -> list[ReferencedOrder]:
    """The orders no cross-reference of the instance's (``integration``) purchase orders flow names."""
    return [
        order
        for order in orders
        if ledger.find_xref_by_target(integration, "purchase_order", "JDE", order.key) is None
    ]


def read_totals(session: object, orders: list[ReferencedOrder], cancelled_status: int) -> None:
    """The lines of the unexplained orders (their totals), read by order number."""
    read_lines(session, orders, CHANGE_ORDER_PREFIX, cancelled_status)


def compare_jde_orders(
    context: Context, ledger: Ledger, changed: list[ReferencedOrder], others: list[ReferencedOrder]
) -> None:
    """``changed``: the day's orders of the flow's types on its units; ``others``: those the ledger does not
    name (their lines read)."""
    report = context.report
    report.counts["jde_orders_of_the_day"] += len(changed)
    for order in sorted(others, key=lambda o: o.key):
        reference = order.reference
        commitment = (
            reference.removeprefix(REFERENCE_PREFIX) if reference.startswith(REFERENCE_PREFIX) else ""
        )
        written = context.own.written_target(ledger, "purchase_order", commitment) if commitment else None
        queue = context.expectations.get("purchase_orders")
        if (
            commitment
            and not written
            and queue
            and queue.account_for(report, f"commitment {commitment}", commitment)
        ):
            continue
        state = " (every line cancelled)" if order.cancelled else ""
        said = (
            f"JDE {order.name} (reference {reference or 'blank'}, supplier {order.supplier}, business unit "
            f"{order.business_unit}) for {money(order.total)}{state}, changed {_when(order)}"
        )
        if commitment:
            flow = (
                f"the flow wrote {order_name(written)} for it"
                if written
                else "the flow wrote no order for it"
            )
            words = f"{said}, carries the reference of commitment {commitment}, but {flow}"
        else:
            words = f"{said}, was not written from any Procore commitment"
        report.differ(
            "only in JDE", "-", f"business unit {order.business_unit}", "-", money(order.total), words,
            counterpart=order.name, field="purchase order",
        )  # fmt: skip


def _when(order: ReferencedOrder) -> str:
    return f"{order.changed_at:%Y-%m-%d %H:%M} UTC" if order.changed_at else "on an unknown day"
