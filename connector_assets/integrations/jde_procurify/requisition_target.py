"""The Procurify side of the JD Edwards -> Procurify purchase orders flow (``purchase_orders`` declares
the flow): ``ProcurifyRequisitions`` finds a requisition by its description, creates one, or revises the PO
it became. It stays in this package: no other integration writes requisitions, and what it compares comes
from this package's ``order_mappers`` (``revision``, ``requisition_differences``).

Writing (``write_one``): a known order unchanged is skipped; a new one is looked up by its description
among requisitions created since the order date (``find_requisitions``: adopts what a crashed attempt
created), then created. The run's first create is read back: a Procurify that does not keep the
description stops the creates and fails the step (``ProcurifyRequisitions``, setting
``ML_JDE_PROCURIFY_DESCRIPTION_CHECK``).

A changed order already sent: the API cannot change a requisition, so

* once its requisition was purchased and the PO linked (``po_links.linked_po``), the PO is revised through
  the v3 PUT (``revise_purchase_order``, which sends the PO whole with the change: the reference does not
  say whether that PUT is partial or full): quantity, unit price and name of every line matched by its JDE
  line (``sku``; by name and line order where Procurify dropped the sku). What the PUT cannot do (a line
  added or cancelled in JDE, another vendor or account, a closed / cancelled / paid PO) is queued with the
  reason after the rest is revised;
* before that, the change is queued saying so; a replay applies it to the PO once it is linked.
"""

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import date
from typing import Any

from dagster import Failure

from connector_assets.flows.core import Mapped
from connector_assets.flows.targets import SessionTarget
from connector_assets.integrations.jde_procurify.order_mappers import requisition_differences, revision, text
from connector_resources import settings
from connector_resources.redaction import get_logger

DESCRIPTION_CHECK_ENV = "ML_JDE_PROCURIFY_DESCRIPTION_CHECK"
log = get_logger("ml_connector.jde_procurify")


class DescriptionDropped(Failure):
    """Procurify took a requisition but not its description: the write step stops creating and fails."""


def description_checked() -> bool:
    """``ML_JDE_PROCURIFY_DESCRIPTION_CHECK`` (``on`` / ``off``): read the run's first requisition back."""
    return settings.read(DESCRIPTION_CHECK_ENV) == "on"


class ProcurifyRequisitions(SessionTarget):
    """The Procurify side: find a requisition by its description, create one, or revise the linked PO.

    The requisition's ``description`` carries the JDE order number, the only key by which a create whose
    answer was lost can be found again (``find``). The reference documents ``description`` on the read
    side but its create example has none (§2.4), so a Procurify may take the requisition and drop it.
    Then every interrupted create would be made again on the retry, silently. So the first requisition a
    target creates is read back (``find_requisition`` by uuid) before anything else is sent: a blank or
    different description is recorded as ``dropped``; that requisition is kept and recorded (it is its
    order's own, nothing duplicated), every further create of the run is refused before it is sent
    (queued with the reason) and the step fails (``opened``) saying what to do. Line ``sku`` is read back
    too: its absence is only logged, as revisions then match PO lines by name and line order
    (``order_mappers.match_po_lines``). ``ML_JDE_PROCURIFY_DESCRIPTION_CHECK=off`` skips the check.
    """

    resource = "procurify"
    writes = ("requisitions", "purchase_orders")

    def __init__(self, session: Any) -> None:
        super().__init__(session)
        self.checked = not description_checked()  # off: nothing to check
        self.dropped: str | None = None  # why creating stopped, once the read-back showed it

    @classmethod
    @contextmanager
    def opened(cls, resource: Any) -> Iterator["ProcurifyRequisitions"]:
        """The target for a run or a replay; the step fails at the end when descriptions are dropped."""
        with resource.session(**cls.session_options) as session:
            target = cls(session)
            yield target
            if target.dropped:
                raise DescriptionDropped(target.dropped, allow_retries=False)

    def find(self, record: Mapped) -> str | None:
        description = record.natural_key["description"]
        since = record.natural_key.get("created_since") or date.today().isoformat()
        found = self.session.find_requisitions(
            description=description, created_since=date.fromisoformat(since)
        )
        if len(found) > 1:
            nums = ", ".join(str(r.get("num")) for r in found)
            raise ValueError(
                f"Procurify has {len(found)} requisitions described {description!r} (numbers {nums}); "
                "adopting either would be a guess: cancel the extra one in Procurify, then replay"
            )
        return str(found[0]["uuid"]) if found else None

    def create(self, record: Mapped) -> str:
        with self.lock:
            if self.dropped:
                raise ValueError(f"not sent: {self.dropped}")
            uuid = str(self.session.create_requisition(record.body)["uuid"])
            if not self.checked:
                self.checked = True
                try:
                    self._read_back(uuid, record)
                except Exception as exc:  # noqa: BLE001 - the requisition exists: its id must be recorded
                    log.warning("requisition %s: read back failed (%s); the next create checks", uuid, exc)
                    self.checked = False
        return uuid

    def _read_back(self, uuid: str, record: Mapped) -> None:
        """Whether Procurify kept the description (and the line skus) of the requisition just made."""
        sent = str(record.body.get("description") or "")
        made = self.session.find_requisition(uuid, created_since=date.today())
        if made is None:
            log.warning("requisition %s (JDE order %s) not listed right after its create", uuid, sent)
            self.checked = False  # not seen yet: the next create checks
            return
        kept = str(made.get("description") or "")
        if kept != sent:
            self.dropped = (
                f"Procurify made requisition {made.get('num')} ({uuid}) for JDE order {record.source_key} "
                f"but kept its description as {kept!r}, not {sent!r}. The description carries the JDE order "
                "number, the only way the connector finds a requisition again after an interrupted create; "
                "without it each retry of such a create would make another requisition. That requisition is "
                "recorded (no duplicate); no other requisition was sent. Ask Procurify why the API does not "
                f"keep a requisition's description; or set {DESCRIPTION_CHECK_ENV}=off to send requisitions "
                "anyway, accepting that an interrupted create may leave a second requisition to cancel by "
                "hand; then replay the queued orders"
            )
            log.error("%s", self.dropped)
            return
        num = str(made.get("num") or "")
        listed = self.session.iter_all("order_items", filters={"orderNum": num}) if num else ()
        items = [i for i in listed if str(_order_number(i.get("orderNum"))) == num]
        if items and not any(text(i.get("sku")) for i in items):
            log.warning(
                "Procurify requisition %s (JDE order %s) kept no line sku: PO revisions will match lines "
                "by name and line order",
                num,
                record.source_key,
            )

    def update(self, target_id: str, record: Mapped) -> None:
        """Bring Procurify to the order: the linked PO revised where the API can (the rest raised, so the
        record is queued with the reason); before a PO, the requisition compared with the order."""
        po_number = record.natural_key.get("linked_po")
        if po_number:
            self._revise(str(po_number), record)
            return
        differences = self._requisition_differences(target_id, record)
        if differences:
            raise ValueError(
                f"Procurify requisition {target_id} differs from the JDE order ({'; '.join(differences)}) "
                "and is not purchased yet; the API cannot change a requisition: once Procurify purchases it "
                "(and the PO is linked), replay applies the change to the PO. To apply it now, edit the "
                "requisition in Procurify"
            )
        # Nothing Procurify holds differs (adopted as sent, or only the vendor's name moved): nothing to do.

    def _requisition_differences(self, uuid: str, record: Mapped) -> list[str]:
        """What differs between the requisition (its order items) and the order now; a requisition no
        longer found is a difference of its own."""
        since = record.natural_key.get("created_since") or date.today().isoformat()
        # By uuid, not description: a Procurify that dropped the description still has the requisition.
        ours = self.session.find_requisition(uuid, created_since=date.fromisoformat(since))
        if ours is None:
            return [f"requisition {uuid} is not among Procurify's requisitions created since {since}"]
        num = str(ours.get("num"))
        items = [
            i
            for i in self.session.iter_all("order_items", filters={"orderNum": num})
            if str(_order_number(i.get("orderNum"))) == num
        ]
        return requisition_differences(items, record.body)

    def _revise(self, po_number: str, record: Mapped) -> None:
        po = self.session.get("purchase_orders", po_number)
        plan = revision(po, record.body, record.natural_key.get("vendor_id"), record.source_key)
        if plan.order_items:
            # The PO as read is handed in: the PUT carries it whole with the changes (partial or full
            # update alike, see ``connector_resources.procurify.po_revisions``).
            self.session.revise_purchase_order(int(po_number), {"order_items": plan.order_items}, current=po)
        if plan.problems:
            revised = f"revised PO {po_number} where the API allows; " if plan.order_items else ""
            raise ValueError(revised + "; ".join(plan.problems))


def _order_number(value: Any) -> Any:
    """An order item's ``orderNum``: the requisition number, or a summary object carrying it."""
    return value.get("num") if isinstance(value, Mapping) else value
