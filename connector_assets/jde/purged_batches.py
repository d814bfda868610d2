"""Voucher batches JDE processed and purged (R04110ZA's "purge processed transactions", R0411Z1P), read back
for a reconciliation line by line from what stays: the one F0411 voucher (PV) carrying the remark the flow
wrote into the batch, its pay items, and its F0911 distribution (ledger AA, the automatic entries apart; a
foreign line's amount in its currency from ledger CA). So a purging site's documents are compared like a
keeping site's, never reported missing. A remark several vouchers carry (one keyed by hand) is not guessed.
"""

from __future__ import annotations

from collections.abc import Mapping

from connector_assets.jde.documents import DISTRIBUTION_TABLE, DOMESTIC_LEDGER, FOREIGN_LEDGER
from connector_assets.jde.order_status import text
from connector_assets.jde.payment_targets import VoucherMarks
from connector_assets.jde.purchase_orders import order_id
from connector_assets.jde.reconcile_documents import (
    PAY_ITEM_MONEY_COLUMNS,
    VOIDED,
    BatchKeyed,
    BatchLines,
    VoucherBatch,
    as_date,
    currency_of,
    document_amount,
    row_account,
)
from connector_assets.jde.tables import AP_LEDGER
from connector_assets.jde.target_base import jde_number
from connector_resources.jde import Condition
from connector_resources.jde.session import JdeSession

ITEM_COLUMNS = [
    *("KCO", "DOC", "DCT", "SFX", "AN8", "VINV", "DIVJ", "DGJ", "RMK", "PST", "VOD", "PKCO", "PO", "PDCT"),
    *PAY_ITEM_MONEY_COLUMNS,
]
LINE_COLUMNS = ["KCO", "DOC", "DCT", "LT", "EXTL", "JELN", "ANI", "MCU", "OBJ", "SUB", "AA", "CRCD", "EXA"]
AUTOMATIC = "AE"  # F0911 EXTL of the offset entries posting adds (not the voucher's distribution)


def purged_batch_lines(
    session: JdeSession, wanted: Mapping[str, tuple[BatchKeyed, VoucherMarks]]
) -> dict[str, BatchLines]:
    """Source id -> (its batch key, what its voucher carries: at least the remark) -> the voucher as
    ``BatchLines`` (pay items marked processed, distribution numbered 1.. in JELN order); absent when no
    voucher, or several, carry the marks. One F0411 and one F0911 read per id: only for batches no longer
    in F0411Z1."""
    found: dict[str, BatchLines] = {}
    for source, (key, marks) in sorted(wanted.items()):
        if not marks.remark:
            continue  # the remark names the source document: without it a voucher keyed by hand could match
        items = [
            row
            for row in session.browse(AP_LEDGER.table, columns=ITEM_COLUMNS, conditions=marks.conditions())
            if marks.matches(row) and jde_number(row.get("DOC"))
        ]
        vouchers = {(text(row.get("KCO")), jde_number(row.get("DOC"))) for row in items}
        if len(vouchers) != 1:
            continue
        company, number = vouchers.pop()
        items.sort(key=lambda row: text(row.get("SFX")))
        lines = BatchLines(key, pay_items=[{**row, "EDSP": "1"} for row in items])
        mode = {"CRRM": items[0].get("CRRM")}
        rows = session.browse(
            DISTRIBUTION_TABLE,
            columns=LINE_COLUMNS,
            conditions=[
                Condition(f"{DISTRIBUTION_TABLE}.DOC", "EQUAL", number),
                Condition(f"{DISTRIBUTION_TABLE}.KCO", "EQUAL", company),
                Condition(f"{DISTRIBUTION_TABLE}.DCT", "EQUAL", "PV"),
            ],
        )
        rows = [row for row in rows if text(row.get("EXTL")).upper() != AUTOMATIC]
        foreign = {text(row.get("JELN")): row for row in rows if text(row.get("LT")) == FOREIGN_LEDGER}
        domestic = [row for row in rows if text(row.get("LT")) in ("", DOMESTIC_LEDGER)]
        domestic.sort(key=lambda row: jde_number(row.get("JELN")) or 0)
        for position, row in enumerate(domestic, start=1):
            line = {**row, **mode}
            if text(row.get("JELN")) in foreign:
                line["ACR"] = foreign[text(row.get("JELN"))].get("AA")
            lines.distribution[position] = line
        found[source] = lines
    return found


def purged_voucher_batches(
    session: JdeSession, wanted: Mapping[str, tuple[BatchKeyed, VoucherMarks]]
) -> dict[str, VoucherBatch]:
    """``purged_batch_lines`` as ``reconcile_documents.voucher_batches`` gives a processed batch: the F0411
    voucher's gross, supplier, order, invoice and dates, voided pay items, pay status, distribution by
    account, all in the document's currency."""
    found: dict[str, VoucherBatch] = {}
    for source, lines in purged_batch_lines(session, wanted).items():
        items, first = lines.pay_items, lines.pay_items[0]
        voucher = VoucherBatch(lines.key, document=lines.voucher)
        voucher.gross = sum((document_amount(item) for item in items), voucher.gross)
        voucher.pay_items, voucher.currency = len(items), currency_of(first)
        voucher.supplier, voucher.invoice = text(first.get("AN8")), text(first.get("VINV"))
        voucher.invoice_date, voucher.gl_date = as_date(first.get("DIVJ")), as_date(first.get("DGJ"))
        if text(first.get("PO")) not in ("", "0"):
            voucher.order = order_id(first.get("PKCO"), first.get("PO"), first.get("PDCT"))
        voucher.voided = sum(text(item.get("VOD")) == VOIDED for item in items)
        voucher.pay_status = text(first.get("PST"))
        for line in lines.distribution.values():
            voucher.by_account[row_account(line, "MCU")] += document_amount(line, "AA")
        found[source] = voucher
    return found
