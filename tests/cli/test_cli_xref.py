"""``ml-connector xref set / list / delete`` against the Fusion pod and Procurify simulators on free ports:
the CLI is pointed at them by the same environment variables an operator sets (``ML_FUSION_URL``,
``ML_PROCURIFY_URL``, ``ML_CONNECTOR_DB_URL``)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from fusion_procurify_parts import paired_supplier, paired_vendor, vendor_dependency
from fusion_procurify_world import (  # noqa: F401  (fixtures are used by name)
    INTEGRATION,
    FusionProcurifyWorld,
    module_suppliers,
    module_vendors,
    module_world,
)

from connector_cli.main import cli


@pytest.fixture
def xref(world: FusionProcurifyWorld, monkeypatch):
    """``ml-connector xref ...`` as an operator runs it, pointed at the world's simulators and ledger."""
    monkeypatch.setenv("ML_FUSION_URL", world.fusion_url)
    monkeypatch.setenv("ML_FUSION_TOKEN_URL", f"{world.fusion_url}/oauth2/v1/token")
    monkeypatch.setenv("ML_PROCURIFY_URL", world.procurify_url)
    monkeypatch.setenv("ML_CONNECTOR_DB_URL", world.db)
    monkeypatch.setenv("USER", "ana")

    def run(*args: str, ok: bool = True) -> str:
        """``xref <args>``; ``set`` and ``delete`` name the Fusion pairing and give a note unless told."""
        more: list[str] = []
        if args[0] in ("set", "delete"):
            more += [] if "--integration" in args else ["--integration", INTEGRATION]
            more += [] if "--note" in args else ["--note", f"{args[0]} by the test"]
        result = CliRunner().invoke(cli, ["xref", *args, *more])
        assert (result.exit_code == 0) == ok, result.output
        return result.output

    return run


def test_set_list_delete_by_supplier_number(world, xref, suppliers, vendors) -> None:
    supplier, vendor = suppliers[0], vendors[0]
    sid, number = str(supplier["SupplierId"]), str(supplier["SupplierNumber"])

    said = xref("set", vendor, number, "--note", "same tax id")
    assert f"SupplierId {sid}" in said and supplier["Supplier"] in said and "entered by ana" in said
    assert paired_supplier(world.ledger, vendor) == sid and paired_vendor(world.ledger, sid) == vendor
    assert "nothing changed" in xref("set", vendor, number, "--note", "same tax id")

    rows = [json.loads(line) for line in xref("list", "--json").splitlines()]
    mine = next(r for r in rows if r["source_key"] == vendor)
    assert (mine["target_id"], mine["entered_by"], mine["note"], mine["integration"]) == (
        sid,
        "ana",
        "same tax id",
        INTEGRATION,
    )
    assert mine["updated_at"]
    assert f"procurify {vendor} -> fusion {sid}  entered by ana" in xref("list")

    deleted = xref("delete", vendor, "--by", "bo", "--note", "wrong supplier after all")
    assert f"procurify {vendor} -> fusion {sid}" in deleted
    assert paired_supplier(world.ledger, vendor) is None
    assert vendor not in {r["source_key"] for r in map(json.loads, xref("list", "--json").splitlines())}
    assert "no manual match" in xref("delete", vendor, ok=False)
    trail = [(e.flow, e.action, e.reason) for e in world.ledger.history(vendor) if e.flow == "manual_matches"]
    assert len(trail) == 2 and "entered by ana" in trail[0][2] and "deleted by bo" in trail[1][2]
    acted = [
        (a.actor, a.role, a.action, a.note)
        for a in world.ledger.operator_actions(limit=1000)
        if a.source_key == vendor and a.action in ("match", "unmatch")
    ]
    assert acted == [
        ("bo", "operator", "unmatch", "wrong supplier after all"),
        ("ana", "operator", "match", "same tax id"),
    ]


def test_set_by_supplier_id(world, xref, suppliers, vendors) -> None:
    supplier, vendor = suppliers[1], vendors[1]
    sid = str(supplier["SupplierId"])
    assert f"SupplierId {sid}" in xref("set", vendor, f"id:{sid}")
    assert paired_supplier(world.ledger, vendor) == sid
    xref("delete", vendor)
    assert f"SupplierId {sid}" in xref("set", vendor, sid)  # unprefixed: number first, else the id
    assert paired_supplier(world.ledger, vendor) == sid


def test_unknown_vendor_or_supplier_is_refused_and_nothing_stored(world, xref, suppliers, vendors) -> None:
    vendor, number = vendors[2], str(suppliers[2]["SupplierNumber"])
    missing_vendor = str(int(vendors[-1]) + 1000)
    assert f"Procurify has no vendor with id {missing_vendor}" in xref(
        "set", missing_vendor, number, ok=False
    )
    assert "Fusion has no supplier with SupplierNumber or SupplierId 999999999" in xref(
        "set", vendor, "999999999", ok=False
    )
    assert "not a number" in xref("set", "V-1", number, ok=False)
    refused = xref("set", vendor, number, "--integration", "nosuch", ok=False)
    assert "nosuch names no pairing" in refused and "--integration jde_coupa --entity supplier" in refused
    unsaid = CliRunner().invoke(cli, ["xref", "set", vendor, number, "--integration", INTEGRATION])
    assert unsaid.exit_code == 2 and "Missing option '--note'" in unsaid.output
    assert (
        paired_supplier(world.ledger, vendor) is None
        and paired_supplier(world.ledger, missing_vendor) is None
    )


def test_a_flows_pair_is_refused_naming_it_unless_replace(world, xref, suppliers, vendors) -> None:
    vendor, other_vendor = vendors[3], vendors[4]
    first, second = suppliers[3], suppliers[4]
    first_id, second_id = str(first["SupplierId"]), str(second["SupplierId"])
    # The vendors flow paired the vendor with the first supplier (by name), and the suppliers flow the
    # second supplier with another vendor.
    world.ledger.record_target(INTEGRATION, "vendor", "procurify", vendor, "fusion", first_id, "h")
    world.ledger.record_target(INTEGRATION, "supplier", "fusion", second_id, "procurify", other_vendor, "h")

    refused = xref("set", vendor, str(second["SupplierNumber"]), ok=False)
    assert f"Procurify vendor {vendor} is paired with Fusion supplier {first_id}" in refused
    assert "vendors flow" in refused and "--replace" in refused
    assert f"Fusion supplier {second_id} is paired with Procurify vendor {other_vendor}" in refused
    assert paired_supplier(world.ledger, vendor) == first_id  # nothing changed

    # The suppliers flow's vendor of the second supplier would stay a second active vendor: refused
    # even with --replace, naming both vendors, until it is inactive in Procurify.
    refused = xref("set", vendor, str(second["SupplierNumber"]), "--replace", ok=False)
    assert f"paired Procurify vendor {other_vendor} (" in refused and f"({vendor})" in refused
    assert f"Deactivate vendor {other_vendor}" in refused
    assert paired_supplier(world.ledger, vendor) == first_id  # nothing changed
    with world.resources["procurify"].session() as session:
        session.update_vendor(int(other_vendor), {"active": False})

    said = xref("set", vendor, str(second["SupplierNumber"]), "--replace")
    assert said.count("replaced:") == 2 and f"vendor {other_vendor} (" in said and "left inactive" in said
    assert paired_supplier(world.ledger, vendor) == second_id
    assert paired_vendor(world.ledger, second_id) == vendor
    assert paired_supplier(world.ledger, other_vendor) is None  # its pair was forgotten, audited
    forgotten = [
        e for e in world.ledger.history(second_id) if e.flow == "manual_matches" and e.source_id == second_id
    ]
    assert forgotten and "pair forgotten" in forgotten[0].reason
    assert paired_vendor(world.ledger, first_id) is None

    # A person's match is a pair too: another person replacing it must say so.
    third = suppliers[5]
    refused = xref("set", vendor, str(third["SupplierNumber"]), "--by", "bo", ok=False)
    assert "matched by hand by ana" in refused


def test_setting_a_match_releases_the_vendors_held_records(world, xref, suppliers, vendors) -> None:
    vendor, supplier = vendors[6], suppliers[6]
    held = world.ledger.enqueue(
        integration=INTEGRATION,
        flow="purchase_orders",
        entity="purchase_order",
        source_key="PO990001",
        payload={"po": 990001},
        reason=f"Procurify vendor {vendor} has no Fusion supplier yet",
        status="held",
        depends_on=vendor_dependency(vendor),
    )
    said = xref("set", vendor, str(supplier["SupplierNumber"]))
    assert "released 1 held record(s)" in said
    [item] = world.ledger.queue_for("PO990001")
    assert item.id == held.id and item.status == "failed" and item.next_attempt_at is not None
    assert "matched by hand" in item.reason
    releases = [e for e in world.ledger.history("PO990001") if e.action == "release"]
    assert releases and releases[0].flow == "purchase_orders"


def test_without_integration_set_names_the_integrations_or_takes_the_only_one(
    world, xref, suppliers, vendors, monkeypatch
) -> None:
    """``xref set`` without ``--integration``: with several pairings it says --integration is needed and
    lists the integrations that fit (never "None names several pairings"); when the deployment has one
    pairing, that one is taken."""
    vendor, number = vendors[8], str(suppliers[8]["SupplierNumber"])
    unsaid = CliRunner().invoke(cli, ["xref", "set", vendor, number, "--note", "same tax id"])
    assert unsaid.exit_code == 1 and "None" not in unsaid.output.split("Pairings:")[0]
    assert "--integration is needed: several pairings exist (coupa_jde, fusion_procurify, jde_bill," in (
        unsaid.output
    )
    by_entity = CliRunner().invoke(
        cli, ["xref", "set", vendor, number, "--entity", "supplier", "--note", "x"]
    )
    assert (
        "--integration is needed: --entity supplier is paired by several integrations "
        "(coupa_jde, jde_coupa, jde_procurify)" in by_entity.output
    )
    nowhere = CliRunner().invoke(cli, ["xref", "set", vendor, number, "--entity", "invoice", "--note", "x"])
    assert "no integration pairs --entity invoice by hand" in nowhere.output
    assert paired_supplier(world.ledger, vendor) is None

    monkeypatch.setenv("ML_INTEGRATIONS", INTEGRATION)  # a deployment of one integration: one pairing
    inferred = CliRunner().invoke(cli, ["xref", "set", vendor, number, "--note", "same tax id"])
    assert inferred.exit_code == 0, inferred.output
    assert paired_supplier(world.ledger, vendor) == str(suppliers[8]["SupplierId"])
