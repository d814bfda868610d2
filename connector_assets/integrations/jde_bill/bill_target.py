"""The bills flow's rules on BILL's bills target (``bill.ledger_bills.LedgerBills``): the vendor of a JDE
supplier, the bill standing for a JDE order, the ``bill_voucher`` link it records, and a bill only to a
vendor billed in the document's currency (docs/integrations/jde_bill.md, "The flows", "Currency").
"""

from collections.abc import Sequence
from typing import Any

from connector_assets.bill.ledger_bills import LedgerBills
from connector_assets.bill.reads import bill_by_id
from connector_assets.flows.core import Mapped, Unchanged
from connector_assets.flows.target_boundary import is_placeholder
from connector_resources.ledger import Ledger
from connector_resources.refusals import Refused, refused

from .bill_keys import VENDOR, VOUCHER_LINK, names_order
from .payments import bill_currency

CURRENCY_RULE = "currency differs from vendor's"  # the rule a bill in another currency is refused by


class BillCurrencyMismatch(ValueError):
    """The JDE document is in one currency and its BILL vendor bills in another: refused, never sent (its
    ``refusal``: the flow's rule, kept by the writer as data)."""

    def __init__(self, sentence: str) -> None:
        super().__init__(sentence)
        self.refusal = refused(sentence, rule=CURRENCY_RULE)


class BillsFromJde(LedgerBills):
    """BILL bills made from JDE orders and vouchers (the module's rules); a record's natural key names its
    document's currency (``currency``; blank: not known, not checked). An instance writes through its own
    subclass (``bills_target``)."""

    source = "JDE"
    vendor_entity = VENDOR
    link_entity = VOUCHER_LINK
    link_key = "voucher"

    def __init__(self, session: Any, ledger: Ledger) -> None:
        super().__init__(session, ledger)
        self._bill_currencies: dict[str, str] = {}

    def names_record(self, description: str, record: Mapped) -> bool:
        """The bill's description is one ``takeover_description`` wrote for the record's order."""
        return names_order(description, tuple(record.natural_key.get("order") or ()))  # type: ignore[arg-type]

    def bill_currency(self, vendor_id: str) -> str:
        """The currency BILL bills vendor ``vendor_id`` in (``billCurrency``; blank: USD, BILL's own),
        read once per vendor for the target's session (its workers share it)."""
        with self.lock:
            known = self._bill_currencies.get(vendor_id)
        if known is None:
            vendor = self.session.get("vendors", vendor_id)
            known = bill_currency(vendor)
            with self.lock:
                self._bill_currencies[vendor_id] = known
        return known

    def find_many(self, records: Sequence[Mapped]) -> dict[str, str | None]:
        """``LedgerBills.find_many``, with the currencies of the chunk's vendors read beforehand, 100 to a
        call (``bill_by_id``), where ``bill_currency`` reads each vendor by id."""
        wanted = set()
        for record in records:
            try:
                vendor_id = str(self._body(record)["vendorId"])
            except Refused:
                continue
            if record.natural_key.get("currency") and not is_placeholder(vendor_id):
                wanted.add(vendor_id)
        with self.lock:
            wanted -= self._bill_currencies.keys()
        if wanted:
            vendors = bill_by_id(self.session, "vendors", wanted)
            with self.lock:
                self._bill_currencies.update((i, bill_currency(vendor)) for i, vendor in vendors.items())
        return super().find_many(records)

    def check_currency(self, record: Mapped) -> None:
        """Refuse (``BillCurrencyMismatch``) a record whose document is in another currency than the one
        its BILL vendor is billed in, naming both and where each is set."""
        wanted = str(record.natural_key.get("currency") or "").strip().upper()
        if not wanted:
            return
        vendor_id = str(record.body.get("vendorId") or self.vendor_of(record))
        if is_placeholder(vendor_id):
            # A vendor a preview would create first: BILL has nothing to read yet, and the vendors flow
            # creates it billed in the supplier's A/P currency; the real run checks it once it exists.
            return
        billed = self.bill_currency(vendor_id)
        if billed != wanted:
            supplier = record.natural_key.get("supplier")
            raise BillCurrencyMismatch(
                f"the JDE document is in {wanted} but BILL vendor {vendor_id} (supplier {supplier}) is "
                f"billed in {billed} (its billCurrency), so BILL would read its amounts as {billed}; not "
                f"sent. Set the supplier's A/P currency (F0401 CRRP) or the vendor's currency in BILL to "
                f"{wanted}, then replay"
            )

    def create(self, record: Mapped) -> str:
        self.check_currency(record)
        return super().create(record)

    def update(self, target_id: str, record: Mapped) -> Unchanged | None:
        self.check_currency(record)
        return super().update(target_id, record)


def bills_target(instance: str) -> type[BillsFromJde]:
    """``BillsFromJde`` of ``instance``: the ledger rows it reads and writes are the instance's."""

    class InstanceBills(BillsFromJde):
        integration = instance

    return InstanceBills
