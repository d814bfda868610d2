"""What the Oracle Fusion <-> Procurify proof tests (kill -9, an outage, a systemic failure, two runs at
once, a token expiring mid-run, a 412 on an update) share: a day of approved Procurify bills and purchased
Procurify orders bound for Fusion, each vendor paired with a Fusion supplier, and what Fusion holds of them.

* ``more_suppliers(world, n)``: people add ``n`` suppliers in Fusion (each with a purchasing and pay site in
  the business unit), so a module's many records each get a supplier of their own to be paired with.
* ``approve_bills(world, n)``: the AP clerk enters ``n`` expense bills in US dollars today and approves
  them, each vendor paired with a Fusion supplier as an operator's manual match
  (``world.pair_with_next_supplier``). The bills.
* ``purchase_orders(world, n)``: ``n`` Procurify POs in US dollars purchased today (the Fusion sandbox's
  business unit keeps a USD ledger and knows no CAD), their vendors paired; a PO in CAD made on the way keeps
  its vendor unpaired, so it is held at mapping and never sent (the pod would refuse it, which is not these
  proofs' subject) unless an earlier record paired that vendor. PO number -> PO as the API renders it.
* ``day_of_orders(world)``: the day's orders the flow sends (mapped, not held): those in a currency the pod
  knows, and the others (CAD, refused by the pod).
* ``invoices_by_bill`` / ``orders_by_po``: what Fusion holds of them (invoices by ``InvoiceNumber`` and the
  paired supplier, orders by ``OrderNumber`` ``PFY<n>``, drafts included), read through the pod's
  ``/sandbox/records`` routes, so a test asserts one each.
* ``fusion_posts(world, resource)``: how many creates (``POST`` on the collection, actions not counted) the
  pod received for ``resource`` (counted on arrival): a double POST shows there even when Fusion refused it.
* ``statuses(world, status)``: how many answers of that HTTP status the pod gave so far.

Pairs are manual matches (what ``ml-connector xref set`` stores): the pairing flows are proven in their own
tests; here the subject is what a crash, an outage or a race does to the flows that depend on a pair.

PYTEST_DONT_REWRITE: a helper, not a test module.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from typing import Any

from asset_runs import materialized
from dagster import AssetKey
from fusion_procurify_parts import (
    account_combinations_asset,
    account_map_asset,
    department_map_asset,
    fusion_order_number,
    paired_supplier,
)
from fusion_procurify_world import FusionProcurifyWorld

from connector_assets.flows.core import Mapped
from connector_assets.integrations.fusion_procurify.po_numbers import po_source_key
from connector_assets.procurify.bill_fields import currency_code
from connector_resources.fusion.payloads import DraftPurchaseOrder, PurchaseOrderLine
from connector_sandbox.fusion.vocabulary import CURRENCY_NAMES

BILLS = ("procurify/bills", "fusion_procurify/invoices_mapped")
INVOICES_MAPPED, INVOICES_WRITTEN = BILLS[1], "fusion_procurify/invoices_written"
ORDERS = ("procurify/purchase_orders", "fusion_procurify/purchase_orders_mapped")
ORDERS_MAPPED, ORDERS_WRITTEN = ORDERS[1], "fusion_procurify/purchase_orders_written"
ORDER_PREFIX = "PFY"  # ML_FUSION_PROCURIFY_ORDER_PREFIX's default
API = "/fscmRestApi/resources/"
POD_CURRENCIES = frozenset(CURRENCY_NAMES)  # the currencies the Fusion sandbox pod knows (no CAD)


def more_suppliers(world: FusionProcurifyWorld, count: int) -> None:
    """People add ``count`` suppliers in Fusion now (before any pairing: the world lists the unpaired
    suppliers once)."""
    made = world.fusion_activity(new_suppliers=count)["created"]["suppliers"]
    assert len(made) == count, made


def approve_bills(world: FusionProcurifyWorld, count: int, *, pair: bool = True) -> list[dict[str, Any]]:
    """``count`` expense bills in US dollars entered and approved now, each vendor paired with a Fusion
    supplier unless ``pair`` is False. Bills in another currency entered on the way are left unapproved
    (the flow never sends them): the Fusion sandbox's business unit knows no CAD, and a refused currency
    is not these proofs' subject. The bills as the API renders them."""
    approved: list[dict[str, Any]] = []
    for _ in range(10 * count):
        if len(approved) == count:
            break
        [uuid] = world.activity(new_bills=1)["bills"]["created"]
        bill = world.procurify_record("bills", uuid)["api"]
        if currency_code(bill) != "USD":
            continue
        world.bill_status(uuid, 2)
        if pair:
            world.pair_with_next_supplier(bill["vendor"]["id"])
        approved.append(world.procurify_record("bills", uuid)["api"])
    assert len(approved) == count, f"only {len(approved)} USD bills among {10 * count} entered"
    return approved


def purchase_orders(world: FusionProcurifyWorld, count: int) -> dict[str, dict[str, Any]]:
    """``count`` USD purchase orders purchased now, their vendors paired (see the module docstring); by
    PO number."""
    usd: dict[str, dict[str, Any]] = {}
    other_vendors: set[str] = set()  # vendors of a PO in another currency: left unpaired (held)

    def chosen() -> dict[str, dict[str, Any]]:
        return {n: po for n, po in usd.items() if str(po["pref_vendor"]["id"]) not in other_vendors}

    for _ in range(10 * count):
        if len(chosen()) >= count:
            break
        for made in world.purchased_order()["purchase_orders"]:
            po = world.procurify_record("purchase_orders", made["procurify_PO"])["api"]
            vendor = str(po["pref_vendor"]["id"])
            if po["purchased_currency"]["name"] not in POD_CURRENCIES:
                other_vendors.add(vendor)
            elif po["purchased_currency"]["name"] != "USD":
                continue
            elif paired_supplier(world.ledger, vendor) is None and vendor not in {
                str(p["pref_vendor"]["id"]) for p in usd.values()
            }:
                usd[str(po["procurify_PO"])] = po
    picked = dict(list(chosen().items())[:count])
    assert len(picked) == count, f"only {len(picked)} USD orders of vendors with no other currency"
    for po in picked.values():
        world.pair_with_next_supplier(po["pref_vendor"]["id"])
    return picked


def day_of_orders(world: FusionProcurifyWorld) -> tuple[dict[str, dict[str, Any]], set[str]]:
    """Today's orders the flow sends (the mapped step run: none refused; those of unpaired vendors are held,
    not sent): (those in a currency the Fusion pod knows, by PO number; the PO numbers of the others). Earlier
    records' pairs make other orders of the day sendable too; one in CAD is refused by the pod once per
    attempt (it knows no CAD)."""
    mapped = world.run(*ORDERS)[ORDERS_MAPPED]
    assert mapped["rejected"] == 0, (mapped, world.queue("purchase_orders"))
    known: dict[str, dict[str, Any]] = {}
    other: set[str] = set()
    for key in world.mapped_keys(ORDERS_MAPPED):
        po = world.procurify_record("purchase_orders", key.removeprefix("PO"))["api"]
        if po["purchased_currency"]["name"] in POD_CURRENCIES:
            known[str(po["procurify_PO"])] = po
        else:
            other.add(str(po["procurify_PO"]))
    return known, other


def order_number(po_number: int | str) -> str:
    """The Fusion order number the flow gives Procurify PO ``po_number`` (``PFY1187``)."""
    return fusion_order_number(po_source_key(po_number), ORDER_PREFIX)


def invoices_by_bill(world: FusionProcurifyWorld, bills: Iterable[dict[str, Any]]) -> Counter[str]:
    """Fusion invoices per bill (UUID): those with the bill's invoice number from its paired supplier (by
    ``SupplierNumber``: a stored invoice names its supplier by name and number)."""
    found: Counter[str] = Counter()
    numbers: dict[str, str] = {}  # SupplierId -> SupplierNumber (an invoice names its supplier's number)
    for bill in bills:
        supplier = str(paired_supplier(world.ledger, bill["vendor"]["id"]))
        if supplier not in numbers:
            numbers[supplier] = str((world.fusion_record("suppliers", supplier) or {}).get("SupplierNumber"))
        rows = world.fusion_records("invoices", InvoiceNumber=bill["invoice_number"])
        mine = [r for r in rows if str(r.get("SupplierNumber")) == numbers[supplier]]
        if mine:
            found[bill["uuid"]] = len(mine)
    return found


def orders_by_po(world: FusionProcurifyWorld, numbers: Iterable[str]) -> Counter[str]:
    """Fusion purchase orders (drafts included) per Procurify PO number, by the order number."""
    found: Counter[str] = Counter()
    for number in numbers:
        rows = world.fusion_records("purchaseOrders", OrderNumber=order_number(number))
        if rows:
            found[str(number)] = len(rows)
    return found


def fusion_posts(world: FusionProcurifyWorld, resource: str) -> int:
    """Creates the pod received for ``resource`` (``invoices``, ``draftPurchaseOrders``): ``POST`` on the
    collection itself, whatever the version; actions (``.../action/...``) are not creates."""
    calls = world.fusion_state()["calls"]
    return sum(
        n
        for call, n in calls.items()
        if call.startswith(f"POST {API}") and call.rstrip("/").split("/")[-1] == resource
    )


def rows_held(world: FusionProcurifyWorld, table: str) -> int:
    """Rows of a pod table (``invoice``, ``po_header``: drafts included): one call, cheap enough to poll
    while a child process writes."""
    return int(world.fusion_state()["row_counts"][table])


def statuses(world: FusionProcurifyWorld, status: int) -> int:
    """Answers with HTTP ``status`` the pod gave so far (REST and token endpoint alike)."""
    return int(world.fusion_state()["statuses"].get(str(status), 0))


def mapped_invoices(world: FusionProcurifyWorld) -> dict[str, Mapped]:
    """The invoices the mapped step staged for the day, by bill uuid."""
    rows = world.resources["staging"].read_rows(AssetKey(["fusion_procurify", "invoices_mapped"]), world.day)
    return {m.source_key: m for m in (Mapped.from_payload(json.loads(r["payload"])) for r in rows)}


class ClerkBetweenSearchAndCreate:
    """The real Fusion session, except that an AP clerk keys the same invoice by hand right after the
    flow's natural-key search found nothing: the flow's create then meets Payables' duplicate refusal."""

    def __init__(self, session: Any, keyed: Any) -> None:
        self.session, self.keyed, self.raced = session, keyed, False

    def __getattr__(self, name: str) -> Any:
        return getattr(self.session, name)

    def find_invoice(self, *args: Any, **kwargs: Any) -> Any:
        if not self.raced:
            self.raced = True
            self.session.create_invoice(self.keyed)
            return None
        return self.session.find_invoice(*args, **kwargs)


def stage_master(world: FusionProcurifyWorld) -> None:
    """The account and department tables and Fusion's account combinations (what charge accounts read)."""
    assets = [account_map_asset, department_map_asset, account_combinations_asset]
    materialized(assets, {k: world.resources[k] for k in ("fusion", "procurify", "staging", "ledger")})


def usd_po(world: FusionProcurifyWorld) -> dict[str, Any]:
    """A requisition made and purchased now in US dollars (the business unit's currency; the pod knows no
    CAD): its first PO as the API renders it, and the requisition. POs in other currencies made on the way
    are left for the runs to refuse or hold; the tests look only at this one."""
    for _ in range(20):
        made = world.purchased_order()
        number = made["purchase_orders"][0]["procurify_PO"]
        po = world.procurify_record("purchase_orders", number)["api"]
        if po["purchased_currency"]["name"] == "USD":
            return {"po": po, "requisition": made["requisition"]}
    raise AssertionError("no requisition in USD among 20 made")


def draft_left_in_fusion(
    world: FusionProcurifyWorld,
    po: dict[str, Any],
    supplier: dict[str, Any],
    site: dict[str, Any],
    **header: Any,
) -> dict[str, Any]:
    """A draft order for Procurify ``po`` created in Fusion and never submitted (what a crash between the
    create and the submit, or a buyer, leaves), with ``po``'s lines and ``header`` fields (``order_number``
    at least): Fusion's answer."""
    lines = tuple(
        PurchaseOrderLine(i["PO_line_num"], i["quantity"], i["price"], description=i["name"])
        for i in po["order_items"]
    )
    draft = DraftPurchaseOrder(
        supplier=supplier["Supplier"], supplier_site=site["SupplierSite"], lines=lines, **header
    )
    with world.resources["fusion"].session() as session:
        return session.create_draft_purchase_order(draft)
