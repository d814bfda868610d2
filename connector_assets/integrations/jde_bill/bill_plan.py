"""The voucher-on-order rule: which of a partition's orders and vouchers become which BILL bill (the rule and
its cases: docs/integrations/jde_bill.md, "The flows", "A voucher on an order that already became a
bill"). Reads what the rule needs (JDE through ``connector_assets.jde.order_vouchers``, the ledger); maps
with ``bill_mappers``.
"""

from collections.abc import Iterable, Iterator
from dataclasses import replace
from typing import Any

from connector_assets.flows.core import Mapped, Rejected
from connector_assets.jde.document_statuses import order_approved, voucher_payable
from connector_assets.jde.documents import JdePurchaseOrder, JdeVoucher
from connector_assets.jde.order_vouchers import (
    OrderRef,
    entry_order,
    first_voucher,
    order_ref,
    order_source_key,
    parse_source_key,
    supplier_terms,
    voucher_order,
    voucher_source_key,
    vouchers_by_order,
    with_voucher_orders,
)
from connector_assets.runtime.session_source import SessionSource
from connector_resources.jde.session import JdeSession
from connector_resources.ledger import Ledger

from .bill_keys import ENTITY, VOUCHER_LINK, target_id_of, vendor_ids
from .bill_mappers import Books, map_order_bill, map_voucher_bill


def plan_bills(
    jde: SessionSource[JdeSession],
    ledger: Ledger,
    books: Books,
    orders: Iterable[JdePurchaseOrder],
    vouchers: Iterable[JdeVoucher],
) -> Iterator[Mapped | Rejected]:
    """``orders`` and ``vouchers`` (changed, or named by a replay) as bills, each source key at most once.

    Reads what the rule needs beside them: the orders their vouchers are on, every voucher on those
    orders (to know each order's first voucher), the supplier terms of orders without their own, and
    the ledger (which voucher took which bill over, which bills and vendors exist)."""
    policy = books.policy  # the instance's companies only: another instance sends the others
    integration = books.vendor_flow.integration  # the instance whose ledger rows these are
    changed_orders = {order_ref(o): o for o in orders if policy.sends(order_ref(o)[0])}
    changed_vouchers = [v for v in vouchers if voucher_payable(v, policy) and policy.sends(v.key[0])]
    in_play = with_voucher_orders(jde, changed_orders, changed_vouchers)
    every_on_order = vouchers_by_order(jde, in_play, changed_vouchers)  # whatever their pay status
    on_order = {
        ref: {key: v for key, v in group.items() if voucher_payable(v, books.policy)}
        for ref, group in every_on_order.items()
    }
    terms_of = supplier_terms(jde, in_play.values())
    suppliers = [int(o.header["AN8"]) for o in in_play.values() if o.header]
    suppliers += [int(v.pay_items[0]["AN8"]) for group in on_order.values() for v in group.values()]
    suppliers += [int(v.pay_items[0]["AN8"]) for v in changed_vouchers]
    books = replace(books, vendors={**vendor_ids(ledger, integration, suppliers), **books.vendors})

    takers: dict[OrderRef, tuple] = {}  # order -> the voucher key whose content its bill holds
    for ref, order in sorted(in_play.items()):
        key = order_source_key(ref)
        candidates = on_order.get(ref, {})
        bill_id = target_id_of(ledger, integration, ENTITY, key)
        recorded = ledger.find_xref_by_target(integration, VOUCHER_LINK, "bill", bill_id) if bill_id else None
        if recorded is not None:  # the voucher that took the bill over keeps it
            parsed = parse_source_key(recorded.source_key)
            taker_key = (parsed[1], parsed[2], parsed[3]) if parsed else None
            takers[ref] = taker_key
            taker = candidates.get(taker_key)
            if taker is None:  # paid, held or gone in JDE: the bill is settled, nothing more is sent
                continue
        else:
            taker = first_voucher(candidates.values())
            if taker is not None and target_id_of(ledger, integration, ENTITY, voucher_source_key(taker.key)):
                continue  # its first voucher is a bill of its own already: that bill stands for the order
            if not (bill_id or order_approved(order, books.policy)):
                continue  # not approved (yet): its vouchers are bills of their own
            if taker is None and not order_approved(order, books.policy):
                continue  # its bill exists and the order was cancelled since: BILL is not changed
            if taker is not None:
                takers[ref] = taker.key
        taker_changed = taker is not None and any(v.key == taker.key for v in changed_vouchers)
        if ref not in changed_orders and not taker_changed:
            continue  # read only for its vouchers: nothing of it changed
        if taker is not None:
            yield map_voucher_bill(taker, books, order, takes_over=ref)
        else:
            terms = terms_of.get(int(order.header["AN8"])) if order.header else None
            yield map_order_bill(order, books, terms, _invoice_numbers(every_on_order.get(ref, {})))

    for voucher in changed_vouchers:
        ref = voucher_order(voucher)
        if ref is not None and takers.get(ref) == voucher.key:
            continue  # written as its order's bill (above)
        first = first_voucher(on_order.get(ref, {}).values()) if ref is not None else None
        yield map_voucher_bill(
            voucher,
            books,
            in_play.get(ref) if ref else None,
            first_on_order=first is not None and first.key == voucher.key,
        )


def read_plan_ahead(
    jde: SessionSource[JdeSession],
    policy: Any,
    orders: Iterable[JdePurchaseOrder],
    vouchers: Iterable[JdeVoucher],
) -> None:
    """What ``plan_bills`` reads from JDE for any part of ``orders`` and ``vouchers`` (several days' at
    once, for the days to find kept): every order a voucher is on, read whatever else is in hand."""
    payable = [v for v in vouchers if voucher_payable(v, policy)]
    in_play = {**with_voucher_orders(jde, {}, payable), **{order_ref(o): o for o in orders}}
    vouchers_by_order(jde, in_play, payable)
    supplier_terms(jde, in_play.values())


def _invoice_numbers(vouchers: dict[tuple, JdeVoucher]) -> dict[str, str]:
    """Supplier invoice number (VINV) -> ``PV:...`` key of each voucher on an order, first voucher first:
    the numbers the order's bill carries once one of them took it over (its search looks for them too)."""
    numbers: dict[str, str] = {}
    for voucher in sorted(vouchers.values(), key=entry_order):
        number = str(voucher.pay_items[0].get("VINV") or "").strip()
        if number:
            numbers.setdefault(number, voucher_source_key(voucher.key))
    return numbers
