"""The write-back of another system's payment to a Procurify bill as a flow target (a replay opens it with
``for_replay``), one copy for every flow marking bills paid (JD Edwards vouchers, Oracle Fusion invoices): a
mark's body names its bill (``bill_uuids``) and day (``payment_date``); a flow says only how a refusal names
the bill.
"""

from __future__ import annotations

from datetime import date
from typing import ClassVar

from connector_assets.flows.core import Created, Mapped
from connector_assets.flows.targets import SessionTarget
from connector_assets.procurify.bill_fields import status_name  # noqa: F401 (the integrations name it here)
from connector_assets.procurify.bill_marks import mark_bill_paid, marked_paid


class ProcurifyBillPaidMarks(SessionTarget):
    """Bills marked paid through ``mark_bills_paid`` (one bill per call, so a refusal names its bill)."""

    resource = "procurify"
    writes = ("bills",)  # mark-as-paid
    bill_named: ClassVar[str] = "the bill"  # how a refusal names the bill ({uuid}: its uuid)

    @staticmethod
    def bill_of(record: Mapped) -> str:
        """The uuid of the bill ``record`` marks."""
        return str(record.body["bill_uuids"][0])

    def find(self, record: Mapped) -> str | None:
        """A bill already Paid in Procurify without a payment (marked by a person, or by an earlier attempt
        whose answer was lost) is adopted, not marked again."""
        uuid = self.bill_of(record)
        return uuid if marked_paid(self.session, self.session.get("bills", uuid)) else None

    def create(self, record: Mapped) -> str | Created:
        uuid = self.bill_of(record)
        payment_date = date.fromisoformat(record.body["payment_date"])
        named = self.bill_named.format(uuid=uuid)
        return mark_bill_paid(self.session, uuid, payment_date, named=named)

    def update(self, target_id: str, record: Mapped) -> None:
        """Marked already; only the other system's payment date moved. Procurify has no write for a bill's
        payment date: nothing to send."""
