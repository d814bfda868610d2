"""Procurify's purchase orders and requisitions as the orders another system is to make (``SourceOrder``):
which are sent, left alone or refused naming why; an integration subclasses ``ProcurifyOrders`` with its keys
and target. One cancelled after it was sent is refused for a person; one made for another system's order is
skipped unless sent before. Depth: docs/integrations/fusion_procurify.md, "Purchase orders".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from logging import Logger
from typing import Any, ClassVar

from connector_assets.flows.core import Mapped, Rejected, Skipped
from connector_assets.flows.values import text, whole_number
from connector_assets.procurify.order_fields import (
    PO_CANCELLED,
    PO_STATE_NAMES,
    REQUISITION_APPROVED,
    REQUISITION_STATUS_NAMES,
    id_of,
    item_vendor,
    live_items,
    name_of,
    order_num,
)
from connector_assets.procurify.order_reads import ProcurifyOrderReads
from connector_assets.procurify.record_reads import NOT_FOUND, mapped_or_queued, read_for_record
from connector_assets.procurify.source_orders import source_order_of
from connector_resources.procurify.errors import ProcurifyNotFoundError
from connector_resources.redaction import get_logger
from connector_resources.refusals import refused, source_invalid

# The rule of an order cancelled once its target holds it.
CANCELLED = "cancelled in Procurify after it was sent"
Outcome = Mapped | Rejected | Skipped | None


@dataclass(frozen=True)
class SourceOrder:
    """One Procurify order to become one order in the target: its key and name, vendor, currency, the notes
    (``description``) of the requisitions it came from, in order, and its live items."""

    source_key: str
    label: str
    vendor_id: str
    currency: str | None
    notes: list[Any]
    items: list[Mapping[str, Any]]


class ProcurifyOrders:
    """Procurify's POs and requisitions read (``reads``) and sorted into orders to send, skips and refusals;
    each order to send goes to the integration's ``record`` (module docstring)."""

    target_label: ClassVar[str] = "the target"  # the system the orders go to, as a buyer names it
    log: ClassVar[Logger] = get_logger("ml_connector.procurify")

    def __init__(self, reads: ProcurifyOrderReads) -> None:
        self.reads = reads

    # -- the integration's ------------------------------------------------------------------------------

    def po_key(self, number: str) -> str:
        """The ledger key of Procurify PO ``number``."""
        raise NotImplementedError

    def requisition_key(self, num: str, vendor_id: str | None = None) -> str:
        """The ledger key of requisition ``num`` (of its lines for ``vendor_id`` when it has several)."""
        raise NotImplementedError

    def sent(self, key: str) -> str | None:
        """The target's id of the order ``key`` was written as, None when it was never written."""
        raise NotImplementedError

    def sent_as(self, key: str, target_id: str) -> str:
        """What order ``key`` was sent as, after "sent to" (``Fusion as order PFY1187 (POHeaderId 3)``)."""
        raise NotImplementedError

    def record(self, source: SourceOrder) -> Mapped | Rejected:
        """The target's order of ``source``: mapped, held or refused."""
        raise NotImplementedError

    def held_unread(self, key: str, vendor_id: str) -> Rejected | None:
        """PO ``key`` held on its list row's vendor before its full read, or None to read it."""
        return None

    # -- purchase orders --------------------------------------------------------------------------------

    def purchase_order(self, listed: Mapping[str, object]) -> Outcome:
        """A staged (list) PO read in full and mapped."""
        number = text(listed.get("procurify_PO"))
        key = self.po_key(number)
        vendor_id = id_of(listed.get("pref_vendor"))
        if vendor_id and whole_number(listed.get("state")) != PO_CANCELLED:
            held = self.held_unread(key, vendor_id)
            if held is not None:
                return held

        def mapped() -> Outcome:
            try:
                po = read_for_record("its full record", lambda: self.reads.purchase_order(number))
            except ProcurifyNotFoundError as exc:
                said = f"Procurify PO {number} cannot be read from Procurify ({exc}); nothing sent"
                return Rejected.of(key, refused(said, rule=NOT_FOUND))
            return self.po_record(po)

        # Procurify not answering one PO's reads after every retry queues that PO; the rest still go.
        return mapped_or_queued(key, f"Procurify PO {number}", mapped)

    def po_record(self, po: Mapping[str, Any]) -> Outcome:
        number = text(po.get("procurify_PO"))
        key, label = self.po_key(number), f"Procurify PO {number}"
        sent = self.sent(key)
        state = whole_number(po.get("state"))
        target = self.target_label
        if state == PO_CANCELLED:
            if sent is None:
                return Skipped(key, f"{label} was cancelled in Procurify before it was sent; nothing to send")
            said = (
                f"{label} was cancelled in Procurify after it was sent to {self.sent_as(key, sent)}. "
                f"Cancelling or closing a {target} order is a buyer's decision the connector does not take: "
                f"cancel it in {target} if that is right, then abandon this item"
            )
            return Rejected.of(key, refused(said, rule=CANCELLED))
        items = live_items(po.get("order_items") or [])
        vendor_id = id_of(po.get("pref_vendor")) or next((v for i in items if (v := item_vendor(i))), "")
        if not vendor_id:
            said = f"{label} names no vendor; nothing sent"
            return Rejected.of(key, source_invalid(said, field="pref_vendor"))
        nums = sorted({n for i in items if (n := order_num(i))}, key=lambda n: int(n) if n.isdigit() else 0)
        found = self.reads.requisitions_of(vendor_id)
        missing = [n for n in nums if n not in found]
        if missing:
            self.log.warning(
                "%s: requisition(s) %s not among vendor %s's requisitions; their notes are left out of the "
                "%s order's Description",
                label,
                ", ".join(missing),
                vendor_id,
                target,
            )
        source = SourceOrder(
            source_key=key,
            label=label,
            vendor_id=vendor_id,
            currency=name_of(po.get("purchased_currency")) or None,
            notes=[found[n].get("description") for n in nums if n in found],
            items=items,
        )
        if not items:
            said = f"{label} has no lines left to order (all rejected or denied); nothing sent"
            return Rejected.of(key, refused(said, rule="no lines left to order"))
        marks = {n: source_order_of(found[n].get("description")) for n in nums if n in found}
        theirs = [n for n in nums if marks.get(n)]
        if theirs and sent is None:
            made = "; ".join(f"requisition {n}, made for {marks[n]}" for n in theirs)
            if len(theirs) == len(nums):
                return Skipped(
                    key,
                    f"{label} was purchased from {made} by that system's integration: the order is that "
                    f"system's, not one to send to {target}; nothing sent",
                )
            rest = ", ".join(n for n in nums if n not in theirs)
            said = (
                f"{label} has lines from {made} (that system's order) and lines from requisition(s) {rest}; "
                f"nothing sent: split the PO in Procurify (that system's lines apart), then replay"
            )
            return Rejected.of(key, refused(said, rule="lines of another system's order"))
        if state not in PO_STATE_NAMES:
            self.log.info("%s: unknown state %r; sent as a purchased PO", label, po.get("state"))
        return self.record(source)

    # -- requisitions -----------------------------------------------------------------------------------

    def requisition_records(self, requisition: Mapping[str, object]) -> list[Mapped | Rejected | Skipped]:
        """An approved requisition as one order per vendor of its lines; [] when it is not (yet) approved
        and was never sent."""
        num = text(requisition.get("num"))
        label = f"Procurify requisition {num}"
        status = whole_number(requisition.get("status"))
        items = live_items(self.reads.order_items(num))
        vendors = sorted({item_vendor(i) for i in items if item_vendor(i)}, key=lambda v: int(v))
        keys = (
            [self.requisition_key(num)]
            if len(vendors) <= 1
            else [self.requisition_key(num, v) for v in vendors]
        )
        if status != REQUISITION_APPROVED:
            name = REQUISITION_STATUS_NAMES.get(status, str(requisition.get("status")))
            target = self.target_label

            def cancelled(key: str, sent: str) -> Rejected:
                said = (
                    f"{label} is {name} in Procurify now, after it was sent to {self.sent_as(key, sent)}; "
                    f"cancelling a {target} order is a buyer's decision: cancel it in {target} if that is "
                    "right, then abandon this item"
                )
                return Rejected.of(key, refused(said, rule=CANCELLED))

            # Not approved (pending, draft) or bought in Procurify: not this flow's to send.
            sent = {key: self.sent(key) for key in keys}
            return [cancelled(key, to) for key, to in sent.items() if to is not None and status in (2, 4)]
        if not vendors:
            said = f"{label} has no lines with a vendor; nothing sent"
            return [Rejected.of(keys[0], source_invalid(said, field="line_items.vendor"))]
        mark = source_order_of(requisition.get("description"))
        if mark is not None and all(self.sent(key) is None for key in keys):
            why = (
                f"{label} was made for {mark} by that system's integration: the order is that system's, "
                f"not one to send to {self.target_label}; nothing sent"
            )
            return [Skipped(key, why) for key in keys]
        out = []
        for key, vendor_id in zip(keys, vendors, strict=True):
            source = SourceOrder(
                source_key=key,
                label=label if len(vendors) == 1 else f"{label} (vendor {vendor_id})",
                vendor_id=vendor_id,
                currency=name_of(requisition.get("currency")) or None,
                notes=[requisition.get("description")],
                items=[i for i in items if item_vendor(i) == vendor_id],
            )
            out.append(self.record(source))
        return out

    def requisition_by_number(self, num: str, key: str) -> list[Mapped | Rejected | Skipped]:
        """Requisition ``num`` read again and mapped, keeping the order of source key ``key`` (replay)."""
        header = self.reads.requisition(num)
        if header is None:
            said = f"Procurify requisition {num} is not found in Procurify; nothing sent"
            return [Rejected.of(key, refused(said, rule=NOT_FOUND))]
        return [r for r in self.requisition_records(header) if r.source_key == key]
