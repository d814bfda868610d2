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

from ..batch_keys import voucher_remark
from .sides import Day


def invoice_batches(session: Any, day: Day, invoices: Iterable[str]) -> dict[str, BatchLines]:
    """Invoice id -> its voucher batch line by line, kept or purged; absent when JDE holds neither."""
    wanted, own = sorted(set(invoices)), day.own
    found = batch_lines(session, {key: own.batch_key(key) for key in wanted})
    rest = [key for key in wanted if key not in found]
    if not rest:
        return found
    xrefs = day.ledger.get_xrefs(own.name, day.invoices.entity, "coupa", rest, "JDE")
    written = [key for key, xref in xrefs.items() if xref is not None and xref.target_id]
    marks = {key: (own.batch_key(key), VoucherMarks(remark=voucher_remark(key))) for key in written}
    found.update(purged_batch_lines(session, marks))
    return found
