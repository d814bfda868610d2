"""JD Edwards -> Coupa: purchase orders (F4301 + F4311 -> external purchase orders with lines).

An order changed in its header or any line is read and sent whole (Coupa holds it as one document), each
line's account through the account table, in the order's own currency and prices; held until its supplier
syncs. Depth: docs/integrations/jde_coupa.md, "The flows" (purchase orders).
"""

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from typing import Any

from connector_assets.coupa import master_data as coupa_master
from connector_assets.coupa.targets import CoupaPurchaseOrders, po_number
from connector_assets.flows.amounts import CENT, money, quantum, rounded
from connector_assets.flows.assembly import Flow
from connector_assets.flows.assets import build_flow_assets
from connector_assets.flows.core import FlowSpec, Mapped, Rejected
from connector_assets.flows.instance import Instance
from connector_assets.flows.mapping_master import MasterData
from connector_assets.flows.mapping_tables import MappingTable
from connector_assets.flows.record_models import matching, number, record_model, string, whole
from connector_assets.flows.replays import Replay
from connector_assets.jde.assets import jde_partitions
from connector_assets.jde.documents import (
    JdePurchaseOrder,
    changed_purchase_orders,
    purchase_orders_by_number,
)
from connector_assets.jde.order_status import decimal
from connector_assets.jde.tables import PO_HEADERS, PO_LINES
from connector_resources.refusals import mapping_missing, source_invalid

from .integration import route

STOCK_KEY = "LNTY:S"


def accounts_table(it: Instance) -> MappingTable:
    """``it``'s account table (``<instance>/account_map``), which its orders and vouchers share."""
    return MappingTable.from_setting(
        it.variable("account_map"),
        key="jde_account",
        value="coupa_account_code",
        guarded_by=("jde_ais", "coupa"),
        description="JDE account (BU.OBJ[.SUB]) -> Coupa account code, staged from the mapping table file "
        f"({it.variable('account_map')}). Purchase-order and voucher lines are translated through this "
        "snapshot.",
        master=MasterData.asking(
            "coupa", coupa_master.accounts, "the Coupa account code is in Coupa and active"
        ),
    )


CoupaPurchaseOrderRecord = record_model(
    "CoupaPurchaseOrderRecord",
    "What Coupa accepts as an external purchase order from JDE.",
    po_number=string(1, 20),
    supplier_number=matching(r"^\d{1,8}$"),
    lines=whole(ge=1),
    total=number(ge=0),
)


def purchase_orders_flow(it: Instance, accounts: MappingTable, table_asset: Any, suppliers: FlowSpec) -> Flow:
    """``it``'s purchase orders flow: lines through ``accounts`` (staged by ``table_asset``), each order
    waiting for its supplier (``suppliers``' record)."""

    def map_purchase_orders(context: Any, partition: str | None) -> Iterator[Mapped | Rejected]:
        """The partition's changed orders (header or any line), whole, as Coupa purchase orders."""
        snapshot = accounts.snapshot(context.resources.staging)
        for order in changed_purchase_orders(context.resources.staging, context.resources.jde, partition):
            yield order_record(order, snapshot, mapping)

    def remap_purchase_orders(context: Any, keys: list[str]) -> Iterator[Mapped | Rejected]:
        """The named orders (``po_number``s) read from JDE again and mapped with today's table (replay): the
        account file is staged afresh first, so a fixed table takes effect."""
        snapshot = accounts.restage(context.resources.staging)
        wanted = set(keys)
        numbers = (k.split("-") for k in keys)
        docos = {int(parts[1]) for parts in numbers if len(parts) > 2 and parts[1].isdigit()}
        for order in purchase_orders_by_number(context.resources.jde, docos):
            number = order.label if order.header is None else po_number(order.header)
            if number in wanted:  # an order without its header is refused by ``order_record``, naming it
                yield order_record(order, snapshot, mapping)

    mapping = OrderMapping(accounts, suppliers)
    spec = route(it).flow(
        "purchase_orders",
        "purchase order",
        CoupaPurchaseOrderRecord,
        map_purchase_orders,
        remap_purchase_orders,
        CoupaPurchaseOrders,
    )
    assets = [
        table_asset,
        *build_flow_assets(
            spec,
            partitions_def=jde_partitions,
            # After the suppliers' write: in one run, an order's supplier is synced before it is mapped.
            upstream=[PO_HEADERS.asset, PO_LINES.asset, accounts.asset, suppliers.key("written")],
            parents=[suppliers],  # a supplier unchanged since before the first day is pulled by the write
        ),
    ]
    return Flow(spec, assets, replay=Replay(CoupaPurchaseOrders.for_replay))


@dataclass(frozen=True)
class OrderMapping:
    """What an instance's orders and vouchers are mapped with beside the day's snapshot: the account table
    (named in a refusal) and the suppliers flow (whose record each waits for)."""

    accounts: MappingTable
    suppliers: FlowSpec


def order_record(
    order: JdePurchaseOrder, accounts: dict[str, str], mapping: OrderMapping
) -> Mapped | Rejected:
    if order.header is None:
        sentence = f"purchase order {order.label}: lines changed but no F4301 header was found"
        return Rejected.of(order.label, source_invalid(sentence, field="F4301 header", value=order.label))
    foreign = order.currency if order.foreign else None
    return mapped_order(order.header, order.lines, accounts, foreign, mapping=mapping)


def _line_number_clash(lines: list[dict]) -> str | None:
    """Why the order's lines cannot keep distinct Coupa line numbers, if they cannot.

    Coupa's ``line-num`` is a whole number and JDE's LNID has three decimals (line 1.100 inserted after
    1.000): two lines that would share a Coupa line are refused rather than one overwriting the other.
    """
    seen: dict[int, Decimal] = {}
    for line in lines:
        lnid = Decimal(str(line["LNID"]))
        first = seen.setdefault(int(lnid), lnid)
        if first != lnid:
            return (
                f"lines {first.normalize()} and {lnid.normalize()} would both be Coupa line {int(lnid)} "
                "(Coupa line numbers are whole); renumber the JDE lines"
            )
    return None


def line_amount_fields(
    quantity: Decimal, price: Decimal, extended: Decimal | None, currency: str | None = None
) -> dict[str, Any]:
    """The Coupa order-line fields whose line ``total`` is JDE's extended cost (F4311.AEXP): a quantity line
    only when both usual roundings of quantity x price give AEXP (Coupa's is not documented), else an
    ``OrderAmountLine`` priced at AEXP. ``currency``: a foreign order's, whose smallest unit the product is
    rounded to (None: cents). Why: docs/integrations/jde_coupa.md, "The flows" (purchase orders).
    """
    unit = quantum(currency)
    product = quantity * price
    if extended is None or (
        quantity > 0
        and all(product.quantize(unit, rounding=m) == extended for m in (ROUND_HALF_UP, ROUND_HALF_EVEN))
    ):
        return {"quantity": str(quantity), "price": str(price)}
    if currency is not None:
        return {"type": "OrderAmountLine", "price": money(extended, currency)}
    return {"type": "OrderAmountLine", "price": str(extended.quantize(CENT))}


def line_total(fields: dict[str, Any], currency: str | None = None) -> Decimal:
    """What Coupa's line ``total`` will be for ``line_amount_fields`` (half up where a product rounds), in
    ``currency``'s smallest unit (cents when None)."""
    if fields.get("quantity") is None:
        return Decimal(fields["price"])
    return rounded(Decimal(fields["quantity"]) * Decimal(fields["price"]), currency)


def mapped_order(
    header: dict,
    lines: list[dict],
    accounts: dict[str, str],
    foreign: str | None = None,
    *,
    mapping: OrderMapping,
) -> Mapped | Rejected:
    """``lines`` priced in the order's currency; ``foreign``: that currency when the order was entered in
    a foreign one (None: domestic, amounts in cents as always)."""
    number = po_number(header)
    supplier = str(int(header["AN8"]))
    order_lines, unmapped, values = [], [], []
    for line in lines:
        typed = str(line.get("ANI") or "").strip()
        lnty = str(line.get("LNTY") or "").strip()
        code = accounts.get(typed) if typed else accounts.get(f"LNTY:{lnty}")
        if code is None:
            account = typed or f"(none, line type {lnty})"
            unmapped.append(f"line {Decimal(str(line['LNID'])).normalize()}: account {account}")
            values.append(typed or f"LNTY:{lnty}")  # the table's key: a line without an account by its type
            continue
        quantity, price = Decimal(str(line.get("UORG") or 0)), Decimal(str(line.get("PRRC") or 0))
        try:
            amounts = line_amount_fields(quantity, price, decimal(line.get("AEXP")), foreign)
        except ValueError as exc:  # an extended price finer than the order's currency has
            where = f"purchase order {number} line {Decimal(str(line['LNID'])).normalize()}"
            return Rejected.of(
                number, source_invalid(f"{where}: {exc}", field="AEXP", value=line.get("AEXP"))
            )
        description = str(line.get("DSC1") or "").strip() or str(line.get("LITM") or "").strip() or "-"
        if "quantity" not in amounts and quantity:  # an amount line keeps what was ordered in its text
            description = f"{description} ({quantity.normalize():f} x {price.normalize():f})"
        order_lines.append(
            {
                "line-num": int(Decimal(str(line["LNID"]))),
                "description": description[:255],
                **amounts,
                "account": {"code": code},
            }
        )
    if unmapped:
        sentence = f"purchase order {number}: no Coupa account in the mapping table for " + "; ".join(
            unmapped
        )
        lacks = mapping_missing(
            sentence, table=mapping.accounts.name, what="account", value=list(dict.fromkeys(values))
        )
        return Rejected.of(number, lacks)
    clash = _line_number_clash(lines)
    if clash:
        return Rejected.of(number, source_invalid(f"purchase order {number}: {clash}", field="LNID"))
    body = {
        "po-number": number,
        "supplier": {"number": supplier},
        "currency": {"code": str(header.get("CRCD") or "").strip() or "USD"},
        "order-lines": order_lines,
    }
    total = sum((line_total(line, foreign) for line in order_lines), Decimal(0))
    return Mapped(
        source_key=number,
        body=body,
        fields={
            "po_number": number,
            "supplier_number": supplier,
            "lines": len(order_lines),
            "total": float(total),
        },
        natural_key={"po_number": number},
        depends_on=mapping.suppliers.dependency_key(supplier),
    )
