"""The bills flow's BILL side: bills found by vendor + invoice number, created one at a time, updated
unless BILL has paid them.

BILL offers no idempotency keys (quirk 8), so before a create the flow's write step looks for a bill a
crashed attempt made (``find``); the bulk endpoint is not used, since it rolls a whole batch back for one
bad bill. A bill BILL has paid, partly paid or scheduled is never rewritten from JDE: a person decides.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Self

from connector_assets.flows.core import Mapped
from connector_assets.flows.targets import SessionTarget
from connector_assets.integrations.jde_bill.bill_keys import VOUCHER_LINK, names_order, vendor_ids
from connector_assets.integrations.jde_bill.integration import INTEGRATION
from connector_resources.ledger import Ledger


class BillAlreadyPaid(RuntimeError):
    """BILL has paid (or scheduled) the bill: it is not rewritten from JDE; a person decides."""


UNPAID = {"", "UNPAID"}


class BillBills(SessionTarget):
    """Bills in BILL: found by vendor + invoice number, created one at a time, updated by merge patch
    (lines replaced whole) unless BILL has paid them. Holds the ledger to read vendor ids and to record
    which voucher took an order's bill over."""

    resource = "bill"
    writes = ("bills",)

    def __init__(self, session: Any, ledger: Ledger) -> None:
        super().__init__(session)
        self.ledger = ledger

    @classmethod
    @contextmanager
    def opened(cls, resource: Any, ledger: Ledger) -> Iterator[Self]:  # type: ignore[override]
        with resource.session(**cls.session_options) as session:
            yield cls(session, ledger)

    @classmethod
    def for_run(cls, context: Any):  # type: ignore[override]
        return cls.opened(context.resources.bill, context.resources.ledger.get())

    def _body(self, record: Mapped) -> dict[str, Any]:
        """The body with the vendor's BILL id (looked up now if the record was mapped before it synced)."""
        if record.body.get("vendorId"):
            return record.body
        supplier = record.natural_key["supplier"]
        vendor = vendor_ids(self.ledger, [int(supplier)]).get(int(supplier))
        if not vendor:
            raise ValueError(f"supplier {supplier} has not synced to BILL as a vendor yet")
        return {**record.body, "vendorId": vendor}

    def find(self, record: Mapped) -> str | None:
        """The bill by each invoice number our flows could have given it (``invoice_numbers``). An order's
        bill is also looked for by the invoice numbers of the vouchers on the order (``taken_over_by``),
        since the first of them took the bill over; a bill found that way is the order's only when its
        description names the order (``takeover_description``), never a later voucher's bill of its own."""
        vendor = self._body(record)["vendorId"]
        taken = record.natural_key.get("taken_over_by") or {}
        order = tuple(record.natural_key.get("order") or ())
        for number in record.natural_key["invoice_numbers"]:
            found = self.session.find_bills(vendor_id=vendor, invoice_number=number)
            if number in taken:
                found = [b for b in found if names_order(str(b.get("description") or ""), order)]  # type: ignore[arg-type]
            if found:
                return str(found[0]["id"])
        return None

    def create(self, record: Mapped) -> str:
        bill_id = str(self.session.create_bill(self._body(record))["id"])
        self._link(record, bill_id)
        return bill_id

    def update(self, target_id: str, record: Mapped) -> None:
        current = self.session.get("bills", target_id)
        if self._taken_over(target_id, record, current):
            return
        status = str(current.get("paymentStatus") or "").strip().upper()
        if status not in UNPAID:
            number = (current.get("invoice") or {}).get("invoiceNumber")
            raise BillAlreadyPaid(
                f"BILL bill {target_id} (invoice {number}) is {status} in BILL; it is not rewritten from JDE "
                f"({record.fields['invoice_number']} changed). Check the bill and the JDE document by "
                "hand, then abandon this item"
            )
        self.session.update_bill(target_id, self._body(record))
        self._link(record, target_id)

    def _taken_over(self, target_id: str, record: Mapped, current: dict[str, Any]) -> bool:
        """An order's bill that one of the order's vouchers took over (it carries that voucher's invoice
        number): the bill is the voucher's now and is not rewritten from the order, whatever BILL did with
        it since. The ``bill_voucher`` link is recorded, so the payments flow finds the voucher and the
        next plan keeps the voucher on the bill (what a ledger that never lost it would have done)."""
        number = str((current.get("invoice") or {}).get("invoiceNumber") or "").strip()
        voucher = (record.natural_key.get("taken_over_by") or {}).get(number)
        if not voucher or number == record.fields["invoice_number"]:
            return False
        self._record_link(voucher, target_id, record)
        return True

    def _link(self, record: Mapped, bill_id: str) -> None:
        """Record the voucher that took an order's bill over (``bill_voucher``), for the payments flow."""
        voucher = record.natural_key.get("voucher")
        if voucher:
            self._record_link(voucher, bill_id, record)

    def _record_link(self, voucher: str, bill_id: str, record: Mapped) -> None:
        """The ``bill_voucher`` cross-reference: voucher ``voucher`` is paid through BILL bill ``bill_id``."""
        self.ledger.record_target(
            INTEGRATION,
            VOUCHER_LINK,
            "JDE",
            voucher,
            "bill",
            target_id=bill_id,
            content_hash=record.content_hash(),
        )
