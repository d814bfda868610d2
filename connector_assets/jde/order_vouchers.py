"""The vouchers on given purchase orders: what the bills flow reads to tell each order's first voucher.

A JDE reader like those of ``connector_assets.jde.documents`` (by key, completed the same way), kept here
while only this flow needs it: F0411 read by order number (PO), kept when its order company and type
(PKCO, PDCT) match too.
"""

from collections.abc import Iterable
from typing import Any

from connector_assets.jde.documents import JdeVoucher, complete_vouchers
from connector_assets.jde.lookup import browse_in
from connector_assets.jde.tables import AP_LEDGER


def vouchers_on_orders(jde: Any, orders: Iterable[tuple[str, int, str]]) -> list[JdeVoucher]:
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
