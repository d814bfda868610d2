"""Procore -> JDE with two Procore companies of one app (``ML_PROCORE_COMPANY_ID=4264807,4264808``), end to
end through Dagster on both simulators: a construction group whose two companies each approve a
subcontractor invoice on the same day.

What an operator relies on: each company's approved requisition becomes its own JDE purchase order and
voucher, every record read by id with its own company's header (a second company's commitment read with
the first company's header would answer 403/404); each company's vendor becomes a JDE supplier and gets
its origin mark written in its own company; a company that uninstalled the app fails the day's source step
by name, and nothing of that day is written to JDE. One world for the module (the steps build on each
other, as a day's runs do).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from dagster import AssetKey
from procore_jde_parts import INTEGRATION, origin_format
from procore_jde_world import ProcoreClerk, ProcoreJdeWorld, procore_jde_world

from connector_assets.integrations.procore_jde.vendor_mappers import format_origin
from connector_assets.procore.companies import vendor_company

# Runs here mix unpartitioned tables with the day's assets; the kit silences this for Dagster, not pytest.
pytestmark = pytest.mark.filterwarnings(
    "ignore:Asset job .* materializes assets with varying BackfillPolicies"
)

A, B = 4264807, 4264808
MASTERS = ("jde/gl_accounts", "procore_jde/project_map", "procore_jde/cost_code_map")
SOURCES = ("procore/vendors", "procore/requisitions", "procore/commitments")
DAY = (
    *SOURCES,
    "procore_jde/vendors_mapped",
    "procore_jde/vendors_written",
    "procore_jde/vendors_marked",
    "procore_jde/purchase_orders_mapped",
    "procore_jde/purchase_orders_written",
    "procore_jde/vouchers_mapped",
    "procore_jde/vouchers_written",
)


def _approved_invoice(world: ProcoreJdeWorld, company: int, *, unclaimed: bool = True) -> dict[str, Any]:
    """A new invoice in ``company`` approved by a project manager of that company; its commitment and
    vendor (``unclaimed``: a vendor no earlier ERP sync linked, so the vendors flow adds it to JDE)."""
    for _attempt in range(8):  # an invoice whose vendor no earlier ERP sync claimed (no origin_id)
        made = requests.post(
            f"{world.procore_url}/sandbox/activity",
            json={"company_id": company, "new_requisitions": 1},
            timeout=60,
        )
        assert made.status_code == 200, made.text
        requisition_id = made.json()["records"]["new_requisitions"][0]
        row = world.procore_record("requisitions", requisition_id)
        commitment = world.procore_record("commitments", row["commitment_id"])
        vendor = world.procore_record("vendors", commitment["vendor_id"])
        if not unclaimed or (not vendor["origin_id"] and vendor["is_active"]):
            break
    else:
        pytest.fail(f"no new invoice of company {company} has a vendor without an origin_id")
    ProcoreClerk(world.procore_url, company).approve_requisition(row["project_id"], requisition_id)
    return {
        "company": company,
        "requisition": str(requisition_id),
        "project": str(row["project_id"]),
        "commitment": str(row["commitment_id"]),
        "vendor": str(commitment["vendor_id"]),
    }


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProcoreJdeWorld]:
    with procore_jde_world(
        Path(tmp_path_factory.mktemp("procore_jde_companies")), seeded_companies=2
    ) as made:
        assert made.resources["procore"].company_ids() == (A, B)
        made.run_whole(*MASTERS)
        yield made


@pytest.fixture(scope="module")
def invoices(world: ProcoreJdeWorld) -> dict[int, dict[str, Any]]:
    """Each company's approved invoice, vouchered by one run of the day's flows: the orders' write step pulls
    each vendor no window read (never synced) in its own company; the vendors' next run marks them, as on
    a real day (its mark step follows its own write, which ran before the pull)."""
    made = {company: _approved_invoice(world, company) for company in (A, B)}
    written = world.run(*DAY)["procore_jde/purchase_orders_written"]
    assert written["parents_pulled"] == len(made) and written["written_after_pull"] == len(made), written
    vouchers = world.xrefs("voucher")
    assert all(vouchers.get(i["requisition"]) for i in made.values()), world.queue("vouchers")
    world.run(*DAY)
    return made


def _calls(world: ProcoreJdeWorld, company: int) -> dict[str, int]:
    return world.procore_state()["calls_by_company"].get(str(company), {})


def test_each_companys_invoice_becomes_its_own_order_and_voucher_read_in_its_company(world, invoices):
    orders, vouchers = world.xrefs("purchase_order"), world.xrefs("voucher")
    assert world.queue("purchase_orders") == {} and world.queue("vouchers") == {}, (
        world.queue("purchase_orders"),
        world.queue("vouchers"),
    )
    for invoice in invoices.values():
        order = orders.get(invoice["commitment"])
        assert order, (invoice, orders)
        _kcoo, doco, dcto = order.split(":")
        headers = world.jde_rows("F4301", VR01=f"PC-{invoice['commitment']}")
        assert [(str(h["DOCO"]).strip(), h["DCTO"]) for h in headers] == [(doco, dcto)]
        batch = world.jde_rows("F0411Z1", EDUS="MLPROCORE", EDBT=f"PR{invoice['requisition']}")
        assert len(batch) == 1 and str(batch[0]["PO"]).strip() == doco, batch
        assert vouchers[invoice["requisition"]]
    assert orders[invoices[A]["commitment"]] != orders[invoices[B]["commitment"]]
    # Every read went out with the record's own company in Procore-Company-Id: its lines by id, its
    # commitment by list (filters[id][], reference §2.4), never by id.
    # (the sandbox counts calls by the Procore-Company-Id header and "METHOD /path/{id}" template)
    for company in invoices:
        gets = [label for label in _calls(world, company) if label.startswith("GET")]
        assert "GET /rest/v1.0/requisitions/{requisition_id}/contract_items" in gets, gets  # its lines
        assert any(label.endswith("_order_contracts") for label in gets), gets  # its commitment
        assert not any("_contracts/{id}" in label for label in gets), gets


def test_vendors_of_both_companies_become_suppliers_marked_in_their_own_company(world, invoices):
    links = world.xrefs("vendor")
    fmt = origin_format()
    for company, invoice in invoices.items():
        an8 = links.get(invoice["vendor"])
        assert an8, (invoice, links, world.queue("vendors"))
        assert world.jde_rows("F0401", AN8=an8), an8
        vendor = world.procore_record("vendors", invoice["vendor"])
        assert vendor["company_id"] == company
        assert (vendor["origin_id"], vendor["origin_code"]) == (format_origin(an8, fmt), str(int(an8)))
        # kept in the ledger: the JDE -> Procore PATCH and a replay find the vendor's company there
        assert vendor_company(world.ledger, INTEGRATION, invoice["vendor"], 0) == company
    for company in invoices:  # the origin mark, written with the vendor's own company header
        assert _calls(world, company).get("PATCH /rest/v1.0/vendors/{id}", 0) >= 1, _calls(world, company)


def test_one_subcontractor_in_both_companies_with_one_tax_id_is_refused_for_the_second(world, invoices):
    """A documented limit: a JDE supplier is the counterpart of one Procore vendor. The same subcontractor
    in both companies (two Procore vendors, one tax ID) reaches JDE once; the second vendor's tax-ID match
    is that supplier, already the first vendor's, so it is queued (not adopted, not changed): a person
    links it by hand to another supplier, or corrects the data."""
    tax = {"type": "EIN", "identifier": "98-7654321"}
    used = {i["vendor"] for i in invoices.values()}
    pair: dict[int, str] = {}
    for company in (A, B):
        free = [
            v
            for v in world.procore_records("vendors", company_id=company)
            if v["is_active"] and not v["origin_id"] and str(v["id"]) not in used
        ]
        pair[company] = str(free[0]["id"])
        ProcoreClerk(world.procore_url, company).set_business_register(pair[company], tax)
    world.run(
        "procore/vendors",
        "procore_jde/vendors_mapped",
        "procore_jde/vendors_written",
        "procore_jde/vendors_marked",
    )
    links, queued = world.xrefs("vendor"), world.queue("vendors")
    linked = [c for c in (A, B) if links.get(pair[c])]
    assert len(linked) == 1, (pair, {c: links.get(pair[c]) for c in (A, B)}, queued)
    first, second = pair[linked[0]], pair[B if linked[0] == A else A]
    an8 = links[first]
    assert [int(r["AN8"]) for r in world.jde_rows("F0101", TAX=tax["identifier"])] == [int(an8)]
    assert (
        f"its natural-key match in JDE ({an8}) is already the counterpart of procore:{first}"
        in (queued[second])
    ), queued


def test_an_uninstalled_company_fails_the_source_step_by_name_and_nothing_of_the_day_is_written(
    world, invoices
):
    before = world.xrefs("voucher")
    late = _approved_invoice(world, A, unclaimed=False)  # the first company keeps working
    answer = requests.post(
        f"{world.procore_url}/sandbox/companies/{B}/connection", json={"connected": False}, timeout=30
    )
    assert answer.status_code == 200, answer.text
    try:
        failed = world.materialize(*DAY, ok=False)
    finally:
        requests.post(
            f"{world.procore_url}/sandbox/companies/{B}/connection", json={"connected": True}, timeout=30
        ).raise_for_status()
    failures = [
        e.step_failure_data.error.to_string()
        for e in failed.all_events
        if e.is_step_failure and e.step_failure_data.error
    ]
    assert failures and any(f"Procore company {B}" in text for text in failures), failures
    staged = {
        str(r["id"])
        for r in world.resources["staging"].read_rows(AssetKey(["procore", "requisitions"]), world.day)
    }
    assert late["requisition"] not in staged  # the partition is as it was
    assert world.xrefs("voucher") == before
    assert world.jde_rows("F0411Z1", EDUS="MLPROCORE", EDBT=f"PR{late['requisition']}") == []
