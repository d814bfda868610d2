"""``make dev`` for JD Edwards <-> Procurify, on both simulators on free ports: the seeded Procurify vendors'
ERP keys name real JDE suppliers, and the Procurify sandbox's people carry the connector's requisitions on
to purchase orders, bills and payments, one step per activity round."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import requests
from jde_procurify_parts import ACCOUNTS, DEPARTMENTS, AccountMap, AccountScope, order_policy
from jde_procurify_world import JdeProcurifyWorld, jde_procurify_world

from connector_assets.integrations.jde_procurify.departments import placement
from connector_assets.integrations.jde_procurify.order_mappers import line_account
from connector_assets.integrations.jde_procurify.sandbox import (
    SANDBOX_DEFAULTS,
    ProcurifyPeople,
    link_procurify_vendors_to_jde,
    procurify_sandbox_defaults,
)
from connector_assets.jde.sandbox_suppliers import all_jde_supplier_numbers, jde_supplier_numbers
from connector_sandbox.jde_ais import JdeSandboxSettings
from connector_sandbox.jde_ais.vocabulary import (
    CHART_OF_ACCOUNTS,
    COMPANIES,
    JOB_COST_OBJECTS,
    JOB_COST_UNITS,
)
from connector_sandbox.procurify import ProcurifySandboxSettings
from connector_sandbox.registry import SANDBOXES, RunningSandbox


def test_the_seeded_vendors_erp_keys_are_repointed_to_real_jde_suppliers_once(tmp_path):
    with jde_procurify_world(tmp_path) as world:
        before = world.in_procurify("vendors")
        done = link_procurify_vendors_to_jde(world.procurify_url, world.jde_root)
        assert done["repointed"] > 0 and done["suppliers"] > 0
        after = world.in_procurify("vendors")
        suppliers = set(all_jde_supplier_numbers(world.jde_root))
        assert set(jde_supplier_numbers(world.jde_root)) <= suppliers
        keyed = {
            vid: v["external_id"] for vid, v in after.items() if re.fullmatch(r"\d+", v["external_id"] or "")
        }
        assert len(keyed) == done["repointed"]
        assert {int(an8) for an8 in keyed.values()} <= suppliers
        assert len(set(keyed.values())) == len(keyed)  # one vendor per supplier
        # A vendor made in Procurify (no ERP key) keeps none: the vendors flow adds it to JDE.
        for vid, vendor in before.items():
            if not vendor["external_id"]:
                assert not after[vid]["external_id"]
        # Its change date is not moved: an operator's fix of the seed, not a person's edit.
        assert all(after[v]["dateModified"] == before[v]["dateModified"] for v in keyed)
        again = link_procurify_vendors_to_jde(world.procurify_url, world.jde_root)
        assert again["repointed"] == 0 and again["already_linked"] == done["repointed"]
        bad = requests.post(
            f"{world.procurify_url}/sandbox/vendors/erp-links", json={"numbers": ["x"]}, timeout=10
        )
        assert bad.status_code == 400 and "numbers" in bad.text


def test_the_sandbox_people_purchase_receive_bill_and_pay_the_connectors_requisitions(tmp_path):
    with jde_procurify_world(tmp_path) as world:
        # A requisition as the purchase orders flow leaves it: pending in Procurify, its xref recorded.
        [num] = world.activity(new_requisitions=1)["requisitions"]["created"]
        uuid = world.procurify_record("orders", num)["api"]["uuid"]
        world.ledger.record_target(
            "jde_procurify", "purchase_order", "JDE", "00001:4011:OP", "procurify", uuid, "h"
        )
        people = ProcurifyPeople(world.procurify_url, world.db, world.jde_root)
        try:
            first = people.round()
            assert first == {"vouchered": 0, "purchased": 1, "billed": 0, "paid": 0, "paid_in_jde": 0}
            assert world.procurify_record("orders", num)["row"]["status"] == 3  # purchased
            [po] = people.to_bill
            second = people.round()
            assert second == {
                "vouchered": 0,
                "purchased": 0,
                "billed": 1,
                "paid": 0,
                "paid_in_jde": 0,
            }  # the requisition is not bought twice
            [bill_uuid] = people.to_pay
            bill = world.procurify_record("bills", bill_uuid)
            assert bill["row"]["status"] == 2  # approved: what the bills flow posts
            assert world.procurify_record("purchase_orders", po)["row"]["procurify_PO"] == po
            third = people.round()
            assert third == {"vouchered": 0, "purchased": 0, "billed": 0, "paid": 1, "paid_in_jde": 0}
            assert world.procurify_record("bills", bill_uuid)["row"]["status"] == 4  # Paid
            assert people.round() == {
                "vouchered": 0,
                "purchased": 0,
                "billed": 0,
                "paid": 0,
                "paid_in_jde": 0,
            }
        finally:
            people.dispose()


def test_a_make_dev_activity_round_gives_the_procurify_sourced_flows_something_to_move(tmp_path):
    with jde_procurify_world(tmp_path) as world:
        done = world.activity(**SANDBOXES["procurify"].activity)
        assert done["vendors"]["created"]  # vendors flow: a vendor made in Procurify, no ERP key
        assert not world.procurify_record("vendors", done["vendors"]["created"][0])["api"]["external_id"]
        assert done["bills"]["updated"]  # bills flow: bills moved on towards approved
        assert done["payments"]["created"] and done["payments"]["updated"]  # payments flow


def write_voucher_batch(world: JdeProcurifyWorld, batch: str, invoice: str, amount: Decimal) -> None:
    """A one-line voucher batch (transaction ``{batch}-1``) on a postable account for a supplier billed in
    the account's company currency (a domestic voucher: a foreign one goes in Currency_Mode F), written as
    the bills flow writes one: JDE's batch processor makes it a voucher."""
    with world.resources["jde"].session() as jde:
        accounts = jde.browse("F0901", columns=["CO", "MCU", "OBJ", "SUB", "PEC"])
        gl = next(a for a in accounts if a["PEC"] == "")
        companies = jde.browse("F0010", columns=["CO", "CRCD"])
        currency = next(c["CRCD"] for c in companies if c["CO"] == gl["CO"])
        supplier = next(
            r["AN8"] for r in jde.browse("F0401", columns=["AN8", "CRRP"]) if r["CRRP"] == currency
        )
        account = ".".join(part for part in (gl["MCU"], gl["OBJ"], gl["SUB"]) if part)
        keys = {"EDI_User_ID": "MLPRCFY", "EDI_Batch_Number": batch, "EDI_Transaction_Number": f"{batch}-1"}
        today = {"Invoice_Date": date.today(), "GL_Date": date.today()}
        voucher = {**keys, "Company": gl["CO"], "Supplier": supplier, "Invoice_Number": invoice, **today}
        voucher["Pay_Items"] = [{"EDI_Line_Number": 1, "Gross_Amount": amount}]
        voucher["Distribution"] = [{"EDI_Line_Number": 1, "Account": account, "Amount": amount}]
        jde.orchestrate("ML_CreateVoucherBatch", voucher)


def test_each_round_runs_jdes_batch_voucher_processor_on_the_batches_written(tmp_path):
    """A voucher batch as the bills flow writes it becomes a JDE voucher at the next round (R04110ZA is a
    scheduled job on a real JDE), so the payments flow finds the voucher to pay."""
    with jde_procurify_world(tmp_path) as world:
        write_voucher_batch(world, "PFYDEVTEST", "DEV-1", Decimal("310.25"))
        people = ProcurifyPeople(world.procurify_url, world.db, world.jde_root)
        try:
            assert people.round()["vouchered"] == 1
            [batch] = world.jde_rows("F0411Z1", EDTN="PFYDEVTEST-1")
            assert batch["EDSP"] == "1" and world.jde_rows("F0411", DOC=batch["DOC"])
            assert people.round()["vouchered"] == 0  # processed once
        finally:
            people.dispose()


def test_jdes_payment_run_pays_the_voucher_of_every_other_bill_once_it_is_posted(tmp_path):
    """The bills the clerk keeps for JDE are paid there in full once the bills flow posted them and R04110ZA
    made the voucher (F0411 PST P, AAP 0: what the paid_marks flow reads), never twice; Procurify gets no
    payment for them. Before the voucher exists the bill waits."""
    with jde_procurify_world(tmp_path) as world:
        write_voucher_batch(world, "PFYDEVPAY", "DEV-PAY-1", Decimal("410.75"))
        people = ProcurifyPeople(world.procurify_url, world.db, world.jde_root, world.resources["jde"])
        try:
            assert people.clerk is not None
            people.clerk.to_pay.append("bill-not-posted-yet")
            people.clerk.to_pay.append("bill-posted")
            assert people.clerk.round() == 0  # neither has a voucher yet: both wait
            world.ledger.record_target(
                "jde_procurify",
                "bill",
                "procurify",
                "bill-posted",
                "JDE",
                "MLPRCFY/PFYDEVPAY/PFYDEVPAY-1",
                "h",
            )
            assert people.round()["paid_in_jde"] == 1  # R04110ZA made the voucher, the run paid it
            [batch] = world.jde_rows("F0411Z1", EDTN="PFYDEVPAY-1")
            [item] = world.jde_rows("F0411", DOC=batch["DOC"])
            assert (item["PST"], int(item["AAP"])) == ("P", 0)
            assert [p["reference"] for p in world.jde_payments(f"JDE-CHK-{batch['DOC']}")]
            assert people.clerk.to_pay == ["bill-not-posted-yet"]
            assert people.round()["paid_in_jde"] == 0  # paid once
        finally:
            people.dispose()


def test_every_other_bill_the_clerk_enters_is_kept_for_jdes_payment_run(tmp_path):
    with jde_procurify_world(tmp_path) as world:
        created = world.activity(new_requisitions=2)["requisitions"]["created"]
        people = ProcurifyPeople(world.procurify_url, world.db, world.jde_root, world.resources["jde"])
        try:
            for number, key in zip(created, ("00001:4011:OP", "00001:4012:OP"), strict=True):
                uuid = world.procurify_record("orders", number)["api"]["uuid"]
                world.ledger.record_target(
                    "jde_procurify", "purchase_order", "JDE", key, "procurify", uuid, "h"
                )
            assert people.round()["purchased"] == 2
            assert people.round()["billed"] == len(people.to_pay) + len(people.clerk.to_pay) >= 2
            assert len(people.to_pay) >= 1 and len(people.clerk.to_pay) >= 1
            kept = list(people.clerk.to_pay)
            people.round()  # not posted by the bills flow here: kept, and not paid in Procurify
            assert people.clerk.to_pay == kept
            for bill in kept:
                assert world.procurify_record("bills", bill)["row"]["status"] == 2  # approved, unpaid
        finally:
            people.dispose()


def test_every_seeded_vendor_is_linked_when_the_jde_sandbox_has_more_suppliers_than_a_rows_page(tmp_path):
    """At scale 1 the JDE sandbox has more suppliers (2247) than its operator route answers (1000 rows),
    and the Procurify sandbox seeds more vendors with ERP keys (1130) than that: every one is linked, since
    a vendor left with a key naming no JDE supplier has its bills refused for good."""
    with jde_procurify_world(
        tmp_path, jde=JdeSandboxSettings(scale=1.0), procurify=ProcurifySandboxSettings(scale=1.0)
    ) as world:
        numbers = all_jde_supplier_numbers(world.jde_root)
        assert len(numbers) > 1000 and len(jde_supplier_numbers(world.jde_root)) == 1000
        done = link_procurify_vendors_to_jde(world.procurify_url, world.jde_root)
        assert done["left_unmatched"] == 0 and done["repointed"] > 1000
        vendors = world.in_procurify("vendors").values()
        # The route re-points the active purchasable vendors' keys (type 3 PREFERRED / 4 REGULAR).
        keys = [v["external_id"] for v in vendors if v["external_id"] and v["active"] and v["type"] in (3, 4)]
        wrong = [key for key in keys if not (key.isdigit() and int(key) in set(numbers))]
        assert keys and not wrong, wrong[:20]


# -- the sandbox tables fit every order the JDE sandbox makes ------------------------------------------


def _sandbox_maps() -> tuple[AccountMap, dict[str, str]]:
    """The sandbox account table with the default scope, and the sandbox department table, as ``make dev``
    stages them (no ML_* setting given)."""
    return AccountMap(ACCOUNTS.read(), AccountScope.from_settings()), DEPARTMENTS.read()


@pytest.fixture
def sandbox_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """No JDE / Procurify address, table, scope or stock account given: the sandbox defaults apply."""
    for env in (
        "ML_JDE_AIS_URL",
        "ML_PROCURIFY_URL",
        "ML_JDE_PROCURIFY_ACCOUNT_MAP",
        "ML_JDE_PROCURIFY_ACCOUNT_SCOPE",
        "ML_JDE_PROCURIFY_DEPARTMENT_MAP",
        "ML_JDE_PROCURIFY_STOCK_ACCOUNT",
    ):
        monkeypatch.delenv(env, raising=False)


def test_every_account_and_unit_the_jde_sandbox_orders_on_maps_at_every_scale(sandbox_settings) -> None:
    """From the JDE sandbox's own vocabulary, what its orders (seeded and activity) can carry at any scale:
    a header on any business unit of its company (F4301.MCU -> the department table), a stock line charged
    to that unit's ML_JDE_PROCURIFY_STOCK_ACCOUNT (``{bu}.1410``), a G/L line (F4311.ANI) on any postable
    expense account of the company: the base chart on every unit, and the job-cost subsidiaries larger
    scales add on the job units. Each needs a Procurify account code (sandbox table or default scope),
    else ``make dev``'s orders wait in the retry queue for a code nobody will make (the stock lines'
    ``7010.1410`` once did)."""
    accounts, departments = _sandbox_maps()
    policy = order_policy()
    missing = []
    for company in COMPANIES:
        for unit in company.business_units:
            assert placement(unit, departments) is not None, f"business unit {unit} has no department row"
            header_unit = unit.rjust(12)  # F4301/F4311 MCU is stored right-justified
            stock = line_account({"LNTY": "S", "MCU": header_unit}, policy)
            candidates = [stock] + [
                ".".join(part for part in (unit, item.obj, sub) if part)
                for item in CHART_OF_ACCOUNTS
                if item.expense and not item.posting_edit
                for sub in item.subs
            ]
            if unit in JOB_COST_UNITS:  # cost codes 01000, 01010, ... as scale grows
                candidates += [
                    f"{unit}.{obj}.{code:05d}" for obj in JOB_COST_OBJECTS for code in (1000, 99990)
                ]
            missing += [
                account
                for account in candidates
                if line_account({"LNTY": "J", "ANI": account}, policy) != account
                or accounts.code_for(account) is None
            ]
    assert not missing, f"accounts the JDE sandbox orders on without a Procurify code: {missing}"


def test_every_line_of_the_jde_sandboxs_new_orders_has_a_code_and_every_order_a_department(
    tmp_path, sandbox_settings
) -> None:
    """Through the simulator: a burst of JDE activity (new orders, as each ``make dev`` round makes them);
    every line's account (stock lines included) has a Procurify code and every header's unit a Procurify
    location and department; and every postable expense or stock account of the seeded F0901 (what an
    activity order can pick, the longest seeded account included) has a code."""
    accounts, departments = _sandbox_maps()
    policy = order_policy()
    with jde_procurify_world(tmp_path) as world:
        orders = world.jde_activity(new_purchase_orders=40, new_suppliers=0, updated_suppliers=0)[
            "new_purchase_orders"
        ]
        assert len(orders) == 40
        kinds: set[str] = set()
        for order in orders:
            [header] = world.jde_rows("F4301", DOCO=order["DOCO"])
            assert placement(header["MCU"], departments) is not None, header["MCU"]
            for line in world.jde_rows("F4311", DOCO=order["DOCO"]):
                kinds.add(line["LNTY"])
                account = line_account(line, policy)
                assert account is not None and accounts.code_for(account) is not None, (
                    f"order {order['DOCO']} line {line['LNID']}: account {account} has no Procurify code"
                )
        assert kinds == {"J", "S"}  # both kinds of line were met
        chart = world.jde_rows("F0901")
        assert len(chart) < 1000  # the whole chart (the operator route answers up to 1000 rows)
        units = {row["MCU"].strip() for row in chart}
        assert "LONGJOBUNIT1" in units
        for row in chart:
            account = ".".join(part for part in (row["MCU"].strip(), row["OBJ"], row["SUB"].strip()) if part)
            if row["PEC"] == "" and (row["OBJ"] >= "6000" or row["OBJ"] == "1410"):
                assert accounts.code_for(account) is not None, f"F0901 account {account} has no code"


# -- sandbox-only defaults ------------------------------------------------------------------------------


def _running(*keys: str) -> list[RunningSandbox]:
    return [RunningSandbox(SANDBOXES[key], SANDBOXES[key].root(), lambda: None) for key in keys]


@pytest.fixture
def no_dev_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    """The settings ``procurify_sandbox_defaults`` may export, unset here and restored after the test."""
    for env in (*SANDBOX_DEFAULTS, "ML_JDE_AIS_URL", "ML_PROCURIFY_URL"):
        monkeypatch.setenv(env, "")  # recorded, so what the function exports is undone after the test
        monkeypatch.delenv(env)


def test_dev_sets_the_sandbox_fallback_email_and_hourly_account_codes_on_the_sandboxes_only(
    no_dev_defaults, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Half the JDE sandbox's suppliers (and every one its activity adds) have no F01151 e-mail: on the
    embedded sandboxes ``make dev`` gives them a fallback so they flow; the operator's own value wins; with
    a real JDE or Procurify configured nothing is set (such a supplier must be refused there)."""
    import os

    assert procurify_sandbox_defaults(_running("jde_ais")) == {}  # Procurify not running
    monkeypatch.setenv("ML_JDE_AIS_URL", "https://jde.example.com/jderest")
    assert procurify_sandbox_defaults(_running("jde_ais", "procurify")) == {}
    assert not os.environ.get("ML_JDE_PROCURIFY_VENDOR_FALLBACK_EMAIL")
    monkeypatch.delenv("ML_JDE_AIS_URL")
    monkeypatch.setenv("ML_JDE_PROCURIFY_ACCOUNT_CODES_CRON", "0 4 * * *")
    done = procurify_sandbox_defaults(_running("jde_ais", "procurify"))
    assert done == {
        "ML_JDE_PROCURIFY_VENDOR_FALLBACK_EMAIL": SANDBOX_DEFAULTS["ML_JDE_PROCURIFY_VENDOR_FALLBACK_EMAIL"],
        "ML_JDE_PROCURIFY_ACCOUNT_MAP": SANDBOX_DEFAULTS["ML_JDE_PROCURIFY_ACCOUNT_MAP"],
    }
    # Read by runs whose working folder is DAGSTER_HOME: an absolute path to the project's table.
    table = Path(done["ML_JDE_PROCURIFY_ACCOUNT_MAP"])
    assert table.is_absolute() and table.name == "jde_procurify_accounts_make_dev.csv" and table.is_file()
    assert os.environ["ML_JDE_PROCURIFY_VENDOR_FALLBACK_EMAIL"].endswith("@example.com")
    assert os.environ["ML_JDE_PROCURIFY_ACCOUNT_CODES_CRON"] == "0 4 * * *"  # the operator's
