"""Voucher batches JDE processed and purged (R04110ZA's "purge processed transactions", R0411Z1P), read back
for a reconciliation line by line from what stays: the one F0411 voucher (PV) carrying the remark the flow
wrote into the batch, its pay items, and its F0911 distribution (ledger AA, the automatic entries apart; a
foreign line's amount in its currency from ledger CA). So a purging site's documents are compared like a
keeping site's, never reported missing. A remark several vouchers carry (one keyed by hand) is not guessed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connector_assets.jde.documents import DISTRIBUTION_TABLE, DOMESTIC_LEDGER, FOREIGN_LEDGER
from connector_assets.jde.order_status import text
from connector_assets.jde.reconcile_documents import PAY_ITEM_MONEY_COLUMNS, BatchKeyed, BatchLines
from connector_assets.jde.tables import AP_LEDGER
from connector_assets.jde.target_base import jde_number
from connector_resources.jde import Condition

ITEM_COLUMNS = ["KCO", "DOC", "DCT", "SFX", "AN8", "VINV", "DIVJ", "RMK", *PAY_ITEM_MONEY_COLUMNS]
LINE_COLUMNS = ["KCO", "DOC", "DCT", "LT", "EXTL", "JELN", "ANI", "MCU", "OBJ", "SUB", "AA", "CRCD", "EXA"]
AUTOMATIC = "AE"  # F0911 EXTL of the offset entries posting adds (not the voucher's distribution)


def purged_batch_lines(session: Any, wanted: Mapping[str, tuple[BatchKeyed, str]]) -> dict[str, BatchLines]:
    """Source id -> (its batch key, the remark its voucher carries) -> the voucher as ``BatchLines`` (pay
    items marked processed, distribution numbered 1.. in JELN order); absent when no voucher, or several,
    carry the remark. One F0411 and one F0911 read per id: only for batches no longer in F0411Z1."""
    found: dict[str, BatchLines] = {}
    for source, (key, remark) in sorted(wanted.items()):
        if not remark:
            continue
        conditions = [
            Condition(f"{AP_LEDGER.table}.RMK", "EQUAL", remark),
            Condition(f"{AP_LEDGER.table}.DCT", "EQUAL", "PV"),
        ]
        items = [
            row
            for row in session.browse(AP_LEDGER.table, columns=ITEM_COLUMNS, conditions=conditions)
            if text(row.get("RMK")) == remark and jde_number(row.get("DOC"))
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
