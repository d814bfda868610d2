"""The bills flow's rules on BILL's bills target (``connector_assets.bill.targets.BillBills``): which
vendor a JDE supplier is, which bill stands for a JDE order, and the ``bill_voucher`` link it records.

The target holds the ledger: a record mapped before its supplier synced takes the vendor's id from the
vendors flow's cross-reference, and the voucher that took an order's bill over is recorded for the
payments flow. A bill found by a voucher's invoice number is the order's only when its description names
the order (``names_order``), never a later voucher's bill of its own.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Self

from connector_assets.bill.targets import BillBills
from connector_assets.flows.core import Mapped
from connector_assets.integrations.jde_bill.bill_keys import VOUCHER_LINK, names_order, vendor_ids
from connector_assets.integrations.jde_bill.integration import INTEGRATION
from connector_resources.ledger import Ledger


class BillsFromJde(BillBills):
    """BILL bills made from JDE orders and vouchers: ``BillBills`` with the ledger to read vendor ids and to
    record which voucher took an order's bill over."""

    source = "JDE"

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

    def vendor_of(self, record: Mapped) -> str:
        """The supplier's BILL vendor id from the vendors flow's cross-reference."""
        supplier = record.natural_key["supplier"]
        vendor = vendor_ids(self.ledger, [int(supplier)]).get(int(supplier))
        if not vendor:
            raise ValueError(f"supplier {supplier} has not synced to BILL as a vendor yet")
        return vendor

    def stands_for(self, bill: dict[str, Any], number: str, record: Mapped) -> bool:
        """An order's bill is also looked for by the invoice numbers of the vouchers on the order
        (``taken_over_by``), since the first of them took the bill over; a bill found that way is the
        order's only when its description names the order (``takeover_description``)."""
        if number not in (record.natural_key.get("taken_over_by") or {}):
            return True
        order = tuple(record.natural_key.get("order") or ())
        return names_order(str(bill.get("description") or ""), order)  # type: ignore[arg-type]

    def taken_over(self, target_id: str, record: Mapped, current: dict[str, Any]) -> bool:
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

    def written(self, record: Mapped, bill_id: str) -> None:
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
