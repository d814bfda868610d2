"""JDE <-> BILL reconciliation end to end: the JDE and BILL simulators, the real clients, Dagster, the ledger.

A day is synced (the vendors flow through Dagster; the day's vouchers and approved orders written to BILL as
bills with their cross-references, as the bills flow records them), the reconciliation is clean; then one
side changes (a bill's amount and a vendor's name in BILL, a BILL payment JDE never received) and the
reconciliation names exactly that, in words, while the rest stays in balance.
"""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from dagster import AssetKey
from jde_bill_world import (
    MASTER,
    ORDER_SOURCES,
    SUPPLIER_SOURCES,
    BillClerk,
    in_bill,
    jde_bill_world,
    run_assets,
    xrefs,
)

from connector_assets.integrations.jde_bill.integration import INTEGRATION
from connector_assets.jde.documents import suppliers_by_number
from connector_assets.jde.extract import jde_timezone
from connector_assets.jde.lookup import browse_in

SOURCES = (*SUPPLIER_SOURCES, *ORDER_SOURCES)
FLOWS = (
    "jde_bill/vendors_mapped",
    "jde_bill/vendors_written",
    "jde_bill/bills_mapped",
    "jde_bill/bills_written",
)
PAYMENTS_FLOW_STEPS = ("jde_bill/payments_mapped", "jde_bill/payments_written")


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    with jde_bill_world(tmp_path_factory.mktemp("reconcile")) as made:  # runs the busy day: many changes
        _sync(made.resources, made.ledger, made.day)
        yield made.resources, made.ledger, made.day, _bills(made.resources, made.ledger)


def _sync(resources, ledger, day) -> None:
    """The day through the vendors and bills flows; the bills held for a supplier not changed that day
    (so not synced by that day's vendors run) get their vendor, as the vendors flow gives it when the
    supplier changes, and the day's bills run again: a clean sync."""
    _materialize(resources, day, *MASTER, *SOURCES, *FLOWS)
    held = ledger.open_items(integration=INTEGRATION, flow="bills", status="held")
    for an8 in {item.depends_on.rsplit(":", 1)[1] for item in held if item.depends_on}:
        _vendor_of(resources, ledger, int(an8))
    if held:
        _materialize(resources, day, "jde_bill/bills_mapped", "jde_bill/bills_written")
    assert [
        (i.source_key, i.status, i.depends_on, i.reason) for i in ledger.open_items(integration=INTEGRATION)
    ] == []


def _materialize(resources, day, *names):
    return run_assets(resources, names, day)


def _reconcile(resources, day, name):
    result = _materialize(resources, day, name)
    [evaluation] = result.get_asset_check_evaluations()
    [materialization] = result.get_asset_materialization_events()
    return evaluation, materialization.materialization.metadata


def _vendor_of(resources, ledger, an8: int) -> str:
    """The supplier's BILL vendor: the vendors flow's, or (a supplier not changed that day) one added here
    with its cross-reference, as the vendors flow does when a held bill releases it."""
    xref = ledger.get_xref(INTEGRATION, "vendor", "JDE", str(an8), "bill")
    if xref is not None and xref.target_id:
        return xref.target_id
    [supplier] = suppliers_by_number(resources["jde"], [an8])
    body = {"name": supplier.address["ALPH"].strip(), "accountType": "BUSINESS"}
    if (supplier.address.get("TAX") or "").strip():
        body["additionalInfo"] = {"taxId": supplier.address["TAX"].strip()}
    with resources["bill"].session() as session:
        vendor_id = session.create_vendor(body)["id"]
    ledger.record_target(INTEGRATION, "vendor", "JDE", str(an8), "bill", vendor_id, "test")
    return vendor_id


def _bills(resources, ledger) -> dict[str, dict]:
    """Each bill the flow wrote, by the JDE voucher (``PV:``) or order (``PO:``) it holds, with its supplier,
    amount and whether JDE has the voucher open and unpaid (so BILL may pay it)."""
    holds = {bill_id: key for key, bill_id in xrefs(ledger, "bill").items() if bill_id}
    holds |= {bill_id: key for key, bill_id in xrefs(ledger, "bill_voucher").items() if bill_id}  # taken over
    vouchers = {tuple(k.split(":")[1:]) for k in holds.values() if k.startswith("PV:")}
    with resources["jde"].session() as session:
        items = [
            r
            for r in browse_in(
                session,
                "F0411",
                "DOC",
                sorted({int(v[1]) for v in vouchers}),
                ["KCO", "DOC", "DCT", "AN8", "AG", "AAP", "PST"],
            )
            if (r["KCO"].strip(), str(r["DOC"]), r["DCT"].strip()) in vouchers
        ]
    found = in_bill(resources["bill"], "bills", live=False)
    written = {}
    for bill_id, key in holds.items():
        mine = [r for r in items if f"PV:{r['KCO'].strip()}:{r['DOC']}:{r['DCT'].strip()}" == key]
        bill = found[bill_id]
        written[key] = {
            **bill,
            "an8": ledger.find_xref_by_target(INTEGRATION, "vendor", "bill", bill["vendorId"]).source_key,
            "jde_amount": Decimal(str(bill["amount"])),
            "open": bool(mine) and all(r["PST"] == "A" and r["AAP"] == r["AG"] for r in mine),
        }
    assert any(k.startswith("PV:") for k in written)
    return written


def test_vendors_and_bills_are_clean_after_a_sync_and_a_change_in_bill_is_named(world):
    resources, ledger, day, bills = world
    vendors, vendor_meta = _reconcile(resources, day, "jde_bill/vendors_reconciliation")
    assert vendors.passed, vendors.description
    assert vendor_meta["jde_suppliers"].value == vendor_meta["bill_vendors_matched"].value > 0
    clean, meta = _reconcile(resources, day, "jde_bill/bills_reconciliation")
    assert clean.passed, clean.description
    assert meta["differences"].value == 0
    assert meta["jde_vouchers"].value + meta["jde_purchase_orders"].value >= len(bills) > 0
    assert meta["bill_api_calls"].value <= 3  # the day's bills read by id, 100 to a call (+ a login)

    voucher_key_, voucher_bill = min((k, b) for k, b in bills.items() if k.startswith("PV:"))
    changed = voucher_bill["jde_amount"] + Decimal("10.00")
    an8 = str(next(resources["staging"].read_rows(AssetKey(["jde", "suppliers"]), day))["AN8"])
    vendor_id = ledger.get_xref(INTEGRATION, "vendor", "JDE", an8, "bill").target_id
    with resources["bill"].session() as session:
        session.update_bill(
            voucher_bill["id"], {"billLineItems": [{"amount": changed, "description": "edited"}]}
        )
        session.update_vendor(vendor_id, {"name": "Renamed In BILL Inc"})

    dirty, meta = _reconcile(resources, day, "jde_bill/bills_reconciliation")
    assert not dirty.passed
    _, kco, doc, dct = voucher_key_.split(":")
    label = f"voucher {kco}/{doc}/{dct} (invoice {voucher_bill['invoice']['invoiceNumber']})"
    assert meta["amount"].value == 1 and meta["supplier_total"].value == 1
    assert (
        f"{label} of supplier {voucher_bill['an8']}: {voucher_bill['jde_amount']:,.2f} in JDE but "
        f"{changed:,.2f} on BILL bill {voucher_bill['id']}"
    ) in dirty.description
    assert (
        f"supplier {voucher_bill['an8']}: the day's purchase orders and vouchers total"
        in meta["difference_table"].value
    )  # and the supplier's total differs by the same 10.00
    assert "(difference 10.00)" in meta["difference_table"].value

    renamed, meta = _reconcile(resources, day, "jde_bill/vendors_reconciliation")
    assert not renamed.passed and meta["name"].value == 1
    assert (
        f"supplier {an8}: named " in renamed.description
        and "'Renamed In BILL Inc' in BILL" in renamed.description
    )


def test_a_bill_payment_jde_does_not_show_is_named_by_payment_bill_vendor_and_amount(world):
    resources, ledger, _day, bills = world
    today = datetime.now(UTC).date().isoformat()
    # two vouchers JDE has neither paid nor held, not the one whose bill the first test changed
    edited = min(k for k in bills if k.startswith("PV:"))  # the first test changed its bill
    payable = sorted((k, b) for k, b in bills.items() if k != edited and b["open"] and b["jde_amount"] > 250)
    paid, unpaid = payable[-2:]
    payer = BillClerk(resources["bill"].base_url)
    payer.cancel_scheduled()  # BILL's own seeded scheduled payments: the one that clears is ours

    first = payer.pay(paid[1], Decimal("100.00"))
    _materialize(resources, today, "bill/payments", *PAYMENTS_FLOW_STEPS)  # the payments flow
    assert ledger.get_xref(INTEGRATION, "payment", "bill", f"{first}:{paid[1]['id']}", "JDE").target_id
    clean, meta = _reconcile(resources, today, "jde_bill/payments_reconciliation")
    assert clean.passed, clean.description
    assert meta["bill_payments_paid"].value == 1

    second = payer.pay(unpaid[1], Decimal("250.00"))
    _materialize(resources, today, "bill/payments")  # polled, but the payments flow has not run since
    dirty, meta = _reconcile(resources, today, "jde_bill/payments_reconciliation")
    assert not dirty.passed
    assert meta["paid_in_bill_not_in_jde"].value == 1
    assert meta["bill_api_calls"].value <= 2 and meta["jde_api_calls"].value <= 3  # read by key, batched
    _, kco, doc, dct = unpaid[0].split(":")
    assert (
        f"BILL payment {second} of 250.00 to vendor" in dirty.description
        and f"(supplier {unpaid[1]['an8']}) on bill {unpaid[1]['id']} does not show in JDE: voucher "
        f"{kco}/{doc}/{dct} shows 0.00 paid in JDE"
        in dirty.description
    )
    assert first not in dirty.description
    assert f"| {second}" not in meta["difference_table"].value and second in meta["difference_table"].value


def test_each_reconciliation_reads_its_flow_and_runs_on_a_schedule_of_its_own(monkeypatch):
    """Lineage: source -> mapped -> written -> target -> reconciliation; the jobs' cadence is a setting."""
    from dagster import AssetKey

    from connector_assets.definitions import defs
    from connector_assets.integrations.jde_bill.reconcile.assets import reconciliation_schedules

    graph = defs.resolve_asset_graph()
    for flow, target in (("vendors", "bill"), ("bills", "bill"), ("payments", "jde")):
        node = graph.get(AssetKey(["jde_bill", f"{flow}_reconciliation"]))
        assert node.parent_keys == {AssetKey(["jde_bill", f"{flow}_in_{target}"])}
        assert graph.get(AssetKey(["jde_bill", f"{flow}_in_{target}"])).parent_keys == {
            AssetKey(["jde_bill", f"{flow}_written"])
        }
    assert {s.name for s in defs.schedules} >= {
        "jde_bill_reconcile_schedule",
        "jde_bill_payments_reconcile_schedule",
    }
    monkeypatch.setenv("ML_JDE_BILL_RECONCILE_CRON", "15 6 * * *")
    assert {s.cron_schedule for s in reconciliation_schedules()} == {"15 6 * * *"}


def test_records_entered_in_bill_directly_are_named_and_bill_side_changes_are_compared_with_jde(world):
    """The BILL side of a JDE day: BILL's changes that day (polled by UTC day, kept by change time within
    the JDE day) are each traced to their JDE document, read from JDE by key; one with no JDE document is
    named as missing in JDE."""
    resources, _ledger, _day, bills = world
    jde_today = datetime.now(jde_timezone()).date()
    with resources["bill"].session() as session:
        vendor = session.create_vendor({"name": "Entered In BILL Only LLC", "accountType": "BUSINESS"})
        hand = session.create_bill(
            {
                "vendorId": vendor["id"],
                "dueDate": jde_today.isoformat(),
                "invoice": {"invoiceNumber": "HAND-1", "invoiceDate": jde_today.isoformat()},
                "billLineItems": [{"amount": Decimal("75.00"), "description": "utilities"}],
            }
        )
    utc_today = datetime.now(UTC).date()  # BILL's poll days holding this JDE day's changes so far
    for utc_day in sorted({d for d in (jde_today, utc_today) if d <= utc_today}):
        _materialize(resources, utc_day.isoformat(), "bill/bills", "bill/vendors")
    check, meta = _reconcile(resources, jde_today.isoformat(), "jde_bill/bills_reconciliation")
    assert not check.passed
    table = meta["difference_table"].value
    assert meta["missing_in_jde"].value >= 1  # also the sandbox's own bills whose payments the test canceled
    assert f"BILL bill {hand['id']} (invoice HAND-1, 75.00) comes from no JDE purchase order" in table
    # every bill the flows wrote changed in BILL today; each is compared with its JDE document again, and
    # only the one the first test edited differs
    assert meta["bill_bills_changed"].value >= len(bills) + 1
    assert meta["amount"].value == 1
    vendors, meta = _reconcile(resources, jde_today.isoformat(), "jde_bill/vendors_reconciliation")
    assert not vendors.passed
    assert f"BILL vendor 'Entered In BILL Only LLC' ({vendor['id']}) comes from no JDE supplier" in (
        meta["difference_table"].value
    )
