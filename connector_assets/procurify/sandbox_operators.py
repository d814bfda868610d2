"""The Procurify sandbox's people as ``make dev`` plays them (requesters, buyer, receiver, AP clerk, through
the simulator's ``/sandbox/...`` routes) and the set-up pointing its seeded vendors at another sandbox's
suppliers: the API cannot make a PO, so someone must purchase. Never aimed at a real Procurify: the
integrations ask ``flows.sandbox_setup.embedded`` first.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import requests

from connector_assets.procurify.vendor_pairing import PROCURIFY, VENDOR_ENTITY, VendorPairing
from connector_assets.runtime.session_source import SessionSource
from connector_resources.ledger import Ledger
from connector_resources.procurify.session import ProcurifySession


class ProcurifyOperators:
    """The operator routes of the Procurify sandbox at ``root``, one person's action per call."""

    def __init__(self, root: str) -> None:
        self.root = root

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any] | None:
        """An operator action; None when the simulator refuses it (the record moved on meanwhile)."""
        answer = requests.post(f"{self.root}/sandbox/{path}", json=body, timeout=60)
        if answer.status_code >= 500:
            answer.raise_for_status()
        return answer.json() if answer.status_code < 300 else None

    def record(self, kind: str, key: int | str) -> dict[str, Any]:
        """A record as the API shows it (``/sandbox/records/{kind}/{key}``)."""
        answer = requests.get(f"{self.root}/sandbox/records/{kind}/{key}", timeout=30)
        answer.raise_for_status()
        return answer.json()["api"]

    def raise_requisitions(self, count: int) -> list[int] | None:
        """The requesters raise ``count`` requisitions; their numbers (None: refused)."""
        answer = self.post("activity", {"new_requisitions": count})
        return None if answer is None else answer["requisitions"]["created"]

    def purchase(self, uuid: str) -> list[int] | None:
        """The buyer purchases requisition ``uuid``: the numbers of the POs made (None: refused)."""
        done = self.post(f"requisitions/{uuid}/purchase", {})
        return [po["procurify_PO"] for po in done["purchase_orders"]] if done else None

    def receive_and_bill(self, number: int) -> str | None:
        """The receiver receives PO ``number`` in full and the AP clerk enters its bill approved: the bill's
        uuid (None: either step refused)."""
        if self.post(f"purchase-orders/{number}/receive", {"fraction": 1.0}) is None:
            return None
        entered = self.post(f"purchase-orders/{number}/bill", {"status": 2})
        return entered["bill_uuid"] if entered else None

    def bill_all(self, numbers: list[int]) -> list[str]:
        """``receive_and_bill`` each of the PO ``numbers``: the uuids of the bills entered."""
        return [uuid for number in numbers if (uuid := self.receive_and_bill(number))]

    def buy(
        self, why_not: Callable[[int], tuple[Any, str | None]], *, batch: int, most: int, wanted: int
    ) -> tuple[int, list[int]]:
        """The requesters raise ``batch`` requisitions at a time and the buyer purchases those ``why_not``
        finds nothing against (it answers a requisition's uuid and why it is left pending, or None), until
        ``wanted`` were purchased or ``most`` raised; (how many were raised, the numbers of the POs made)."""
        raised, purchased, bought = 0, 0, []
        while purchased < wanted and raised < most:
            nums = self.raise_requisitions(batch)
            if nums is None:
                break
            raised += len(nums)
            for num in nums:
                uuid, why = why_not(num)
                if why is not None or purchased >= wanted:
                    continue  # left pending, as a buyer leaves what is not theirs to buy
                made = self.purchase(uuid)
                if made is not None:
                    purchased += 1
                    bought += made
        return raised, bought

    def requisition_lines(
        self, procurify: SessionSource[ProcurifySession], num: int
    ) -> tuple[str, list[dict[str, Any]]]:
        """(uuid, lines) of requisition ``num``, its lines read through the API (``procurify``: the
        resource), as a buyer reads the screen."""
        uuid = self.record("orders", num)["uuid"]
        with procurify.session() as session:
            return uuid, list(session.iter_all("order_items", filters={"orderNum": num}))

    def pay(self, bill_uuid: str) -> bool:
        """The AP clerk records a payment of the bill; False when refused (the sandbox's own activity may
        have paid it meanwhile)."""
        return bool(self.post("payments", {"bill_uuids": [bill_uuid], "status": "paid"}))


def link_vendor_erp_keys(root: str, numbers: list[int], text: str = "{n}") -> dict[str, object]:
    """Re-point the Procurify sandbox's seeded vendor ERP keys at ``numbers`` (another sandbox's supplier
    keys, ``text`` their shape) through ``POST /sandbox/vendors/erp-links``; idempotent. The route's counts
    plus ``suppliers`` (how many numbers were offered)."""
    response = requests.post(
        f"{root}/sandbox/vendors/erp-links", json={"numbers": numbers, "format": text}, timeout=60
    )
    response.raise_for_status()
    return {**response.json(), "suppliers": len(numbers)}


def active_vendors(procurify: SessionSource[ProcurifySession]) -> list[dict[str, Any]]:
    """The Procurify vendors that are active and purchasable (type 3 PREFERRED or 4 REGULAR, not the OTHER
    bucket or a system vendor), by ascending id (read through the API)."""
    with procurify.session() as session:
        rows = list(session.iter_all("vendors"))
    live = [r for r in rows if r.get("active", True) and r.get("type") in (3, 4, None)]
    return sorted(live, key=lambda r: int(r["id"]))


def active_vendor_ids(procurify: SessionSource[ProcurifySession]) -> list[str]:
    """Ids of ``active_vendors``, ascending."""
    return [str(r["id"]) for r in active_vendors(procurify)]


def pair_seeded_vendors(
    ledger: Ledger,
    pairing: VendorPairing,
    vendor_ids: list[str],
    supplier_ids: list[str],
    *,
    entered_by: str,
    limit: int | None = None,
) -> int:
    """Match ``vendor_ids`` to ``supplier_ids`` in order, as manual ``vendor`` matches of ``pairing``
    entered by ``entered_by``, skipping a vendor or supplier already paired (an earlier start, a flow's
    pair); how many pairs were made. Idempotent."""
    free = [s for s in supplier_ids if pairing.paired_vendor(ledger, s) is None]
    made = 0
    for vendor_id in vendor_ids:
        if not free or (limit is not None and made >= limit):
            break
        if pairing.paired_supplier(ledger, vendor_id) is not None:
            continue
        ledger.set_manual_override(
            pairing.integration,
            VENDOR_ENTITY,
            PROCURIFY,
            vendor_id,
            pairing.system,
            free.pop(0),
            entered_by=entered_by,
            note="sandbox pairing: the simulators are seeded apart",
        )
        made += 1
    return made
