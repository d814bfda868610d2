"""The vouchers on given purchase orders and the orders given vouchers are on (JDE -> BILL bills: an order's
first voucher takes its bill over): F0411 by PO, kept when PKCO and PDCT match too; and the source keys
``PO:<KCOO>:<DOCO>:<DCTO>`` and ``PV:<KCO>:<DOC>:<DCT>``.
"""

from collections.abc import Iterable, Mapping

from connector_assets.jde.documents import (
    JdePurchaseOrder,
    JdeVoucher,
    complete_vouchers,
    purchase_orders_by_number,
    suppliers_by_number,
)
from connector_assets.jde.lookup import browse_in
from connector_assets.jde.tables import AP_LEDGER
from connector_assets.runtime.session_source import SessionSource
from connector_resources.jde.session import JdeSession


def vouchers_on_orders(
    jde: SessionSource[JdeSession], orders: Iterable[tuple[str, int, str]]
) -> list[JdeVoucher]:
    """The vouchers matched to these orders (KCOO, DOCO, DCTO: F0411 PKCO / PO / PDCT), completed.

    F0411.PO is A(8) and is compared as JDE wrote it (the order number's digits, no padding)."""
    wanted = {(kcoo, str(doco), dcto) for kcoo, doco, dcto in orders}
    numbers = sorted({number for _, number, _ in wanted})
    with jde.session() as session:
        rows = [
            row
            for row in browse_in(session, AP_LEDGER.table, "PO", numbers, AP_LEDGER.aliases)
            if (
                str(row.get("PKCO") or "").strip(),
                str(row.get("PO") or "").strip(),
                str(row.get("PDCT") or "").strip(),
            )
            in wanted
        ]
    return complete_vouchers(jde, rows)


OrderRef = tuple[str, int, str]  # KCOO, DOCO, DCTO


def order_ref(order: JdePurchaseOrder) -> OrderRef:
    return order.key[0], order.key[1], order.key[2]


def voucher_order(voucher: JdeVoucher) -> OrderRef | None:
    """The order a voucher is matched to (first pay item's PKCO / PO / PDCT), if any."""
    item = voucher.pay_items[0]
    number = str(item.get("PO") or "").strip()
    if not number.isdigit():
        return None
    return str(item.get("PKCO") or "").strip(), int(number), str(item.get("PDCT") or "").strip()


def entry_order(voucher: JdeVoucher) -> tuple[int, str, str]:
    """A voucher's place in the order vouchers were entered: its number (Next Numbers), then company, type."""
    return voucher.key[1], voucher.key[0], voucher.key[2]


def first_voucher(vouchers: Iterable[JdeVoucher]) -> JdeVoucher | None:
    """The first voucher entered of ``vouchers`` (an order's first voucher: the lowest voucher number)."""
    return min(vouchers, key=entry_order, default=None)


def order_source_key(ref: OrderRef) -> str:
    """A JDE -> X flow's source key of an order: ``PO:<KCOO>:<DOCO>:<DCTO>``."""
    return f"PO:{ref[0]}:{ref[1]}:{ref[2]}"


def voucher_source_key(key: tuple[str, int, str]) -> str:
    """A JDE -> X flow's source key of a voucher: ``PV:<KCO>:<DOC>:<DCT>`` (``payment_postings.Voucher``)."""
    return f"PV:{key[0]}:{key[1]}:{key[2]}"


def parse_source_key(key: str) -> tuple[str, str, int, str] | None:
    """``("PO" | "PV", company, number, type)`` of an order's or a voucher's source key, else None."""
    parts = key.split(":")
    if len(parts) != 4 or parts[0] not in ("PO", "PV") or not parts[2].isdigit():
        return None
    return parts[0], parts[1], int(parts[2]), parts[3]


def with_voucher_orders(
    jde: SessionSource[JdeSession],
    orders: Mapping[OrderRef, JdePurchaseOrder],
    vouchers: Iterable[JdeVoucher],
) -> dict[OrderRef, JdePurchaseOrder]:
    """``orders`` and the orders ``vouchers`` are on (those not among them read from JDE)."""
    found = dict(orders)
    referenced = {ref for ref in (voucher_order(v) for v in vouchers) if ref and ref not in found}
    found.update((order_ref(order), order) for order in purchase_orders_by_ref(jde, referenced))
    return found


def purchase_orders_by_ref(
    jde: SessionSource[JdeSession], refs: Iterable[OrderRef]
) -> list[JdePurchaseOrder]:
    """The purchase orders ``refs`` names (KCOO, DOCO, DCTO), read from JDE by order number."""
    wanted = set(refs)
    if not wanted:
        return []
    return [o for o in purchase_orders_by_number(jde, {ref[1] for ref in wanted}) if order_ref(o) in wanted]


def vouchers_by_order(
    jde: SessionSource[JdeSession], orders: Iterable[OrderRef], newer: Iterable[JdeVoucher] = ()
) -> dict[OrderRef, dict[tuple, JdeVoucher]]:
    """Every voucher on ``orders`` (whatever its pay status) by order and voucher key; a voucher of
    ``newer`` on one of them replaces what JDE was read to hold (its newest version wins)."""
    wanted = set(orders)
    grouped: dict[OrderRef, dict[tuple, JdeVoucher]] = {}
    for voucher in [*(vouchers_on_orders(jde, list(wanted)) if wanted else []), *newer]:
        ref = voucher_order(voucher)
        if ref in wanted:
            grouped.setdefault(ref, {})[voucher.key] = voucher  # type: ignore[index]
    return grouped


def supplier_terms(jde: SessionSource[JdeSession], orders: Iterable[JdePurchaseOrder]) -> dict[int, str]:
    """Supplier number -> its payment terms (F0401 TRAP), for the suppliers of ``orders`` that have no
    terms of their own (F4301 PTC blank)."""
    unterm = [o for o in orders if o.header and not str(o.header.get("PTC") or "").strip()]
    if not unterm:
        return {}
    suppliers = suppliers_by_number(jde, {int(o.header["AN8"]) for o in unterm})  # type: ignore[index]
    return {s.number: str(s.supplier.get("TRAP") or "").strip() for s in suppliers}
