"""What a requisition's voucher carries in F0411 from the batch the vouchers flow wrote, for the
reconciliation to find it once JDE purged the batch rows (R04110ZA's "purge processed transactions",
R0411Z1P): the remark ``Procore invoice <number>``, the invoice number and the supplier. The remark alone
repeats across commitments (pay application numbers restart), so all three are asked for.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connector_assets.jde.payment_targets import VoucherMarks
from connector_assets.jde.target_base import jde_number

from ..voucher_mappers import BatchKey, invoice_number_of, voucher_remark


def purged_marks(
    requisitions: Mapping[str, Any], an8s: Mapping[str, str | None]
) -> dict[str, tuple[BatchKey, VoucherMarks]]:
    """Requisition key -> (its batch key, the marks of its voucher); a requisition whose vendor has no JDE
    supplier is left out (its voucher could not be told from another supplier's)."""
    found: dict[str, tuple[BatchKey, VoucherMarks]] = {}
    for key, req in sorted(requisitions.items()):
        vendor = str(((req.commitment or {}).get("vendor") or {}).get("id") or "")
        supplier = jde_number(an8s.get(vendor)) if vendor else None
        if supplier is None:
            continue
        marks = VoucherMarks(invoice_number_of(req.record), voucher_remark(req.record), supplier)
        found[key] = (BatchKey.for_requisition(key), marks)
    return found
