"""What JDE holds under the invoices flow's marking that no Coupa invoice explains.

The flow writes every voucher as a batch keyed from the Coupa invoice alone: EDI user ``MLCOUPA``, batch
``CP<invoice id>``, transaction ``COUPA-INV-<invoice id>`` (and the remark ``Coupa invoice <id>``, which
R04110ZA copies to the F0411 voucher). So the batches entered on the reconciled day under that user and batch
prefix (F0411Z1 by EDUS, EDBT prefix and EDDT, the day the batch was transmitted) are the flow's, and each
names its invoice. One whose invoice the day's comparison did not match is looked for in Coupa by id
(``id[in]``, 49 a call): Coupa no longer having it, or having it voided, is a difference; present and
standing, it belongs to another day's changes and is explained.

Limits: a batch keyed by hand under ``MLCOUPA`` is read as the flow's (it is, by its marking); batches purged
from F0411Z1 after processing (R0411Z1P) cannot be read this way, and then only the cross-reference's
invoices are checked (those Coupa changed that day).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from decimal import Decimal
from typing import Any

from connector_assets.coupa.reconcile_reads import amount_of, text
from connector_assets.integrations.coupa_jde.invoices import EDI_USER, BatchKey
from connector_assets.integrations.coupa_jde.reconcile.invoices import DEAD
from connector_assets.integrations.coupa_jde.reconcile.sides import Day, shown_money, where_in_jde
from connector_assets.jde.extract import jde_timezone
from connector_assets.jde.reconcile_documents import BatchLines, batches_entered

PREFIX = "CP"  # EDBT of every batch the flow writes: CP<invoice id>


def list_only_in_jde(day: Day) -> None:
    zone = jde_timezone()
    first, last = day.start.astimezone(zone).date(), (day.end - timedelta(seconds=1)).astimezone(zone).date()
    with day.jde.session() as session:
        rows = batches_entered(session, EDI_USER, PREFIX, first, last)
    batches: dict[str, BatchLines] = {}
    for row in rows:
        invoice = text(row.get("EDBT")).removeprefix(PREFIX)
        if not invoice.isdigit() or BatchKey.for_invoice(invoice).transaction != text(row.get("EDTN")):
            continue  # not a key the flow derives from an invoice
        batches.setdefault(invoice, BatchLines(BatchKey.for_invoice(invoice))).pay_items.append(row)
    day.report.counts["jde_batches_in_window"] = len(batches)
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
        number = text(first_item.get("VINV")) or "?"
        gross = shown_money(sum((amount_of(i.get("AG")) or Decimal(0) for i in batch.pay_items), Decimal(0)))
        words = (
            f"JDE holds {where} (supplier {supplier}, invoice {number}, {gross}) under the flow's marking "
            f"for Coupa {record}, which Coupa does not have"
        )
        day.report.differ(
            "only in JDE", "-", supplier, "missing", where, words, counterpart=where, field="record"
        )
