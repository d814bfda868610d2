"""JD Edwards -> Coupa reconciliation end to end: both simulators, the real clients, Dagster, the ledger.

One JDE day (the JDE sandbox's busy day) is synced once through the three flows, with Coupa's clock on that
day so what the flows write is stamped then, as a sync running on its day would be; Coupa's own seeded
history ends long before, so the day's Coupa window holds only what JDE explains and what the test makes.
The reconciliation is clean (queued records counted as expected gaps, not differences); then a Coupa user
changes records behind the connector's back (a supplier renamed, another set inactive, an order line's
price, an order cancelled, an invoice line's amount, an invoice voided, a supplier, an order and an invoice
created directly) and one reconciliation names each of them, with the record in both systems and both
values; a supplier renamed while the flow's queue holds its refused update is one expected gap instead.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import pytest
from asset_runs import materialized, named
from dagster import materialize
from instances import instance_for_test
from jde_coupa_parts import (
    ACCOUNTS,
    SUPPLIERS_FLOW,
    jde_coupa_assets,
    jde_coupa_invoice_assets,
    jde_coupa_po_assets,
    jde_coupa_reconciliation,
)
from jde_coupa_world import jde_coupa_world
from mapping_rows import own_ledger
from reconcile_rows import difference_rows, sentences_name_both
from sandbox_hands import set_coupa_clock

from connector_assets.flows.reconciliation import money
from connector_assets.integrations.jde_coupa.purchase_orders import po_number
from connector_assets.integrations.jde_coupa.reconcile.orders import jde_state
from connector_assets.jde.assets import jde_assets
from connector_assets.jde.documents import purchase_orders_by_number
from connector_assets.jde.extract import jde_timezone
from connector_assets.jde.lookup import browse_in
from connector_assets.jde.tables import AP_LEDGER
from connector_assets.jde.tables import SUPPLIERS as SUPPLIERS_TABLE
from connector_resources.coupa import ALL_SCOPES

pytestmark = pytest.mark.timeout(900)  # whole days run and reconciled: load 15 too

DAY = (date.today() - timedelta(days=21)).isoformat()  # the JDE sandbox's busy day
TABLES = ("jde_coupa/payment_terms_map", "jde_coupa/account_map")
SOURCES = ("jde/suppliers", "jde/address_book", "jde/po_headers", "jde/po_lines", "jde/ap_ledger")
SUPPLIERS = ("jde_coupa/suppliers_mapped", "jde_coupa/suppliers_written")
DOCUMENTS = (
    "jde_coupa/purchase_orders_mapped",
    "jde_coupa/purchase_orders_written",
    "jde_coupa/invoices_mapped",
    "jde_coupa/invoices_written",
)
EVERY = [*jde_assets, *jde_coupa_assets, *jde_coupa_po_assets, *jde_coupa_invoice_assets]


def text(value: Any) -> str:
    return str(value or "").strip()


def _run(resources: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    return materialized(named(names, EVERY), resources, partition_key=DAY)


def _reconcile(resources: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    with instance_for_test() as instance:
        result = materialize(
            [jde_coupa_reconciliation], resources=resources, instance=instance, partition_key=DAY
        )
    assert result.success
    [check] = result.get_asset_check_evaluations()
    [event] = result.get_asset_materialization_events()
    return check, {k: getattr(v, "value", v) for k, v in event.materialization.metadata.items()}


def _refusing_one_account(world: Any, folder: Any) -> str:
    """A mapping table without the account of the day's first voucher distributed in F0911: the vouchers
    (and orders) charged to it are refused into the retry queue, as an unmapped account is. The account."""
    unmatched = sorted(
        {
            int(r["DOC"])
            for r in world.resources["staging"].read_rows(AP_LEDGER.asset, DAY)
            if not text(r["PO"])
        }
    )
    with world.resources["jde"].session() as jde:
        rows = list(browse_in(jde, "F0911", "DOC", unmatched, ["DOC", "ANI", "LT", "JELN"]))
    missing = min(text(r["ANI"]) for r in rows if text(r["LT"]) == "AA")
    table = folder / "accounts.csv"
    kept = {k: v for k, v in ACCOUNTS.read().items() if k != missing}
    table.write_text("jde_account,coupa_account_code\n" + "".join(f"{k},{v}\n" for k, v in kept.items()))
    return str(table), missing


@pytest.fixture(scope="module")
def synced(tmp_path_factory):
    """The busy day synced with one account unmapped, reconciled twice: after the first pass (the documents
    waiting for a supplier of another day held), then after the suppliers they wait for are read by number
    and the released documents written (a clean sync: only the documents charged to the unmapped account
    are left, in the retry queue)."""
    folder = tmp_path_factory.mktemp("jde_coupa_reconcile")
    anchor = date.today() - timedelta(days=400)  # Coupa's seeded history ends long before the day
    with (
        jde_coupa_world(folder, jde_scale=0.05, coupa_anchor=anchor) as world,
        pytest.MonkeyPatch.context() as patch,
    ):
        noon = datetime.combine(date.fromisoformat(DAY), time(12), tzinfo=jde_timezone()).astimezone(UTC)
        set_coupa_clock(world.coupa_url, noon)
        _run(world.resources, SOURCES)
        table, missing = _refusing_one_account(world, folder)
        own_ledger(patch, folder)  # a deployment whose table is imported from that file
        patch.setenv("ML_JDE_COUPA_ACCOUNT_MAP", table)
        patch.setenv("ML_PARENT_PULL_LIMIT", "0")  # held documents are the gaps judged here: none pulled
        _run(world.resources, (*TABLES, *SUPPLIERS, *DOCUMENTS))
        held = world.ledger.open_items(integration="jde_coupa", status="held", limit=10_000)
        first = _reconcile(world.resources)
        _run(world.resources, (*SUPPLIERS, *DOCUMENTS))  # the awaited suppliers, then the released documents
        yield world, missing, (held, first), _reconcile(world.resources)


def test_held_and_queued_records_are_expected_gaps_with_the_queues_reason(synced):
    _world, missing, (held, (check, meta)), _clean = synced
    assert check.passed and meta["differences"] == 0, meta["difference_table"]
    assert held and meta["expected_held_for_another_record"] == len(held)
    assert meta["expected_in_the_retry_queue"] > 0
    assert "waits for jde_coupa:supplier:JDE:" in meta["expected_table"]
    assert f"account {missing} has no Coupa account in the mapping table" in meta["expected_table"]


def test_a_clean_sync_reconciles_with_no_difference_and_queued_records_are_expected_gaps(synced):
    world, missing, _first, (check, meta) = synced
    assert check.passed, check.description
    assert meta["differences"] == 0 and meta["difference_table"] == "No differences.", meta[
        "difference_table"
    ]
    queued = world.ledger.open_items(integration="jde_coupa", limit=10_000)
    refused = [i for i in queued if i.status == "failed"]
    assert refused and all(f"account {missing}" in i.reason for i in refused)
    # Each queued record of the day is counted apart with the queue's reason, never as a difference.
    assert meta["expected_in_the_retry_queue"] == len(refused) == meta["expected_gaps"] == len(queued)
    compared = meta["records_compared"]
    assert compared > 50 and meta["coupa_api_calls"] * 4 < compared, meta  # batched: 49 keys a call
    # Per supplier, what each side holds summarises the day (a queued voucher leaves its supplier short).
    assert (
        "| Supplier | JDE vouchers | JDE gross | Coupa invoices | Coupa total |"
        in meta["invoices_per_supplier"]
    )
    # Coupa's side of the day was read from Coupa: the suppliers the flow wrote for other days' documents
    # are in its window, and JDE explains them.
    assert meta["coupa_suppliers_in_window"] > 0


def _open_orders(world: Any, written: dict[str, str | None], coupa: Any) -> list[tuple[str, dict]]:
    """The Coupa purchase orders the flow wrote whose JDE order is open (a line neither cancelled nor
    closed), by PO number: those a Coupa cancellation makes differ."""
    numbers = {key: target for key, target in written.items() if target}
    jde_orders = purchase_orders_by_number(world.resources["jde"], {int(k.split("-")[1]) for k in numbers})
    open_ones = {po_number(o.header) for o in jde_orders if o.header and jde_state(o.lines) == "open"}
    chosen = sorted(k for k in numbers if k in open_ones)
    return [(key, coupa.get("purchase_orders", numbers[key])) for key in chosen]


@pytest.fixture(scope="module")
def planted(synced):
    """A Coupa user's changes behind the connector's back, each kept with its record and both values, then
    one reconciliation."""
    world = synced[0]
    written = {entity: world.xrefs(entity, "coupa") for entity in ("supplier", "purchase order", "invoice")}
    staged = world.resources["staging"].read_rows(SUPPLIERS_TABLE.asset, DAY)
    day_suppliers = sorted(
        {str(int(r["AN8"])) for r in staged if written["supplier"].get(str(int(r["AN8"])))}
    )
    renamed, inactive, other, refused = day_suppliers[:4]
    plants: dict[str, Any] = {}
    with world.resources["coupa"].session(scopes=ALL_SCOPES) as coupa:
        supplier = coupa.get("suppliers", written["supplier"][renamed])
        coupa.update_supplier(supplier["id"], {"name": "Renamed In Coupa Ltd"})
        plants["name"] = (renamed, supplier["id"], supplier["name"])
        # Another supplier whose update Coupa refused: the suppliers flow's retry queue holds it (as the
        # flow's write step queues a refused update, under its key) while Coupa keeps another name.
        coupa.update_supplier(written["supplier"][refused], {"name": "Kept By Coupa Ltd"})
        item = world.ledger.enqueue(
            integration="jde_coupa", flow=SUPPLIERS_FLOW.name, entity=SUPPLIERS_FLOW.entity,
            source_key=refused, payload={}, reason="Coupa refused the update: supplier locked for edits",
        )  # fmt: skip
        plants["queued update"] = (refused, item.reason)
        coupa.update_supplier(written["supplier"][inactive], {"status": "inactive"})
        plants["supplier status"] = (inactive, written["supplier"][inactive])

        (priced, order), (cancelled, gone) = _open_orders(world, written["purchase order"], coupa)[:2]
        line = order["order-lines"][0]
        was = Decimal(str(line["price"]))
        coupa.update_purchase_order(order["id"], {"order-lines": [{"id": line["id"], "price": was + 100}]})
        kind = "line price" if line.get("quantity") else "line amount"
        plants["order line"] = (priced, order["id"], kind, line["line-num"], was, was + 100)
        coupa.purchase_order_action(gone["id"], "cancel")
        plants["order status"] = (cancelled, gone["id"])

        (amended, invoice_id), (voided, void_id) = sorted((k, v) for k, v in written["invoice"].items() if v)[
            :2
        ]
        line = coupa.get("invoices", invoice_id)["invoice-lines"][0]
        was = Decimal(str(line["price"]))
        coupa.update_invoice(invoice_id, {"invoice-lines": [{"id": line["id"], "price": was + 50}]})
        plants["invoice line"] = (amended, invoice_id, line["line-num"], was, was + 50)
        coupa.invoice_action(void_id, "void")
        plants["invoice status"] = (voided, void_id)

        code = order["order-lines"][0]["account"]["code"]
        made = coupa.create_supplier({"name": "Only In Coupa GmbH", "number": "88000001"})
        po = coupa.create_purchase_order(
            {
                "po-number": "DIRECT-PO-1",
                "supplier": {"number": other},
                "currency": {"code": "USD"},
                "order-lines": [
                    {"line-num": 1, "description": "Bought in Coupa", "quantity": "2", "price": "7.50",
                     "account": {"code": code}}
                ],
            }
        )  # fmt: skip
        invoice = coupa.create_invoice(
            {
                "invoice-number": "DIRECT-INV-1",
                "supplier": {"number": other},
                "invoice-date": date.fromisoformat(DAY),
                "currency": {"code": "USD"},
                "invoice-lines": [
                    {"description": "Billed in Coupa", "price": "12.34", "quantity": "1",
                     "account": {"code": code}}
                ],
            }
        )  # fmt: skip
        plants["only in Coupa"] = {
            f"supplier {made['id']}",
            f"purchase order {po['id']}",
            f"invoice {invoice['id']}",
        }
    return world, plants, _reconcile(world.resources)


def _named(found: set[tuple], kind: str, record: str, counterpart: str, field: str, jde: str, coupa: str):
    """The difference of ``kind`` whose JDE record starts ``record`` (a name may follow), with the Coupa
    record, the field and both values."""
    return [
        f
        for f in found
        if f[0] == kind and f[1].startswith(record) and f[2:] == (counterpart, field, jde, coupa)
    ]


def test_each_difference_planted_in_coupa_is_named_by_record_with_both_values(planted):
    world, plants, (check, meta) = planted
    assert not check.passed
    differences = [r for r in difference_rows(meta) if not r["kind"].startswith("expected")]
    found = {
        (r["kind"], r["JDE record"], r["Coupa record"], r["field"], r["JDE"], r["Coupa"]) for r in differences
    }

    an8, coupa_id, name = plants["name"]
    assert _named(found, "name", f"supplier {an8} ", f"supplier {coupa_id}", "name", f"'{name}'",
                  "'Renamed In Coupa Ltd'")  # fmt: skip
    an8, coupa_id = plants["supplier status"]
    assert _named(
        found, "status", f"supplier {an8} ", f"supplier {coupa_id}", "status", "'active'", "'inactive'"
    )
    key, coupa_id, kind, _line, was, now = plants["order line"]
    assert _named(
        found, kind, f"purchase order {key}", f"purchase order {coupa_id}", "price", money(was), money(now)
    )
    key, coupa_id = plants["order status"]
    assert _named(
        found, "status", f"purchase order {key}", f"purchase order {coupa_id}", "status", "open", "cancelled"
    )
    key, coupa_id, _line, was, now = plants["invoice line"]
    assert _named(
        found, "line amount", f"voucher {key}", f"invoice {coupa_id}", "price", money(was), money(now)
    )
    key, coupa_id = plants["invoice status"]
    assert [f for f in found if f[0] == "status" and f[1].startswith(f"voucher {key}") and f[5] == "voided"]
    assert {f[2] for f in found if f[0] == "only in Coupa"} == plants["only in Coupa"], found
    # Nothing else: the rest of the day still agrees, and the queued records are still expected gaps.
    assert len(differences) == 9 == meta["differences"], found
    assert meta["status"] == 3 and meta["only_in_coupa"] == 3
    assert meta["expected_gaps"] == len(world.ledger.open_items(integration="jde_coupa", limit=10_000)) > 0
    for kind in ("name", "status", "only in Coupa"):
        assert f"**{kind}**" in meta["difference_table"]
    assert "Renamed In Coupa Ltd" in check.description
    sentences_name_both(differences, "JDE", "Coupa")


def test_a_field_difference_on_a_record_whose_update_is_queued_is_one_expected_gap(planted):
    _world, plants, (_check, meta) = planted
    an8, reason = plants["queued update"]
    rows = difference_rows(meta)
    assert not [
        r
        for r in rows
        if not r["kind"].startswith("expected") and r["JDE record"].startswith(f"supplier {an8} ")
    ]
    [gap] = [
        r for r in rows if r["kind"].startswith("expected") and r["JDE record"].startswith(f"supplier {an8} ")
    ]
    assert gap["kind"] == "expected: in the retry queue" and gap["words"] == reason
    assert gap["JDE record"].endswith(" (name differs)")
    # The renamed supplier nobody queued is still a difference, with both values (the first test).
    assert meta["name"] == 1
