"""The bills flow's rules on BILL's bills target (``connector_assets.bill.ledger_bills.LedgerBills``): which
vendor a JDE supplier is (the vendors flow's cross-reference), which bill stands for a JDE order, and the
``bill_voucher`` link it records for the payments flow.

A bill found by a voucher's invoice number is the order's only when its description names the order
(``names_order``), never a later voucher's bill of its own.
"""

from connector_assets.bill.ledger_bills import LedgerBills
from connector_assets.flows.core import Mapped
from connector_assets.integrations.jde_bill.bill_keys import VOUCHER_LINK, names_order
from connector_assets.integrations.jde_bill.integration import INTEGRATION
from connector_assets.integrations.jde_bill.vendors import VENDORS_FLOW


class BillsFromJde(LedgerBills):
    """BILL bills made from JDE orders and vouchers: an order's bill is also looked for by the invoice
    numbers of the vouchers on the order (``taken_over_by``), since the first of them took the bill over,
    and recorded as that voucher's (``voucher``, ``bill_voucher``)."""

    source = "JDE"
    integration = INTEGRATION
    vendor_entity = VENDORS_FLOW.entity
    link_entity = VOUCHER_LINK
    link_key = "voucher"

    def names_record(self, description: str, record: Mapped) -> bool:
        """The bill's description is one ``takeover_description`` wrote for the record's order."""
        return names_order(description, tuple(record.natural_key.get("order") or ()))  # type: ignore[arg-type]
