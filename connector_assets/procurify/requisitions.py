"""The Procurify requisition write target: ``ProcurifyRequisitions`` finds a requisition by its description,
creates one, or revises the PO it became (a requisition cannot be changed: a change before the PO is linked
is queued for a replay). Subclassed with ``source_label``, ``description_check_setting`` and a logger.
Depth: docs/integrations/jde_procurify.md, "The flows" (purchase orders).
"""

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date
from logging import Logger
from typing import Any, ClassVar

from dagster import Failure

from connector_assets.flows import instance
from connector_assets.flows.core import Mapped
from connector_assets.flows.targets import SessionTarget
from connector_assets.procurify.order_fields import words
from connector_assets.procurify.order_reads import requisition_items
from connector_assets.procurify.po_revisions import requisition_differences, revision
from connector_assets.procurify.vendor_list import list_pages
from connector_resources.procurify.errors import SYSTEM
from connector_resources.redaction import get_logger
from connector_resources.refusals import Refusal, Refused, refused


class DescriptionDropped(Failure):
    """Procurify took a requisition but not its description: the write step stops creating and fails."""


class ProcurifyRequisitions(SessionTarget):
    """The description carries the source order number, the only key a lost create is found again by, and the
    reference's create example has none (§2.4). So the first requisition a target creates is read back: a
    dropped description (that requisition is kept: its order's own) refuses every further create of the run
    and fails the step (``opened``); a dropped ``sku`` is only logged (revisions then match by name and line
    order). ``off`` skips the check."""

    resource = "procurify"
    writes = ("requisitions", "purchase_orders")
    source_label: ClassVar[str] = "the source system"  # where the orders come from (``JDE``)
    description_check_setting: ClassVar[str]  # ``on`` / ``off``: read the run's first requisition back
    log: ClassVar[Logger] = get_logger("ml_connector.procurify")

    def __init__(self, session: Any) -> None:
        super().__init__(session)
        self.checked = instance.read(self.description_check_setting) != "on"  # off: nothing to check
        self.dropped: str | None = None  # why creating stopped, once the read-back showed it
        # A chunk's list read (since, by description) with our creates since; dropped when a create fails.
        self.listed: tuple[date, dict[str, list[dict[str, object]]]] | None = None

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
        found = self.session.find_requisitions(description=description, created_since=_since(record))
        if len(found) > 1:
            nums = ", ".join(str(r.get("num")) for r in found)
            said = (
                f"Procurify has {len(found)} requisitions described {description!r} (numbers {nums}); "
                "adopting either would be a guess: cancel the extra one in Procurify, then replay"
            )
            candidates = [str(r.get("num")) for r in found]
            raise Refused(Refusal("ambiguous", said, {"system": SYSTEM, "candidates": candidates}))
        return str(found[0]["uuid"]) if found else None

    def find_many(self, records: Sequence[Mapped]) -> dict[str, str | None]:
        """``find`` for a chunk of records in one read of the requisitions created since the earliest of
        their days, kept for the step's later chunks (``listed``). Settled here: no requisition carries
        the description (the read holds every one ``find`` would), or exactly one, created on or after the
        record's own day; the rest is left to ``find`` (several: refused there; one created in the slack
        before that day: ``find``'s range decides)."""
        if not records:
            return {}
        since = min(map(_since, records))
        if self.listed is None or self.listed[0] > since:
            with list_pages(self.session):  # the days since read whole: in the largest pages
                self.listed = (since, self.session.requisitions_described(None, created_since=since))
        found = self.listed[1]
        answer: dict[str, str | None] = {}
        for record in records:
            rows = found.get(record.natural_key["description"], [])
            if not rows:
                answer[record.source_key] = None
            elif (
                len(rows) == 1 and _created_on(rows[0]) is not None and _created_on(rows[0]) >= _since(record)
            ):
                answer[record.source_key] = str(rows[0]["uuid"])
        return answer

    def create(self, record: Mapped) -> str:
        with self.lock:
            if self.dropped:
                raise Refused(refused(f"not sent: {self.dropped}", rule="description dropped"))
            listed, self.listed = self.listed, None
            uuid = str(self.session.create_requisition(record.body)["uuid"])
            if listed is not None:
                made = {"uuid": uuid, "description": record.natural_key["description"]}
                listed[1].setdefault(made["description"], []).append(
                    {**made, "date": date.today().isoformat()}
                )
                self.listed = listed
            if not self.checked:
                self.checked = True
                try:
                    self._read_back(uuid, record)
                except Exception as exc:  # noqa: BLE001 - the requisition exists: its id must be recorded
                    self.log.warning(
                        "requisition %s: read back failed (%s); the next create checks", uuid, exc
                    )
                    self.checked = False
        return uuid

    def _read_back(self, uuid: str, record: Mapped) -> None:
        """Whether Procurify kept the description (and the line skus) of the requisition just made."""
        sent = str(record.body.get("description") or "")
        with list_pages(self.session):
            made = self.session.find_requisition(uuid, created_since=date.today())
        source = self.source_label
        if made is None:
            self.log.warning(
                "requisition %s (%s order %s) not listed right after its create", uuid, source, sent
            )
            self.checked = False  # not seen yet: the next create checks
            return
        kept = str(made.get("description") or "")
        if kept != sent:
            self.dropped = (
                f"Procurify made requisition {made.get('num')} ({uuid}) for {source} order "
                f"{record.source_key} but kept its description as {kept!r}, not {sent!r}. The description "
                f"carries the {source} order number, the only way the connector finds a requisition again "
                "after an interrupted create; without it each retry of such a create would make another "
                "requisition. That requisition is recorded (no duplicate); no other requisition was sent. "
                "Ask Procurify why the API does not keep a requisition's description; or set "
                f"{self.description_check_setting}=off to send requisitions anyway, accepting that an "
                "interrupted create may leave a second requisition to cancel by hand; then replay the "
                "queued orders"
            )
            self.log.error("%s", self.dropped)
            return
        num = str(made.get("num") or "")
        items = requisition_items(self.session, num)
        if items and not any(words(i.get("sku")) for i in items):
            self.log.warning(
                "Procurify requisition %s (%s order %s) kept no line sku: PO revisions will match lines "
                "by name and line order",
                num,
                source,
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
            said = (
                f"Procurify requisition {target_id} differs from the {self.source_label} order "
                f"({'; '.join(differences)}) and is not purchased yet; the API cannot change a requisition: "
                "once Procurify purchases it (and the PO is linked), replay applies the change to the PO. To "
                "apply it now, edit the requisition in Procurify"
            )
            waits = {"system": SYSTEM, "waits_for": f"a PO purchased from requisition {target_id}"}
            raise Refused(Refusal("target_processing", said, waits))
        # Nothing Procurify holds differs (adopted as sent, or only the vendor's name moved): nothing to do.

    def _requisition_differences(self, uuid: str, record: Mapped) -> list[str]:
        """What differs between the requisition (its order items) and the order now; a requisition no
        longer found is a difference of its own."""
        since = record.natural_key.get("created_since") or date.today().isoformat()
        # By uuid, not description: a Procurify that dropped the description still has the requisition.
        ours = self.session.find_requisition(uuid, created_since=date.fromisoformat(since))
        if ours is None:
            return [f"requisition {uuid} is not among Procurify's requisitions created since {since}"]
        items = requisition_items(self.session, str(ours.get("num")))
        return requisition_differences(items, record.body, source=self.source_label)

    def _revise(self, po_number: str, record: Mapped) -> None:
        po = self.session.get("purchase_orders", po_number)
        vendor_id = record.natural_key.get("vendor_id")
        plan = revision(po, record.body, vendor_id, record.source_key, source=self.source_label)
        if plan.order_items:
            # The PO as read is handed in: the PUT carries it whole with the changes (partial or full
            # update alike, see ``connector_resources.procurify.po_revisions``).
            self.session.revise_purchase_order(int(po_number), {"order_items": plan.order_items}, current=po)
        if plan.problems:
            revised = f"revised PO {po_number} where the API allows; " if plan.order_items else ""
            said = revised + "; ".join(plan.problems)
            raise Refused(refused(said, rule="PO change the API cannot make"))


def _since(record: Mapped) -> date:
    """The day the record's requisition cannot have been created before (the order's date; else today)."""
    return date.fromisoformat(record.natural_key.get("created_since") or date.today().isoformat())


def _created_on(requisition: Mapping[str, object]) -> date | None:
    """The day of a requisition header's ``date`` (its creation, §2.4), None when it is not a date."""
    try:
        return date.fromisoformat(str(requisition.get("date") or "")[:10])
    except ValueError:
        return None
