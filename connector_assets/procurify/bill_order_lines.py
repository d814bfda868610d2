"""Which Procurify PO line each item of a bill bills (``added_purchase_orders``, each item's ``PO_line_num``)
for a flow matching an ERP invoice to its order; §2.6 gives that field no shape, so a summary, a number or a
PO UUID (read once per reader) are all taken. A PO that is gone raises ``ProcurifyNotFoundError``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connector_assets.procurify.bill_fields import order_item
from connector_assets.procurify.order_fields import po_line, positive_number


class BillOrderLines:
    """The PO lines bills bill, on one Procurify session; each PO (by number or UUID) read at most once."""

    def __init__(self, session: Any) -> None:
        self.session = session
        self._po_lines: dict[int, dict[str, int]] = {}  # Procurify PO -> order item id -> PO_line_num
        self._po_by_uuid: dict[str, int | None] = {}  # Procurify PO uuid -> its procurify_PO

    def po_lines(self, procurify_po: int) -> dict[str, int]:
        """Order item id -> ``PO_line_num`` of a Procurify PO, read by number once."""
        if procurify_po not in self._po_lines:
            detail = self.session.get("purchase_orders", procurify_po)
            lines: dict[str, int] = {}
            for line in detail.get("order_items") or []:
                number = po_line(line) if isinstance(line, Mapping) else None
                if number is not None and line.get("id") is not None:
                    lines[str(line["id"])] = number
            self._po_lines[procurify_po] = lines
        return self._po_lines[procurify_po]

    def added_po(self, entry: Any) -> int | None:
        """The Procurify PO number an ``added_purchase_orders`` entry names (module docstring)."""
        if isinstance(entry, Mapping):
            return positive_number(entry.get("procurify_PO"))
        ident = "" if entry is None or isinstance(entry, bool) else str(entry).strip()
        if not ident or ident.isdigit():
            return positive_number(ident)
        if ident not in self._po_by_uuid:
            detail = self.session.get("purchase_orders", ident)
            self._po_by_uuid[ident] = positive_number(detail.get("procurify_PO"))
        return self._po_by_uuid[ident]

    def item_lines(self, bill: Mapping[str, Any]) -> dict[str, tuple[int, int]]:
        """Order item id -> (Procurify PO number, PO line number) of each item of ``bill`` that bills a PO
        line."""
        pos = [
            number
            for entry in bill.get("added_purchase_orders") or []
            if (number := self.added_po(entry)) is not None
        ]
        found: dict[str, tuple[int, int]] = {}
        for item in bill.get("items") or []:
            line = order_item(item) if isinstance(item, Mapping) else None
            if line is None or line.get("id") is None or not pos:
                continue
            if len(pos) == 1:
                number = po_line(line)
                if number is not None:
                    found[str(line["id"])] = (pos[0], number)
                continue
            for po in pos:
                number = self.po_lines(po).get(str(line["id"]))
                if number is not None:
                    found[str(line["id"])] = (po, number)
                    break
        return found
