"""A preview of Coupa -> JD Edwards writes nothing, and the real run of the same days does what it said.

The days: Coupa's seeded history from the busy day (its mass update) to today, where a Coupa user approved
invoices whose call-outs wait in the webhook inbox, and Coupa Pay paid every approved invoice still open;
the payments of a Coupa Pay run a month before move on today, their invoices changed on no day previewed.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import date

import pytest
import requests
from asset_runs import busy_day
from built_parts import built
from coupa_jde_world import changed_day, coupa_jde_world
from dagster import DagsterInstance
from ledger_entries import audit_ids
from preview_proofs import equip_for_previews, forget_xref, previewed_writing_nothing, run_as_previewed
from request_log import logged_simulators

import connector_assets.integrations.coupa_jde as package
from connector_assets.integrations.coupa_jde.batch_keys import DEFAULT_BATCH_USER, BatchKey
from connector_assets.preview.runner import run_flow

INTEGRATION = "coupa_jde"
INVOICES_FLOW = built(INTEGRATION).flow("invoices").spec


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    with logged_simulators() as logs, coupa_jde_world(tmp_path_factory.mktemp("preview_coupa_jde")) as made:
        equip_for_previews(made, logs, package)
        coupa = made.coupa
        made.accounts = {obj: coupa.account("20", obj) for obj in ("8150", "8199")}  # 20.8199: not in F0901
        yield made


def _inbox(world) -> int:
    return len(world.ledger.inbox_pending(source="coupa_invoices"))


def _paid_before_the_first_day(world, supplier: int, account: int) -> dict:
    """An invoice approved and paid by Coupa Pay a month ago (before any day the preview covers), whose
    payment moves on today (payment_initiated -> in progress): the payment is read, its invoice is not."""
    clock = f"{world.coupa_url}/sandbox/clock"
    requests.post(clock, json={"advance_seconds": -30 * 86400}, timeout=10).raise_for_status()
    try:
        invoice = world.coupa.invoice(supplier, "PV-090", [(account, "90.00")])
        paid = requests.post(f"{world.coupa_url}/sandbox/activity", json={"new_payments": 1000}, timeout=30)
        paid.raise_for_status()
    finally:
        requests.post(clock, json={"reset": True}, timeout=10).raise_for_status()
    moved = requests.post(f"{world.coupa_url}/sandbox/activity", json={"updated_payments": 1000}, timeout=30)
    moved.raise_for_status()
    return invoice


def test_a_preview_writes_nothing_and_the_run_does_what_it_said(world, tmp_path):
    supplier, accounts = world.supplier(), world.accounts
    old = _paid_before_the_first_day(world, supplier, accounts["8150"])
    fine = world.coupa.invoice(supplier, "PV-100", [(accounts["8150"], "120.00")], tax="5.00")
    unknown = world.coupa.invoice(supplier, "PV-101", [(accounts["8199"], "30.00")])
    world.deliver("invoices", [fine["id"], unknown["id"]])
    paid = requests.post(f"{world.coupa_url}/sandbox/activity", json={"new_payments": 1000}, timeout=30)
    paid.raise_for_status()
    first, last = date.fromisoformat(busy_day()), date.fromisoformat(changed_day(fine))
    pending = _inbox(world)
    seen = previewed_writing_nothing(world, INTEGRATION, first, last, tmp_path / "fit")
    assert pending == 2, "the call-outs the preview read stay in the inbox for the run"
    assert {"create", "refuse", "hold"} <= {row.verdict for row in seen.rows}, Counter(
        (r.flow, r.verdict) for r in seen.rows
    )
    verdicts = seen.verdicts()
    created = verdicts[("invoices", str(fine["id"]))]
    body = json.loads(created.changes)  # what ML_CreateVoucherBatch would have been sent
    assert (created.verdict, body["Invoice_Number"], body["EDI_Batch_Number"]) == (
        "create",
        "PV-100",
        f"CP{fine['id']}",
    )
    assert body["Pay_Items"][0]["Gross_Amount"] == "125.00"
    refused = verdicts[("invoices", str(unknown["id"]))]
    assert refused.verdict == "refuse" and "account 20.8199 not found in F0901" in refused.reason
    # Coupa Pay's payment of the new invoice waits for its voucher batch, which only the run would write,
    # to become a voucher: held on JDE's batch processor, in the words the run's hold has.
    [(key, held)] = [(k, r) for (flow, k), r in verdicts.items() if k.endswith(f":{fine['id']}")]
    assert held.verdict == "hold" and f"of invoice {fine['id']}" in held.reason and "R04110ZA" in held.reason
    # Day one: the invoices whose payments move on today but which no day of the preview reads are pulled by
    # the payments' run, each its own row of the invoices flow; the old one's voucher batch would be created,
    # and its payment then waits only for R04110ZA, like the new one's.
    pulled = {r.source_key: r for r in seen.rows if r.pull == "parent"}
    assert {r.flow for r in pulled.values()} == {"invoices"}, pulled
    batch = BatchKey.for_invoice(str(old["id"]), DEFAULT_BATCH_USER).target_id
    assert (pulled[str(old["id"])].verdict, pulled[str(old["id"])].target_id) == ("create", batch)
    [child] = [r for (flow, k), r in verdicts.items() if flow == "payments" and k.endswith(f":{old['id']}")]
    assert child.verdict == "hold" and "R04110ZA" in child.reason, child
    # No payment waits for an invoice no flow reads: each wait is on one its own flow refused or held here.
    invoices = {r.source_key: r.verdict for r in seen.rows if r.flow == "invoices"}
    waits = {
        json.loads(r.params)["waits_for"].rsplit(":", 1)[1]
        for r in seen.rows
        if r.kind.startswith("waits_for_record")
    }
    assert waits and all(invoices.get(w) in ("refuse", "hold") for w in waits), (waits, invoices)

    real = run_as_previewed(world, INTEGRATION, first, last, seen)
    assert real[("invoices", str(old["id"]))] == ("create", batch)
    assert audit_ids(world.ledger, INTEGRATION, "invoices", "create").count(str(old["id"])) == 1
    assert _inbox(world) == 0  # the run acknowledged what it consumed; the preview had not


def _written_then_lost(world, day: str, invoice_id: str) -> None:
    """An earlier run wrote the day's invoices to JDE and died before marking them exported in Coupa; the
    ledger then lost the cross-reference of ``invoice_id`` (restored from an older backup)."""
    with DagsterInstance.ephemeral() as instance:
        result = run_flow(
            world.defs, INVOICES_FLOW, [day], world.resources, instance, specs=world.specs, until_written=True
        )
    assert result.success
    forget_xref(world.ledger, INTEGRATION, "invoice", invoice_id)


def test_a_voucher_jde_holds_unrecorded_previews_as_adopted_and_the_written_one_as_unchanged(world, tmp_path):
    """The batch keys come from the Coupa invoice alone: the preview reads the batch a real write would be
    refused for (59A4) and names the voucher batch it would adopt, as the run then does."""
    supplier = world.supplier()
    lost = world.coupa.invoice(supplier, "PV-200", [(world.accounts["8150"], "75.00")])
    kept = world.coupa.invoice(supplier, "PV-201", [(world.accounts["8150"], "15.00")])
    day = changed_day(lost)
    _written_then_lost(world, day, str(lost["id"]))
    day_of = date.fromisoformat(day)
    seen = previewed_writing_nothing(world, INTEGRATION, day_of, day_of, tmp_path / "fit", flows=["invoices"])
    verdicts = seen.verdicts()
    adopted = verdicts[("invoices", str(lost["id"]))]
    batch = BatchKey.for_invoice(str(lost["id"]), DEFAULT_BATCH_USER).target_id
    assert (adopted.verdict, adopted.target_id) == ("adopt", batch), adopted
    assert json.loads(adopted.matched_by)["Invoice_Number"] == "PV-200"  # the natural key that matched
    assert verdicts[("invoices", str(kept["id"]))].verdict == "unchanged"

    real = run_as_previewed(world, INTEGRATION, day_of, day_of, seen, flows=["invoices"])
    assert real[("invoices", str(lost["id"]))] == ("adopt", batch)  # JDE refused it as 59A4: adopted
