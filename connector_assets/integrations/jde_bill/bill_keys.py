"""The bills flow's keys: which JDE document a BILL bill stands for, and the ledger entries naming it, shared
by the mappers, the voucher-on-order rule, the BILL target and the reconciliation so that each reads the
cross-references (``bill``, ``bill_voucher``, the vendors flow's ``vendor``) the same way. The source keys
(``PO:...``, ``PV:...``) are the JDE side's (``jde.order_vouchers``).
"""

from collections.abc import Iterable

from connector_assets.jde.order_vouchers import OrderRef
from connector_resources.ledger import Ledger

VENDOR = "vendor"  # ledger entity: the vendors flow's
ENTITY = "bill"
VOUCHER_LINK = "bill_voucher"  # ledger entity: the voucher that took an order's bill over


def order_invoice_number(ref: OrderRef) -> str:
    """The invoice number of a bill made from an order, before any supplier invoice exists."""
    return f"PO-{ref[0]}-{ref[1]}-{ref[2]}"


def takeover_description(voucher_label: str, ref: OrderRef) -> str:
    """The description of an order's bill its first voucher took over, naming the voucher and the order: a
    voucher's own bill never names an order, so a bill found by a voucher's invoice number stands for the
    order only when its description says so (``names_order``)."""
    return f"JDE voucher {voucher_label} on purchase order {ref[0]}/{ref[1]}/{ref[2]}"


def names_order(description: str, ref: OrderRef) -> bool:
    """Whether a BILL bill's description is one ``takeover_description`` wrote for order ``ref``."""
    text = description.strip()
    return text.startswith("JDE voucher ") and text.endswith(f" on purchase order {ref[0]}/{ref[1]}/{ref[2]}")


def target_id_of(ledger: Ledger, integration: str, entity: str, key: str) -> str | None:
    """The BILL id the ledger records for ``integration``'s JDE source ``key`` of ``entity`` (a bill, a
    voucher link, a vendor), or None."""
    xref = ledger.get_xref(integration, entity, "JDE", key, "bill")
    return xref.target_id if xref is not None else None


def vendor_ids(ledger: Ledger, integration: str, suppliers: Iterable[int]) -> dict[int, str]:
    """Supplier number -> BILL vendor id, for the suppliers ``integration``'s vendors flow has synced."""
    found = {}
    for an8 in set(suppliers):
        target = target_id_of(ledger, integration, VENDOR, str(an8))
        if target:
            found[an8] = target
    return found
