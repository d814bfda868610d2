"""The write-back of another system's payment to a Procurify bill, as a flow target and its replay: one
copy for every flow that marks Procurify bills paid (JD Edwards paid vouchers, Oracle Fusion paid
invoices). Each flow says where its record names the bill (``bill_of``), how a refusal names it
(``named``) and how a bill's status reads (``status_name``); the mark itself is ``bill_marks``'.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from functools import partial
from typing import Any

from connector_assets.flows.core import Created, FlowSpec, Mapped, replay_handler
from connector_assets.flows.targets import SessionTarget
from connector_assets.procurify.bill_marks import mark_bill_paid, marked_paid
from connector_resources.ledger import Ledger, QueueItem
from connector_resources.replay import ReplayOutcome, register_replay_handler, shared_context, shared_value


class ProcurifyBillPaidMarks(SessionTarget):
    """Bills marked paid through ``mark_bills_paid`` (one bill per call, so a refusal names its bill)."""

    resource = "procurify"
    writes = ("bills",)  # mark-as-paid

    @staticmethod
    def bill_of(record: Mapped) -> str:
        """The uuid of the bill ``record`` marks (its source key unless a flow keys its records otherwise)."""
        return record.source_key

    @staticmethod
    def named(uuid: str) -> str:
        """How a refusal names the bill."""
        return "the bill"

    @staticmethod
    def status_name(bill: Mapping[str, Any]) -> str:
        """The status a bill is still in when the mark did not take, as a Procurify user reads it."""
        raise NotImplementedError

    def find(self, record: Mapped) -> str | None:
        """A bill already Paid in Procurify without a payment (marked by a person, or by an earlier attempt
        whose answer was lost) is adopted, not marked again."""
        uuid = self.bill_of(record)
        return uuid if marked_paid(self.session, self.session.get("bills", uuid)) else None

    def create(self, record: Mapped) -> str | Created:
        uuid = self.bill_of(record)
        payment_date = date.fromisoformat(record.body["payment_date"])
        return mark_bill_paid(
            self.session, uuid, payment_date, named=self.named(uuid), status_name=self.status_name
        )

    def update(self, target_id: str, record: Mapped) -> None:
        """Marked already; only the other system's payment date moved. Procurify has no write for a bill's
        payment date: nothing to send."""


def register_paid_mark_replays(
    integration: str,
    flow: FlowSpec,
    target: type[ProcurifyBillPaidMarks],
    build: Callable[[], dict[str, Any]],
) -> None:
    """``ml-connector replay`` for ``flow``'s queued marks: the resources ``build`` gives, built once per
    replay, and one ``target`` on their Procurify resource shared by the replay's items."""

    def handle(item: QueueItem, ledger: Ledger) -> ReplayOutcome:
        built = shared_value(("resources", id(build)), build)
        key = ("target", integration, flow.name, id(built["procurify"]))
        opener = partial(target.opened, built["procurify"])
        return replay_handler(flow, lambda: shared_context(key, opener), lambda: built)(item, ledger)

    register_replay_handler(integration, flow.name, handle)
