"""What the bills flow holds in BILL for a JDE day's documents: the JDE side of the bills reconciliation.

The day's documents and those behind the day's BILL bills, put through the flow's own rule and mappers
(``bill_plan.plan_bills``), each under the key the flow writes it: so the comparison and the retry queue
use the flow's own keys. A bill the flow no longer sends is "settled" (docs/integrations/jde_bill.md,
"Reconciliation").
"""

from collections.abc import Iterable
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from connector_assets.flows.core import Mapped, Rejected
from connector_assets.jde.document_statuses import open_lines, order_approved
from connector_assets.jde.documents import (
    JdePurchaseOrder,
    JdeVoucher,
    changed_purchase_orders,
    changed_vouchers,
    vouchers_by_key,
)
from connector_assets.jde.order_vouchers import (
    OrderRef,
    order_ref,
    order_source_key,
    parse_source_key,
    purchase_orders_by_ref,
    supplier_terms,
    voucher_order,
    voucher_source_key,
)
from connector_assets.runtime.session_source import SessionSource
from connector_assets.runtime.staging import StagingResource
from connector_resources.jde.session import JdeSession
from connector_resources.ledger import Ledger
from connector_resources.refusals import refused, source_invalid

from ..bill_keys import ENTITY, VOUCHER_LINK, target_id_of, vendor_ids
from ..bill_mappers import Books, map_order_bill, map_voucher_bill
from ..bill_plan import plan_bills
from ..bills import staged_books
from ..integration import Own
from .compare import lines_total


@dataclass(frozen=True)
class Planned:
    """One bill the day's JDE documents make, as the bills flow has it: its key, words, supplier, the BILL
    bill the ledger records for it, the body the flow writes (None: refused, ``reason``; or settled and
    compared on its status only), every key the flow may have queued it under, and whether it is settled
    (no longer sent) or an order cancelled since its bill was written."""

    key: str
    label: str
    supplier: str
    bill_id: str | None
    body: dict[str, Any] | None
    reason: str = ""
    keys: tuple[str, ...] = ()
    settled: bool = False
    cancelled: bool = False
    currency: str = ""  # the document's (F0411 / F4301 CRCD), blank when refused

    @property
    def total(self) -> Decimal:
        return lines_total((self.body or {}).get("billLineItems"))


def label_of(key: str, invoice: str = "", voucher: str | None = None) -> str:
    """``purchase order 00001/4471/OP``, ``voucher 00001/90/PV (invoice INV-7)``, or an order billed as its
    voucher, from a flow key (and the invoice number, and the voucher that took the order's bill over)."""
    parsed = parse_source_key(key)
    if parsed is None:
        return key
    kind, company, number, doc_type = parsed
    what = "purchase order" if kind == "PO" else "voucher"
    text = f"{what} {company}/{number}/{doc_type}"
    taker = parse_source_key(voucher) if voucher else None
    if taker is not None:
        text += f" billed as its voucher {taker[1]}/{taker[2]}/{taker[3]}"
    return text + (f" (invoice {invoice})" if invoice and (kind == "PV" or taker) else "")


class PlannedBills:
    """The bills of a JDE day (``planned``: flow key -> ``Planned``) and the documents read (``read``:
    every ``PO:`` / ``PV:`` key JDE holds among them). ``also`` are flow keys of the BILL bills of the day,
    whose documents are read too."""

    def __init__(
        self,
        own: Own,
        staging: StagingResource,
        jde: SessionSource[JdeSession],
        ledger: Ledger,
        day: str,
        also: Iterable[str],
    ) -> None:
        self.ledger, self.integration = ledger, own.instance
        parsed = [p for p in map(parse_source_key, also) if p]
        orders = {order_ref(o): o for o in changed_purchase_orders(staging, jde, day)}
        vouchers = {v.key: v for v in changed_vouchers(staging, jde, day)}
        more = {(p[1], p[2], p[3]) for p in parsed if p[0] == "PV"} - set(vouchers)
        vouchers.update((v.key, v) for v in vouchers_by_key(jde, more))
        # Orders named by the day's BILL bills, and those whose bill a voucher of the day took over.
        refs = {(p[1], p[2], p[3]) for p in parsed if p[0] == "PO"}
        refs |= {
            ref
            for v in vouchers.values()
            if (ref := voucher_order(v)) is not None
            and target_id_of(ledger, own.instance, VOUCHER_LINK, voucher_source_key(v.key))
        }
        orders.update((order_ref(o), o) for o in purchase_orders_by_ref(jde, refs - set(orders)))
        self.read = {order_source_key(r) for r in orders} | {voucher_source_key(k) for k in vouchers}
        suppliers = [int(o.supplier) for o in orders.values() if o.supplier]
        suppliers += [int(v.pay_items[0].get("AN8") or 0) for v in vouchers.values()]
        books = replace(
            staged_books(own, staging, today=False), vendors=vendor_ids(ledger, own.instance, suppliers)
        )
        self._supplier = {order_source_key(r): o.supplier for r, o in orders.items()}
        self._supplier |= {voucher_source_key(k): _an8(v) for k, v in vouchers.items()}
        self.planned: dict[str, Planned] = {}
        for record in plan_bills(jde, ledger, books, orders.values(), vouchers.values()):
            self.planned.setdefault(record.source_key, self._of(record))
        self._settled(jde, books, orders, vouchers)

    def _of(self, record: Mapped | Rejected) -> Planned:
        key = record.source_key
        bill_id = target_id_of(self.ledger, self.integration, ENTITY, key)
        if isinstance(record, Rejected):
            return Planned(
                key, label_of(key), self._supplier.get(key, ""), bill_id, None, record.reason, (key,)
            )
        voucher = record.natural_key.get("voucher")
        label = label_of(key, str(record.fields.get("invoice_number") or ""), voucher)
        keys = (key, voucher) if voucher else (key,)
        supplier, currency = (
            str(record.fields["supplier_number"]),
            str(record.natural_key.get("currency") or ""),
        )
        return Planned(key, label, supplier, bill_id, record.body, keys=keys, currency=currency)

    def _settled(
        self,
        jde: SessionSource[JdeSession],
        books: Books,
        orders: dict[OrderRef, JdePurchaseOrder],
        vouchers: dict[tuple, JdeVoucher],
    ) -> None:
        """Documents with a bill the flow no longer sends, mapped as it was written (see the module)."""
        takers: dict[OrderRef, tuple] = {}
        for ref in orders:
            bill_id = target_id_of(self.ledger, self.integration, ENTITY, order_source_key(ref))
            if bill_id and order_source_key(ref) not in self.planned:
                link = self.ledger.find_xref_by_target(self.integration, VOUCHER_LINK, "bill", bill_id)
                parsed = parse_source_key(link.source_key) if link is not None else None
                if parsed is not None and parsed[0] == "PV":
                    takers[ref] = (parsed[1], parsed[2], parsed[3])
        missing = set(takers.values()) - set(vouchers)
        vouchers = {**vouchers, **{v.key: v for v in vouchers_by_key(jde, missing)}}
        approved = [o for r, o in orders.items() if r not in takers and order_approved(o, books.policy)]
        terms = supplier_terms(jde, approved) if approved else {}
        for ref, order in orders.items():
            key = order_source_key(ref)
            bill_id = target_id_of(self.ledger, self.integration, ENTITY, key)
            if not bill_id or key in self.planned:
                continue
            taker = vouchers.get(takers.get(ref))  # type: ignore[arg-type]
            if taker is not None:
                record = map_voucher_bill(taker, books, order, takes_over=ref)
            elif ref in takers:
                said = "the voucher that took its bill over is no longer in JDE (F0411)"
                record = Rejected.of(key, source_invalid(said, field="F0411"))
            elif not open_lines(order, books.policy):
                self.planned[key] = Planned(
                    key,
                    label_of(key),
                    order.supplier,
                    bill_id,
                    None,
                    settled=True,
                    cancelled=True,
                    keys=(key,),
                )
                continue
            elif not order_approved(order, books.policy):
                said = "not approved in JDE now; its bill is left as written"
                record = Rejected.of(key, refused(said, rule="order not approved now"))
            else:
                record = map_order_bill(order, books, terms.get(int(order.supplier or 0)))
            self._settle(key, record, bill_id)
        settled = {
            voucher_source_key(k): (v, bill_id)
            for k, v in vouchers.items()
            if voucher_source_key(k) not in self.planned
            and (bill_id := target_id_of(self.ledger, self.integration, ENTITY, voucher_source_key(k)))
        }
        # A voucher on an order is charged as the order's first line, read whole as the flow reads it (a
        # stock line's branch/plant is on the order line, not on the voucher's own copy of it).
        refs = {ref for v, _ in settled.values() if (ref := voucher_order(v)) is not None} - set(orders)
        on_orders = {**orders, **{order_ref(o): o for o in purchase_orders_by_ref(jde, refs)}}
        for key, (voucher, bill_id) in settled.items():
            ref = voucher_order(voucher)
            self._settle(key, map_voucher_bill(voucher, books, on_orders.get(ref) if ref else None), bill_id)

    def _settle(self, key: str, record: Mapped | Rejected, bill_id: str) -> None:
        planned = self._of(record)
        body = planned.body if isinstance(record, Mapped) else None
        self.planned[key] = Planned(
            key,
            planned.label,
            planned.supplier,
            bill_id,
            body,
            planned.reason,
            planned.keys,
            settled=True,
            currency=planned.currency,
        )


def _an8(voucher: JdeVoucher) -> str:
    return str(int(voucher.pay_items[0].get("AN8") or 0))
