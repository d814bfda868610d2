"""Coupa -> JD Edwards reconciliation end to end: both simulators, the real clients, Dagster, the ledger.

A Coupa day (Coupa's clock at noon today, UTC, so every change lands in one day; its seeded history ends a
year before, and the invoices it would pay are settled the day before) is synced once: approved invoices to
JDE voucher batches (one refused for an unknown account), R04110ZA, Coupa Pay payments to JDE (the refused
invoice's payment held). The reconciliation is clean, the two queued records counted as expected gaps. Then
people change things behind the connector's back: a JDE clerk records a payment at another amount before
the flow does, Coupa marks that invoice paid, a written invoice is voided in Coupa, another corrected to
another amount (and one corrected before the flow's last run, which queued the change for a person: one
expected gap, not a difference), a batch is keyed in JDE under the flow's marking for an invoice Coupa does
not have, another under the flow's batch user with keys of its own for no Coupa invoice at all, and the A/P
clerk voids in JDE the voucher of an invoice that stands in Coupa; one reconciliation names each, with the
record in both systems and both values.
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import requests
from built_parts import built
from coupa_jde_world import coupa_jde_world
from dagster import materialize
from instances import instance_for_test
from reconcile_rows import difference_rows, sentences_name_both
from sandbox_hands import set_coupa_clock

from connector_assets.flows.reconciliation import money
from connector_assets.integrations.coupa_jde.batch_keys import DEFAULT_BATCH_USER, BatchKey
from connector_assets.jde.assets import jde_assets
from connector_assets.saas.assets import saas_assets

pytestmark = pytest.mark.timeout(900)  # whole days run and reconciled: load 15 too

INVOICES = ("coupa/invoices", "coupa_jde/invoices_mapped", "coupa_jde/invoices_written")
PAYMENTS = ("coupa/payments", "coupa_jde/payments_mapped", "coupa_jde/payments_written")
PARTS = built("coupa_jde")  # the default instance's
EVERY = [*saas_assets, *jde_assets, *PARTS.own_assets()]


def _run(world: Any, *names: str, partition: str | None) -> None:
    chosen = [a for a in EVERY if a.key.to_user_string() in names]
    with instance_for_test() as instance:
        result = materialize(chosen, resources=world.resources, instance=instance, partition_key=partition)
    assert result.success


def _reconcile(world: Any, day: str) -> tuple[Any, dict[str, Any]]:
    with instance_for_test() as instance:
        result = materialize(PARTS.assets, resources=world.resources, instance=instance, partition_key=day)
    assert result.success
    [check] = result.get_asset_check_evaluations()
    [event] = result.get_asset_materialization_events()
    return check, {k: getattr(v, "value", v) for k, v in event.materialization.metadata.items()}


def _settle(world: Any) -> None:
    """Coupa Pay pays every approved, unpaid invoice paid through the ERP (the sandbox's activity)."""
    answer = requests.post(f"{world.coupa_url}/sandbox/activity", json={"new_payments": 1000}, timeout=60)
    answer.raise_for_status()


def _payment_of(world: Any, invoice_id: int) -> dict:
    answer = requests.get(f"{world.coupa_url}/sandbox/records/payments", params={"limit": 5000}, timeout=30)
    payments = answer.json()["records"]
    [payment] = [p for p in payments if p["payment-details"][0]["source-transaction-id"] == invoice_id]
    return payment


def _process_vouchers(world: Any) -> None:
    requests.post(f"{world.jde_root}/sandbox/process-vouchers", timeout=60).raise_for_status()


def _batch(world: Any, invoice_id: int) -> dict:
    """The F0411Z1 pay item JDE holds for a Coupa invoice (its voucher's KCO / DOC once processed)."""
    key = BatchKey.for_invoice(str(invoice_id), DEFAULT_BATCH_USER)
    where = {"EDUS": key.user, "EDBT": key.batch, "EDTN": key.transaction}
    [row] = requests.get(f"{world.jde_root}/sandbox/rows/F0411Z1", params=where, timeout=10).json()["rows"]
    return row


@pytest.fixture(scope="module")
def synced(tmp_path_factory):
    """Today's Coupa invoices and payments synced to JDE, and the clean reconciliation of the day."""
    folder = tmp_path_factory.mktemp("coupa_jde_reconcile")
    with coupa_jde_world(folder, coupa_anchor=date.today() - timedelta(days=400)) as world:
        today = datetime.now(UTC).date()
        set_coupa_clock(
            world.coupa_url, datetime.combine(today - timedelta(days=1), datetime.min.time(), UTC)
        )
        _settle(world)  # the seeded invoices Coupa Pay would pay are paid the day before
        set_coupa_clock(
            world.coupa_url, datetime.combine(today, datetime.min.time(), UTC) + timedelta(hours=12)
        )
        supplier = world.supplier()
        accounts = {obj: world.coupa.account("20", obj) for obj in ("8150", "6110", "8199")}
        invoices = {
            "kept": world.coupa.invoice(
                supplier, "R-100", [(accounts["8150"], "100.00"), (accounts["6110"], "40.50")], tax="9.50"
            ),  # fmt: skip
            "voided": world.coupa.invoice(supplier, "R-101", [(accounts["8150"], "60.00")]),
            "refused": world.coupa.invoice(supplier, "R-102", [(accounts["8199"], "30.00")]),  # not in F0901
            "corrected": world.coupa.invoice(supplier, "R-103", [(accounts["8150"], "70.00")]),
        }
        day = today.isoformat()
        _run(world, "jde/gl_accounts", "coupa_jde/account_map", partition=None)
        _run(world, *INVOICES, partition=day)
        _process_vouchers(world)
        _settle(world)
        _run(world, *PAYMENTS, partition=day)
        yield world, day, supplier, accounts, invoices, _reconcile(world, day)


def test_a_clean_day_reconciles_with_no_difference_and_the_queued_records_are_expected(synced):
    world, _day, _supplier, _accounts, invoices, (check, meta) = synced
    assert check.passed and meta["differences"] == 0, meta["difference_table"]
    queued = {i.source_key: i for i in world.ledger.open_items(integration="coupa_jde")}
    refused = str(invoices["refused"]["id"])
    assert (
        queued[refused].status == "failed" and "account 20.8199 not found in F0901" in queued[refused].reason
    )
    [held] = [i for key, i in queued.items() if key.endswith(f":{refused}")]  # its payment waits for it
    assert held.status == "held" and meta["expected_gaps"] == 2 == len(queued)
    assert meta["expected_in_the_retry_queue"] == meta["expected_held_for_another_record"] == 1
    # Three invoices and their three payments compared, each read by key, a few calls for the day.
    assert meta["records_compared"] == 6 and meta["coupa_invoices_in_window"] == 4
    assert meta["coupa_api_calls"] <= 8 and meta["jde_api_calls"] <= 12, meta


def _correct(world: Any, invoice: int, price: str) -> None:
    """A Coupa user corrects an approved invoice's first line to ``price`` (dispute, edit, approve again)."""
    world.coupa.call("PUT", f"invoices/{invoice}/dispute")
    world.coupa.call("PUT", f"invoices/{invoice}/withdraw_dispute")
    line = world.coupa.call("GET", f"invoices/{invoice}")["invoice-lines"][0]
    world.coupa.call("PUT", f"invoices/{invoice}", {"invoice-lines": [{"id": line["id"], "price": price}]})
    world.coupa.call("PUT", f"invoices/{invoice}/submit")
    world.coupa.call("PUT", f"invoices/{invoice}/bypass_approvals")


def _money(like: dict, amount: str, explanation: str) -> dict[str, Any]:
    """One pay item and one line of ``amount`` in the currency of the batch ``like`` (its F0411Z1 row), as
    a person keys it: in Currency_Amount with mode F when that currency is not the company's."""
    foreign = str(like.get("CRRM") or "").strip() == "F"
    column = "Currency_Amount" if foreign else "Gross_Amount"
    line = {"EDI_Line_Number": 1, "Account": "20.8150", "Explanation": explanation}
    return {
        "Currency_Code": str(like.get("CRCD") or "").strip() or None,
        "Currency_Mode": "F" if foreign else "D",
        "Pay_Items": [{"EDI_Line_Number": 1, column: amount}],
        "Distribution": [{**line, ("Currency_Amount" if foreign else "Amount"): amount}],
    }


@pytest.fixture(scope="module")
def planted(synced):
    world, day, supplier, accounts, invoices, _clean = synced
    paid = world.coupa.invoice(supplier, "R-104", [(accounts["8150"], "80.00")])
    queued = world.coupa.invoice(supplier, "R-105", [(accounts["8150"], "90.00")])
    _run(world, *INVOICES, partition=day)
    _process_vouchers(world)
    _settle(world)
    payment = _payment_of(world, paid["id"])
    voucher = _batch(world, paid["id"])
    body = {  # a JDE clerk records the Coupa Pay payment by hand, a dollar short, before the flow does
        "Document_Company": voucher["KCO"],
        "Document_Number": int(voucher["DOC"]),
        "Document_Type": "PV",
        "Payment_Amount": "79.00",
        "Payment_Date": date.fromisoformat(day),
        "Payment_Reference": f"COUPAPAY-{payment['id']}",
    }
    with world.resources["jde"].session() as jde:
        jde.orchestrate("ML_RecordPayment", body)
        company = voucher["KCO"]
        jde.orchestrate(  # a batch keyed under the flow's marking, for an invoice Coupa does not have
            "ML_CreateVoucherBatch",
            {
                **BatchKey.for_invoice("999999", DEFAULT_BATCH_USER).body(),
                "Company": company,
                "Supplier": int(voucher["AN8"]),
                "Invoice_Number": "JDE-ONLY-1",
                "Invoice_Date": date.fromisoformat(day),
                "GL_Date": date.fromisoformat(day),
                "Pay_Status": "A",
                "Remark": "Coupa invoice 999999",
                **_money(voucher, "55.00", "x"),
            },
        )
        jde.orchestrate(  # keyed by hand under the flow's batch user, keys of its own, for no Coupa invoice
            "ML_CreateVoucherBatch",
            {
                "EDI_User_ID": "MLCOUPA",
                "EDI_Batch_Number": "4711",
                "EDI_Transaction_Number": "HAND-1",
                "Company": company,
                "Supplier": int(voucher["AN8"]),
                "Invoice_Number": "BY-HAND-7",
                "Invoice_Date": date.fromisoformat(day),
                "GL_Date": date.fromisoformat(day),
                "Pay_Status": "A",
                **_money(voucher, "66.00", "y"),
            },
        )
    _run(world, *PAYMENTS, partition=day)  # finds the clerk's payment under its reference: adopted
    time.sleep(1.1)  # whole-second stamps: a correction is a newer version
    _correct(world, queued["id"], "95.00")
    voided_in_jde = world.coupa.invoice(
        supplier, "R-106", [(accounts["8150"], "45.00")]
    )  # after Coupa Pay ran
    _run(world, *INVOICES, partition=day)  # the flow refuses to rewrite a posted voucher: queued
    _process_vouchers(world)
    clerk = _batch(world, voided_in_jde["id"])  # the A/P clerk voids its voucher in JDE (P0411)
    void = f"{world.jde_root}/sandbox/vouchers/{clerk['KCO']}/{clerk['DOC']}/{clerk['DCT'] or 'PV'}/void"
    requests.post(void, json={}, timeout=30).raise_for_status()
    world.coupa.call("PUT", f"invoices/{paid['id']}", {"paid": True})
    world.coupa.call("PUT", f"invoices/{invoices['voided']['id']}/void")
    _correct(world, invoices["corrected"]["id"], "75.00")  # after the flow's last run: not queued
    plants = {"paid": paid["id"], "payment": payment["id"], "voucher": voucher, "queued": queued["id"]}
    plants["voided_in_jde"] = (voided_in_jde["id"], clerk)
    return world, plants, _reconcile(world, day)


def test_each_difference_planted_is_named_by_record_with_both_values(planted, synced):
    world, plants, (check, meta) = planted
    invoices = synced[4]
    assert not check.passed
    rows = [r for r in difference_rows(meta) if not r["kind"].startswith("expected")]
    found = {(r["kind"], r["Coupa record"], r["JDE record"], r["field"], r["Coupa"], r["JDE"]) for r in rows}

    paid, voucher = plants["paid"], plants["voucher"]
    in_jde = f"voucher {voucher['KCO']}/{voucher['DOC']}/PV"
    reference = f"COUPAPAY-{plants['payment']}"
    record = f"payment {plants['payment']} of invoice {paid}"
    assert (
        "payment amount",
        record,
        f"{in_jde} ({reference})",
        "amount",
        money(Decimal(80)),
        "79.00",
    ) in found
    assert ("paid", f"invoice {paid} (R-104)", in_jde, "paid", "paid", "1.00 open") in found
    voided = invoices["voided"]["id"]
    statuses = {f[1]: f for f in found if f[0] == "status"}
    status = statuses[f"invoice {voided} (R-101)"]
    assert status[4] == "voided" and status[2].startswith("voucher ")
    # Voided in JDE by the A/P clerk while Coupa still has it approved: named from JDE's side.
    invoice, clerk = plants["voided_in_jde"]
    in_jde_voided = f"voucher {clerk['KCO']}/{clerk['DOC']}/PV"
    assert statuses[f"invoice {invoice} (R-106)"][2:] == (in_jde_voided, "status", "approved", "voided")
    corrected = invoices["corrected"]["id"]
    [amount] = [f for f in found if f[0] == "line amount"]
    assert amount[1] == f"invoice {corrected} (R-103)" and amount[3:] == ("amount", "75.00", "70.00")
    only = sorted(f for f in found if f[0] == "only in JDE")
    assert [f[2].startswith("voucher ") for f in only] == [True, True]  # R04110ZA has processed both
    words = {r["words"] for r in rows if r["kind"] == "only in JDE"}
    assert any("for Coupa invoice 999999, which Coupa does not have" in w for w in words), words
    assert any("BY-HAND-7, 66.00" in w and "keyed by hand for no Coupa invoice" in w for w in words), words
    assert len(rows) == 7 == meta["differences"], found
    assert meta["expected_gaps"] == 3
    sentences_name_both(rows, "Coupa", "JDE")


def test_a_field_difference_on_a_record_whose_update_is_queued_is_one_expected_gap(planted):
    world, plants, (_check, meta) = planted
    invoice = str(plants["queued"])
    [item] = [i for i in world.ledger.open_items(integration="coupa_jde") if i.source_key == invoice]
    assert item.flow == "invoices" and item.status == "failed"
    rows = difference_rows(meta)
    # JDE holds the voucher at 90.00 while Coupa says 95.00: the flow queued the change for a person, so
    # the record is one expected gap with the queue's reason, never a difference.
    differences = [r for r in rows if not r["kind"].startswith("expected")]
    assert not [r for r in differences if r["Coupa record"].startswith(f"invoice {invoice} ")]
    [gap] = [
        r for r in rows if r["kind"].startswith("expected") and f"invoice {invoice} " in r["Coupa record"]
    ]
    assert gap["kind"] == "expected: in the retry queue" and gap["words"] == item.reason
    assert gap["Coupa record"] == f"invoice {invoice} (R-105) (amount differs)"
    assert meta["expected_in_the_retry_queue"] == 2 and meta["line_amount"] == 1


# Last in the module: R0411Z1P deletes every processed batch of the module's world.
def test_after_jde_purged_the_processed_batch_rows_the_day_reconciles_as_before(synced):
    """R0411Z1P (or R04110ZA's "purge processed transactions") leaves only the F0411 vouchers: each
    invoice is found as the voucher carrying its remark ``Coupa invoice <id>`` and compared line by line
    from F0911, so the report is the one a keeping site gets, no invoice missing."""
    world, day, *_rest = synced
    _check, before = _reconcile(world, day)
    purged = requests.post(f"{world.jde_root}/sandbox/purge-batches", timeout=10).json()["purged"]
    assert purged

    _check, after = _reconcile(world, day)

    assert not [r for r in difference_rows(after) if r["kind"] == "missing in JDE"], after["difference_table"]
    assert sorted(map(str, difference_rows(after))) == sorted(map(str, difference_rows(before)))
    assert after["records_compared"] == before["records_compared"]
