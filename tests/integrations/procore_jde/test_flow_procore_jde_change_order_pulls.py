"""Day one for Procore -> JDE change orders: a change order approved today on a commitment billed and
approved before the first day (no window of the purchase orders flow reads it, its vendor never synced)
gets, in the change orders' own run, the vendor pulled first, then the commitment's order, then is added to
that order; one on a commitment nobody has invoiced yet keeps waiting for its first approved requisition
(the purchase orders flow makes no order before one), and nothing is made for it. Both commitments come
from the seed, whose history the ledger never saw."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ledger_entries import audit_ids
from procore_jde_proofs import APPROVED, MASTER
from procore_jde_world import INTEGRATION, ProcoreJdeWorld, procore_jde_world

pytestmark = pytest.mark.filterwarnings(
    "ignore:Asset job .* materializes assets with varying BackfillPolicies"
)
CHANGES = (
    "procore/commitment_change_orders",
    "procore_jde/change_orders_mapped",
    "procore_jde/change_orders_written",
)


def _cast(world: ProcoreJdeWorld) -> tuple[dict[str, Any], dict[str, Any]]:
    """A commitment with an approved invoice, an active vendor and a change order waiting for approval, its
    vendor's ERP link cleared (no earlier sync linked it); and one with a waiting change order and no
    approved invoice."""
    commitments, waiting = world.invoiced_commitments(), world.waiting_change_orders()
    approved = {
        r["commitment_id"]
        for r in world.procore_records("requisitions")
        if r["deleted_at"] is None and r["status"] in APPROVED
    }
    active = {v["id"] for v in world.procore_records("vendors") if v["is_active"]}
    with_lines = {x["commitment_id"] for x in world.procore_records("commitment_line_items")}
    fit = [c for cid, c in sorted(commitments.items()) if cid in waiting and cid in with_lines]
    billed = next(c for c in fit if c["id"] in approved and c["vendor_id"] in active)
    unbilled = next(c for c in fit if c["id"] not in approved)
    with world.resources["procore"].session() as session:
        session.update_vendor(billed["vendor_id"], {"origin_id": None, "origin_code": None})
    return billed | {"change_order": waiting[billed["id"]]}, unbilled | {
        "change_order": waiting[unbilled["id"]]
    }


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProcoreJdeWorld]:
    with procore_jde_world(Path(tmp_path_factory.mktemp("procore_jde_co_pulls"))) as made:
        made.run_whole(*MASTER)
        yield made


def test_a_change_order_pulls_its_order_and_that_order_its_vendor_in_the_same_run(world):
    billed, unbilled = _cast(world)
    for commitment in (billed, unbilled):
        change_order = commitment["change_order"]
        world.clerk.approve_change_order(change_order["project_id"], change_order["id"])

    meta = world.run(*CHANGES)  # neither the vendors nor the purchase orders flow is in the run
    mapped, written = meta["procore_jde/change_orders_mapped"], meta["procore_jde/change_orders_written"]
    assert mapped["held"] >= 2, mapped  # each held on its commitment's order, never synced
    # The order pulled for the billed commitment waited for its vendor: pulled first, then the order.
    assert written["parents_pulled"] == 2 and written["written_after_pull"] == 1, written
    assert written["parents_missing"] >= 1 and written["parents_left"] == 0, written  # the unbilled one
    assert audit_ids(world.ledger, INTEGRATION, "vendors", "create") == [str(billed["vendor_id"])]
    assert audit_ids(world.ledger, INTEGRATION, "purchase_orders", "create") == [str(billed["id"])]
    [header] = world.jde_rows("F4301", VR01=f"PC-{billed['id']}")
    an8 = world.xrefs("vendor")[str(billed["vendor_id"])]
    assert int(header["AN8"]) == int(an8)
    added = world.jde_rows(
        "F4311", DOCO=header["DOCO"], DCTO=header["DCTO"], VR01=f"PCCO-{billed['change_order']['id']}"
    )
    assert added, "the change order's lines on the pulled order"
    assert str(billed["change_order"]["id"]) in world.xrefs("change_order")

    # No invoice of the other commitment is approved: no order made for it, its change order still waits.
    assert world.jde_rows("F4301", VR01=f"PC-{unbilled['id']}") == []
    [item] = [
        i
        for i in world.ledger.open_items(integration=INTEGRATION, flow="change_orders")
        if i.source_key == str(unbilled["change_order"]["id"])
    ]
    assert (item.status, item.depends_on) == ("held", f"procore_jde:purchase_order:procore:{unbilled['id']}")
    assert not world.ledger.open_items(integration=INTEGRATION, flow="purchase_orders")
