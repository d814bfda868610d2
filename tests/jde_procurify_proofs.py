"""What the JDE <-> Procurify proof tests (kill -9, an outage, a systemic failure, two runs at once, the
token across runs) share: a day of approved Procurify bills bound for JDE, a day of approved JDE orders
bound for Procurify, each with its other side paired in the ledger, and what each target holds of them.

* ``approve_bills(world, n)``: the AP clerk enters ``n`` expense bills today and approves them (Procurify
  activity, then status 2), each bill's vendor paired with a JDE supplier in the ledger as the ``vendors``
  flow records a pair (so no bill waits for its vendor). The bills' UUIDs.
* ``enter_orders(world, n)`` / ``day_of_orders(world, day)``: people enter ``n`` purchase orders in E1
  today (JDE activity); each order changed on the day has its supplier paired with a Procurify vendor in
  the ledger as the ``suppliers`` flow records a pair (an active vendor whose name no other active vendor
  has: a requisition names its vendor), and the day's mapped step says which orders the flow sends. Their
  source keys (``KCOO:DOCO:DCTO``) -> F4301 header. ``another_order_day``: the same for the latest earlier
  day the sandbox's seed changed such an order on.
* ``batches_by_bill`` / ``requisitions_by_order``: what each target holds of them (F0411Z1 pay items by the
  bill's batch keys; Procurify requisitions by the order's description), so a test asserts one each.
* ``voucher_posts`` / ``requisition_posts``: how many times the target was asked to create one (the
  simulators count a call when it arrives): double POSTs show there even when a target refused one.

Pairs are put in the ledger directly (as ``procore_jde_proofs.link_vendor_in_ledger`` does): the pairing
flows are proven in their own tests; here the subject is what a crash, an outage or a race does to the
flows that depend on a pair.

PYTEST_DONT_REWRITE: a helper, not a test module.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from jde_procurify_parts import order_policy
from jde_procurify_world import INTEGRATION, JdeProcurifyWorld
from procore_jde_proofs import posts

from connector_assets.integrations.jde_procurify.bill_mappers import batch_key
from connector_assets.integrations.jde_procurify.order_mappers import order_description
from connector_assets.integrations.jde_procurify.vendor_pairs import an8_key
from connector_assets.jde.order_status import all_done, not_approved, order_source_key
from connector_assets.jde.targets import CREATE_VOUCHERS

BILLS_MAPPED, BILLS_WRITTEN = "jde_procurify/bills_mapped", "jde_procurify/bills_written"
BILLS = ("procurify/bills", BILLS_MAPPED)
ORDERS_MAPPED = "jde_procurify/purchase_orders_mapped"
ORDERS_WRITTEN = "jde_procurify/purchase_orders_written"
ORDERS = ("jde/po_headers", "jde/po_lines", ORDERS_MAPPED)
CODES = ("jde_procurify/account_codes_mapped", "jde_procurify/account_codes_written")
# The account scope of these proofs: expense accounts and the stock lines' inventory account (BU.1410) get
# Procurify codes of their own, so every approved order of the sandbox maps (the account flow's own tests
# prove the refusal of an account without a code).
ACCOUNT_SCOPE = "1410, 6000-8999"
BATCH_USER = "MLPRCFY"  # ML_JDE_PROCURIFY_BATCH_USER's default: the EDUS of the bills' batches
CREATE_REQUISITION = "POST /api/v3/requisitions/"
__all__ = ["CREATE_VOUCHERS"]


def julian(day: str) -> int:
    """An ISO day as JDE's CYYDDD (UPMJ)."""
    moment = date.fromisoformat(day)
    return (moment.year - 1900) * 1000 + moment.timetuple().tm_yday


def iso_day(value: int) -> str:
    """JDE's CYYDDD as an ISO day (the partition a row with that UPMJ is in)."""
    return (date(1900 + value // 1000, 1, 1) + timedelta(days=value % 1000 - 1)).isoformat()


# -- pairs ----------------------------------------------------------------------------------------------


def pair_vendor_with_supplier(world: JdeProcurifyWorld, vendor_id: int | str, an8: int | str) -> None:
    """Procurify vendor ``vendor_id`` paired with JDE supplier ``an8`` as the ``vendors`` flow records it."""
    key = (INTEGRATION, "vendor", "procurify", str(vendor_id), "JDE")
    if world.ledger.get_xref(*key) is None:
        world.ledger.claim_xref(*key, owner="proofs-pairing")
        world.ledger.record_target(*key, target_id=an8_key(an8), content_hash="paired-by-proofs")


def pair_supplier_with_vendor(world: JdeProcurifyWorld, an8: int | str, vendor_id: int | str) -> None:
    """JDE supplier ``an8`` paired with Procurify vendor ``vendor_id``, as the ``suppliers`` flow records
    it."""
    key = (INTEGRATION, "supplier", "JDE", an8_key(an8), "procurify")
    if world.ledger.get_xref(*key) is None:
        world.ledger.claim_xref(*key, owner="proofs-pairing")
        world.ledger.record_target(*key, target_id=str(vendor_id), content_hash="paired-by-proofs")


def nameable_vendors(world: JdeProcurifyWorld) -> list[str]:
    """Active Procurify vendors whose name no other active vendor has (a requisition line names its
    vendor), by id."""
    active = [v for v in world.in_procurify("vendors").values() if v.get("active") is not False]
    names = Counter(str(v["name"]) for v in active)
    return sorted((str(v["id"]) for v in active if names[str(v["name"])] == 1), key=int)


def pair_suppliers(world: JdeProcurifyWorld, an8s: Iterable[int | str]) -> None:
    """Each supplier not paired yet paired with a vendor no supplier has yet."""
    paired = set(world.xrefs("supplier"))
    taken = {v for v in world.xrefs("supplier").values() if v}
    free = [v for v in nameable_vendors(world) if v not in taken]
    for an8 in sorted({an8_key(a) for a in an8s} - paired, key=int):
        assert free, "the Procurify sandbox has no vendor left to pair a JDE supplier with"
        pair_supplier_with_vendor(world, an8, free.pop(0))


# -- a day of bills (Procurify -> JDE) ------------------------------------------------------------------


def approve_bills(world: JdeProcurifyWorld, count: int) -> list[str]:
    """See the module docstring. Every distinct vendor is paired with a distinct JDE supplier."""
    made = world.activity(new_bills=count)["bills"]["created"]
    assert len(made) == count, made
    suppliers = [str(r["AN8"]) for r in world.jde_rows("F0401")]
    used = {v for v in world.xrefs("vendor").values() if v}
    free = [s for s in suppliers if s not in used]
    for uuid in made:
        world.bill_status(uuid, 2)
        vendor = str(world.procurify_record("bills", uuid)["api"]["vendor"]["id"])
        if world.xrefs("vendor").get(vendor) is None:
            pair_vendor_with_supplier(world, vendor, free.pop(0))
    return [str(u) for u in made]


def batches_by_bill(world: JdeProcurifyWorld, bills: Iterable[str]) -> Counter[str]:
    """F0411Z1 pay items of the integration's batches per bill, by the batch keys the bill's UUID gives
    (one pay item per bill's voucher batch)."""
    wanted = {batch_key(BATCH_USER, b).target_id: b for b in bills}
    rows = world.jde_rows("F0411Z1", EDUS=BATCH_USER)
    found = (f"{r['EDUS'].strip()}/{r['EDBT'].strip()}/{r['EDTN'].strip()}" for r in rows)
    return Counter(wanted[k] for k in found if k in wanted)


def voucher_posts(world: JdeProcurifyWorld) -> int:
    """``ML_CreateVoucherBatch`` calls the JDE simulator received so far (counted on arrival)."""
    return posts(world, CREATE_VOUCHERS)


# -- a day of orders (JDE -> Procurify) -----------------------------------------------------------------


def sendable(world: JdeProcurifyWorld, headers: Iterable[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Of these F4301 headers, the orders the flow sends (an order type it takes, approved, something left
    to buy), by source key."""
    policy = order_policy()
    chosen: dict[str, dict[str, Any]] = {}
    for header in headers:
        lines = world.jde_rows("F4311", DOCO=header["DOCO"], DCTO=header["DCTO"], KCOO=header["KCOO"])
        if header["DCTO"] not in policy.order_types or not_approved(header, lines, policy) is not None:
            continue
        if not all_done(lines, policy):
            chosen[order_source_key(header)] = header
    return chosen


def orders_changed_on(world: JdeProcurifyWorld, day: str) -> dict[tuple, dict[str, Any]]:
    """F4301 headers of the orders whose header or any line changed on ``day`` (UPMJ): a day's partition
    of the purchase orders flow, before it decides which it sends. By (KCOO, DOCO, DCTO)."""
    wanted = julian(day)
    headers = {(h["KCOO"], h["DOCO"], h["DCTO"]): h for h in world.jde_rows("F4301")}
    keys = {k for k, h in headers.items() if int(h["UPMJ"]) == wanted}
    keys |= {(x["KCOO"], x["DOCO"], x["DCTO"]) for x in world.jde_rows("F4311", UPMJ=wanted)}
    return {k: headers[k] for k in keys if k in headers}


def enter_orders(world: JdeProcurifyWorld, count: int) -> None:
    """People enter ``count`` purchase orders in E1 now (JDE activity, which moves some older orders on
    too); the supplier of every order changed today is paired with a Procurify vendor."""
    world.jde_activity(new_purchase_orders=count)
    pair_suppliers(world, (h["AN8"] for h in orders_changed_on(world, world.day).values()))


def day_of_orders(world: JdeProcurifyWorld, day: str | None = None) -> dict[str, dict[str, Any]]:
    """The orders the flow sends for ``day`` (the world's unless given), their suppliers paired: the
    mapped step run (with the day's JDE reads), none held or refused. Source key -> F4301 header."""
    day = day or world.day
    changed = orders_changed_on(world, day)
    pair_suppliers(world, (h["AN8"] for h in changed.values()))
    mapped = world.run(*ORDERS, partition=day)[ORDERS_MAPPED]
    assert mapped["held"] == mapped["rejected"] == 0 and mapped["valid"] >= 1, (day, mapped)
    by_key = {order_source_key(h): h for h in changed.values()}
    return {k: by_key[k] for k in world.mapped_keys(ORDERS_MAPPED, day)}


def another_order_day(world: JdeProcurifyWorld) -> tuple[str, dict[str, dict[str, Any]]]:
    """The latest day before today on which the JDE sandbox's seed changed an order the flow sends (its
    header or a line): (the day, its orders, mapped as ``day_of_orders`` does)."""
    today = julian(world.day)
    days = {int(h["UPMJ"]) for h in world.jde_rows("F4301")} | {
        int(x["UPMJ"]) for x in world.jde_rows("F4311")
    }
    for day in sorted((d for d in days if d < today), reverse=True):
        if sendable(world, orders_changed_on(world, iso_day(day)).values()):
            return iso_day(day), day_of_orders(world, iso_day(day))
    raise AssertionError("the JDE sandbox's seed changed no order the flow sends before today")


def requisitions_by_order(world: JdeProcurifyWorld, orders: dict[str, dict[str, Any]]) -> Counter[str]:
    """Procurify requisitions per order, found by the order's description (how the flow finds them)."""
    found: Counter[str] = Counter()
    with world.resources["procurify"].session() as session:
        for key, header in orders.items():
            made = session.find_requisitions(
                description=order_description(header), created_since=date(2000, 1, 1)
            )
            if made:
                found[key] = len(made)
    return found


def requisition_posts(world: JdeProcurifyWorld) -> int:
    """``POST /api/v3/requisitions/`` calls the Procurify simulator received so far (counted on arrival)."""
    return int(world.procurify_state()["calls"].get(CREATE_REQUISITION, 0))


def requisitions_held(world: JdeProcurifyWorld) -> int:
    """Requisitions the Procurify simulator stores (rows of its ``orders`` table)."""
    return int(world.procurify_state()["row_counts"]["orders"])
