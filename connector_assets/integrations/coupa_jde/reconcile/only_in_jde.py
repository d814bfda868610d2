"""What JDE holds under the invoices flow's marking that no Coupa invoice explains: every batch entered on
the day under ``MLCOUPA`` is read. What is named and its limits: docs/integrations/coupa_jde.md,
"Reconciliation" (Only in JDE).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from typing import Any

from connector_assets.coupa.reconcile_day import shown_money
from connector_assets.coupa.reconcile_reads import text
from connector_assets.jde.extract import jde_timezone
from connector_assets.jde.reconcile_documents import BatchLines, batches_entered, currency_of, gross

from ..batch_keys import BatchKey
from .invoices import DEAD
from .sides import Day, where_in_jde

PREFIX = "CP"  # EDBT of every batch the flow writes: CP<invoice id>


def by_hand_reason(user: str) -> str:
    """Why a batch under the flow's batch user whose keys the flow never derives from a Coupa invoice is
    named."""
    return (
        f"under the flow's batch user {user} with keys the flow never writes: keyed by hand for no Coupa "
        "invoice"
    )


def list_only_in_jde(day: Day) -> None:
    zone = jde_timezone()
    first, last = day.start.astimezone(zone).date(), (day.end - timedelta(seconds=1)).astimezone(zone).date()
    user = day.own.it.setting("batch_user")
    with day.jde.session() as session:
        rows = batches_entered(session, user, "", first, last)  # any batch number: by hand too
    batches: dict[str, BatchLines] = {}
    by_hand: dict[tuple[str, str], BatchLines] = {}
    for row in rows:
        invoice = text(row.get("EDBT")).removeprefix(PREFIX)
        keyed = text(row.get("EDBT")).startswith(PREFIX) and invoice.isdigit()
        if not keyed or BatchKey.for_invoice(invoice, user).transaction != text(row.get("EDTN")):
            key = BatchKey(user, text(row.get("EDBT")), text(row.get("EDTN")))
            by_hand.setdefault((key.batch, key.transaction), BatchLines(key)).pay_items.append(row)
            continue
        batches.setdefault(invoice, BatchLines(BatchKey.for_invoice(invoice, user))).pay_items.append(row)
    day.report.counts["jde_batches_in_window"] = len(batches) + len(by_hand)
    for _keys, batch in sorted(by_hand.items()):
        _only_in_jde(day, batch, by_hand_reason(user))
    unmatched = sorted(set(batches) - day.compared, key=int)
    found: dict[str, dict[str, Any]] = defaultdict(dict)
    if unmatched:
        found.update({str(r["id"]): r for r in day.coupa.iter_in("invoices", "id", unmatched)})
    for invoice in unmatched:
        batch = batches[invoice]
        where = where_in_jde(batch)
        first_item = batch.pay_items[0]
        supplier = text(first_item.get("AN8"))
        record = f"invoice {invoice}"
        coupa = found.get(invoice)
        if coupa and text(coupa.get("status")) not in DEAD:
            continue
        if coupa:
            status = text(coupa.get("status"))
            words = f"JDE holds {where} for Coupa {record}, which is {status} in Coupa"
            day.report.differ(
                "status", record, supplier, status, where, words, counterpart=where, field="status"
            )
            continue
        _only_in_jde(day, batch, f"under the flow's marking for Coupa {record}, which Coupa does not have")


def _only_in_jde(day: Day, batch: BatchLines, why: str) -> None:
    """A batch no Coupa invoice explains, named with its supplier, invoice number and gross in its currency
    (``55.00`` or ``1,000.00 EUR``), then ``why``."""
    where, first = where_in_jde(batch), batch.pay_items[0]
    supplier, number, currency = text(first.get("AN8")), text(first.get("VINV")) or "?", currency_of(first)
    held = shown_money(gross(batch.pay_items)) + (f" {currency}" if currency else "")
    words = f"JDE holds {where} (supplier {supplier}, invoice {number}, {held}) {why}"
    day.report.differ(
        "only in JDE", "-", supplier, "missing", where, words, counterpart=where, field="record"
    )
