"""A preview of Oracle Fusion <-> Procurify writes nothing, and the real run of the same days does what it
said: every flow over the sandboxes' busy day (account codes, suppliers, vendors, purchase orders, invoices,
payment status), then what a second day shows: records both systems hold adopted again, a supplier renamed
in Fusion updated field by field, and an invoice Fusion paid marked in Procurify.

The Fusion pod is the one ``make dev`` starts (``planted_faults`` off: it knows CAD, as a real pod knows
the ISO currencies). The tests' default pod refuses a CAD order on the POST itself, a refusal no read before
the write can foresee, so a preview says ``create`` there and the run is refused (left out of these proofs).
Procurify's seeded vendors are paired by hand with the Fusion suppliers that have sites, as ``make dev``
pairs them, so the day's orders and bills of those vendors are sent and the others held on their vendor,
which the vendors flow refuses (no supplier of its name): a person pairs it. A vendor a pull pairs by name
is the last test's.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import closing
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from asset_runs import busy_day, today
from fusion_procurify_parts import paired_supplier
from fusion_procurify_proofs import usd_po
from fusion_procurify_world import (
    BUSINESS_UNIT,
    FUSION_SCALE,
    INTEGRATION,
    FusionProcurifyWorld,
    fusion_procurify_world,
)
from mapping_rows import own_ledger
from preview_proofs import (
    Previewed,
    equip_for_previews,
    forget_xref,
    previewed_writing_nothing,
    run_as_previewed,
)
from request_log import logged_simulators
from roots import ROOT

import connector_assets.integrations.fusion_procurify as package
from connector_assets.fusion.sandbox_operators import FusionApTeam
from connector_assets.fusion.suppliers import supplier_id_key as supplier_key
from connector_assets.integrations.fusion_procurify.sandbox import (
    active_vendor_ids,
    pair_seeded_vendors,
    suppliers_with_sites,
)
from connector_sandbox.fusion import FusionSandboxSettings

FALLBACK = "ap-no-email-in-fusion@example.com"
ACCOUNT_TABLE = ROOT / "mappings" / "sandbox" / "fusion_procurify_accounts.csv"


def _small_account_map(world: FusionProcurifyWorld, path: Path) -> Path:
    """The sandbox account table cut to the codes Procurify holds (every order and bill line names one of
    those) and two it does not (created): the account codes flow stays a few dozen records, not hundreds."""
    held = {str(code["code"]) for code in world.in_procurify("account_codes").values()}
    header, *rows = ACCOUNT_TABLE.read_text(encoding="utf-8").splitlines()
    new = [row for row in rows if row.split(",")[0] not in held][:2]
    kept = [row for row in rows if row.split(",")[0] in held]
    path.write_text("\n".join([header, *kept, *new]) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Iterator[FusionProcurifyWorld]:
    folder = tmp_path_factory.mktemp("preview_fusion_procurify")
    # The bills of the busy day are dated over the sandboxes' year of history: every month of it is Open.
    history = (date.fromisoformat(today()) - timedelta(days=366)).isoformat()
    pod = FusionSandboxSettings(
        scale=FUSION_SCALE,
        planted_faults=False,
        db_path=folder / "pod.sqlite",
        periods={"open_from": history},
    )
    with (
        pytest.MonkeyPatch.context() as env,
        logged_simulators() as logs,
        fusion_procurify_world(folder, fusion=pod) as made,
    ):
        env.setenv("ML_FUSION_PROCURIFY_VENDOR_FALLBACK_EMAIL", FALLBACK)
        own_ledger(env, folder)  # the small map imported on first use, by the previews and the runs alike
        env.setenv("ML_FUSION_PROCURIFY_ACCOUNT_MAP", str(_small_account_map(made, folder / "accounts.csv")))
        suppliers = suppliers_with_sites(made.fusion_url, BUSINESS_UNIT)
        assert pair_seeded_vendors(made.ledger, active_vendor_ids(made.resources["procurify"]), suppliers)
        made.pod = pod.db_path
        yield equip_for_previews(made, logs, package)


def _previewed(world: FusionProcurifyWorld, day: date, out: Path, flows: Sequence[str] = ()) -> Previewed:
    """A preview of ``flows`` (all by default) over ``day`` that sent no write and changed no ledger row."""
    return previewed_writing_nothing(world, INTEGRATION, day, day, out, flows=flows)


def _run_as_previewed(
    world: FusionProcurifyWorld, day: date, seen: Previewed, flows: Sequence[str] = ()
) -> dict[tuple[str, str], tuple[str, str]]:
    """The real run of what ``seen`` previewed over ``day``, which did what it said."""
    return run_as_previewed(world, INTEGRATION, day, day, seen, flows=flows)


def test_every_flow_of_the_busy_day_previews_writing_nothing_and_the_run_does_what_it_said(world, tmp_path):
    day = date.fromisoformat(busy_day())
    seen = _previewed(world, day, tmp_path / "fit")
    assert {flow.spec.name for flow in seen.flows} == {
        "account_codes",
        "suppliers",
        "vendors",
        "purchase_orders",
        "invoices",
        "payment_status",
    }
    verdicts = {(row.flow, row.verdict) for row in seen.rows}
    for flow in ("account_codes", "purchase_orders", "invoices"):
        assert (flow, "create") in verdicts, (flow, verdicts)
    # The suppliers the pairs name, found by them; a vendor no supplier is named after, refused; the orders
    # and bills of such a vendor, held on it.
    assert {("suppliers", "adopt"), ("vendors", "refuse")} <= verdicts, verdicts
    assert {("purchase_orders", "hold"), ("invoices", "hold")} <= verdicts, verdicts
    # Held only on a vendor its flow refused (shown under it: a person pairs it), none on one a pull clears.
    held = [r for r in seen.rows if r.flow in ("purchase_orders", "invoices") and r.verdict == "hold"]
    assert all(r.pull == "blocked" for r in held), [r for r in held if r.pull != "blocked"]
    assert not [r for r in seen.rows if r.kind.startswith("waits_for_record")], "a wait no flow clears"
    order = next(r for r in seen.rows if r.flow == "purchase_orders" and r.verdict == "create")
    assert json.loads(order.changes)["ProcurementBU"] == BUSINESS_UNIT  # the draft it would POST
    refused = next(r for r in seen.rows if r.flow == "vendors" and r.verdict == "refuse")
    assert f"ml-connector xref set {refused.source_key}" in refused.reason  # the words the run queues

    _run_as_previewed(world, day, seen)


def test_records_both_systems_hold_preview_as_adopted_the_same_ones_and_the_rest_unchanged(world, tmp_path):
    """The busy day again with two cross-references gone: the natural key finds each record (an order by
    its supplier, site, currency and lines; an invoice by its number and supplier, searched inside its
    create), the preview names it, and the run adopts that one; what the first run wrote is left alone."""
    day = date.fromisoformat(busy_day())
    flows = ["purchase_orders", "invoices"]
    created = {}
    for flow, entity in zip(flows, ("purchase_order", "invoice"), strict=True):
        key = sorted(k for k, target in world.xrefs(entity).items() if target)[0]
        created[(flow, key)] = forget_xref(world.ledger, INTEGRATION, entity, key)[1]
    seen = _previewed(world, day, tmp_path / "fit", flows)
    verdicts = seen.verdicts()
    for (flow, key), target_id in created.items():
        adopted = verdicts[(flow, key)]
        assert (adopted.verdict, adopted.target_id) == ("adopt", target_id), adopted
        assert adopted.matched_by, "the natural key that matched is named"
    assert {r.verdict for r in seen.rows if (r.flow, r.source_key) not in created} >= {"unchanged"}
    real = _run_as_previewed(world, day, seen, flows)
    assert {key: real[key] for key in created} == {key: ("adopt", t) for key, t in created.items()}


def _rename_supplier(world: FusionProcurifyWorld, supplier_id: str, name: str) -> None:
    """A Fusion supplier administrator renames a supplier now (the pod's own database, as no REST route
    of our reference changes a supplier)."""
    now = int(datetime.now(UTC).timestamp() * 1000)
    with closing(sqlite3.connect(world.pod)) as pod, pod:
        changed = pod.execute(
            'UPDATE supplier SET "Supplier" = ?, "LastUpdateDate" = ? WHERE "SupplierId" = ?',
            (name, now, int(supplier_id)),
        ).rowcount
    assert changed == 1


def test_a_new_supplier_is_created_then_its_rename_previews_field_by_field_as_the_run_updates(
    world, tmp_path
):
    day = date.fromisoformat(today())
    [new] = world.fusion_activity(new_suppliers=1)["created"]["suppliers"]
    seen = _previewed(world, day, tmp_path / "new", ["suppliers"])
    made = seen.verdicts()[("suppliers", str(new))]
    assert made.verdict == "create" and json.loads(made.changes)["email"] == [FALLBACK], made
    real = _run_as_previewed(world, day, seen, ["suppliers"])
    vendor_id = real[("suppliers", str(new))][1]
    old = world.procurify_record("vendors", vendor_id)["api"]["name"]

    _rename_supplier(world, str(new), f"{old} Holdings")
    seen = _previewed(world, day, tmp_path / "renamed", ["suppliers"])
    renamed = seen.verdicts()[("suppliers", str(new))]
    assert (renamed.verdict, renamed.target_id) == ("update", vendor_id), renamed
    assert json.loads(renamed.changes) == {"name": [old, f"{old} Holdings"]}  # theirs -> ours
    _run_as_previewed(world, day, seen, ["suppliers"])
    assert world.procurify_record("vendors", vendor_id)["api"]["name"] == f"{old} Holdings"


def test_a_bill_of_a_sent_order_previews_as_its_invoice_and_once_paid_as_the_mark_the_run_makes(
    world, tmp_path
):
    """Today the order the busy day sent is received and billed, approved: the preview says the invoice
    Fusion gets, the run creates it; Fusion's AP team pays it, the preview says the bill is marked paid,
    the run marks it."""
    day = date.fromisoformat(today())
    order = sorted(key for key, target in world.xrefs("purchase_order").items() if target)[0]
    world.receive(int(order.removeprefix("PO")))
    bill = world.enter_bill(int(order.removeprefix("PO")), status=2)["bill_uuid"]
    seen = _previewed(world, day, tmp_path / "billed", ["invoices"])
    invoice = seen.verdicts()[("invoices", bill)]
    assert invoice.verdict == "create", invoice
    assert json.loads(invoice.changes)["invoiceLines"], "the lines it would POST"
    real = _run_as_previewed(world, day, seen, ["invoices"])
    invoice_id = real[("invoices", bill)][1]

    assert FusionApTeam(world.fusion_url).pay([invoice_id]) == {"paid_in_full": 1, "paid_partly": 0}
    seen = _previewed(world, day, tmp_path / "paid", ["payment_status"])
    mark = seen.verdicts()[("payment_status", invoice_id)]
    assert mark.verdict == "create", mark
    _run_as_previewed(world, day, seen, ["payment_status"])
    assert world.procurify_record("bills", bill)["api"]["status"] == 4  # paid


def test_an_order_of_a_vendor_no_poll_paired_previews_the_vendor_pulled_and_the_order_sent(world, tmp_path):
    """Today a buyer purchases from a vendor whose pairs are gone (the match by hand and the suppliers
    flow's) and which is now named as its Fusion supplier, before any vendors poll: the preview shows the
    vendor paired by name by the orders' write step (its own row, a pulled parent) and the order sent after
    it, no order waiting for a vendor the source has; the run does what it said."""
    day = date.fromisoformat(today())
    po = usd_po(world)["po"]
    vendor, key = str(po["pref_vendor"]["id"]), f"PO{po['procurify_PO']}"
    supplier_id = paired_supplier(world.ledger, vendor)
    assert supplier_id, f"vendor {vendor} is paired (make dev's pairs)"
    forget_xref(world.ledger, INTEGRATION, "vendor", vendor)  # the match entered by hand
    forget_xref(world.ledger, INTEGRATION, "supplier", supplier_key(supplier_id))  # the suppliers flow's
    assert paired_supplier(world.ledger, vendor) is None, vendor
    supplier = world.fusion_record("suppliers", supplier_id)
    assert supplier is not None
    with world.resources["procurify"].session() as session:  # the vendor is named as Fusion names it
        session.update_vendor(int(vendor), {"name": supplier["Supplier"]})
    seen = _previewed(world, day, tmp_path / "pulled", ["purchase_orders"])
    verdicts = seen.verdicts()
    pulled = verdicts[("vendors", vendor)]
    assert pulled.pull == "parent" and pulled.verdict in ("create", "adopt"), pulled
    order = verdicts[("purchase_orders", key)]
    assert (order.pull, order.verdict) == ("child", "create"), order
    assert not [r for r in seen.rows if r.kind.startswith("waits_for_record")], "a wait no flow clears"
    real = _run_as_previewed(world, day, seen, ["purchase_orders"])
    assert real[("purchase_orders", key)][0] == "create"
    assert paired_supplier(world.ledger, vendor) == str(supplier_id)
