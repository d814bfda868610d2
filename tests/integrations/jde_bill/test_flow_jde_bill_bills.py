"""JDE approved purchase orders and vouchers -> BILL bills end to end: the JDE and BILL simulators, the
real clients, Dagster, the ledger. Each test starts its own simulators and ledger (small scales); JDE's
requests are logged (``request_log``), so a test counts what JDE was sent."""

from collections import Counter
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import requests
import sqlalchemy as sa
from built_parts import built
from jde_bill_world import (
    MASTER,
    ORDER_SOURCES,
    SUPPLIER_SOURCES,
    BillClerk,
    JdeBillWorld,
    forget_target,
    jde_bill_world,
)
from jde_foreign_vouchers import ForeignVoucher, enter_foreign_voucher, posting_accounts
from jde_money import paid, stored
from ledger_entries import audit_ids
from mapping_rows import own_ledger, save_rows
from request_log import Logged, RequestLog, logged_simulators
from roots import ROOT

from connector_assets.components import JdeBill
from connector_assets.flows.replays import build_replays
from connector_assets.integrations.jde_bill.bill_mappings import BillPolicy
from connector_assets.jde.document_statuses import order_approved, voucher_payable
from connector_assets.jde.documents import (
    JdePurchaseOrder,
    JdeVoucher,
    changed_vouchers,
    purchase_orders_by_number,
)
from connector_assets.jde.order_vouchers import first_voucher, vouchers_on_orders
from connector_resources.replay import replay_items
from connector_sandbox.jde_ais import JdeSandboxSettings

ARCHIVED_CHART_ID = "0ca02bbWHAXckE0RjYXV"  # BILL sandbox 6190 Advertising, archived by its seed
PARTS = built("jde_bill")
FLOW = PARTS.flow("bills")
BILLS_FLOW = FLOW.spec
ACCOUNTS, DEPARTMENTS = PARTS.mapping_table("account_map"), PARTS.mapping_table("department_map")
SOURCES = ORDER_SOURCES
VENDORS = (*SUPPLIER_SOURCES, "jde_bill/vendors_mapped", "jde_bill/vendors_written")
BILLS = ("jde_bill/bills_mapped", "jde_bill/bills_written")
EVERYTHING = (*MASTER, *SOURCES, *VENDORS, *BILLS)
PAYMENTS = ("jde_bill/payments_mapped", "jde_bill/payments_written")


class World(JdeBillWorld):
    jde_log: RequestLog  # every request the JDE simulator received

    def jde_calls(self, orchestration: str) -> list[Logged]:
        """The calls of ``orchestration`` JDE received so far."""
        return [e for e in self.jde_log.entries_all() if e.path.endswith(f"/{orchestration}")]

    def sync(self) -> dict:
        """Everything for the day, then the vendors again (those the held bills wait for: the vendors flow
        reads them on its next run) and the bills: what two scheduled runs do. The second run's metadata."""
        self.run(*EVERYTHING)
        return self.run(*VENDORS, *BILLS)

    def bill_xrefs(self, entity: str = "bill") -> dict[str, str]:
        return {key: bill_id for key, bill_id in self.xrefs(entity).items() if bill_id}

    def bills_in_bill(self) -> list[dict]:
        """Every live bill in BILL that this flow wrote (its description names the JDE document)."""
        return [
            b for b in self.in_bill("bills").values() if str(b.get("description") or "").startswith("JDE ")
        ]

    def replay(self, items):
        replays = build_replays([FLOW], lambda: {k: self.resources[k] for k in ("jde", "bill", "staging")})
        return replay_items(self.ledger, items, replays)


@pytest.fixture
def world(tmp_path):
    with logged_simulators() as logs, jde_bill_world(tmp_path, World) as made:
        made.jde_log = logs["jde_ais"][0]
        yield made


def _one_bill_each(world: World) -> None:
    """Every bill the ledger names exists once in BILL, and no bill of ours is in BILL twice."""
    ours = world.bills_in_bill()
    keys = Counter((b["vendorId"], b["invoice"]["invoiceNumber"]) for b in ours)
    assert keys and max(keys.values()) == 1, keys.most_common(3)
    assert {b["id"] for b in ours} == set(world.bill_xrefs().values())


def test_bills_pull_their_never_synced_vendor_then_are_written_once_skipped_and_adopted_after_a_crash(world):
    meta = world.run(*MASTER, *SOURCES, *BILLS)  # the vendors flow is not in the run
    mapped, written = meta["jde_bill/bills_mapped"], meta["jde_bill/bills_written"]
    # No vendor had synced when the bills were mapped, so each was held on its vendor; the write step read
    # those suppliers from JDE by number, wrote them through the vendors flow, then wrote the bills.
    assert mapped["held"] == mapped["records"] > 0 and mapped["valid"] == 0
    assert written["parents_missing"] == written["parents_left"] == 0
    assert written["written_after_pull"] == written["create"] == mapped["held"]
    vendors = audit_ids(world.ledger, "jde_bill", "vendors", "create")
    assert vendors and len(vendors) == len(set(vendors)) and written["parents_pulled"] >= len(vendors)
    assert not world.ledger.open_items(integration="jde_bill", flow="bills")
    xrefs = world.bill_xrefs()
    assert len(xrefs) == mapped["held"] and {key[:3] for key in xrefs} == {"PO:", "PV:"}  # both documents
    _one_bill_each(world)
    by_id = {b["id"]: b for b in world.bills_in_bill()}
    for key, bill_id in xrefs.items():
        lines = by_id[bill_id]["billLineItems"]
        assert all(line["classifications"]["chartOfAccountId"].startswith("0ca") for line in lines)
        assert all(line["classifications"]["departmentId"].startswith("0de") for line in lines)
        if key.startswith("PO:"):
            assert by_id[bill_id]["purchaseOrderNumber"] == key.split(":")[2]

    again = world.run(*BILLS)["jde_bill/bills_written"]  # the partition again: nothing sent twice
    assert again["create"] == again["update"] == 0 and again["skip"] == len(xrefs)

    # A crash after BILL created two bills and before the ledger stored their ids: adopted, not doubled.
    lost = [next(k for k in xrefs if k.startswith("PO:")), next(k for k in xrefs if k.startswith("PV:"))]
    for key in lost:
        forget_target(world.ledger, "bill", key)
    adopted = world.run(*BILLS)["jde_bill/bills_written"]
    assert adopted["adopt"] == 2 and adopted["create"] == 0
    assert world.bill_xrefs() == xrefs
    _one_bill_each(world)
    euro, bill = _foreign_vouchers_are_billed_in_their_currency_or_refused(world)
    _the_euro_bill_paid_in_bill_is_recorded_on_its_voucher_in_euros_once(world, euro, bill)


def _foreign_vouchers_are_billed_in_their_currency_or_refused(world: World) -> tuple[ForeignVoucher, dict]:
    """Two vouchers entered today in USD company 00001 for a supplier whose A/P currency is EUR (F0401
    CRRP): its BILL vendor is made billed in EUR, the euro voucher becomes a bill of its ACR to the cent
    (JDE's AG is 1000 x 1.0834, worked out here by hand), and the yen voucher is refused naming both
    currencies, nothing sent; a rerun sends nothing. The euro voucher and its BILL bill."""
    today = date.today().isoformat()
    supplier = int(world.jde_rows("F0401", CRRP="EUR")[0]["AN8"])
    [company] = world.jde_rows("F0010", CO="00001")
    units = set(DEPARTMENTS.read())
    coded = {a for a in ACCOUNTS.read() if a.split(".")[0] in units}
    first, second = posting_accounts(world.jde_root, "00001", coded)[:2]
    entered = {
        currency: enter_foreign_voucher(
            world.resources["jde"], world.jde_root, company="00001", company_currency=company["CRCD"].strip(),
            supplier=supplier, currency=currency, lines=lines, invoice=f"FX-{currency}-B", day=date.today(),
        )
        for currency, lines in {
            "EUR": [(first, Decimal("600.00")), (second, Decimal("400.00"))],
            "JPY": [(first, Decimal("100000")), (second, Decimal("50000"))],
        }.items()
    }  # fmt: skip
    world.run(*SOURCES, *VENDORS, *BILLS, partition=today)  # the bills wait for the supplier's vendor
    world.run(*VENDORS, *BILLS, partition=today)  # which the vendors flow makes, billed in EUR
    vendor = world.xrefs("vendor")[str(supplier)]
    assert world.in_bill("vendors")[vendor]["billCurrency"] == "EUR"
    euro = entered["EUR"]
    [item] = world.jde_rows("F0411", DOC=euro.key[1], KCO="00001")
    assert (item["CRRM"], item["CRCD"], item["ACR"], item["AG"]) == ("F", "EUR", 100000, 108340)  # cents
    bill = world.in_bill("bills")[world.bill_xrefs()[f"PV:00001:{euro.key[1]}:PV"]]
    assert [Decimal(str(line["amount"])) for line in bill["billLineItems"]] == [Decimal(600), Decimal(400)]
    assert (bill["vendorId"], Decimal(str(bill["amount"]))) == (vendor, euro.gross)
    yen = f"PV:00001:{entered['JPY'].key[1]}:PV"
    [refused] = [
        i for i in world.ledger.open_items(integration="jde_bill", flow="bills") if i.source_key == yen
    ]
    assert f"the JDE document is in JPY but BILL vendor {vendor} (supplier {supplier}) is billed in EUR" in (
        refused.reason
    )
    assert not [b for b in world.bills_in_bill() if b["invoice"]["invoiceNumber"] == "FX-JPY-B"]
    again = world.run(*BILLS, partition=today)["jde_bill/bills_written"]
    assert again["create"] == again["update"] == 0
    return euro, bill


def _the_euro_bill_paid_in_bill_is_recorded_on_its_voucher_in_euros_once(
    world: World, euro: ForeignVoucher, bill: dict
) -> None:
    """BILL's clerk pays the euro bill in full (BILL pays in the vendor's billCurrency, EUR) and the bank
    clears it: the payments flow records it on the voucher in euros (ML_RecordPayment in Currency_Mode F,
    Currency_Amount 1000.00, no domestic amount), so F0411 is paid off in both currencies (FAP and AAP 0,
    pay status P) while ACR / AG keep the voucher at 1,000.00 EUR / 1,083.40 USD; a rerun sends nothing
    (JDE's request log). The day's payments reconciliation agrees in euros; once the vendor is switched
    to USD in BILL behind the connector's back, it names one currency mismatch, amounts not compared."""
    clerk = BillClerk(world.bill_url)
    clerk.cancel_scheduled()  # BILL's own seeded scheduled payments: the one that clears is ours
    payment = clerk.pay(bill, euro.gross)
    day = datetime.now(UTC).date().isoformat()  # BILL's payments are UTC days
    written = world.run(*PAYMENTS, partition=day)["jde_bill/payments_written"]
    assert written["create"] == 1 and written["fail"] == 0, written
    [sent] = world.jde_calls("ML_RecordPayment")
    assert sent.ok and sent.body["Payment_Reference"] == payment
    assert (sent.body["Currency_Code"], sent.body["Currency_Mode"], sent.body["Currency_Amount"]) == (
        "EUR",
        "F",
        "1000.00",
    )
    assert not sent.body.get("Payment_Amount")  # the domestic amount is JDE's to work out, not ours
    [recorded] = world.jde_payments(payment)
    assert (recorded["currency"], paid(recorded)) == ("EUR", Decimal("1000.00"))
    [item] = world.jde_rows("F0411", DOC=euro.key[1], KCO="00001")
    assert (stored(item, "ACR"), stored(item, "AG")) == (Decimal("1000.00"), Decimal("1083.40"))
    assert (item["FAP"], item["AAP"], item["PST"]) == (0, 0, "P"), item
    again = world.run(*PAYMENTS, partition=day)["jde_bill/payments_written"]
    assert again["create"] == 0 and again["skip"] == 1, again
    assert len(world.jde_calls("ML_RecordPayment")) == 1 and len(world.jde_payments(payment)) == 1

    reconciled = world.run("jde_bill/payments_reconciliation", partition=day)
    meta = reconciled["jde_bill/payments_reconciliation"]
    assert meta["differences"] == 0 and meta["records_compared"] == 1, meta["difference_table"]
    clerk.call("PATCH", f"vendors/{bill['vendorId']}", {"billCurrency": "USD"})
    meta = world.run("jde_bill/payments_reconciliation", partition=day)["jde_bill/payments_reconciliation"]
    assert meta["differences"] == meta["currency_mismatch"] == 1, meta["difference_table"]
    assert (
        f"| currency mismatch | voucher 00001/{euro.key[1]}/PV | {payment} | currency |"
        in (meta["difference_table"])
    )
    assert "amounts in two currencies are not compared" in meta["difference_table"]


def _order_billed_before_its_voucher(world: World) -> tuple[JdePurchaseOrder, JdeVoucher]:
    """An approved order whose header changed on another day than its first voucher (which changed on
    the test's day): so the order can become a bill on its own day before the voucher arrives."""
    policy = BillPolicy.of(JdeBill())
    jde = world.resources["jde"]
    vouchers = {
        v.key: v
        for v in changed_vouchers(world.resources["staging"], jde, world.day)
        if voucher_payable(v, policy) and v.order
    }
    for order in purchase_orders_by_number(jde, {v.order for v in vouchers.values()}):
        on_it = [v for v in vouchers_on_orders(jde, [order.key[:3]]) if voucher_payable(v, policy)]
        first = first_voucher(on_it)
        day = order.header["UPMJ"].isoformat() if order.header else world.day
        if order_approved(order, policy) and first and first.key in vouchers and day != world.day:
            return order, first
    raise AssertionError(f"the JDE sandbox has no approved order billed before its voucher on {world.day}")


def test_a_voucher_on_an_order_that_became_a_bill_updates_that_bill(world, monkeypatch):
    world.run(*MASTER, *SOURCES)
    order, voucher = _order_billed_before_its_voucher(world)
    key = f"PO:{order.key[0]}:{order.key[1]}:{order.key[2]}"
    day = world.day

    monkeypatch.setenv("ML_JDE_BILL_VOUCHER_PAY_STATUSES", "Z")  # no voucher yet: the order alone
    world.day = order.header["UPMJ"].isoformat()
    world.sync()
    bill_id = world.bill_xrefs()[key]
    [bill] = [b for b in world.bills_in_bill() if b["id"] == bill_id]
    assert bill["invoice"]["invoiceNumber"] == f"PO-{order.key[0]}-{order.key[1]}-{order.key[2]}"

    monkeypatch.delenv("ML_JDE_BILL_VOUCHER_PAY_STATUSES")  # the voucher arrives (its day)
    world.day = day
    written = world.run(*SOURCES, *BILLS)["jde_bill/bills_written"]
    assert written["update"] >= 1
    assert world.bill_xrefs()[key] == bill_id  # still the order's one bill
    voucher_key = f"PV:{voucher.key[0]}:{voucher.key[1]}:{voucher.key[2]}"
    assert world.bill_xrefs("bill_voucher")[voucher_key] == bill_id  # the payments flow finds the voucher
    assert voucher_key not in world.bill_xrefs()  # not a second bill
    [bill] = [b for b in world.bills_in_bill() if b["id"] == bill_id]
    assert bill["invoice"]["invoiceNumber"] == voucher.pay_items[0]["VINV"].strip()
    assert bill["purchaseOrderNumber"] == str(order.key[1])
    # Exactly the voucher's amount: the order bill's lines are changed by their ids or replaced by PUT, never
    # added to (a whole-body PATCH without line ids left 664,266.38 in BILL for a 641,034.97 voucher).
    total = sum(Decimal(str(item["AG"])) for item in voucher.pay_items)
    assert sum(Decimal(str(line["amount"])) for line in bill["billLineItems"]) == total
    assert Decimal(str(bill["amount"])) == total
    _one_bill_each(world)


def _forget_every_bill(world: World) -> None:
    """A fresh ledger for the bills flow: no bill and no voucher link (the vendors stay known)."""
    with world.ledger.engine.begin() as conn:
        conn.execute(
            sa.text(
                "delete from mlc_xref where integration = 'jde_bill' and entity in ('bill', 'bill_voucher')"
            )
        )


def test_a_fresh_ledger_adopts_the_order_bill_its_voucher_took_over_instead_of_creating_a_second(
    world, monkeypatch
):
    world.run(*MASTER, *SOURCES)
    order, voucher = _order_billed_before_its_voucher(world)
    key = f"PO:{order.key[0]}:{order.key[1]}:{order.key[2]}"
    voucher_key = f"PV:{voucher.key[0]}:{voucher.key[1]}:{voucher.key[2]}"
    day, order_day = world.day, order.header["UPMJ"].isoformat()
    monkeypatch.setenv("ML_JDE_BILL_VOUCHER_PAY_STATUSES", "Z")  # the order's bill first, then its voucher
    world.day = order_day
    world.sync()
    monkeypatch.delenv("ML_JDE_BILL_VOUCHER_PAY_STATUSES")
    world.day = day
    world.run(*SOURCES, *BILLS)
    bill_id = world.bill_xrefs()[key]
    number = voucher.pay_items[0]["VINV"].strip()
    assert world.in_bill("bills")[bill_id]["invoice"]["invoiceNumber"] == number  # taken over

    # The ledger is lost and the voucher is paid in JDE (no longer offered): the order's day runs again.
    _forget_every_bill(world)
    monkeypatch.setenv("ML_JDE_BILL_VOUCHER_PAY_STATUSES", "Z")
    bills_before = set(world.in_bill("bills"))
    posts = world.bill_state()["calls"].get("POST /connect/v3/bills", 0)
    world.day = order_day
    written = world.run(*SOURCES, *BILLS)["jde_bill/bills_written"]
    assert written["create"] == 0 and written["adopt"] >= 1, written
    assert world.bill_state()["calls"].get("POST /connect/v3/bills", 0) == posts  # not one POST
    assert set(world.in_bill("bills")) == bills_before
    assert world.bill_xrefs()[key] == bill_id  # the order's one bill, adopted
    assert world.bill_xrefs("bill_voucher")[voucher_key] == bill_id  # the payments flow finds the voucher
    assert (
        world.in_bill("bills")[bill_id]["invoice"]["invoiceNumber"] == number
    )  # not rewritten from the order
    again = world.run(*BILLS)["jde_bill/bills_written"]
    assert again["create"] == again["update"] == again["adopt"] == 0
    ours = Counter((b["vendorId"], b["invoice"]["invoiceNumber"]) for b in world.bills_in_bill())
    assert max(ours.values()) == 1, ours.most_common(3)  # (the voucher day's other bills: not rerun here)


def test_a_fresh_ledger_adopts_the_order_bill_for_its_first_voucher_written_alone(world, monkeypatch):
    world.run(*MASTER, *SOURCES)
    order, voucher = _order_billed_before_its_voucher(world)
    key = f"PO:{order.key[0]}:{order.key[1]}:{order.key[2]}"
    day = world.day
    monkeypatch.setenv("ML_JDE_BILL_VOUCHER_PAY_STATUSES", "Z")  # the order's bill, no voucher yet
    world.day = order.header["UPMJ"].isoformat()
    world.sync()
    bill_id = world.bill_xrefs()[key]
    monkeypatch.delenv("ML_JDE_BILL_VOUCHER_PAY_STATUSES")

    # The ledger is lost and the order no longer counts as approved: its first voucher is written as a
    # bill of its own, which must be the order's bill (adopted), not a second one.
    _forget_every_bill(world)
    monkeypatch.setenv("ML_JDE_BILL_PO_APPROVED_STATUS", "979")
    world.day = day
    world.run(*SOURCES, *BILLS)
    voucher_key = f"PV:{voucher.key[0]}:{voucher.key[1]}:{voucher.key[2]}"
    assert world.bill_xrefs()[voucher_key] == bill_id
    bill = world.in_bill("bills")[bill_id]
    assert bill["invoice"]["invoiceNumber"] == voucher.pay_items[0]["VINV"].strip()
    order_number = f"PO-{order.key[0]}-{order.key[1]}-{order.key[2]}"
    assert not [b for b in world.bills_in_bill() if b["invoice"]["invoiceNumber"] == order_number]


def test_a_bad_mapping_row_is_queued_naming_it_then_replayed_once_with_the_fixed_table(
    world, monkeypatch, tmp_path
):
    table = ROOT / "mappings" / "sandbox" / "jde_bill_accounts.csv"
    header, *rows = table.read_text().splitlines()
    broken = [r if not r.startswith("LNTY:S,") else f"LNTY:S,{ARCHIVED_CHART_ID}" for r in rows]
    bad = tmp_path / "accounts.csv"
    bad.write_text("\n".join([header, *broken]) + "\n")
    own_ledger(monkeypatch, tmp_path)  # a deployment whose table is imported from that file
    monkeypatch.setenv("ML_JDE_BILL_ACCOUNT_MAP", str(bad))
    monkeypatch.setenv("ML_PARENT_PULL_LIMIT", "0")  # the bills are mapped by the second run's mapped step
    meta = world.sync()
    failed = world.ledger.open_items(integration="jde_bill", flow="bills", status="failed")
    assert meta["jde_bill/bills_mapped"]["rejected"] == len(failed) > 0
    assert meta["jde_bill/bills_written"]["create"] > 0  # the others proceed
    for item in failed:
        assert (
            f"BILL chart-of-accounts id {ARCHIVED_CHART_ID} ('Advertising', mapped from stock lines"
            in item.reason
        )
        assert item.source_key not in world.bill_xrefs()

    # The row is fixed (the stock lines' account as the sandbox table has it): the replay stages it afresh.
    stock = next(r.split(",", 1)[1] for r in rows if r.startswith("LNTY:S,"))
    save_rows(ACCOUNTS, {"LNTY:S": stock}, note="stock lines on a live account", resources=world.resources)
    summary = world.replay(failed)
    assert summary.replayed and not summary.failed
    if summary.held:  # refused before anything waited for their vendor: it syncs on the vendors' next run
        world.run(*VENDORS)
        world.replay(world.ledger.open_items(integration="jde_bill", flow="bills"))
    assert not world.ledger.open_items(integration="jde_bill", flow="bills")
    assert {i.source_key for i in failed} <= set(world.bill_xrefs())
    assert len(world.replay(failed).already) == len(failed)  # again: already written, nothing sent
    for item in failed:
        creates = [e for e in world.ledger.history(item.source_key) if e.action in ("create", "adopt")]
        assert len(creates) == 1
    _one_bill_each(world)


def test_a_systemic_failure_queues_the_refused_and_fails_the_day(tmp_path, monkeypatch):
    table = ROOT / "mappings" / "sandbox" / "jde_bill_accounts.csv"
    header, *rows = table.read_text().splitlines()
    unreadable = tmp_path / "unreadable.csv"  # semicolons: no bill_chart_of_account_id column
    unreadable.write_text("jde_account;bill_chart_of_account_id\n20.8150;0ca02O8c7T4QtJWlF9TY\n")
    archived = tmp_path / "archived.csv"  # every account on an archived BILL account: most records fail
    archived.write_text("\n".join([header, *(f"{r.split(',')[0]},{ARCHIVED_CHART_ID}" for r in rows)]) + "\n")
    own_ledger(monkeypatch, tmp_path)  # a fresh deployment: a table that failed to import is imported anew
    with jde_bill_world(tmp_path, World, jde=JdeSandboxSettings(scale=0.05)) as world:
        monkeypatch.setenv("ML_JDE_BILL_ACCOUNT_MAP", str(unreadable))
        meta = world.run(*EVERYTHING, ok=False)  # the table's asset fails: nothing downstream runs
        assert "jde_bill/account_map" not in meta and "jde_bill/bills_mapped" not in meta
        monkeypatch.setenv("ML_JDE_BILL_ACCOUNT_MAP", str(archived))
        # Mapped, most refused: queued, the write step done (the steps after it run), the day failed by
        # its verdict.
        meta = world.run(*EVERYTHING, "jde_bill/bills_verdict", ok=False)
        assert "jde_bill/bills_written" in meta and "jde_bill/bills_verdict" not in meta
        mapped = meta["jde_bill/bills_mapped"]  # every refused bill queued with its reason, none lost
        queued = world.ledger.open_items(integration="jde_bill", flow="bills", status="failed")
        assert len(queued) == mapped["rejected"] > mapped["records"] / 2, (mapped, queued)
        assert not world.bill_xrefs() and not world.bills_in_bill()  # none passed: nothing to write


def test_an_outage_fails_the_partition_with_everything_queued_and_a_rerun_writes_each_once(
    world, monkeypatch
):
    monkeypatch.setenv("ML_PARENT_PULL_LIMIT", "0")  # the outage meets the day's own bills, not a pull
    world.run(*MASTER, *SOURCES, *BILLS)  # held: their vendors are read by the vendors' next run
    mapped = world.run(*VENDORS, "jde_bill/bills_mapped")["jde_bill/bills_mapped"]
    world.bill_faults(fail_next=100_000, fail_next_status=503)
    world.run("jde_bill/bills_written", ok=False)
    queued = world.ledger.open_items(integration="jde_bill", flow="bills", status="failed")
    assert len(queued) == mapped["valid"] > 0 and not world.bill_xrefs()
    requests.post(f"{world.bill_root}/sandbox/faults/reset", timeout=10).raise_for_status()
    rerun = world.run(*BILLS)["jde_bill/bills_written"]
    assert rerun["create"] + rerun["adopt"] == len(queued) and rerun["fail"] == 0
    assert not world.ledger.open_items(integration="jde_bill", flow="bills")
    _one_bill_each(world)


def test_the_flow_is_part_of_the_integration_with_its_job_and_schedule():
    from connector_assets.definitions import defs

    job = defs.resolve_job_def("jde_bill_bills")
    keys = {k.to_user_string() for k in job.asset_layer.executable_asset_keys}
    assert {"jde_bill/account_map", "bill/chart_of_accounts", *BILLS} <= keys
    assert "jde_bill_bills_schedule" in {s.name for s in defs.schedules}
    assert BILLS_FLOW.dependency_key("PO:00200:4512:OP") == "jde_bill:bill:JDE:PO:00200:4512:OP"
