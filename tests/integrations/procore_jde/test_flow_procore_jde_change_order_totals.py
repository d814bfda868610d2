"""Procore -> JDE change orders against a Procore without the REST v2.0 line items endpoint: the
reference (docs/reference/procore.md section 2.6) confirms a change order's ``grand_total`` and
``contract_id``, no line items.

* With the endpoint off (the sandbox's ``change_order_line_items`` variant: 404, the unknown-path answer)
  and ``ML_PROCORE_JDE_CHANGE_ORDER_LINES`` at its default (auto), every approved change order reaches its
  JDE order once: one line of its ``grand_total`` with the reference ``PCCO-<id>``, on the account of the
  commitment's largest line; a rerun adds nothing.
* Never twice, whichever way it was added first: added line for line, then mapped as its total
  (``total``), and added as its total, then mapped line for line (the endpoint back), each is recognised
  by its reference on the order: no line added, no call to JDE's update, nothing queued, and counted as
  a skip (not an update: nothing was written).
* The reconciliation finds each on its order by its reference, whichever way it was added and whatever
  the setting or the endpoint says now: without the endpoint (or with the setting at ``total``) the lines
  under ``PCCO-<id>`` are compared with the change order's grand_total, and an amount edited in JDE is
  named with both figures; with line items read, a change order added as its total is recognised on the
  largest line's account.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import requests
from procore_jde_parts import RECONCILIATION
from procore_jde_proofs import APPROVED, MASTER, change_order_added, posts
from procore_jde_world import INTEGRATION, ProcoreJdeWorld, jde_settings, procore_jde_world

from connector_assets.jde.purchase_orders import UPDATE_PURCHASE_ORDER

pytestmark = pytest.mark.filterwarnings(
    "ignore:Asset job .* materializes assets with varying BackfillPolicies"
)
ORDERS = ("procore_jde/purchase_orders_mapped", "procore_jde/purchase_orders_written")
CHANGES = ("procore_jde/change_orders_mapped", "procore_jde/change_orders_written")
STAGE = ("procore/commitment_change_orders", "procore_jde/cost_code_map")
MODE = "ML_PROCORE_JDE_CHANGE_ORDER_LINES"


def line_items_endpoint(world: ProcoreJdeWorld, served: bool) -> None:
    """Procore's REST v2.0 change order line items served, or answering 404 as a Procore without them."""
    answer = requests.post(
        f"{world.procore_url}/sandbox/settings",
        json={"variants": {"change_order_line_items": served}},
        timeout=10,
    )
    assert answer.status_code < 300, answer.text


def _commitments_with_waiting_change_orders(world: ProcoreJdeWorld, wanted: int) -> list[dict[str, Any]]:
    """Commitments whose latest invoice is open (so it can be approved) and which have a change order
    waiting for approval, each with ``requisition`` and ``change_order``."""
    commitments, latest = world.invoiced_commitments(), world.latest_invoices()
    waiting = world.waiting_change_orders()
    lines: dict[int, int] = defaultdict(int)
    for line in world.procore_records("commitment_line_items"):
        if line["deleted_at"] is None:
            lines[line["commitment_id"]] += 1
    fit = [
        commitments[cid] | {"requisition": latest[cid], "change_order": waiting[cid]}
        for cid in sorted(commitments)
        if cid in latest and cid in waiting and latest[cid]["status"] not in APPROVED and lines[cid]
    ]
    if len(fit) < wanted:
        pytest.skip(f"the sandbox seed has {len(fit)} commitments fit for this story, {wanted} needed")
    return fit[:wanted]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProcoreJdeWorld]:
    """Three commitments written as JDE orders (their invoices approved, vendors linked), each with a change
    order waiting for approval (``world.cast``)."""
    tmp = Path(tmp_path_factory.mktemp("procore_jde_co_totals"))
    jde = jde_settings(db_path=tmp / "jde.sqlite")  # a file: a test edits an added line
    with procore_jde_world(tmp, jde=jde) as made:
        cast = _commitments_with_waiting_change_orders(made, 3)
        an8s = [row["AN8"] for row in made.jde_rows("F0401")]
        for position, commitment in enumerate(cast):
            made.link_vendor(commitment["vendor_id"], an8s[position])
            made.clerk.approve_requisition(commitment["project_id"], commitment["requisition"]["id"])
        written = made.run("procore/requisitions", *MASTER, *ORDERS)["procore_jde/purchase_orders_written"]
        assert written["create"] == len(cast), made.queue("purchase_orders")
        made.cast = cast  # type: ignore[attr-defined]
        made.jde_db = jde.db_path  # type: ignore[attr-defined]
        yield made


def _order(world: ProcoreJdeWorld, commitment: dict) -> dict:
    [header] = world.jde_rows("F4301", VR01=f"PC-{commitment['id']}")
    return header


def _approve(world: ProcoreJdeWorld, commitment: dict) -> dict:
    change_order = commitment["change_order"]
    world.clerk.approve_change_order(change_order["project_id"], change_order["id"])
    return world.procore_record("commitment_change_orders", change_order["id"])


def _added(world: ProcoreJdeWorld, header: dict, change_order: dict) -> list[dict]:
    reference = f"PCCO-{change_order['id']}"
    return world.jde_rows("F4311", DOCO=header["DOCO"], DCTO=header["DCTO"], VR01=reference)


def _largest_line_account(world: ProcoreJdeWorld, header: dict, commitment: dict) -> str:
    """The account (AID) of the order line the commitment's largest line became: the order's own lines
    follow the commitment's lines by position (the purchase orders flow writes them in that order)."""
    lines = sorted(
        (
            x
            for x in world.procore_records("commitment_line_items", commitment_id=commitment["id"])
            if x["deleted_at"] is None
        ),
        key=lambda x: (x["position"], x["id"]),
    )
    largest = min(range(len(lines)), key=lambda i: (-lines[i]["amount_cents"], i))
    own = sorted(
        (
            row
            for row in world.jde_rows("F4311", DOCO=header["DOCO"], DCTO=header["DCTO"])
            if str(row["VR01"]).strip() == f"PC-{commitment['id']}"
        ),
        key=lambda row: row["LNID"],
    )
    assert len(own) == len(lines)
    return own[largest]["AID"]


def _open_items(world: ProcoreJdeWorld) -> list[Any]:
    return world.ledger.open_items(integration=INTEGRATION, flow="change_orders")


def _reconciled(world: ProcoreJdeWorld, commitment: dict, served: bool) -> tuple[dict[str, Any], list[str]]:
    """The day's reconciliation with Procore's line items served or not (vouchers off: this world writes
    none): its metadata, and the lines of its difference table about the commitment's change order or
    its order's amounts (the seed's other change orders of the commitment were never written)."""
    line_items_endpoint(world, served)
    try:
        meta = world.run(RECONCILIATION)[RECONCILIATION]
    finally:
        line_items_endpoint(world, True)
    mine, order = f"change order {commitment['change_order']['id']} ", f"({commitment['id']})"
    rows = meta["difference_table"].replace("\\|", "|").splitlines()
    return meta, [
        row
        for row in rows
        if mine in row
        or (order in row and not row.startswith(("| missing in JDE | change order ", "| What")))
    ]


def _jde_amount(world: ProcoreJdeWorld, line: dict, cents: int) -> None:
    """An added line's extended cost set in JDE's F4311 (an edit by hand in JDE)."""
    with sqlite3.connect(world.jde_db) as conn:  # type: ignore[attr-defined]
        conn.execute(
            'UPDATE "F4311" SET "AEXP" = ? WHERE "KCOO" = ? AND "DOCO" = ? AND "DCTO" = ? AND "LNID" = ?',
            (cents, line["KCOO"], line["DOCO"], line["DCTO"], line["LNID"]),
        )


def test_without_the_v2_endpoint_an_approved_change_order_is_added_once_as_its_grand_total(world):
    commitment = world.cast[0]
    change_order = _approve(world, commitment)
    line_items_endpoint(world, False)
    try:
        first = world.run(*STAGE, *CHANGES)["procore_jde/change_orders_written"]
    finally:
        line_items_endpoint(world, True)
    assert first["create"] == 1, _open_items(world)
    header = _order(world, commitment)
    [line] = _added(world, header, change_order)
    assert line["AEXP"] == change_order["grand_total_cents"] and line["UORG"] == 1
    assert line["AID"] == _largest_line_account(world, header, commitment)
    assert world.xrefs("change_order")[str(change_order["id"])].endswith(f":PCCO-{change_order['id']}")
    assert _open_items(world) == []

    line_items_endpoint(world, False)
    try:
        again = world.run(*CHANGES)["procore_jde/change_orders_written"]
    finally:
        line_items_endpoint(world, True)
    assert again["create"] == 0 and again["skip"] == 1
    assert len(_added(world, header, change_order)) == 1


def test_without_the_v2_endpoint_the_reconciliation_compares_a_change_order_with_its_grand_total(
    world, monkeypatch
):
    """Reference §2.6 has no line item read: the lines under PCCO-<id> against the grand_total, and an
    amount edited in JDE named in a finance user's words with both figures."""
    commitment = world.cast[0]  # added as its grand_total by the test above
    monkeypatch.setenv("ML_PROCORE_JDE_VOUCHERS", "off")
    change_order = world.procore_record("commitment_change_orders", commitment["change_order"]["id"])
    meta, rows = _reconciled(world, commitment, served=False)
    assert rows == [], rows
    assert meta["change_orders_on_order"] >= 1 and meta["change_orders_on_order_as_total"] >= 1

    [line] = _added(world, _order(world, commitment), change_order)
    _jde_amount(world, line, line["AEXP"] - 100)  # 1.00 less on the order than Procore approves
    try:
        meta, rows = _reconciled(world, commitment, served=False)
    finally:
        _jde_amount(world, line, line["AEXP"])
    [row] = rows
    approved = Decimal(change_order["grand_total_cents"]) / 100
    assert meta["change_order_amount"] == 1, meta["difference_table"]
    order, reference = f"{line['DOCO']} {line['DCTO']} {line['KCOO']}", f"PCCO-{change_order['id']}"
    assert (
        f"approved in Procore for {approved:,.2f} (its grand_total), is on JDE order {order} for "
        f"{approved - 1:,.2f} (lines {reference}): JDE holds 1.00 less than Procore approves" in row
    )
    assert row.startswith("| change order amount |")  # named once, as the change order, not again by account


@pytest.mark.parametrize(
    ("cast", "first", "then"),
    [(1, "lines", "total"), (2, "total", "auto")],
    ids=["line_for_line_then_as_its_total", "as_its_total_then_line_for_line"],
)
def test_a_change_order_added_one_way_and_mapped_the_other_is_not_added_again(
    world, monkeypatch, cast: int, first: str, then: str
):
    commitment = world.cast[cast]
    change_order = _approve(world, commitment)
    monkeypatch.setenv(MODE, first)
    before = _calls(world)[1]
    written = world.run(*STAGE, *CHANGES)["procore_jde/change_orders_written"]
    assert written["create"] == 1, _open_items(world)
    # The commitment's kind is known from its order (a work order contract in the second case): its lines
    # are read at its own path, never after a 404 at the purchase order path.
    probes = [label for label in _since(before, _calls(world)[1]) if label.endswith("-> 404")]
    assert probes == [], probes
    header = _order(world, commitment)
    if first == "lines":
        before, _ = change_order_added(world, header, change_order)
    else:
        before = _added(world, header, change_order)
        assert len(before) == 1 and before[0]["AEXP"] == change_order["grand_total_cents"]
    calls = posts(world, UPDATE_PURCHASE_ORDER)

    monkeypatch.setenv(MODE, then)  # auto: the endpoint answers, so it is now mapped line for line
    again = world.run(*STAGE, *CHANGES)["procore_jde/change_orders_written"]
    assert again["create"] == again["update"] == 0 and again["skip"] >= 1, again  # found, nothing written
    assert _added(world, header, change_order) == before
    assert posts(world, UPDATE_PURCHASE_ORDER) == calls and _open_items(world) == []
    settled = world.run(*CHANGES)["procore_jde/change_orders_written"]  # the ledger holds the new mapping
    assert settled["create"] == settled["update"] == 0 and settled["skip"] >= 1

    # Reconciled after the switch: found by its reference, compared the way it can be now (as its total:
    # with its lines on the order; line for line: with its one line of its grand_total on the order).
    monkeypatch.setenv("ML_PROCORE_JDE_VOUCHERS", "off")  # this world writes no vouchers
    meta, rows = _reconciled(world, commitment, served=True)
    assert rows == [], rows
    assert meta["change_orders_on_order"] >= 1 and meta["change_orders_on_order_as_total"] >= 1


def _calls(world: ProcoreJdeWorld) -> tuple[dict[str, int], dict[str, int]]:
    """Procore's calls by endpoint and its answers by endpoint and status, as the sandbox counts them."""
    state = world.procore_state()
    return dict(state["calls"]), dict(state["statuses"])


def _since(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {label: n - before.get(label, 0) for label, n in after.items() if n > before.get(label, 0)}


def test_a_change_order_already_on_its_order_costs_no_further_procore_reads(world):
    """The day's second run, without the v2 endpoint: a change order added to its order (the ledger knows
    it) is not read again (no line items, no change order by id, no commitment, no schedule of values),
    and no commitment is looked for at the wrong kind's path (a 404 probe)."""
    commitment = world.cast[0]
    change_order = _approve(world, commitment)
    line_items_endpoint(world, False)
    try:
        world.run(*STAGE, *CHANGES)  # added here, or by the first test of this module
        assert world.xrefs("change_order").get(str(change_order["id"])), _open_items(world)
        calls, statuses = _calls(world)
        again = world.run(*STAGE, *CHANGES)["procore_jde/change_orders_written"]
        calls, statuses = _since(calls, _calls(world)[0]), _since(statuses, _calls(world)[1])
    finally:
        line_items_endpoint(world, True)
    assert again["create"] == again["update"] == 0, again
    reads = {
        label: n
        for label, n in calls.items()
        if "commitment_change_orders/{" in label or "contracts" in label
    }
    assert reads == {}, calls
    assert not [label for label in statuses if label.endswith("-> 404")], statuses
