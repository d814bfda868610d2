"""The manual matches file (``ML_FUSION_PROCURIFY_VENDOR_XREF``) loaded by the asset
``fusion_procurify/manual_matches`` on the Fusion pod and Procurify simulators: rows checked against both
systems, stored as manual ``vendor`` matches through the CLI's path, held records released, a rerun
changing nothing, a person's match winning over the file, and a wrong file storing nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from dagster import DagsterInstance
from fusion_procurify_parts import MATCHES, paired_supplier, vendor_dependency
from fusion_procurify_world import (  # noqa: F401  (fixtures are used by name)
    INTEGRATION,
    FusionProcurifyWorld,
    fusion_procurify_world,
    module_suppliers,
    module_vendors,
    run_assets,
)
from ledger_entries import held_on

from connector_assets.fusion.suppliers import FusionSupplier
from connector_assets.procurify.vendor_matches import MatchRefused

ASSET, FILE_ENTERED_BY, FILE_SETTING = MATCHES.asset, MATCHES.file.entered_by, MATCHES.file_setting
read_match_file, set_vendor_match = MATCHES.file.read, MATCHES.set_match


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Iterator[FusionProcurifyWorld]:
    with fusion_procurify_world(tmp_path_factory.mktemp("manual_matches")) as w:
        w.instance = DagsterInstance.ephemeral()  # one instance for the module's runs: seconds each saved
        yield w


def write(tmp_path: Path, monkeypatch, *lines: str) -> Path:
    path = tmp_path / "vendor_xref.csv"
    path.write_text(
        "\n".join(["procurify_vendor_id,fusion_supplier_number", *lines]) + "\n", encoding="utf-8"
    )
    monkeypatch.setenv(FILE_SETTING, str(path))
    return path


def load(world: FusionProcurifyWorld, ok: bool = True) -> Any:
    return run_assets(world.resources, (ASSET,), None, ok=ok, instance=world.instance)


def metadata(world: FusionProcurifyWorld) -> dict[str, Any]:
    return world.run_whole(ASSET)[ASSET]


def test_no_file_stores_nothing(world, monkeypatch) -> None:
    monkeypatch.delenv(FILE_SETTING, raising=False)
    assert metadata(world)["rows"] == 0
    assert world.ledger.manual_matches(INTEGRATION, "vendor") == []


def test_rows_are_stored_as_manual_matches_and_release_held_records(
    world, tmp_path, monkeypatch, suppliers, vendors
) -> None:
    (v1, v2), (s1, s2) = vendors[0:2], suppliers[0:2]
    waits = f"Procurify vendor {v1} has no Fusion supplier yet"
    held_on(
        world.ledger, (INTEGRATION, "invoices", "invoice"), "bill-held-on-v1", vendor_dependency(v1), waits
    )
    write(tmp_path, monkeypatch, f"{v1},{s1['SupplierNumber']}", "", f"0{v2},{s2['SupplierNumber']}")

    first = metadata(world)
    assert (first["rows"], first["stored"], first["unchanged"], first["refused"], first["released"]) == (
        2,
        2,
        0,
        0,
        1,
    )
    assert paired_supplier(world.ledger, v1) == str(s1["SupplierId"])
    assert paired_supplier(world.ledger, v2) == str(s2["SupplierId"])
    stored = {x.source_key: x for x in world.ledger.manual_matches(INTEGRATION, "vendor")}
    assert stored[v1].entered_by == FILE_ENTERED_BY and stored[v2].note == "vendor_xref.csv line 4"
    [held] = world.ledger.queue_for("bill-held-on-v1")
    assert held.status == "failed" and FILE_ENTERED_BY in held.reason

    events = len(world.ledger.history(v1))
    again = metadata(world)
    assert (again["stored"], again["unchanged"], again["released"]) == (0, 2, 0)
    assert len(world.ledger.history(v1)) == events  # a rerun of the same file leaves the trail alone


def test_a_persons_match_wins_over_the_file_and_a_flows_pair_does_not(
    world, tmp_path, monkeypatch, suppliers, vendors
) -> None:
    (v3, v4), (s3, s4, s5) = vendors[2:4], suppliers[2:5]
    person = FusionSupplier(str(s3["SupplierId"]), str(s3["SupplierNumber"]), str(s3["Supplier"]))
    set_vendor_match(world.ledger, v3, person, entered_by="ana", note="checked the tax id")
    world.ledger.record_target(INTEGRATION, "vendor", "procurify", v4, "fusion", str(s4["SupplierId"]), "h")
    write(tmp_path, monkeypatch, f"{v3},{s5['SupplierNumber']}", f"{v4},{s3['SupplierNumber']}")

    result = metadata(world)
    assert (result["stored"], result["refused"]) == (0, 2)
    assert "matched by hand by ana" in result["refusals"] and "line 2" in result["refusals"]
    assert paired_supplier(world.ledger, v3) == person.supplier_id  # the person's match stands
    assert paired_supplier(world.ledger, v4) == str(s4["SupplierId"])

    write(tmp_path, monkeypatch, f"{v4},{s5['SupplierNumber']}")  # only a flow's pair in the way
    result = metadata(world)
    assert (result["stored"], result["refused"]) == (1, 0)
    assert paired_supplier(world.ledger, v4) == str(s5["SupplierId"])


@pytest.mark.parametrize(
    ("rows", "says"),
    [
        (["12a,1001"], "line 2: procurify_vendor_id '12a' must be digits"),
        (["5,1001", "", "7,"], "line 4: fusion_supplier_number '' must be digits"),
        (["5,1001", "05,1002"], "line 3: Procurify vendor 5 is already matched on line 2"),
        (["5,1001", "6,1001"], "line 3: Fusion supplier number 1001 is already matched on line 2"),
    ],
)
def test_the_file_is_checked_line_by_line(tmp_path, monkeypatch, rows, says) -> None:
    path = write(tmp_path, monkeypatch, *rows)
    with pytest.raises(ValueError) as refused:
        read_match_file(path)
    assert str(refused.value) == f"{path} {says}"
    path.write_text("vendor,supplier\n5,1001\n", encoding="utf-8")
    with pytest.raises(ValueError, match="missing column"):
        read_match_file(path)


@pytest.mark.parametrize(
    ("rows", "says"),
    [
        (["{v},{n}", "{w},999999999"], "line 3: Fusion has no supplier with SupplierNumber 999999999"),
        (["{v},{n}", "99999999,{m}"], "line 3: Procurify has no vendor with id 99999999"),
        (["{v},{n}", "{v},{m}"], "line 3: Procurify vendor {v} is already matched on line 2"),
    ],
)
def test_a_wrong_file_fails_naming_the_line_and_stores_nothing(
    world, tmp_path, monkeypatch, suppliers, vendors, rows, says
) -> None:
    v, w = vendors[10], vendors[11]
    n, m = suppliers[10]["SupplierNumber"], suppliers[11]["SupplierNumber"]
    path = write(tmp_path, monkeypatch, *(r.format(v=v, w=w, n=n, m=m) for r in rows))
    result = load(world, ok=False)
    failures = " ".join(
        str(getattr(e.event_specific_data, "error", "")) for e in result.all_events if e.is_failure
    )
    assert f"{path} {says.format(v=v, w=w, n=n, m=m)}" in failures
    assert "nothing stored from the file" in failures
    assert paired_supplier(world.ledger, v) is None and paired_supplier(world.ledger, w) is None


SUPPLIERS_FLOW = (
    "fusion/suppliers",
    "fusion_procurify/suppliers_mapped",
    "fusion_procurify/suppliers_written",
)


def test_a_row_replacing_a_vendor_the_suppliers_flow_made_is_refused_and_renames_nothing(
    world, tmp_path, monkeypatch
) -> None:
    """The suppliers flow made vendor F for supplier S; the row ``R,S`` must not leave F as a
    second active vendor of S, nor rename R after S. Refused naming both until F is inactive; then the
    pair is replaced, said in the metadata, and the next suppliers run keeps R's own name."""
    monkeypatch.setenv("ML_FUSION_PROCURIFY_VENDOR_FALLBACK_EMAIL", "ap@example.com")
    [made] = world.fusion_activity(new_suppliers=1)["created"]["suppliers"]
    s = world.fusion_record("suppliers", made)
    world.run(*SUPPLIERS_FLOW)
    flow_vendor = world.xrefs("supplier")[str(s["SupplierId"])]
    assert world.procurify_record("vendors", flow_vendor)["api"]["external_id"] == s["SupplierNumber"]
    with world.resources["procurify"].session() as session:
        redwood = str(
            session.create_vendor({"name": "Redwood HVAC Ltd", "email": ["ap@redwood.example"]})["id"]
        )

    write(tmp_path, monkeypatch, f"{redwood},{s['SupplierNumber']}")
    result = metadata(world)
    assert (result["stored"], result["refused"]) == (0, 1)
    refusal = result["refusals"]
    assert f"Redwood HVAC Ltd ({redwood})" in refusal and f"vendor {flow_vendor} ({s['Supplier']})" in refusal
    assert "Deactivate vendor" in refusal
    assert paired_supplier(world.ledger, flow_vendor) == str(s["SupplierId"])  # the flow's pair stands
    assert paired_supplier(world.ledger, redwood) is None
    supplier = FusionSupplier(str(s["SupplierId"]), str(s["SupplierNumber"]), str(s["Supplier"]))
    with pytest.raises(MatchRefused, match=f"vendor {flow_vendor}"):  # the command, even with --replace
        set_vendor_match(world.ledger, redwood, supplier, entered_by="ana", note="same firm", replace=True)

    world.run(*SUPPLIERS_FLOW)
    assert world.procurify_record("vendors", redwood)["api"]["name"] == "Redwood HVAC Ltd"

    with world.resources["procurify"].session() as session:  # the operator deactivates the flow's vendor
        session.update_vendor(int(flow_vendor), {"active": False})
    result = metadata(world)
    assert (result["stored"], result["refused"]) == (1, 0)
    assert f"vendor {flow_vendor} ({s['Supplier']}) is inactive" in result["replaced"]
    assert paired_supplier(world.ledger, redwood) == str(s["SupplierId"])

    world.run(*SUPPLIERS_FLOW)
    vendors = {v: world.procurify_record("vendors", v)["api"] for v in (redwood, flow_vendor)}
    assert vendors[redwood]["name"] == "Redwood HVAC Ltd"  # a manual match renames neither side
    assert vendors[redwood]["external_id"] == s["SupplierNumber"]  # the documented linkage
    assert vendors[flow_vendor]["active"] is False and vendors[flow_vendor]["name"] == s["Supplier"]
    assert world.fusion_record("suppliers", made)["Supplier"] == s["Supplier"]
