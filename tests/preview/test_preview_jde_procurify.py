"""A preview of JD Edwards <-> Procurify writes nothing, and the real run of the same days does what it said.

One world for the module, its days in the order a go-live meets them (the tests build on each other in file
order): the sandboxes' busy day, every flow, nothing in the ledger yet (account codes Procurify already has
are adopted, suppliers and vendors created or refused, orders and payments held on what they wait for);
today after people's work (bills approved and orders entered; then the requisitions purchased and the bills
paid in JDE, which give the PO links and the paid marks records of their own; then a vendor made in
Procurify with a bill and its payment, each judged after the record it needs, which the preview only
pretends to write); the first backfill against records both sides hold (a lost cross-reference: adopted);
a supplier renamed in JDE (an update, field by field). Every preview: each flow's run succeeds, the
simulators' request logs hold no write, the ledger is unchanged; the real run then does what it said.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from asset_runs import busy_day
from jde_procurify_proofs import ACCOUNT_SCOPE, approve_bills, enter_orders
from jde_procurify_world import jde_procurify_world
from preview_proofs import (
    Previewed,
    equip_for_previews,
    forget_xref,
    previewed_writing_nothing,
    run_as_previewed,
)
from request_log import logged_simulators

import connector_assets.integrations.jde_procurify as package
from connector_resources.ledger import schema
from connector_sandbox.jde_ais import JdeSandboxSettings
from connector_sandbox.jde_ais.dates import to_julian
from connector_sandbox.procurify import ProcurifySandboxSettings

INTEGRATION = "jde_procurify"
FALLBACK_EMAIL = "ML_JDE_PROCURIFY_VENDOR_FALLBACK_EMAIL"
# In the order the package declares them (its component's ``FLOWS``): master data before what names it.
FLOWS = (
    "account_codes",
    "suppliers",
    "vendors",
    "purchase_orders",
    "po_links",
    "bills",
    "payments",
    "paid_marks",
)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    folder = tmp_path_factory.mktemp("preview_jde_procurify")
    patch = pytest.MonkeyPatch()
    # Stock lines' inventory account gets a code too, so today's approved orders map (as the proofs do).
    patch.setenv("ML_JDE_PROCURIFY_ACCOUNT_SCOPE", ACCOUNT_SCOPE)
    jde = JdeSandboxSettings(scale=0.05, db_path=folder / "e1.sqlite")
    procurify = ProcurifySandboxSettings(scale=0.05, db_path=folder / "procurify.sqlite")
    try:
        with logged_simulators() as logs, jde_procurify_world(folder, jde=jde, procurify=procurify) as made:
            equip_for_previews(made, logs, package)
            made.jde_db, made.procurify_db = jde.db_path, procurify.db_path
            yield made
    finally:
        patch.undo()


def _preview_then_run(world, tmp_path, day: str, flows: tuple[str, ...] = ()) -> Previewed:
    """Preview ``flows`` (all by default) over ``day``: every run succeeds, nothing is sent, the ledger is
    as it was; then the real run of the same flows and day does what the preview said, record by record."""
    moment = date.fromisoformat(day)
    seen = previewed_writing_nothing(world, INTEGRATION, moment, moment, tmp_path / "fit", flows=flows)
    assert [flow.spec.name for flow in seen.flows] == list(flows or FLOWS)
    run_as_previewed(world, INTEGRATION, moment, moment, seen, flows=flows)
    return seen


def _verdicts(seen: Previewed) -> Counter[tuple[str, str]]:
    return Counter((row.flow, row.verdict) for row in seen.rows)


def test_the_busy_day_previews_every_flow_writing_nothing_and_the_run_does_what_it_said(world, tmp_path):
    seen = _preview_then_run(world, tmp_path, busy_day())
    verdicts = _verdicts(seen)
    assert {"create", "adopt", "hold", "refuse"} <= {verdict for _flow, verdict in verdicts}, verdicts
    created = next(r for r in seen.rows if r.flow == "suppliers" and r.verdict == "create")
    assert json.loads(created.changes)["external_id"] == created.source_key  # the vendor it would POST
    adopted = next(r for r in seen.rows if r.flow == "account_codes" and r.verdict == "adopt")
    assert adopted.target_id and json.loads(adopted.matched_by)  # the code Procurify has, by its code
    # An order waiting for its supplier's vendor says which; a supplier JDE has no e-mail for is refused.
    orders = [r for r in seen.rows if r.flow == "purchase_orders"]
    assert any(r.verdict == "hold" and "supplier:JDE:" in r.reason for r in orders), orders
    suppliers = [r for r in seen.rows if r.flow == "suppliers"]
    assert any(r.verdict == "refuse" and "e-mail" in r.reason for r in suppliers), suppliers


def test_today_s_bills_and_orders_preview_as_created_and_the_run_creates_them(world, tmp_path):
    bills = approve_bills(world, 3)
    enter_orders(world, 4)
    seen = _preview_then_run(world, tmp_path, world.day)
    verdicts, by_key = _verdicts(seen), seen.verdicts()
    assert {by_key[("bills", bill)].verdict for bill in bills} == {"create"}, verdicts
    assert verdicts[("purchase_orders", "create")] >= 1, verdicts
    # A voucher batch's keys are the bill's own: the preview names the batch the run then writes.
    assert {by_key[("bills", bill)].target_id for bill in bills} == {world.xrefs("bill")[b] for b in bills}
    world.bills = bills


def test_po_links_and_paid_marks_preview_as_the_run_then_writes_them(world, tmp_path):
    """The buyer purchases today's requisitions and JDE pays today's bills: the flows that follow up on
    what the others wrote have records of their own."""
    orders = world.xrefs("purchase_order")
    assert orders, "today's run created no requisition"
    for uuid in orders.values():
        world.purchase(uuid)
    world.process_vouchers()
    world.jde_pays(*world.bills)
    seen = _preview_then_run(world, tmp_path, world.day, ("po_links", "paid_marks"))
    verdicts = _verdicts(seen)
    assert verdicts[("po_links", "create")] >= 1 and verdicts[("paid_marks", "create")] >= 1, verdicts


def test_a_vendor_its_bill_and_its_payment_made_the_same_day_preview_each_after_the_other(world, tmp_path):
    """A vendor made in Procurify today, a bill of it approved and paid today: the vendors flow would add
    the vendor's JDE supplier (JDE numbers it: the preview cannot), the bill would post as its voucher batch
    on that supplier, and the payment would wait for JDE's batch processor to make the batch a voucher."""
    [vendor_id] = world.activity(new_vendors=1)["vendors"]["created"]
    [bill] = world.activity(new_bills=1)["bills"]["created"]
    with sqlite3.connect(world.procurify_db) as conn:  # the AP clerk enters it on the new vendor
        conn.execute("UPDATE bills SET vendor_id = ? WHERE uuid = ?", (vendor_id, bill))
    world.bill_status(bill, 2)
    paid = world._operator("payments", {"bill_uuids": [bill], "status": "paid"})
    seen = _preview_then_run(world, tmp_path, world.day, ("vendors", "bills", "payments"))
    verdicts = seen.verdicts()
    assert verdicts[("vendors", str(vendor_id))].verdict == "create"
    posted = verdicts[("bills", bill)]
    assert (posted.verdict, posted.target_id) == ("create", world.xrefs("bill")[bill]), posted
    held = verdicts[("payments", f"{paid['payment_uuid']}:{bill}")]
    assert held.verdict == "hold" and "(R04110ZA)" in held.reason, held


def _written_suppliers(world) -> list[tuple[str, str]]:
    """(AN8, vendor id) of the suppliers the suppliers flow created, by AN8: not those the proofs paired
    with a vendor of their choosing (``approve_bills``, ``enter_orders``), nor those the vendors flow made."""
    x = schema.xref
    with world.ledger.engine.connect() as conn:
        created = {
            row.source_id
            for row in conn.execute(
                sa.select(schema.audit_event.c.source_id).where(
                    schema.audit_event.c.integration == INTEGRATION,
                    schema.audit_event.c.flow == "suppliers",
                    schema.audit_event.c.action == "create",
                )
            )
        }
        vendor_pairs = {
            row.target_id
            for row in conn.execute(
                sa.select(x.c.target_id).where(x.c.integration == INTEGRATION, x.c.entity == "vendor")
            )
        }
        rows = conn.execute(
            sa.select(x.c.source_key, x.c.target_id)
            .where(x.c.integration == INTEGRATION, x.c.entity == "supplier", x.c.target_id.is_not(None))
            .order_by(x.c.source_key)
        )
        return [(an8, vendor) for an8, vendor in rows if an8 in created and an8 not in vendor_pairs]


def _quiet_day() -> str:
    """A day the sandboxes' seed changed no supplier on (the suppliers flow's own tests edit on it too)."""
    return (date.today() - timedelta(days=3)).isoformat()


def _edit_in_jde(world, an8: str, day: str, **values: Any) -> None:
    """A JDE user changes the supplier's address book row on ``day`` (UPMJ stamped, as E1 does)."""
    columns = {**values, "UPMJ": to_julian(date.fromisoformat(day)), "UPMT": 101500}
    assignments = ", ".join(f'"{column}" = ?' for column in columns)
    with sqlite3.connect(world.jde_db) as conn:
        conn.execute(f'UPDATE "F0101" SET {assignments} WHERE "AN8" = ?', (*columns.values(), int(an8)))


def test_a_supplier_both_systems_hold_previews_as_adopted_with_the_vendor_the_run_adopts(
    world, tmp_path, monkeypatch
):
    """The first backfill against vendors Procurify already holds: the cross-reference is gone, the
    natural key (the vendor's external_id, the AN8) finds the vendor, and the preview names the vendor the
    run then adopts. (The suppliers JDE has no e-mail for, queued since the busy day, get the fallback
    address and are created: refused again, they would be most of the day, which fails it as systemic.)"""
    monkeypatch.setenv(FALLBACK_EMAIL, "ap-fallback@acme.example")
    [(an8, vendor_id), *_] = _written_suppliers(world)
    forget_xref(world.ledger, INTEGRATION, "supplier", an8)
    _edit_in_jde(world, an8, _quiet_day())  # looked at again that day, nothing changed
    seen = _preview_then_run(world, tmp_path, _quiet_day(), ("suppliers",))
    adopted = seen.verdicts()[("suppliers", an8)]
    assert (adopted.verdict, adopted.target_id) == ("adopt", vendor_id), adopted
    assert json.loads(adopted.matched_by), "the natural key that matched is named"


def test_a_supplier_renamed_in_jde_previews_as_an_update_field_by_field(world, tmp_path, monkeypatch):
    """A JDE user renames a supplier Procurify has as a vendor: the preview says which field changes, from
    the vendor's current value to JDE's, and the run updates it; the supplier adopted the day before is
    left alone."""
    monkeypatch.setenv(FALLBACK_EMAIL, "ap-fallback@acme.example")
    [(adopted, _), *_, (an8, vendor_id)] = _written_suppliers(world)
    before = world.procurify_record("vendors", vendor_id)["api"]["name"]
    renamed = f"{before} (renamed)"
    _edit_in_jde(world, an8, _quiet_day(), ALPH=renamed)
    seen = _preview_then_run(world, tmp_path, _quiet_day(), ("suppliers",))
    verdicts = seen.verdicts()
    updated = verdicts[("suppliers", an8)]
    assert (updated.verdict, updated.target_id) == ("update", vendor_id), updated
    assert json.loads(updated.changes) == {"name": [before, renamed]}, updated.changes
    assert verdicts[("suppliers", adopted)].verdict == "unchanged"
    assert world.procurify_record("vendors", vendor_id)["api"]["name"] == renamed
