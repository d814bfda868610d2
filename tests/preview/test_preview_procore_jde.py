"""A preview of Procore -> JD Edwards writes nothing, and the real run of the same days does what it said.

The world: the sandboxes' busy day (approved requisitions, vendors changed, some of them naming JDE
suppliers JDE does not have), and the vendors of that day's commitments linked to JDE suppliers as an
earlier sync leaves them, all but one, which no window of the vendors flow reads: the orders' write step
pulls it, and the vendors flow refuses it (its origin_id names a JDE supplier JDE does not have), so its
order and that order's voucher wait for a person to fix it. So one day shows most kinds of verdict the
integration gives: a vendor created and vendors refused (one pulled), orders created and one held, vouchers
created against orders the same preview would create, a voucher held on its order, requisitions another
ERP already took left alone, and no record waiting for a parent no flow reads. Then an order JDE already
holds is adopted, and JDE renames reach the linked Procore vendor field by field.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from asset_runs import busy_day
from preview_proofs import (
    equip_for_previews,
    forget_xref,
    previewed_writing_nothing,
    run_as_previewed,
)
from procore_jde_world import INTEGRATION, jde_settings, procore_day, procore_jde_world
from request_log import logged_simulators

import connector_assets.integrations.procore_jde as package
from connector_sandbox.jde_ais.dates import to_hhmmss, to_julian

APPROVED = ("approved", "approved_as_noted")


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("preview_procore_jde")
    jde = jde_settings(db_path=tmp / "e1.sqlite")
    with logged_simulators() as logs, procore_jde_world(tmp, jde=jde) as made:
        equip_for_previews(made, logs, package)
        made.jde_db = jde.db_path
        made.unlinked = _link_day_vendors(made)
        yield made


def _link_day_vendors(world) -> str:
    """The vendors of the busy day's approved requisitions' commitments (those the connector may read)
    linked to JDE suppliers (origin_id, as an earlier sync leaves it), all but the first, which the orders'
    write step pulls; its id."""
    day, readable = busy_day(), world.invoiced_commitments()
    commitments = {
        r["commitment_id"]
        for r in world.procore_records("requisitions")
        if r["deleted_at"] is None and r["status"] in APPROVED and procore_day(r["updated_at"]) == day
    }
    vendors = sorted({readable[c]["vendor_id"] for c in commitments if c in readable})
    assert len(vendors) >= 2, "the seed's busy day has approved requisitions of several vendors"
    an8s = [row["AN8"] for row in world.jde_rows("F0401")]
    for vendor_id, an8 in zip(vendors[1:], an8s, strict=False):
        world.link_vendor(vendor_id, an8)
    return str(vendors[0])


def test_a_preview_every_flow_writes_nothing_and_the_run_does_what_it_said(world, tmp_path):
    day = date.fromisoformat(busy_day())
    seen = previewed_writing_nothing(world, INTEGRATION, day, day, tmp_path / "fit")
    assert {flow.spec.name for flow in seen.flows} == {
        "vendors",
        "suppliers",
        "purchase_orders",
        "vouchers",
        "change_orders",
    }
    verdicts = {(r.flow, r.verdict) for r in seen.rows}
    expected = {
        "vendors": ("create", "refuse"),
        "purchase_orders": ("create", "hold"),
        "vouchers": ("create", "hold", "unchanged"),  # unchanged: requisitions another ERP took
    }
    assert {(flow, v) for flow, kinds in expected.items() for v in kinds} <= verdicts, seen.rows
    # Day one: the vendor no window of the day reads is pulled by the orders' write step, its own row of
    # the vendors flow, refused there for a person; what waits, waits for it or for the order held on it.
    pulled = [r for r in seen.rows if r.pull == "parent"]
    assert {(r.flow, r.source_key, r.verdict) for r in pulled} == {("vendors", world.unlinked, "refuse")}
    assert "origin_id" in pulled[0].reason, pulled
    # The orders held on that refused vendor are a person's, shown under it (``blocked_records``).
    held = [r for r in seen.rows if r.flow == "purchase_orders" and r.verdict == "hold"]
    assert held and all(r.pull == "blocked" for r in held), held
    assert all(f"vendor {world.unlinked}, which needs a person" in r.reason for r in held), held
    waiting = [r for r in seen.rows if r.kind.startswith("waits_for_record")]
    on_held = {f"purchase_order:procore:{r.source_key} " for r in held}
    assert all(
        f"vendor:procore:{world.unlinked} " in r.reason or any(key in r.reason for key in on_held)
        for r in waiting
    ), [(r.flow, r.reason) for r in waiting]
    order = next(r for r in seen.rows if r.flow == "purchase_orders" and r.verdict == "create")
    assert json.loads(order.changes)["Reference"] == f"PC-{order.source_key}"  # the body it would send

    run_as_previewed(world, INTEGRATION, day, day, seen)


def test_an_order_jde_already_holds_previews_as_adopted_and_the_rest_unchanged(world, tmp_path):
    """The first backfill against orders JDE already holds: the cross-reference is gone, F4301's reference
    finds the order, and the preview names the order it would adopt, as the run then does."""
    day = date.fromisoformat(busy_day())
    commitment_id, order = forget_xref(world.ledger, INTEGRATION, "purchase_order")
    seen = previewed_writing_nothing(
        world, INTEGRATION, day, day, tmp_path / "fit", flows=["purchase_orders"]
    )
    adopted = seen.verdicts()[("purchase_orders", commitment_id)]
    assert (adopted.verdict, adopted.target_id) == ("adopt", order), adopted
    assert json.loads(adopted.matched_by)["Reference"] == f"PC-{commitment_id}"
    assert "unchanged" in {r.verdict for r in seen.rows}, "the orders the first run wrote are left alone"
    run_as_previewed(world, INTEGRATION, day, day, seen, flows=["purchase_orders"])


def _rename_in_jde(world, an8: str, name: str) -> None:
    """A JDE user renames the supplier (F0101 ALPH, stamped as E1 stamps it), later than the pair's last
    sync to the second."""
    moment = datetime.now(UTC) + timedelta(seconds=2)
    with sqlite3.connect(Path(world.jde_db)) as jde:
        jde.execute(
            'UPDATE "F0101" SET "ALPH" = ?, "UPMJ" = ?, "UPMT" = ? WHERE "AN8" = ?',
            (name, to_julian(moment.date()), to_hhmmss(moment), int(an8)),
        )


def _suppliers_today(world, tmp_path: Path):
    """The suppliers flow (JDE -> Procore) previewed for today, then run for real."""
    today = date.fromisoformat(world.day)
    seen = previewed_writing_nothing(world, INTEGRATION, today, today, tmp_path / "fit", flows=["suppliers"])
    run_as_previewed(world, INTEGRATION, today, today, seen, flows=["suppliers"])
    return seen


def test_jde_renames_preview_field_by_field_as_the_vendor_s_adoption_then_its_update(world, tmp_path):
    """The supplier the first run created for a Procore vendor is renamed in JDE: its first change back
    adopts the linked vendor (found by the vendors flow's link), each later one updates it; the preview
    shows Procore's current name beside JDE's, and the run then writes it."""
    [(vendor_id, an8)] = [(k, v) for k, v in world.xrefs("vendor").items() if v]
    name = world.procore_record("vendors", vendor_id)["name"]
    _rename_in_jde(world, an8, "Renamed In JDE")
    adopted = _suppliers_today(world, tmp_path / "first").verdicts()[("suppliers", an8)]
    assert (adopted.verdict, adopted.target_id) == ("adopt", vendor_id), adopted
    assert json.loads(adopted.changes)["name"] == [name, "Renamed In JDE"]
    assert world.procore_record("vendors", vendor_id)["name"] == "Renamed In JDE"

    _rename_in_jde(world, an8, "Renamed Again")
    updated = _suppliers_today(world, tmp_path / "again").verdicts()[("suppliers", an8)]
    assert (updated.verdict, updated.target_id) == ("update", vendor_id), updated
    assert json.loads(updated.changes) == {"name": ["Renamed In JDE", "Renamed Again"]}
    assert world.procore_record("vendors", vendor_id)["name"] == "Renamed Again"
