"""Procurify -> Oracle Fusion purchase orders: each approved Procurify purchase order (or, with
``ML_FUSION_PROCURIFY_ORDER_SOURCE=requisitions``, each approved requisition) becomes one Fusion purchase
order, created as a draft (``draftPurchaseOrders``: ``purchaseOrders`` is read-only, reference 2.4) and
submitted.

What is read. By default the day's staged Procurify POs (``procurify_purchase_orders``, polled on their last
modified day), each read in full with its ``order_items`` (``GET /api/v2/purchase_orders/{n}/``); the
Description comes from the requisition(s) its lines were ordered on (``orderNum``), read from the
requisitions list narrowed to the PO's vendor (``pref_vendor``: the list has no number filter, procurify.md
2.4). With the requisitions source (for customers who buy in Fusion, not in Procurify) the day's staged
requisitions (``procurify_requisitions``) in status 1 Approved are read with their order items
(``orderNum`` filter); a requisition with lines for several vendors becomes one order per vendor.

How it maps: ``order_mappers`` (lines, charge accounts, Description) and ``po_numbers`` (the order number
``PFY1187`` that keeps the Procurify number on the Fusion side). The supplier is the Fusion supplier paired
with the Procurify vendor (``vendor_pairs.paired_supplier``: a name match, a manual match, or a vendor made
for a supplier) at its active purchasing site in ``ML_FUSION_BUSINESS_UNIT``
(``supplier_sites.SupplierSites``). A vendor with no Fusion supplier yet holds the order on
``vendor_pairs.vendor_dependency`` (released by whatever makes the pair); a supplier without a purchasing
site in the unit, or a line whose charge account cannot be made ("Procurify PO 1187 line 2 (Rebar): Procurify
account code 6100 has no row in the account map"), refuses the order with that reason (queued; ``ml-connector
replay`` maps it again with today's tables and pairs).

Writing (``FusionPurchaseOrders``). Natural key: the order number in the business unit
(``find_purchase_order``, drafts included). Not found: ``create_draft_purchase_order``, then
``submit_draft_purchase_order``. Found: adopted (a create whose answer was lost); a draft found still
``INCOMPLETE`` (a crash between create and submit) is submitted, never created again. An order with our
number but another supplier is refused, not adopted (someone else's order).

A changed Procurify order already in Fusion: the header attributes Fusion lets an integration change
(``Description``, the buyer) are PATCHed with ``If-Match`` (``update_with_etag``: a 412 re-reads and retries
once, then ``FusionConflictError`` queues the order) on the draft; on a submitted order only where the pod
lists it among ``draftPurchaseOrders`` (Oracle documents such change orders on open orders from 25A; the
reference does not), then the change is submitted. A change of supplier, currency, lines, quantities or
prices is queued with the reason, never sent as a second order. A Procurify PO cancelled after it was sent
is queued for a person: cancelling or closing a Fusion order is a buyer's decision (Fusion's ``close`` /
``cancel`` actions act at once on money already committed), so the connector does not do it.
"""

import json
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from connector_assets.flows.assets import build_flow_assets
from connector_assets.flows.core import Mapped, Rejected, Skipped, skips_audited
from connector_assets.flows.lazy_model import lazy_model
from connector_assets.flows.replay_resources import register_settings_replay, resources_from_settings
from connector_assets.flows.targets import SessionTarget
from connector_assets.integrations.fusion_procurify import charge_accounts
from connector_assets.integrations.fusion_procurify.charge_accounts import ChargeAccounts
from connector_assets.integrations.fusion_procurify.integration import INTEGRATION, ROUTE
from connector_assets.integrations.fusion_procurify.order_mappers import (
    PO_CANCELLED,
    PO_STATE_NAMES,
    REQUISITION_APPROVED,
    REQUISITION_STATUS_NAMES,
    body_of,
    checked_payload,
    code_of,
    draft_of,
    draft_order,
    id_of,
    item_vendor,
    live_items,
    name_of,
    notes,
    order_differences,
    order_lines,
    order_num,
    order_total,
    text,
)
from connector_assets.integrations.fusion_procurify.po_numbers import (
    fusion_order_number,
    order_prefix,
    po_source_key,
    requisition_source_key,
)
from connector_assets.integrations.fusion_procurify.supplier_sites import SupplierSites
from connector_assets.integrations.fusion_procurify.vendor_pairs import paired_supplier, vendor_dependency
from connector_assets.procurify.record_reads import mapped_or_queued, read_for_record
from connector_assets.saas import saas_daily_partitions
from connector_resources import settings
from connector_resources.fusion.session import DRAFT_STATUSES
from connector_resources.ledger import Ledger
from connector_resources.procurify.errors import ProcurifyNotFoundError
from connector_resources.redaction import get_logger

ENTITY = "purchase_order"
SOURCE_ENV = "ML_FUSION_PROCURIFY_ORDER_SOURCE"
BUYER_ENV = "ML_FUSION_PROCURIFY_BUYER"
PURCHASE_ORDERS_ASSET = "procurify_purchase_orders"  # staged by connector_assets.saas_assets
REQUISITIONS_ASSET = "procurify_requisitions"
log = get_logger("ml_connector.fusion_procurify")


def order_source() -> str:
    """``ML_FUSION_PROCURIFY_ORDER_SOURCE``: purchase_orders (default) or requisitions."""
    return settings.read(SOURCE_ENV)


@lazy_model
def FusionOrderRecord() -> type:
    """What Fusion accepts as a purchase order made from a Procurify order (the draft's own rules, field by
    field, are checked when its payload is built)."""
    import pandera.pandas as pa
    from pandera.typing import Series

    class FusionOrderRecord(pa.DataFrameModel):
        order: Series[str] = pa.Field(str_matches=r"^(PO\d+|REQ\d+(-\d+)?)$")
        order_number: Series[str] = pa.Field(str_length={"min_value": 1, "max_value": 20})
        vendor: Series[str] = pa.Field(str_matches=r"^\d+$")
        description: Series[str] = pa.Field(str_length={"max_value": 240})
        lines: Series[int] = pa.Field(ge=1)
        total: Series[float] = pa.Field(ge=0)

        class Config:
            strict = True
            coerce = True

    return FusionOrderRecord


# -- reading Procurify ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SourceOrder:
    """One Procurify order to become one Fusion order: its key and name, vendor, currency, notes and items."""

    source_key: str
    label: str
    vendor_id: str
    currency: str | None
    description: str | None
    items: list[Mapping[str, Any]]


def _latest(staging: Any, asset: str, partition: str | None, key: str) -> list[dict[str, Any]]:
    """The partition's staged records of ``asset``, the latest version of each (by ``key``)."""
    latest: dict[str, tuple[dict[str, Any], datetime]] = {}
    for row in staging.read_rows(asset, partition):
        record = json.loads(row["record"])
        ident = text(record.get(key)) or text(row["id"])
        stamp = row["updated_at"] or datetime.min.replace(tzinfo=UTC)
        stamp = stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)
        if ident not in latest or stamp >= latest[ident][1]:
            latest[ident] = (record, stamp)
    return [record for record, _ in latest.values()]


class OrderReader:
    """What one mapping step (or replay) reads and decides, on one Procurify and one Fusion session: full
    POs, requisitions by vendor (for their notes), pairs, sites and charge accounts."""

    def __init__(
        self, procurify: Any, fusion: Any, ledger: Ledger, charges: ChargeAccounts, *, prefix: str
    ) -> None:
        self.procurify, self.ledger, self.charges, self.prefix = procurify, ledger, charges, prefix
        self.sites = SupplierSites(fusion)
        self.business_unit: str = fusion.business_unit
        self.buyer = settings.value(BUYER_ENV).strip() or None
        self._requisitions: dict[str, dict[str, Mapping[str, Any]]] = {}

    def sent(self, key: str) -> str | None:
        """The Fusion POHeaderId this order was written as, None when it was never written."""
        xref = self.ledger.get_xref(INTEGRATION, ENTITY, ROUTE.source_system, key, ROUTE.target_system)
        return xref.target_id if xref is not None and xref.target_id else None

    def requisitions_of(self, vendor_id: str) -> dict[str, Mapping[str, Any]]:
        """The requisitions with a line for ``vendor_id`` (``pref_vendor``), by number, read once a run."""
        if vendor_id not in self._requisitions:
            rows = self.procurify.iter_all("requisitions", filters={"pref_vendor": vendor_id})
            self._requisitions[vendor_id] = {text(r.get("num")): r for r in rows}
        return self._requisitions[vendor_id]

    def order_items(self, num: str) -> list[Mapping[str, Any]]:
        """A requisition's order items (``orderNum`` filter, re-checked here)."""
        rows = self.procurify.iter_all("order_items", filters={"orderNum": num})
        return [r for r in rows if order_num(r) == num]

    # -- purchase orders --------------------------------------------------------------------------------

    def purchase_order(self, listed: Mapping[str, Any]) -> Mapped | Rejected | Skipped | None:
        """A staged (list) PO read in full and mapped."""
        number = text(listed.get("procurify_PO"))
        key = po_source_key(number)

        def mapped() -> Mapped | Rejected | Skipped | None:
            try:
                po = read_for_record("its full record", lambda: self.procurify.get("purchase_orders", number))
            except ProcurifyNotFoundError as exc:
                return Rejected(
                    key, f"Procurify PO {number} cannot be read from Procurify ({exc}); nothing sent"
                )
            return self.po_record(po)

        # Procurify not answering one PO's reads after every retry queues that PO; the rest still go.
        return mapped_or_queued(key, f"Procurify PO {number}", mapped)

    def po_record(self, po: Mapping[str, Any]) -> Mapped | Rejected | Skipped | None:
        number = text(po.get("procurify_PO"))
        key, label = po_source_key(number), f"Procurify PO {number}"
        sent = self.sent(key)
        state = code_of(po.get("state"))
        if state == PO_CANCELLED:
            if sent is None:
                return Skipped(key, f"{label} was cancelled in Procurify before it was sent; nothing to send")
            return Rejected(
                key,
                f"{label} was cancelled in Procurify after it was sent to Fusion as order "
                f"{fusion_order_number(key, self.prefix)} (POHeaderId {sent}). Cancelling or closing a "
                "Fusion order is a buyer's decision the connector does not take: cancel it in Fusion if "
                "that is right, then abandon this item",
            )
        items = live_items(po.get("order_items") or [])
        vendor_id = id_of(po.get("pref_vendor")) or next(
            (item_vendor(i) for i in items if item_vendor(i)), ""
        )
        if not vendor_id:
            return Rejected(key, f"{label} names no vendor; nothing sent")
        nums = sorted(
            {order_num(i) for i in items if order_num(i)}, key=lambda n: int(n) if n.isdigit() else 0
        )
        found = self.requisitions_of(vendor_id)
        missing = [n for n in nums if n not in found]
        if missing:
            log.warning(
                "%s: requisition(s) %s not among vendor %s's requisitions; their notes are left out of the "
                "Fusion order's Description",
                label,
                ", ".join(missing),
                vendor_id,
            )
        source = SourceOrder(
            source_key=key,
            label=label,
            vendor_id=vendor_id,
            currency=name_of(po.get("purchased_currency")) or None,
            description=notes(found[n].get("description") for n in nums if n in found),
            items=items,
        )
        if not items:
            return Rejected(key, f"{label} has no lines left to order (all rejected or denied); nothing sent")
        if state not in PO_STATE_NAMES:
            log.info("%s: unknown state %r; sent as a purchased PO", label, po.get("state"))
        return self.record(source)

    # -- requisitions -----------------------------------------------------------------------------------

    def requisition_records(self, requisition: Mapping[str, Any]) -> list[Mapped | Rejected | Skipped]:
        """An approved requisition as one order per vendor of its lines; [] when it is not (yet) approved
        and was never sent."""
        num = text(requisition.get("num"))
        label = f"Procurify requisition {num}"
        status = code_of(requisition.get("status"))
        items = live_items(self.order_items(num))
        vendors = sorted({item_vendor(i) for i in items if item_vendor(i)}, key=lambda v: int(v))
        keys = (
            [requisition_source_key(num)]
            if len(vendors) <= 1
            else [requisition_source_key(num, v) for v in vendors]
        )
        if status != REQUISITION_APPROVED:
            name = REQUISITION_STATUS_NAMES.get(status, str(requisition.get("status")))
            out: list[Mapped | Rejected | Skipped] = []
            for key in keys:
                sent = self.sent(key)
                if sent is not None and status in (2, 4):
                    out.append(
                        Rejected(
                            key,
                            f"{label} is {name} in Procurify now, after it was sent to Fusion as order "
                            f"{fusion_order_number(key, self.prefix)} (POHeaderId {sent}); cancelling a "
                            "Fusion order is a buyer's decision: cancel it in Fusion if that is right, "
                            "then abandon this item",
                        )
                    )
            return out  # not approved (pending, draft) or bought in Procurify: not this flow's to send
        if not vendors:
            return [Rejected(keys[0], f"{label} has no lines with a vendor; nothing sent")]
        out = []
        for key, vendor_id in zip(keys, vendors, strict=True):
            mine = [i for i in items if item_vendor(i) == vendor_id]
            source = SourceOrder(
                source_key=key,
                label=label if len(vendors) == 1 else f"{label} (vendor {vendor_id})",
                vendor_id=vendor_id,
                currency=name_of(requisition.get("currency")) or None,
                description=notes([requisition.get("description")]),
                items=mine,
            )
            out.append(self.record(source))
        return out

    def requisition_by_key(self, key: str) -> list[Mapped | Rejected | Skipped]:
        """The requisition of source key ``REQ<n>[-<vendor>]`` read again (replay)."""
        num = key.removeprefix("REQ").split("-")[0]
        items = self.order_items(num)
        vendors = {item_vendor(i) for i in items if item_vendor(i)}
        header = next(
            (self.requisitions_of(v).get(num) for v in sorted(vendors) if num in self.requisitions_of(v)),
            None,
        )
        if header is None:
            return [Rejected(key, f"Procurify requisition {num} is not found in Procurify; nothing sent")]
        return [r for r in self.requisition_records(header) if r.source_key == key]

    # -- the order ----------------------------------------------------------------------------------------

    def record(self, source: SourceOrder) -> Mapped | Rejected:
        """The Fusion order of ``source``: held on its vendor's pairing, refused naming what to fix, or
        mapped with its supplier, site and charge accounts."""
        key, label = source.source_key, source.label
        order_number = fusion_order_number(key, self.prefix)
        mapped = order_lines(label, source.items, self.charges.combination)
        if mapped.problems:
            return Rejected(
                key, "; ".join(mapped.problems) + "; fix the mapping table (or Procurify), then replay"
            )
        supplier_id = paired_supplier(self.ledger, source.vendor_id)
        depends_on: str | None = None
        supplier = site = ""
        if supplier_id is None:
            depends_on = vendor_dependency(source.vendor_id)
        else:
            found, why = self.sites.site_for(supplier_id, self.business_unit, "purchasing")
            if found is None:
                return Rejected(key, f"{label}: {why}")
            supplier, site = found.supplier, found.site
        draft = draft_order(
            order_number=order_number,
            business_unit=self.business_unit,
            supplier=supplier,
            supplier_site=site,
            currency=source.currency,
            description=source.description,
            buyer=self.buyer,
            lines=mapped.lines,
        )
        if depends_on is None:
            _payload, problem = checked_payload(draft)
            if problem:
                return Rejected(key, f"{label}: {problem}")
        body = body_of(draft)
        return Mapped(
            source_key=key,
            body=body,
            fields={
                "order": key,
                "order_number": order_number,
                "vendor": source.vendor_id,
                "description": source.description or "",
                "lines": len(mapped.lines),
                "total": float(order_total(body)),
            },
            natural_key={
                "order_number": order_number,
                "business_unit": self.business_unit,
                "supplier_id": supplier_id,
                "label": label,
            },
            depends_on=depends_on,
        )


def _emit(
    ledger: Ledger,
    records: Iterable[Mapped | Rejected | Skipped | None],
    *,
    run_id: str | None,
    partition: str | None,
) -> Iterator[Mapped | Rejected]:
    """The records to validate and write; a skip is audited here and not passed on."""
    return skips_audited(PURCHASE_ORDERS_FLOW, ledger, records, run_id=run_id, partition=partition)


_RUN_REQUISITIONS: dict[str, dict[str, dict[str, Mapping[str, Any]]]] = {}
_RUN_REQUISITIONS_LOCK = threading.Lock()


def requisitions_for_run(run_id: str) -> dict[str, dict[str, Mapping[str, Any]]]:
    """The requisitions-by-vendor cache ``OrderReader.requisitions_of`` fills, shared by every day of one
    run. A run over a range of days (a backfill run as one) maps day by day with a reader each; a cache per
    reader read a vendor's whole requisition list (``pref_vendor``, every page: the orders list has no
    number filter and order items do not carry the requisition's notes, procurify.md 2.4) again on each
    day that has a PO of that vendor. The requisitions a day's POs were ordered on exist before the run's
    source read staged the POs, so a list read earlier in the run holds them. One run is kept (the
    latest), so a long-lived process holds no old run's lists."""
    with _RUN_REQUISITIONS_LOCK:
        if run_id not in _RUN_REQUISITIONS:
            _RUN_REQUISITIONS.clear()
            _RUN_REQUISITIONS[run_id] = {}
        return _RUN_REQUISITIONS[run_id]


def _reader(resources: Any, procurify: Any, fusion: Any, *, restage: bool) -> OrderReader:
    charges = ChargeAccounts.load(resources.staging, restage=restage)
    return OrderReader(procurify, fusion, resources.ledger.get(), charges, prefix=order_prefix())


def map_purchase_orders(context: Any, partition: str | None) -> Iterator[Mapped | Rejected]:
    """The partition's approved Procurify POs (or requisitions, by the source setting) as Fusion orders."""
    resources = context.resources
    source = order_source()
    asset, key = (
        (PURCHASE_ORDERS_ASSET, "procurify_PO")
        if source == "purchase_orders"
        else (REQUISITIONS_ASSET, "num")
    )
    staged = _latest(resources.staging, asset, partition, key)
    if not staged:
        return
    run_id = context.run.run_id
    with resources.procurify.session() as procurify, resources.fusion.session() as fusion:
        reader = _reader(resources, procurify, fusion, restage=False)
        reader._requisitions = requisitions_for_run(run_id)  # one read per vendor per run, not per day
        if source == "purchase_orders":
            records: Iterable[Any] = (reader.purchase_order(po) for po in staged)
        else:
            records = (r for req in staged for r in reader.requisition_records(req))
        yield from _emit(reader.ledger, records, run_id=run_id, partition=partition)


def remap_purchase_orders(context: Any, keys: list[str]) -> Iterator[Mapped | Rejected]:
    """The named orders (``PO<n>`` / ``REQ<n>``) read from Procurify again and mapped with today's tables,
    pairs and sites (replay)."""
    resources = context.resources
    with resources.procurify.session() as procurify, resources.fusion.session() as fusion:
        reader = _reader(resources, procurify, fusion, restage=True)
        for key in keys:
            if key.startswith("PO"):
                records: list[Any] = [reader.purchase_order({"procurify_PO": key.removeprefix("PO")})]
            else:
                records = reader.requisition_by_key(key)
            yield from _emit(reader.ledger, records, run_id=None, partition=None)


# -- writing to Fusion ------------------------------------------------------------------------------------


def _status(order: Mapping[str, Any]) -> str:
    """An order's status code (``StatusCode``, else its ``Status`` upper-cased; both unconfirmed names)."""
    return (text(order.get("StatusCode")) or text(order.get("Status"))).upper()


class FusionPurchaseOrders(SessionTarget):
    """The Fusion side: find an order by number in the business unit, create a draft and submit it, or bring
    an order up to date where Fusion allows (see the module docstring)."""

    resource = "fusion"
    writes = ("draft_purchase_orders",)

    def find(self, record: Mapped) -> str | None:
        """The order this record made, when the ledger lost its ``POHeaderId`` (a crash between the POST
        and storing the id): by ``OrderNumber`` only when ML_FUSION_SEND_UNCONFIRMED says the pod lets
        us set it, else by fingerprint (``_fingerprinted``)."""
        key = record.natural_key
        if not self.numbers_ours:
            return self._fingerprinted(record)
        order = self.session.find_purchase_order(key["order_number"], procurement_bu=key["business_unit"])
        if order is None:
            return None
        self._same_supplier(order, record)
        return str(order["POHeaderId"])

    @property
    def numbers_ours(self) -> bool:
        """Whether we send (so Fusion keeps) our ``OrderNumber``: only when the operator says so."""
        return "OrderNumber" in getattr(self.session, "send_unconfirmed", frozenset())

    def _fingerprinted(self, record: Mapped) -> str | None:
        """The one order of the record's supplier, site and business unit (confirmed attributes) whose
        currency and lines (numbers, quantities, prices) are the record's; None when there is none. Two
        or more are refused naming them, never guessed: adopting the wrong one loses an order, creating
        one more may double the spend, so an operator decides (``xref set``, then replay)."""
        body, key = record.body, record.natural_key
        matches = []
        for order in self.session.purchase_orders_of(
            body["Supplier"], body["SupplierSite"], procurement_bu=key["business_unit"]
        ):
            want, have = text(body.get("CurrencyCode")), text(order.get("CurrencyCode"))
            if want and have and want != have:
                continue
            lines = list(self.session.iter_children("purchase_orders", order, "lines"))
            if not order_differences(order, lines, body).problems:
                matches.append(order)
        if not matches:
            return None
        if len(matches) > 1:
            found = ", ".join(f"{m.get('OrderNumber')} (POHeaderId {m.get('POHeaderId')})" for m in matches)
            raise ValueError(
                f"{key.get('label') or record.source_key}: the ledger holds no Fusion order for it and "
                f"{len(matches)} Fusion orders of {body['Supplier']} / {body['SupplierSite']} in "
                f"{key['business_unit']} have its lines: {found}. Not adopted and not created (either "
                "could double the spend): link the right one with `ml-connector xref set`, then replay"
            )
        return str(matches[0]["POHeaderId"])

    def _same_supplier(self, order: Mapping[str, Any], record: Mapped) -> None:
        want = text(record.natural_key.get("supplier_id"))
        have = text(order.get("SupplierId"))
        if want and have and want != have:
            raise ValueError(
                f"Fusion already has order {order.get('OrderNumber')} in "
                f"{record.natural_key['business_unit']} "
                f"(POHeaderId {order.get('POHeaderId')}) for supplier {order.get('Supplier')} ({have}), not "
                f"{record.body.get('Supplier')} ({want}): not adopted. Someone else's order carries this "
                "number; renumber it in Fusion or change ML_FUSION_PROCURIFY_ORDER_PREFIX, then replay"
            )

    def create(self, record: Mapped) -> str:
        created = self.session.create_draft_purchase_order(draft_of(record.body))
        header_id = str(created["POHeaderId"])
        try:
            self.session.submit_draft_purchase_order(created)
        except Exception as exc:
            raise RuntimeError(
                f"draft order {record.natural_key['order_number']} was created in Fusion (POHeaderId "
                f"{header_id}) but its submit failed: {exc}. It stays INCOMPLETE until the next run or "
                "replay finds it by number and submits it (it is never created twice)"
            ) from exc
        return header_id

    def update(self, target_id: str, record: Mapped) -> None:
        key = record.natural_key
        order = self._by_id(target_id)
        if order is None:
            raise ValueError(
                f"Fusion order POHeaderId {target_id} (for {key['order_number']}) is not found in "
                f"{key['business_unit']} any more; recreating it could duplicate the spend: check Fusion, "
                "then abandon this item or forget its cross-reference and replay"
            )
        self._same_supplier(order, record)
        lines = list(self.session.iter_children("purchase_orders", order, "lines"))
        differences = order_differences(order, lines, record.body)
        draft = self._draft(target_id)
        if differences.header:
            if draft is None:
                differences.problems.insert(
                    0,
                    f"{', '.join(differences.header)} changed in Procurify, but Fusion does not list order "
                    f"{key['order_number']} (status {_status(order) or 'unknown'}) among draft purchase "
                    "orders, so the API cannot change it: change it in Fusion (a change order)",
                )
            else:
                body = record.body
                self.session.update_with_etag(
                    "draft_purchase_orders",
                    draft,
                    differences.header,
                    build_changes=lambda fresh: order_differences(fresh, lines, body).header,
                )
        if differences.problems:
            raise ValueError(
                f"Fusion order {key['order_number']} (POHeaderId {target_id}) differs from "
                f"{key.get('label') or record.source_key}: "
                + "; ".join(differences.problems)
                + ". Fusion's draft purchase orders cannot make these changes to an existing order and a "
                "second order would duplicate the spend: make them in Fusion (a change order), then abandon "
                "this item"
            )
        if draft is not None:
            self.session.submit_draft_purchase_order(draft)

    def _by_id(self, header_id: str) -> dict[str, Any] | None:
        """The order (else the draft) with this ``POHeaderId``, the id the ledger keeps for it: found
        whether or not Fusion kept our order number."""
        for name in ("purchase_orders", "draft_purchase_orders"):
            found = self.session.search(name, {"POHeaderId": int(header_id)})
            if found:
                return found[0]
        return None

    def _draft(self, header_id: str) -> dict[str, Any] | None:
        """The order as a draft (INCOMPLETE, or a change order the pod lists there), None when it is not."""
        found = self.session.search("draft_purchase_orders", {"POHeaderId": int(header_id)})
        drafts = [d for d in found if _status(d) in ("", *DRAFT_STATUSES)]
        return drafts[0] if drafts else None


PURCHASE_ORDERS_FLOW = ROUTE.flow(
    "purchase_orders",
    ENTITY,
    FusionOrderRecord,
    map_purchase_orders,
    remap_purchase_orders,
    FusionPurchaseOrders,
    # Beyond the staged POs / requisitions and the charge account tables (upstream): each full PO, the
    # requisitions (notes) and order items in Procurify; each supplier and its sites, orders and drafts in
    # Fusion.
    reads={
        "procurify": ("purchase_orders", "requisitions", "order_items"),
        "fusion": ("suppliers", "purchase_orders", "draft_purchase_orders"),
    },
)


def _settings_resources() -> dict[str, Any]:
    return resources_from_settings(("fusion", "procurify", "staging"))


def register_purchase_order_replays(resources: Callable[[], dict[str, Any]] = _settings_resources) -> None:
    """``ml-connector replay`` for ``purchase_orders``: a queued order is read again from Procurify, mapped
    with today's tables, pairs and sites, and written (created once, adopted, submitted or updated).
    ``resources``: today's ``fusion``, ``procurify`` and ``staging`` (from settings unless given)."""
    register_settings_replay(PURCHASE_ORDERS_FLOW, FusionPurchaseOrders.for_replay, resources)


purchase_orders_assets = build_flow_assets(
    PURCHASE_ORDERS_FLOW,
    partitions_def=saas_daily_partitions(),
    # Both sources are upstream (lineage); ML_FUSION_PROCURIFY_ORDER_SOURCE picks the one read.
    upstream=[PURCHASE_ORDERS_ASSET, REQUISITIONS_ASSET, *charge_accounts.UPSTREAM],
    resource_keys={"fusion", "procurify"},
    group=INTEGRATION,
    kinds={"procurify", "fusion"},
)
