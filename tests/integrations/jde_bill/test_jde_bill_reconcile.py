"""JDE <-> BILL reconciliation end to end: the JDE and BILL simulators, the real clients, Dagster, the ledger.

A busy JDE day is synced once through the vendors and bills flows (BILL's own seeded history ends before
that day, so BILL holds nothing of the day but what the flows wrote); the reconciliations of that JDE day,
and of today (when BILL received the writes), are clean. Then other users of BILL change things behind the
connector's back (a vendor renamed, another archived, a line amount and a line's department changed on two
bills, a third bill archived, a vendor and a bill entered in BILL directly) and a JDE user enters a credit
voucher on a billed order, which the bills flow refuses on purpose and queues under the order's key: one
run of each reconciliation names every planted difference with the record in both systems, the field and
both values, and counts the credit as an expected gap with the queue's reason.
"""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from asset_runs import busy_day
from instances import instance_for_test
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

from connector_assets.jde.extract import jde_timezone
from connector_assets.jde.lookup import browse_in
from connector_assets.jde.reconcile_documents import row_account
from connector_sandbox.bill import BillSandboxSettings

INSTANCE = "jde_bill"  # the default instance: its ledger rows
SOURCES = (*SUPPLIER_SOURCES, *ORDER_SOURCES)
VENDORS_FLOW = ("jde_bill/vendors_mapped", "jde_bill/vendors_written")
BILLS_FLOW = ("jde_bill/bills_mapped", "jde_bill/bills_written")
PAYMENTS_FLOW_STEPS = ("jde_bill/payments_mapped", "jde_bill/payments_written")
KEPT = ("description", "classifications")  # what a bill line keeps beside its amount when sent back
VENDORS, BILLS, PAYMENTS = (f"jde_bill/{e}_reconciliation" for e in ("vendors", "bills", "payments"))


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    history_ends = date.fromisoformat(busy_day()) - timedelta(days=2)
    bill = BillSandboxSettings(scale=0.05, anchor_date=history_ends)
    with (
        jde_bill_world(tmp_path_factory.mktemp("reconcile"), bill=bill) as made,
        instance_for_test() as instance,
    ):
        made.instance = instance  # one Dagster instance for the module's runs
        _sync(made)
        yield made, _bills(made.resources, made.ledger)


def _sync(made) -> None:
    """The day through the vendors and bills flows; bills held for a supplier not changed that day are
    released as in production: the next run of the vendors flow syncs the suppliers they wait for, then
    the bills flow writes them. A clean sync: nothing left in the queue."""
    _materialize(made, made.day, *MASTER, *SOURCES, *VENDORS_FLOW, *BILLS_FLOW)
    for _ in range(2):
        if not made.ledger.open_items(integration=INSTANCE, flow="bills", status="held"):
            break
        _materialize(made, made.day, *VENDORS_FLOW, *BILLS_FLOW)
    queue = made.ledger.open_items(integration=INSTANCE)
    assert [(i.source_key, i.status, i.depends_on, i.reason) for i in queue] == []


def _materialize(made, day, *names):
    return run_assets(made.resources, names, day, instance=made.instance)


def _reconcile(made, day, *names):
    """One run of the reconciliations ``names`` for ``day``: (check, metadata values) of each, by name."""
    result = _materialize(made, day, *names)
    checks = {e.asset_key.to_user_string(): e for e in result.get_asset_check_evaluations()}
    found = {}
    for event in result.get_asset_materialization_events():
        materialization = event.materialization
        metadata = {key: getattr(value, "value", value) for key, value in materialization.metadata.items()}
        found[materialization.asset_key.to_user_string()] = (
            checks[materialization.asset_key.to_user_string()],
            metadata,
        )
    return found if len(names) > 1 else found[names[0]]


def _bills(resources, ledger) -> dict[str, dict]:
    """Each bill the flow wrote, by the JDE voucher (``PV:``) or order (``PO:``) it holds, with its supplier,
    whether an order's bill was taken over by a voucher, and whether JDE has the voucher open and unpaid
    (so BILL may pay it)."""
    linked = {bill_id for bill_id in xrefs(ledger, "bill_voucher").values() if bill_id}
    holds = {bill_id: key for key, bill_id in xrefs(ledger, "bill").items() if bill_id}
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
            "an8": ledger.find_xref_by_target(INSTANCE, "vendor", "bill", bill["vendorId"]).source_key,
            "taken_over": bill_id in linked,
            "open": bool(mine) and all(r["PST"] == "A" and r["AAP"] == r["AG"] for r in mine),
        }
    assert any(k.startswith("PV:") for k in written) and any(k.startswith("PO:") for k in written)
    return written


def _today() -> str:
    """Today's JDE day: when BILL received what the flows wrote."""
    return datetime.now(jde_timezone()).date().isoformat()


def _rows(meta, kind: str) -> list[list[str]]:
    """The metadata table's rows of ``kind`` (cells: what, JDE record, BILL record, field, supplier, JDE,
    BILL, in words)."""
    table = meta["difference_table"]
    rows = [line.strip("|").split(" | ") for line in table.splitlines() if line.startswith(f"| {kind} |")]
    return [[cell.strip() for cell in row] for row in rows]


def test_a_clean_sync_reconciles_with_no_difference_on_the_jde_day_and_on_bills_day(world):
    made, bills = world
    day = made.day
    runs = {partition: _reconcile(made, partition, VENDORS, BILLS) for partition in (day, _today())}
    for partition, found in runs.items():
        for name, (check, meta) in found.items():
            assert check.passed, (partition, name, check.description)
            assert meta["differences"] == 0 and meta["records_compared"] > 0
            assert meta["difference_table"] == "No differences."
            assert meta["bill_api_calls"] <= 4  # the day's list (+ its created-then-changed), by id, login
    _check, meta = runs[day][BILLS]
    assert meta["records_compared"] == meta["jde_bills"] == len(bills)
    assert meta["suppliers_out_of_balance"] == 0 and meta["bill_bills_of_the_day"] == 0
    _check, meta = runs[_today()][BILLS]
    assert meta["bill_bills_of_the_day"] == len(bills)  # each traced back to its JDE document and compared


def _credit_voucher(made, order_key: str, account_of: str) -> str:
    """A JDE user enters a credit voucher (a debit memo: negative gross) on a billed order, distributed to
    the account of voucher ``account_of``'s first G/L line, and the voucher batch processor posts it to
    F0411; its key."""
    _, company, number, order_type = order_key.split(":")
    with made.resources["jde"].session() as session:
        [header] = browse_in(session, "F4301", "DOCO", [int(number)], ["DOCO", "DCTO", "KCOO", "AN8"])
        doc = int(account_of.split(":")[2])
        gl = next(iter(browse_in(session, "F0911", "DOC", [doc], ["DOC", "ANI", "MCU", "OBJ", "SUB"])))
        today = datetime.now(jde_timezone()).date()
        credit = Decimal("-120.00")
        session.orchestrate(
            "ML_CreateVoucherBatch",
            {
                "EDI_User_ID": "APCLERK",
                "EDI_Batch_Number": "CREDIT-1",
                "EDI_Transaction_Number": "CREDIT-1",
                "Company": company,
                "Supplier": str(int(header["AN8"])),
                "Invoice_Number": "CM-RETURN-1",
                "Invoice_Date": today,
                "GL_Date": today,
                "Order_Number": int(number),
                "Order_Type": order_type,
                "Pay_Items": [{"EDI_Line_Number": "1", "Gross_Amount": credit}],
                "Distribution": [
                    {"EDI_Line_Number": "1", "Account": row_account(gl, "MCU"), "Amount": credit}
                ],
            },
        )
    made.process_vouchers()  # R04110ZA: the batch becomes an F0411 voucher
    with made.resources["jde"].session() as session:
        [row] = browse_in(session, "F0411", "VINV", ["CM-RETURN-1"], ["KCO", "DOC", "DCT"])
    return f"PV:{row['KCO'].strip()}:{row['DOC']}:{row['DCT'].strip()}"


def _lines(bill: dict) -> list[dict]:
    """A bill's lines as a PATCH sends them back: each by its ``id`` (BILL changes lines by id; one
    without would be added), the amount a JSON number as in BILL's model."""
    return [
        {
            "id": line["id"],
            "amount": float(line["amount"]),
            **{k: line[k] for k in ("description", "classifications") if k in line},
        }
        for line in bill["billLineItems"]
    ]


def test_differences_planted_in_bill_are_named_by_record_field_and_both_values(world):
    made, bills = world
    resources, ledger, day, today = made.resources, made.ledger, made.day, _today()
    clerk = BillClerk(resources["bill"].base_url)
    renamed_an8, archived_an8 = sorted(s for s, vid in xrefs(ledger, "vendor").items() if vid)[:2]
    renamed = xrefs(ledger, "vendor")[renamed_an8]
    archived_vendor = xrefs(ledger, "vendor")[archived_an8]
    clerk.call("PATCH", f"vendors/{renamed}", {"name": "Renamed In BILL Inc"})
    clerk.call("POST", f"vendors/{archived_vendor}/archive")

    vouchers = sorted((k, b) for k, b in bills.items() if k.startswith("PV:"))
    orders = sorted((k, b) for k, b in bills.items() if k.startswith("PO:") and not b["taken_over"])
    (amount_key, amount_bill), (archived_key, archived_bill) = vouchers[0], vouchers[-1]
    lines = _lines(amount_bill)
    was = Decimal(str(lines[0]["amount"]))
    lines[0]["amount"] = float(was + Decimal("100.00"))
    clerk.call("PATCH", f"bills/{amount_bill['id']}", {"billLineItems": lines})
    clerk.call("POST", f"bills/{archived_bill['id']}/archive")
    department_key, department_bill = next(
        (k, b) for k, b in [*orders, *vouchers] if k not in (amount_key, archived_key)
    )
    relined = _lines(department_bill)
    other_department = next(
        d["id"]
        for d in clerk.call("GET", "classifications/departments", params={"max": 100})["results"]
        if d["id"] != relined[0]["classifications"].get("departmentId") and not d.get("archived")
    )
    was_department = relined[0]["classifications"].get("departmentId")
    relined[0]["classifications"] = {**relined[0]["classifications"], "departmentId": other_department}
    clerk.call("PATCH", f"bills/{department_bill['id']}", {"billLineItems": relined})

    hand_vendor = clerk.call(
        "POST", "vendors", {"name": "Entered In BILL Only LLC", "accountType": "BUSINESS"}
    )
    hand_bill = clerk.call(
        "POST",
        "bills",
        {
            "vendorId": hand_vendor["id"],
            "dueDate": today,
            "invoice": {"invoiceNumber": "HAND-1", "invoiceDate": today},
            "billLineItems": [{"amount": 75.00, "description": "utilities"}],
        },
    )
    # A credit voucher on a billed order: the bills flow refuses it and queues it under the order's key.
    order_key = orders[0][0] if orders[0][0] != department_key else orders[1][0]
    credit = _credit_voucher(made, order_key, amount_key)
    _materialize(made, today, "jde/ap_ledger", *BILLS_FLOW)
    [queued] = ledger.open_items(integration=INSTANCE, flow="bills")
    assert (
        queued.source_key == order_key and "a credit is entered in BILL as a vendor credit" in queued.reason
    )

    found = _reconcile(made, today, VENDORS, BILLS)
    check, meta = found[VENDORS]
    assert not check.passed
    assert meta["name"] == 1 and meta["status"] == 1 and meta["only_in_bill"] == 1
    [name] = _rows(meta, "name")
    assert name[1:4] == [f"supplier {renamed_an8}", renamed, "name"]
    assert name[6] == "Renamed In BILL Inc" and name[5] != name[6]
    [status] = _rows(meta, "status")
    assert status[1:4] == [f"supplier {archived_an8}", archived_vendor, "status"]
    assert status[5:7] == ["active", "archived"]
    [only] = _rows(meta, "only in BILL")
    assert only[2] == hand_vendor["id"] and only[6] == "Entered In BILL Only LLC"
    assert "comes from no JDE supplier" in only[7]

    check, meta = found[BILLS]
    assert not check.passed
    assert meta["line_amount"] == 1 and meta["department"] == 1 and meta["status"] == 1
    assert meta["only_in_bill"] == 1 and meta["differences"] == 4
    [line] = _rows(meta, "line amount")
    assert line[2:4] == [amount_bill["id"], "line 1 amount"] and line[4] == amount_bill["an8"]
    assert line[5:7] == [f"{was:,.2f}", f"{was + 100:,.2f}"]
    _, kco, doc, dct = amount_key.split(":")
    assert line[1] == f"voucher {kco}/{doc}/{dct} (invoice {amount_bill['invoice']['invoiceNumber']})"
    [department] = _rows(meta, "department")
    assert department[2:4] == [department_bill["id"], "line 1 departmentId"]
    assert department[5].startswith(was_department) and department[6].startswith(other_department)
    [status] = _rows(meta, "status")
    assert status[2] == archived_bill["id"] and status[5:7] == ["open", "archived"]
    [only] = _rows(meta, "only in BILL")
    assert only[2] == hand_bill["id"] and only[6] == "75.00"
    assert "(vendor Entered In BILL Only LLC, invoice HAND-1, 75.00)" in only[7]
    # The credit voucher is an expected gap with the queue's reason, found under the order's key.
    assert meta["expected_in_the_retry_queue"] == 1
    _, kcoo, doco, dcto = order_key.split(":")
    assert f"purchase order {kcoo}/{doco}/{dcto}" in meta["expected_table"]
    assert "a credit is entered in BILL as a vendor credit" in meta["expected_table"]
    _, kco, doc, dct = credit.split(":")
    assert f"voucher {kco}/{doc}/{dct}" not in meta["difference_table"]
    # Every difference is in the CSV beside the staging, one row each, with both records named.
    with open(meta["differences_csv"], encoding="utf-8") as written:
        rows = written.read().splitlines()
    assert rows[0] == "kind,JDE record,BILL record,field,Supplier,JDE,BILL,words" and len(rows) == 1 + 4 + 1

    # The JDE day's reconciliation finds the same drift by reading the day's bills from BILL by id.
    check, meta = _reconcile(made, day, BILLS)
    assert meta["line_amount"] == 1 and meta["department"] == 1 and meta["status"] == 1
    assert "only_in_bill" not in meta and meta["bill_api_calls"] <= 4


def test_a_bill_payment_jde_does_not_show_is_named_by_voucher_payment_and_amount(world):
    made, bills = world
    resources, ledger = made.resources, made.ledger
    today = datetime.now(UTC).date().isoformat()
    live_bills, live_vendors = in_bill(resources["bill"], "bills"), in_bill(resources["bill"], "vendors")
    payable = sorted(
        (k, b)
        for k, b in bills.items()
        if b["open"] and b["amount"] > 250 and b["id"] in live_bills and b["vendorId"] in live_vendors
    )
    paid, unpaid = payable[-2:]
    payer = BillClerk(resources["bill"].base_url)
    payer.cancel_scheduled()  # BILL's own seeded scheduled payments: the one that clears is ours

    first = payer.pay(paid[1], Decimal("100.00"))
    _materialize(made, today, *PAYMENTS_FLOW_STEPS)  # the payments flow reads the day from BILL
    assert ledger.get_xref(INSTANCE, "payment", "bill", f"{first}:{paid[1]['id']}", "JDE").target_id
    clean, meta = _reconcile(made, today, PAYMENTS)
    assert clean.passed, clean.description
    assert meta["bill_payments_paid"] == 1 and meta["records_compared"] == 1

    second = payer.pay(unpaid[1], Decimal("250.00"))  # the payments flow has not run since
    payer.call("POST", f"payments/{first}/void", {"voidReason": "Check lost in mail"})
    own_bill, own = payer.paid_bill("HAND-PAY-1", "40.00")  # a bill BILL's clerk entered, paid in BILL
    payer.clear_payments()
    dirty, meta = _reconcile(made, today, PAYMENTS)
    assert not dirty.passed
    assert meta["missing_in_jde"] == 1 and meta["status"] == 1 and meta["differences"] == 2
    assert meta["bill_api_calls"] <= 3 and meta["jde_api_calls"] <= 4  # read by key, batched
    [missing] = _rows(meta, "missing in JDE")
    _, kco, doc, dct = unpaid[0].split(":")
    assert missing[1:4] == [f"voucher {kco}/{doc}/{dct}", second, "paid amount"]
    assert missing[4] == unpaid[1]["an8"] and missing[5:7] == ["0.00", "250.00"]  # JDE shows none of it
    currency = live_vendors[unpaid[1]["vendorId"]].get("billCurrency") or "USD"  # the vendor's: the bill's
    assert f"BILL payment {second} of 250.00 {currency} on bill {unpaid[1]['id']}" in missing[7]
    [voided] = _rows(meta, "status")
    _, kco, doc, dct = paid[0].split(":")
    assert voided[1:3] == [f"voucher {kco}/{doc}/{dct}", first] and voided[5:7] == ["paid", "VOIDED"]
    # The payment of a bill not from JDE is out of the integration's scope: an expected gap, named with why.
    assert meta["expected_out_of_the_integration_s_scope"] == 1
    assert f"BILL payment {own} of 40.00 USD on bill {own_bill}" in meta["expected_table"]
    assert "did not come from JDE" in meta["expected_table"]

    # The payments flow runs: it posts the 250.00, queues the voided one for a person and leaves the one out
    # of scope alone, so both are expected gaps with why and nothing differs.
    _materialize(made, today, *PAYMENTS_FLOW_STEPS)
    again, meta = _reconcile(made, today, PAYMENTS)
    assert again.passed, again.description
    assert meta["expected_in_the_retry_queue"] == 1 and meta["records_compared"] == 2
    assert meta["expected_out_of_the_integration_s_scope"] == 1
    assert "void the payment (or reverse the journal entry) in JDE" in meta["expected_table"]
    assert "did not come from JDE" in meta["expected_table"]


def test_each_reconciliation_reads_its_flow_and_runs_on_a_schedule_of_its_own(monkeypatch):
    """Lineage: source -> mapped -> written -> target -> reconciliation; the jobs' cadence is a setting."""
    from built_parts import built
    from dagster import AssetKey

    from connector_assets.definitions import defs

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
    reconciling = [s for s in built("jde_bill").schedules if s.name.endswith("reconcile_schedule")]
    assert {s.cron_schedule for s in reconciling} == {"15 6 * * *"}
