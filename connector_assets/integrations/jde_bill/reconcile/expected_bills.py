"""What the day's JDE documents say BILL should hold, by the bills flow's own rule: the JDE side of the bills
reconciliation.

The day's purchase orders (staged F4301 / F4311 keys, every line read again) and vouchers (staged F0411
keys, every pay item read again), plus the documents behind the BILL bills changed that day, each judged
as the flow judges it (``jde.document_statuses``, the ``bill_voucher`` link of ``bill_plan``'s rule): the bill
each should have, with its supplier and amount, or that it has none yet.
"""

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from connector_assets.integrations.jde_bill.bill_keys import ENTITY, VOUCHER_LINK, target_id_of
from connector_assets.integrations.jde_bill.bill_mappings import BillPolicy
from connector_assets.integrations.jde_bill.integration import INTEGRATION
from connector_assets.jde.document_statuses import open_lines, order_approved, voucher_payable
from connector_assets.jde.documents import (
    JdeVoucher,
    changed_purchase_orders,
    voucher_key,
)
from connector_assets.jde.order_vouchers import (
    order_ref,
    order_source_key,
    parse_source_key,
    purchase_orders_by_ref,
    voucher_source_key,
)
from connector_assets.jde.reconcile_documents import (
    extended_cost,
    gross,
    pay_items,
    voucher_label,
    vouchers_on_orders,
)
from connector_assets.jde.tables import AP_LEDGER
from connector_resources.ledger import Ledger

VOUCHER_COLUMNS = ["KCO", "DOC", "DCT", "SFX", "AN8", "AG", "PST", "VINV", "PKCO", "PO", "PDCT"]


@dataclass
class Expected:
    """What one BILL bill should hold, from JDE: the document(s) it stands for, the supplier, the amount
    (an order's open lines at extended cost, or the gross of the voucher that took the order's bill over;
    a voucher's gross)."""

    source_key: str
    label: str
    supplier: str
    amount: Decimal


class BillsSide:
    """The day's JDE documents that should be bills, as the bills flow's rule has it (``bill_plan``): an
    approved order (every open line at the approved status) is a bill until its first voucher takes the
    bill over (``bill_voucher``: the bill then holds the voucher); a payable voucher (pay status in
    ``ML_JDE_BILL_VOUCHER_PAY_STATUSES``) is a bill of its own unless it took its order's bill over. A
    document that already has a bill is compared whatever its status now."""

    def __init__(self, staging: Any, jde: Any, ledger: Ledger, day: str, also: set[str]) -> None:
        self.ledger, self.policy = ledger, BillPolicy.from_settings()
        self.expected: dict[str, Expected] = {}  # BILL bill id -> what it should hold
        self.missing: list[Expected] = []
        self.counts: dict[str, int] = defaultdict(int)
        parsed = [p for p in map(parse_source_key, also) if p]
        orders = changed_purchase_orders(staging, jde, day)
        known = {order_ref(o) for o in orders}
        extra = {(p[1], p[2], p[3]) for p in parsed if p[0] == "PO"} - known
        orders += purchase_orders_by_ref(jde, extra)
        vouchers = {voucher_key(r) for r in staging.read_rows(AP_LEDGER.asset, day)}
        vouchers |= {(p[1], p[2], p[3]) for p in parsed if p[0] == "PV"}
        bills = {
            order_source_key(order_ref(o)): self._target(ENTITY, order_source_key(order_ref(o)))
            for o in orders
        }
        takers = {key: self._taker(bill_id) for key, bill_id in bills.items() if bill_id}
        vouchers |= {t for t in takers.values() if t}
        unbilled = [order_ref(o) for o in orders if not bills[order_source_key(order_ref(o))]]
        with jde.session() as session:
            items = pay_items(session, vouchers, VOUCHER_COLUMNS)
            on_unbilled = vouchers_on_orders(session, unbilled, VOUCHER_COLUMNS)
        for order in orders:
            self._order(order, bills[order_source_key(order_ref(order))], takers, items, on_unbilled)
        for key in sorted(vouchers):
            if key in items:
                self._voucher(key, items[key])

    def _target(self, entity: str, key: str) -> str | None:
        return target_id_of(self.ledger, entity, key)

    def _taker(self, bill_id: str) -> tuple[str, int, str] | None:
        """The voucher whose content the order's bill holds (its ``bill_voucher`` link), if any."""
        link = self.ledger.find_xref_by_target(INTEGRATION, VOUCHER_LINK, "bill", bill_id)
        parsed = parse_source_key(link.source_key) if link is not None else None
        return (parsed[1], parsed[2], parsed[3]) if parsed and parsed[0] == "PV" else None

    def _order(self, order: Any, bill_id: str | None, takers: dict, items: dict, on_unbilled: dict) -> None:
        ref, key = order_ref(order), order_source_key(order_ref(order))
        supplier = order.supplier
        label = f"purchase order {ref[0]}/{ref[1]}/{ref[2]}"
        if bill_id is None:
            if not order_approved(order, self.policy):
                return  # not approved (yet): not a bill
            if any(self._target(ENTITY, voucher_source_key(v)) for v in on_unbilled.get(ref, ())):
                return  # its first voucher is a bill of its own, which stands for the order
            self.counts["jde_purchase_orders"] += 1
            self.missing.append(Expected(key, label, supplier, extended_cost(open_lines(order, self.policy))))
            return
        self.counts["jde_purchase_orders"] += 1
        taker = takers.get(key)
        if taker is not None and taker in items:
            vlabel = voucher_label(taker, items[taker])
            self.expected[bill_id] = Expected(
                key, f"{label} billed as its {vlabel}", supplier, gross(items[taker])
            )
        else:
            self.expected[bill_id] = Expected(
                key, label, supplier, extended_cost(open_lines(order, self.policy))
            )

    def _voucher(self, key: tuple[str, int, str], rows: list[dict]) -> None:
        source = voucher_source_key(key)
        supplier = str(int(rows[0].get("AN8") or 0))
        bill_id = self._target(ENTITY, source) or self._target(VOUCHER_LINK, source)
        label = voucher_label(key, rows)
        if bill_id is None:
            if not voucher_payable(JdeVoucher(key, rows), self.policy):
                return  # paid or held in JDE: not offered to BILL
            self.counts["jde_vouchers"] += 1
            self.missing.append(Expected(source, label, supplier, gross(rows)))
            return
        self.counts["jde_vouchers"] += 1
        if bill_id not in self.expected:  # a bill an order's voucher took over is compared once, as above
            self.expected[bill_id] = Expected(source, label, supplier, gross(rows))
