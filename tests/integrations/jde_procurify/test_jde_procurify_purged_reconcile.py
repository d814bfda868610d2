"""The day's reconciliation at a site whose JDE purges processed batch rows (R04110ZA's "purge processed
transactions", or R0411Z1P run later): a posted bill's batch is found as the F0411 voucher it became, by
what the voucher carries (remark, invoice number, paired supplier), and compared field by field as at a site
that keeps the rows, never reported missing; a voucher of the day is the bill's, not AP's own."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from asset_runs import metadata_values
from jde_procurify_parts import RECONCILIATION
from jde_procurify_world import JdeProcurifyWorld, mastered_world

BILLS = ("procurify/bills", "jde_procurify/bills_mapped", "jde_procurify/bills_written")
RECONCILE = ("procurify/bills", RECONCILIATION)

world = mastered_world("jde_procurify_purged_reconcile")


def _differences(meta: dict) -> list[dict[str, str]]:
    with Path(meta["differences_csv"]).open(encoding="utf-8", newline="") as rows:
        return list(csv.DictReader(rows))


def _reconciled(world: JdeProcurifyWorld) -> dict:
    return metadata_values(world.materialize(*RECONCILE))[RECONCILIATION]


@pytest.mark.parametrize("purge", ["on_processing", "r0411z1p"])
def test_a_bill_whose_batch_rows_jde_purged_reconciles_with_its_voucher(world, purge):
    bill = world.approved_bill()
    world.run(*BILLS)
    assert world.xrefs("bill").get(bill["uuid"]), world.queue("bills")
    world.process_and_purge(purge)
    assert world.batch_rows("F0411Z1", bill["uuid"]) == []

    meta = _reconciled(world)

    about = [r for r in _differences(meta) if bill["uuid"] in str(r) or "voucher" in r["JDE record"]]
    assert about == [], about  # neither "no voucher" for the bill nor its voucher "only in JDE"
    assert meta["bills_in_balance"] == (1 if purge == "on_processing" else 2), meta["difference_table"]
