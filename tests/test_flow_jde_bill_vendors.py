"""JDE suppliers -> BILL vendors end to end: the JDE and BILL simulators, the real clients, Dagster, the
ledger. The first flow of JDE <-> BILL, written on the shared kit (readers, flow factory, job builder)."""

from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from asset_runs import metadata_by_asset, named
from dagster import instance_for_test, materialize
from sandbox_logins import on_simulator

from connector_assets.flows.core import Mapped
from connector_assets.integrations import INTEGRATIONS, jde_bill
from connector_assets.integrations.jde_bill.vendors import BillVendors, map_vendor, vendor_assets
from connector_assets.jde.assets import jde_assets
from connector_assets.jde.documents import JdeSupplier, suppliers_by_number
from connector_assets.staging import StagingResource
from connector_resources.bill import BillResource
from connector_resources.bill.auth import forget_sessions
from connector_resources.jde import JdeAisResource
from connector_resources.ledger import Ledger, LedgerResource
from connector_sandbox.bill import BillSandboxSettings
from connector_sandbox.bill import run_in_thread as run_bill
from connector_sandbox.jde_ais import JdeSandboxSettings
from connector_sandbox.jde_ais import run_in_thread as run_jde

DAY = (date.today() - timedelta(days=21)).isoformat()  # the JDE sandbox's mass-update day: busy
CHAIN = ("jde_suppliers", "jde_address_book", "jde_bill_vendors_mapped", "jde_bill_vendors_written")


@pytest.fixture
def world(tmp_path):
    jde_url, stop_jde = run_jde(JdeSandboxSettings(scale=0.02))
    bill_url, stop_bill = run_bill(BillSandboxSettings(scale=0.05))
    forget_sessions()
    db = f"sqlite:///{tmp_path / 'ledger.sqlite'}"
    resources = {
        "jde": on_simulator(JdeAisResource, jde_url),
        "bill": on_simulator(BillResource, bill_url, backoff_base=0.01, backoff_cap=0.2),
        "staging": StagingResource(base_dir=str(tmp_path / "staging")),
        "ledger": LedgerResource(db_url=db),
    }
    try:
        yield resources, Ledger(db)
    finally:
        forget_sessions()
        stop_bill()
        stop_jde()


def _run(resources, *names):
    assets = named(names, [*jde_assets, *vendor_assets])
    with instance_for_test() as instance:
        result = materialize(assets, resources=resources, instance=instance, partition_key=DAY)
    return metadata_by_asset(result)


def _vendors_named(resources, name: str) -> list[dict]:
    with resources["bill"].session() as session:
        return session.find_vendors(name=name)


def test_suppliers_become_bill_vendors_once_then_are_skipped(world):
    resources, ledger = world
    written = _run(resources, *CHAIN)["jde_bill_vendors_written"]
    staged = {int(r["AN8"]) for r in resources["staging"].read_rows("jde_suppliers", DAY)}
    assert written["create"].value + written["adopt"].value >= len(staged) > 0
    assert written["fail"].value == 0
    for supplier in suppliers_by_number(resources["jde"], sorted(staged)[:5]):
        [xref] = [x for x in ledger.xrefs_for(str(supplier.number)) if x.integration == "jde_bill"]
        name = supplier.address["ALPH"].strip()
        vendors = [v for v in _vendors_named(resources, name) if v["id"] == xref.target_id]
        assert len(vendors) == 1  # the vendor the ledger names holds the supplier's name

    again = _run(resources, *CHAIN[2:])["jde_bill_vendors_written"]
    sent = written["create"].value + written["adopt"].value
    assert again["create"].value == 0 and again["skip"].value == sent


def test_a_vendor_created_by_a_crashed_attempt_is_adopted_not_duplicated(world):
    resources, ledger = world
    _run(resources, *CHAIN)
    an8 = str(next(resources["staging"].read_rows("jde_suppliers", DAY))["AN8"])
    [before] = [x for x in ledger.xrefs_for(an8) if x.integration == "jde_bill"]
    with ledger.engine.begin() as conn:  # BILL has the vendor, the ledger lost its id
        conn.execute(
            sa.text(
                "update mlc_xref set target_id = null, content_hash = null, state = 'pending' "
                "where source_key = :k and integration = 'jde_bill'"
            ),
            {"k": an8},
        )
    written = _run(resources, "jde_bill_vendors_mapped", "jde_bill_vendors_written")[
        "jde_bill_vendors_written"
    ]
    assert written["adopt"].value == 1 and written["create"].value == 0
    [after] = [x for x in ledger.xrefs_for(an8) if x.integration == "jde_bill"]
    assert after.target_id == before.target_id


class _Vendors:
    """Answers ``find_vendors`` by name from fixed rows (oldest first, as the client returns them)."""

    def __init__(self, rows):
        self.rows = rows

    def find_vendors(self, *, name):
        return [r for r in self.rows if r["name"].lower() == name.lower()]


def _record(name: str, tax_id: str | None) -> Mapped:
    return Mapped(source_key="4343", body={}, fields={}, natural_key={"name": name, "tax_id": tax_id})


def test_a_vendor_is_matched_by_name_preferring_its_tax_id_and_never_one_with_another_tax_id():
    rows = [
        {"id": "009A", "name": "Granite Supply", "additionalInfo": {"taxId": "11-1111111"}},
        {"id": "009B", "name": "Granite Supply", "additionalInfo": {"taxId": "22-2222222"}},
        {"id": "009C", "name": "Granite Supply"},
    ]
    vendors = BillVendors(_Vendors(rows))
    assert vendors.find(_record("granite supply", "222222222")) == "009B"  # tax IDs compare on digits
    assert vendors.find(_record("Granite Supply", "33-3333333")) == "009C"  # no match: the untaxed one
    assert BillVendors(_Vendors(rows[:2])).find(_record("Granite Supply", "33-3333333")) is None
    assert vendors.find(_record("Granite Supply", None)) == "009C"


def test_a_supplier_without_an_address_book_record_is_refused_naming_it():
    refused = map_vendor(JdeSupplier(4343, {"AN8": 4343}, None))
    assert refused.reason == "supplier 4343: no address book record (F0101) for this supplier number"
    mapped = map_vendor(JdeSupplier(4343, {"AN8": 4343}, {"ALPH": " Granite Supply ", "TAX": "11-1111111"}))
    assert mapped.body == {
        "name": "Granite Supply",
        "accountType": "BUSINESS",
        "additionalInfo": {"taxId": "11-1111111"},
    }


def test_the_integration_is_one_package_merged_into_the_definitions():
    from connector_assets.definitions import defs

    assert jde_bill in INTEGRATIONS
    assert defs.resolve_job_def("jde_bill_vendors") is not None
    assert "jde_bill_vendors_schedule" in {s.name for s in defs.schedules}
