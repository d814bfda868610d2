"""A preview of JD Edwards <-> BILL writes nothing, and the real run of the same days does what it said:
JDE suppliers -> BILL vendors, JDE orders and vouchers -> BILL bills, BILL payments -> JDE (a voucher
payment through ML_RecordPayment, a journal entry through ML_CreateJournalBatch).

What a JDE user changes between runs is written into the JDE simulator's database file, as E1's own
programs would; what BILL's clerk does goes through BILL's API (``BillClerk``); where a paid bill came
from in JDE is recorded in the ledger as the bills flow records it (``from_jde``)."""

from __future__ import annotations

import csv
import json
import re
import sqlite3
from datetime import UTC, date, datetime, timedelta

import pytest
from asset_runs import busy_day
from jde_bill_world import BillClerk, jde_bill_world
from preview_proofs import (
    Previewed,
    equip_for_previews,
    forget_xref,
    ledger_rows,
    previewed_writing_nothing,
    run_as_previewed,
    write_requests,
)
from request_log import logged_simulators

import connector_assets.integrations.jde_bill as package
from connector_assets.preview.fit import FIT_FOLDER, fit
from connector_assets.preview.tally import FitRow
from connector_sandbox.jde_ais import JdeSandboxSettings
from connector_sandbox.jde_ais.dates import to_julian

INTEGRATION = "jde_bill"
RENAMED = "Preview Renamed Supply Co"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    folder = tmp_path_factory.mktemp("preview_jde_bill")
    jde = JdeSandboxSettings(scale=0.02, db_path=folder / "e1.sqlite")
    with logged_simulators() as logs, jde_bill_world(folder, jde=jde) as made:
        equip_for_previews(made, logs, package)
        made.jde_db = jde.db_path
        made.run_whole("jde/gl_accounts")  # the F0901 cache the deployment's own refresh job keeps staged
        yield made


def _sql(world, statement: str, *params) -> list[tuple]:
    with sqlite3.connect(world.jde_db) as conn:
        return conn.execute(statement, params).fetchall()


def _previewed_then_run(world, tmp_path, first: date, last: date, flows=()):
    """A preview of ``flows`` over the days that sends nothing and changes no ledger row, then the real run
    of the same flows and days, which does what the preview said; the preview's rows."""
    seen = previewed_writing_nothing(world, INTEGRATION, first, last, tmp_path / "fit", flows=flows)
    reached = {system for system, served in world.logs.items() if any(log.entries_all() for log in served)}
    assert reached == {"jde_ais", "bill"}, "the preview read both systems"
    real = run_as_previewed(world, INTEGRATION, first, last, seen, flows=flows)
    assert set(real) <= set(seen.verdicts()), "the run decided records the preview did not judge"
    return seen


def _fit(world, first: date, last: date, out):
    """``ml-connector fit``'s own function over the days, writing nothing (the simulators' logs and the
    ledger's rows show none): its result, what it said on the console, and fit.csv's rows."""
    before = ledger_rows(world.ledger)
    for served in world.logs.values():
        for log in served:
            log.clear()
    said: list[str] = []
    done = fit(world.defs, INTEGRATION, first, last, out, specs=world.specs, resources=world.resources,
               ledger=world.ledger, say=said.append)  # fmt: skip
    assert not done.failed and write_requests(world.logs) == []
    assert ledger_rows(world.ledger) == before
    assert sorted(path.name for path in out.iterdir()) == sorted(FIT_FOLDER)  # what the docs say it holds
    with (out / "fit.csv").open(newline="", encoding="utf-8") as rows:
        return done, said, [FitRow(**row) for row in csv.DictReader(rows)]


DAY_ONE = re.compile(
    r"the days' (\d+) own record\(s\) = (\d+) written at once \+ (\d+) written once .* \+ (\d+) need a "
    r"person .* \+ (\d+) wait for the flows \+ (\d+) out of scope; and (\d+) parent\(s\)"
)


def test_the_fit_of_days_where_a_bill_changes_twice_on_a_vendor_never_synced_adds_up(world, tmp_path):
    """A fresh ledger (the module's first test): two orders whose header changed one day and a line the
    next, each billed to a vendor no day reads (pulled by the first run), and BILL's own bills paid today.
    The fit counts each bill once, as written on its first day (the run holds it on the second day when it
    maps it, then writes it once on the first after pulling its vendor), the payments of BILL's own bills
    on a line of their own, out of scope; every figure adds up to the records previewed, the console says
    the report's figures, and the real run of the same days does what the fit said."""
    busy, today = date.fromisoformat(busy_day()), datetime.now(UTC).date()
    first, second = today - timedelta(days=2), today - timedelta(days=1)
    probe = previewed_writing_nothing(world, INTEGRATION, busy, busy, tmp_path / "probe", flows=["bills"])
    pulled_for = [r.source_key for r in probe.rows if r.flow == "bills" and r.pull == "child"]
    orders = sorted(key for key in pulled_for if key.startswith("PO:"))[:2]  # billed to a vendor never synced
    assert len(orders) == 2, probe.rows
    for key in orders:
        _, kcoo, doco, dcto = key.split(":")
        where = '"KCOO" = ? AND "DOCO" = ? AND "DCTO" = ?'
        _sql(world, f'UPDATE "F4301" SET "UPMJ" = ? WHERE {where}', to_julian(first), kcoo, int(doco), dcto)
        _sql(world, f'UPDATE "F4311" SET "UPMJ" = ? WHERE {where}', to_julian(second), kcoo, int(doco), dcto)
    clerk = BillClerk(world.bill_url)
    foreign, foreign_payment = clerk.paid_bill("OOS-FIT-1", "12.00")
    clerk.clear_payments()

    done, said, rows = _fit(world, first, today, tmp_path / "fit")

    for key in orders:  # once, as the run ends it: written on its first day once its vendor is pulled
        [bill] = [r for r in rows if (r.flow, r.source_key) == ("bills", key)]
        assert (bill.verdict, bill.pull, bill.day) == ("create", "child", first.isoformat()), bill
    assert len({(r.flow, r.source_key) for r in rows}) == len(rows), "a record counted twice"
    assert all(r.kind for r in rows if r.verdict in ("refuse", "hold", "ambiguous")), "a hold without kind"
    outside = [r for r in rows if r.verdict == "out_of_scope"]
    assert f"{foreign_payment}:{foreign}" in {r.source_key for r in outside}
    assert all(r.flow == "payments" and r.kind == "out_of_scope · bill not from JDE" for r in outside)

    md = done.markdown
    parents = sum(r.pull == "parent" for r in rows)
    own = len(rows) - parents
    assert parents >= 2 and own > 0
    flowing = sum(r.verdict in ("create", "adopt", "update", "unchanged") for r in rows)
    in_scope = len(rows) - len(outside)
    assert (
        f"Previewed {len(rows)} source record(s), writing nothing: {own} of the days' own + {parents} "
        f"parent(s) pulled from outside the days. {flowing / in_scope:.1%} of the {in_scope} in scope"
    ) in md
    days_own, at_once, after, person, waiting, out_of_scope, pulled = map(int, DAY_ONE.search(md).groups())
    assert (days_own, pulled, out_of_scope) == (own, parents, len(outside))
    assert at_once + after + person + waiting + out_of_scope == own
    assert after >= 2 and "**Out of scope**" in md and "kind not recorded" not in md.casefold()
    # the console says the report's figures: the same lines, and each flow's own records and parents
    figures = [line for line in said if not line.startswith("ok ")]
    assert len(figures) == 2 + len(done.flows) and all(line in md.replace("**", "") for line in figures)
    for flow in done.flows:
        name = flow.spec.name
        mine = [r for r in rows if r.flow == name]
        pulled_in = sum(other.pulled.get(name, 0) for other in done.flows)
        assert flow.rows == len(mine) - pulled_in and pulled_in == sum(r.pull == "parent" for r in mine)
        assert f"{len(mine):,} {name} read: {flow.rows:,} of the days' own" in md
        assert any(
            line.startswith(f"ok   {name} ") and f": {flow.rows:,} of the days' own" in line for line in said
        )

    seen = Previewed(rows, done.flows)
    run_as_previewed(world, INTEGRATION, first, today, seen)  # the real run does what the fit said
    queued = {item.source_key for item in world.ledger.open_items(integration=INTEGRATION, flow="payments")}
    assert not queued & {r.source_key for r in outside}, "a payment out of scope was queued for a person"


def test_a_preview_every_flow_writes_nothing_and_the_run_does_what_it_said(world, tmp_path):
    day = date.fromisoformat(busy_day())
    seen = _previewed_then_run(world, tmp_path, day, day)
    assert {flow.spec.name for flow in seen.flows} == {"vendors", "bills", "payments"}
    verdicts = {(row.flow, row.verdict) for row in seen.rows}
    # New suppliers and bills; a bill whose supplier is not in BILL yet gets it pulled by the first run (the
    # vendor its own row), none waits for one; a BILL payment of a bill that did not come from JDE is out of
    # the integration's scope.
    assert {("vendors", "create"), ("bills", "create"), ("payments", "out_of_scope")} <= verdicts
    assert {r.flow for r in seen.rows if r.pull == "parent"} == {"vendors"}
    assert any(r.flow == "bills" and r.pull == "child" for r in seen.rows)
    assert not [r for r in seen.rows if r.flow == "bills" and r.kind.startswith("waits_for_record")]
    vendor = next(r for r in seen.rows if r.flow == "vendors" and r.verdict == "create")
    [(name,)] = _sql(world, 'SELECT "ALPH" FROM "F0101" WHERE "AN8" = ?', int(vendor.source_key))
    assert json.loads(vendor.changes)["name"] == name.strip()  # the body it would POST


def test_a_vendor_and_a_bill_the_ledger_lost_preview_as_adopted_and_the_rest_unchanged(world, tmp_path):
    """The first backfill against what BILL already holds: the cross-references are gone, BILL's vendor is
    found by tax ID and name and the bill by vendor and invoice number, and the preview names the records
    it would adopt, as the run then does."""
    day = date.fromisoformat(busy_day())
    vendors, bills = world.xrefs("vendor"), world.xrefs("bill")
    vendor_key = min(key for key, bill_id in vendors.items() if bill_id)
    bill_key = min(key for key, bill_id in bills.items() if bill_id)
    forget_xref(world.ledger, INTEGRATION, "vendor", vendor_key)
    forget_xref(world.ledger, INTEGRATION, "bill", bill_key)
    seen = _previewed_then_run(world, tmp_path, day, day, flows=["vendors", "bills"])
    verdicts = seen.verdicts()
    for flow, key, target_id in (
        ("vendors", vendor_key, vendors[vendor_key]),
        ("bills", bill_key, bills[bill_key]),
    ):
        adopted = verdicts[(flow, key)]
        assert (adopted.verdict, adopted.target_id) == ("adopt", target_id), adopted
        assert adopted.matched_by, "the natural key that matched is named"
    assert ("vendors", "unchanged") in {(r.flow, r.verdict) for r in seen.rows}
    assert world.xrefs("vendor")[vendor_key] == vendors[vendor_key]


def test_a_supplier_renamed_in_jde_previews_as_an_update_field_by_field(world, tmp_path):
    day = date.today() - timedelta(days=3)
    an8 = min(int(key) for key, bill_id in world.xrefs("vendor").items() if bill_id)
    [(old,)] = _sql(world, 'SELECT "ALPH" FROM "F0101" WHERE "AN8" = ?', an8)
    _sql(
        world,
        'UPDATE "F0101" SET "ALPH" = ?, "UPMJ" = ?, "UPMT" = 101500 WHERE "AN8" = ?',
        RENAMED,
        to_julian(day),
        an8,
    )
    seen = _previewed_then_run(world, tmp_path, day, day, flows=["vendors"])
    updated = seen.verdicts()[("vendors", str(an8))]
    assert (updated.verdict, updated.target_id) == ("update", world.xrefs("vendor")[str(an8)]), updated
    assert json.loads(updated.changes)["name"] == [old.strip(), RENAMED]  # BILL's value -> ours
    assert world.in_bill("vendors")[updated.target_id]["name"] == RENAMED


def test_bill_payments_preview_as_jde_postings_and_a_lost_one_as_adopted(world, tmp_path):
    """A payment of a voucher's bill (ML_RecordPayment), of an order's bill with no voucher (a journal
    entry, ML_CreateJournalBatch) and of a bill BILL made itself (out of scope): held, then posted as said;
    then the ledger loses the voucher payment's posting and the preview finds it in JDE."""
    clerk = BillClerk(world.bill_url)
    voucher = world.open_vouchers()[0]
    with world.resources["jde"].session() as session:
        order = next(iter(session.browse("F4301", columns=["KCOO", "DOCO", "DCTO"])))
    on_voucher, voucher_payment = clerk.paid_bill("PV-PREVIEW-1", "100.25")
    world.from_jde(f"PV:{voucher['KCO']}:{voucher['DOC']}:PV", on_voucher)
    on_order, journal_payment = clerk.paid_bill("PO-PREVIEW-1", "55.00")
    world.from_jde(f"PO:{order['KCOO']}:{order['DOCO']}:{order['DCTO']}", on_order)
    foreign, foreign_payment = clerk.paid_bill("NJ-PREVIEW-1", "40.00")
    clerk.clear_payments()
    today = datetime.now(UTC).date()

    seen = _previewed_then_run(world, tmp_path / "first", today, today, flows=["payments"])
    verdicts = seen.verdicts()
    paid = verdicts[("payments", f"{voucher_payment}:{on_voucher}")]
    assert paid.verdict == "create" and json.loads(paid.changes)["Payment_Reference"] == voucher_payment
    journal = verdicts[("payments", f"{journal_payment}:{on_order}")]
    assert journal.verdict == "create" and json.loads(journal.changes)["EDI_Batch_Number"] == on_order[-15:]
    assert verdicts[("payments", f"{foreign_payment}:{foreign}")].verdict == "out_of_scope"
    assert len(world.jde_payments(voucher_payment)) == 1  # the real run posted them, once each
    assert len(world.jde_rows("F0911Z1", EDUS="MLBILL", EDTN=journal_payment)) == 2

    key = f"{voucher_payment}:{on_voucher}"
    posted = world.ledger.get_xref(INTEGRATION, "payment", "bill", key, "JDE").target_id
    forget_xref(world.ledger, INTEGRATION, "payment", key)
    again = _previewed_then_run(world, tmp_path / "again", today, today, flows=["payments"])
    adopted = again.verdicts()[("payments", key)]
    assert (adopted.verdict, adopted.target_id) == ("adopt", posted), adopted
    assert len(world.jde_payments(voucher_payment)) == 1
