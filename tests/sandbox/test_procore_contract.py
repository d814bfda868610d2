"""Procore's contract at the simulator's door (no Dagster run): a request Procore's SDK does not describe is
refused naming system, endpoint and field; requisition lines carry Procore's own retainage fields, and
with retainage held on stored materials they add up to the invoice's ``current_payment_due``."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import requests
from sandbox_admin import SandboxAdmin
from sandbox_logins import client_credentials_token

from connector_assets.procore.requisition_amounts import line_payable
from connector_resources.procore import ProcoreResource, ProcoreValidationError
from connector_sandbox.procore import ProcoreSandboxSettings, create_app
from connector_sandbox.procore.contract import CONTRACT, facts
from connector_sandbox.procore.settings import RateLimitSettings
from connector_sandbox.serve import serve_in_thread
from sandbox.serving import served

COMPANY = 4264807
ANCHOR = date(2025, 6, 2)
HISTORY = (datetime(2000, 1, 1, tzinfo=UTC), datetime.combine(ANCHOR, datetime.min.time(), tzinfo=UTC))
ITEM_MODEL = "RestV10RequisitionsRequisitionIdContractItemsGet200ResponseInner"


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxAdmin]:
    settings = ProcoreSandboxSettings(
        scale=0.05,
        anchor_date=ANCHOR,
        rate_limits=RateLimitSettings(spike_limit=100_000, hourly_limit=1_000_000),
    )
    yield from served(serve_in_thread(create_app(settings)), SandboxAdmin)


def _procore(box: SandboxAdmin) -> ProcoreResource:
    return ProcoreResource(
        base_url=box.url,
        auth_url=box.url,
        company_id=str(COMPANY),
        client_id="ml-connector-sandbox",
        client_secret="sandbox-procore-secret",
        webhook_token="sandbox-procore-hook",
        page_size=50,
    )


def test_a_vendor_field_procore_does_not_have_is_refused_naming_system_endpoint_and_field(
    sandbox: SandboxAdmin, contract_breaches
) -> None:  # type: ignore[no-untyped-def]
    with _procore(sandbox).session() as session, pytest.raises(ProcoreValidationError) as refused:
        session.create_vendor({"name": "Odd Field Ltd", "shoe_size": "44"})
    assert refused.value.status == 406  # Procore's code for a field the resource does not have
    assert "procore POST /rest/v1.0/vendors: body field 'vendor.shoe_size' unknown" in str(refused.value)
    assert [(b.side, b.violation.field) for b in contract_breaches.seen()] == [
        ("request", "vendor.shoe_size")
    ]


def test_a_filter_the_sdk_does_not_list_is_refused(sandbox: SandboxAdmin, contract_breaches) -> None:  # type: ignore[no-untyped-def]
    token = client_credentials_token(f"{sandbox.url}/oauth/token", ProcoreResource)
    headers = {"Authorization": f"Bearer {token}", "Procore-Company-Id": str(COMPANY)}
    answer = requests.get(
        f"{sandbox.url}/rest/v1.0/companies/{COMPANY}/vendors/inactive",
        params={"filters[updated_at]": "2025-01-01...2025-02-01"},
        headers=headers,
        timeout=10,
    )
    assert answer.status_code == 400
    assert {(b.violation.field, b.violation.problem) for b in contract_breaches.seen()} == {
        ("filters[updated_at]", "unknown")
    }


def test_the_contract_covers_every_endpoint_the_client_calls() -> None:
    endpoints = set(CONTRACT.endpoints())
    for needed in (
        "GET /rest/v1.0/vendors",
        "POST /rest/v1.0/vendors",
        "PATCH /rest/v1.0/vendors/{id}",
        "GET /rest/v1.0/companies/{company_id}/vendors/inactive",
        "GET /rest/v1.0/projects",
        "GET /rest/v1.0/purchase_order_contracts",
        "GET /rest/v1.0/work_order_contracts/{work_order_contract_id}/line_items",
        "GET /rest/v1.0/requisitions",
        "GET /rest/v1.0/requisitions/{requisition_id}/contract_items",
        "GET /rest/v1.0/requisitions/{requisition_id}/change_order_items",
        "GET /rest/v1.0/projects/{project_id}/commitment_change_orders",
        "GET /rest/v1.0/cost_codes",
        "GET /rest/v1.0/budget_views/{budget_view_id}/detail_rows",
        "POST /rest/v1.0/webhooks/hooks",
        "POST /rest/v1.0/webhooks/hooks/{hook_id}/triggers",
        "GET /rest/v1.0/webhooks/resources",
        "POST /oauth/token",
    ):
        assert needed in endpoints


def test_contract_items_have_procores_retainage_fields_and_no_others() -> None:
    fields = set(facts()["models"][ITEM_MODEL]["fields"])
    assert {
        "work_completed_retainage_retained_this_period",
        "materials_stored_retainage_currently_retained",
    } <= fields
    assert (
        not {"total_retainage", "retainage_percent", "materials_stored_retainage_retained_this_period"}
        & fields
    )


def test_retainage_on_stored_materials_adds_up_to_the_payment_due(sandbox: SandboxAdmin) -> None:
    """Every approved invoice's lines (work + stored materials less the retainage Procore states on each)
    add up to its ``current_payment_due``; the seed holds retainage on stored materials on some."""
    with _procore(sandbox).session() as session:
        invoices = list(session.iter_requisitions_with_lines(*HISTORY))
    with_materials_retainage = 0
    checked = 0
    for invoice in invoices:
        lines = [line for line in invoice["_lines"] if line.get("_item_kind") != "change_order"]
        if any(Decimal(line["materials_stored_retainage_currently_retained"]) for line in lines):
            with_materials_retainage += 1
        assert not any("total_retainage" in line or "retainage_percent" in line for line in lines)
        paid = sum((line_payable(line) for line in lines), Decimal(0))
        assert paid == Decimal(invoice["summary"]["current_payment_due"]), invoice["id"]
        checked += 1
    assert with_materials_retainage > 0 and checked > 0


@pytest.mark.parametrize("entity", ["vendors", "commitments", "requisitions"])
def test_records_by_id_are_asked_in_each_lists_own_filter_form(sandbox: SandboxAdmin, entity: str) -> None:
    """Vendors take ``filters[id][]``, commitments and requisitions ``filters[id]`` comma-separated (SDK):
    a read by several ids passes Procore's contract on every list (a breach would fail this test)."""
    table = "commitments" if entity == "commitments" else entity
    rows = sandbox.admin("GET", f"records/{table}", params={"limit": 1000}).json()["rows"]
    permitted = {p["id"] for p in sandbox.admin("GET", "records/projects").json()["rows"] if p["permitted"]}
    if entity != "vendors":
        project = next(r["project_id"] for r in rows if r["project_id"] in permitted)
        rows = [r for r in rows if r["project_id"] == project and not r.get("deleted_at")]
    else:
        project = None
        rows = [r for r in rows if r["company_id"] == COMPANY and r["is_active"]]
    wanted = [str(r["id"]) for r in rows[:3]]
    with _procore(sandbox).session() as session:
        found = session.get_many(entity, wanted, project_id=project)
    assert sorted(found) == sorted(wanted)


def test_webhook_resources_are_read_by_the_name_procore_gives_them(sandbox: SandboxAdmin) -> None:
    """The SDK's WebhooksResource names a resource under ``tools``."""
    with _procore(sandbox).session() as session:
        names = session.webhooks.resources()
    assert {"Company Vendors", "Requisitions"} <= set(names)


@pytest.mark.parametrize("moved", [True, False])
def test_stored_materials_add_up_under_either_invoice_configuration(
    sandbox: SandboxAdmin, moved: bool
) -> None:
    """A contract's invoice configuration (``move_materials_to_previous_work_completed``) either moves
    earlier stored materials into work completed before, or keeps them as a stored balance on the line;
    under both, every invoice's lines add up to its ``current_payment_due``."""
    sandbox.admin("POST", "settings", json={"variants": {"move_materials_to_previous_work_completed": moved}})
    try:
        with _procore(sandbox).session() as session:
            invoices = list(session.iter_requisitions_with_lines(*HISTORY))
    finally:
        sandbox.admin("POST", "settings/reset")
    carried = 0
    for invoice in invoices:
        lines = [line for line in invoice["_lines"] if line.get("_item_kind") != "change_order"]
        carried += sum(bool(Decimal(line.get("_materials_stored_before") or 0)) for line in lines)
        paid = sum((line_payable(line) for line in lines), Decimal(0))
        assert paid == Decimal(invoice["summary"]["current_payment_due"]), invoice["id"]
    assert (carried > 0) is (not moved)


@pytest.mark.parametrize(
    ("moved", "words"), [(True, "move into work completed"), (False, "stay a running balance")]
)
def test_ping_says_which_invoice_configuration_the_customer_runs(
    sandbox: SandboxAdmin, moved: bool, words: str
) -> None:
    sandbox.admin("POST", "settings", json={"variants": {"move_materials_to_previous_work_completed": moved}})
    try:
        said = _procore(sandbox).ping()
    finally:
        sandbox.admin("POST", "settings/reset")
    assert f"stored materials {words}" in said
