"""The Procurify write target giving a PO its source order's number (``PO_Num``, by the v3 PUT of the whole
PO), subclassed with ``source_label``; adopted, left as a user set it, confirmed or refused
(``PoLinkRefused``) as docs/integrations/jde_procurify.md, "The flows" (PO links) says.
"""

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any, ClassVar

from connector_assets.flows.core import Created, Mapped
from connector_assets.flows.targets import SessionTarget
from connector_assets.procurify.order_fields import PO_STATE_NAMES, requisition_numbers
from connector_assets.procurify.po_origins import order_of
from connector_resources.procurify.errors import SYSTEM, ProcurifyValidationError
from connector_resources.refusals import Refusal, Refused, refusal_of

HOLDER_LOOKBACK = timedelta(days=31)  # duplicate search without a ledger date: POs modified this recently


class PoLinkRefused(Refused):
    """Procurify will not take this PO_Num on this PO (a duplicate of another order's, or a PO it does not
    let anyone revise); the reason says which and what to do: a ``conflict`` in Procurify, or Procurify's
    own refusal naming its field."""

    def __init__(self, sentence: str, refusal: Refusal | None = None) -> None:
        super().__init__(refusal or Refusal("conflict", sentence, {"system": SYSTEM}))


def _says(po: Mapping[str, object], text: str) -> bool:
    return str(po.get("PO_Num") or "").strip() == text


class ProcurifyPoNumbers(SessionTarget):
    """Procurify's side of a link: the PO's ``PO_Num``. "Found" = it already says the order number."""

    resource = "procurify"
    writes = ("purchase_orders",)
    source_label: ClassVar[str] = "the source system"  # where the orders come from (``JDE``)

    def __init__(self, session: Any) -> None:
        super().__init__(session)
        self._before: dict[int, str] = {}  # PO -> the PO_Num it had when read (named in the audit)

    def find(self, record: Mapped) -> str | None:
        number = record.body["procurify_PO"]
        po = self.session.get("purchase_orders", number)
        with self.lock:
            self._before[number] = str(po.get("PO_Num") or "").strip()
        return str(number) if _says(po, record.body["PO_Num"]) else None

    def create(self, record: Mapped) -> Created:
        return Created(str(record.body["procurify_PO"]), "create", self._set(record))

    def update(self, target_id: str, record: Mapped) -> None:
        number = record.body["procurify_PO"]
        if str(target_id) != str(number):
            raise PoLinkRefused(
                f"{self.source_label} order {order_of(record.source_key)} is linked to Procurify PO "
                f"{target_id}, not {number}; correct the link in the ledger (ml-connector) before replaying"
            )
        if not _says(self.session.get("purchase_orders", number), record.body["PO_Num"]):
            self._set(record)

    # -- setting PO_Num ---------------------------------------------------------------------------------

    def _set(self, record: Mapped) -> str:
        number, text = record.body["procurify_PO"], record.body["PO_Num"]
        order = f"{self.source_label} order {order_of(record.source_key)}"
        with self.lock:
            before = self._before.pop(number, "")
        was = f" (was {before!r})" if before else ""
        try:
            self.session.revise_purchase_order(number, {"PO_Num": text})
            return f"PO {number} linked to {order}; PO_Num set to {text!r}{was}"
        except ProcurifyValidationError as exc:
            if not exc.from_server:
                raise
            if "PO_Num" not in exc.fields:
                raise self._refused(number, text, exc) from None
        holders = self._holders(record)
        others = sorted(n for n, same in holders.items() if not same)
        if not holders or others:
            named = f"Procurify PO {', '.join(map(str, others))}" if others else "another Procurify PO"
            raise PoLinkRefused(
                f"PO_Num {text!r} ({order}) is already used by {named}, which did not come from this "
                f"{self.source_label} order; PO {number} was not changed. Correct the other PO's PO_Num in "
                "Procurify, then replay this item"
            )
        self.session.revise_purchase_order(
            number, {"PO_Num": text}, confirm_duplicate_external_po_number=True
        )
        same = ", ".join(map(str, sorted(holders)))
        return (
            f"PO {number} linked to {order}; PO_Num set to {text!r}, which PO {same} of the same "
            f"{self.source_label} order also carries (its requisition was purchased as more than one PO): "
            "duplicate confirmed"
        )

    def _holders(self, record: Mapped) -> dict[int, bool]:
        """Other POs carrying the PO_Num -> whether each came from the same order (linked to it in the
        ledger as the mapper saw it, or every line from that order's requisitions)."""
        number, text = record.body["procurify_PO"], record.body["PO_Num"]
        natural = record.natural_key
        since_text = natural.get("since")
        since = date.fromisoformat(since_text) if since_text else date.today() - HOLDER_LOOKBACK
        ours = set(natural.get("requisitions") or [])
        siblings = set(natural.get("siblings") or [])
        holders: dict[int, bool] = {}
        for po in self.session.find_purchase_orders(po_num=text, modified_since=since):
            other = int(str(po["procurify_PO"]))
            if other == number:
                continue
            if other in siblings:
                holders[other] = True
                continue
            lines = requisition_numbers(self.session.get("purchase_orders", other))
            holders[other] = bool(lines) and bool(ours) and set(lines) <= ours
        return holders

    def _refused(self, number: int, text: str, exc: ProcurifyValidationError) -> PoLinkRefused:
        said = "; ".join(m for messages in exc.fields.values() for m in messages) or str(exc)
        try:
            state = PO_STATE_NAMES.get(int(self.session.get("purchase_orders", number).get("state")), "")
        except Exception:  # noqa: BLE001 - the refusal matters more than naming the state
            state = ""
        advice = {
            "closed": "Reopen the PO in Procurify and replay this item, or abandon it",
            "cancelled": "A cancelled PO keeps its number; abandon this item if that is right",
            "paid": "A paid PO cannot change; abandon this item, the link stays in the ledger only",
        }.get(state, "Fix what Procurify names, then replay this item")
        status = f" ({state})" if state else ""
        sentence = f"Procurify refused PO_Num {text!r} on PO {number}{status}: {said}. {advice}"
        return PoLinkRefused(sentence, refusal_of(exc, sentence, system=SYSTEM))
