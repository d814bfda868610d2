"""The invoices flow's voucher batches as JDE holds them for the reconciliation: by batch key in F0411Z1 /
F0911Z1, else, for an invoice the flow wrote whose batch rows JDE purged (R04110ZA's "purge processed
transactions", R0411Z1P), as the F0411 voucher carrying its remark ``Coupa invoice <id>``
(``jde.purged_batches``): compared, never reported missing.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from connector_assets.jde.payment_targets import VoucherMarks
from connector_assets.jde.purged_batches import purged_batch_lines
from connector_assets.jde.reconcile_documents import BatchLines, batch_lines
from connector_resources.ledger import Ledger

from ..batch_keys import BatchKey, voucher_remark
from ..integration import INTEGRATION
from ..invoices import INVOICES_FLOW


def invoice_batches(session: Any, ledger: Ledger, invoices: Iterable[str]) -> dict[str, BatchLines]:
    """Invoice id -> its voucher batch line by line, kept or purged; absent when JDE holds neither."""
    wanted = sorted(set(invoices))
    found = batch_lines(session, {key: BatchKey.for_invoice(key) for key in wanted})
    rest = [key for key in wanted if key not in found]
    if not rest:
        return found
    xrefs = ledger.get_xrefs(INTEGRATION, INVOICES_FLOW.entity, "coupa", rest, "JDE")
    written = [key for key, xref in xrefs.items() if xref is not None and xref.target_id]
    marks = {key: (BatchKey.for_invoice(key), VoucherMarks(remark=voucher_remark(key))) for key in written}
    found.update(purged_batch_lines(session, marks))
    return found
