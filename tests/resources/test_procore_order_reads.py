"""The Procore reads the Procore -> JDE flows need: a commitment's schedule of values, a commitment change
order's lines (REST v2.0, unconfirmed), invoice lines, each with its cost code resolved, and the
project's cost codes read once per session. Against the real Procore sandbox (ephemeral port, scale
0.05); expected values come from the sandbox's stored rows (``/sandbox/records``), not from the API.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from http_server import CannedResponse, OAuthTokenEndpoint, ScriptedServer
from sandbox.serving import served
from sandbox_admin import SandboxAdmin
from sandbox_logins import on_simulator

from connector_resources.procore import (
    ProcoreError,
    ProcoreLinesUnavailableError,
    ProcoreNotFoundError,
    ProcoreResource,
)
from connector_sandbox.procore import ProcoreSandboxSettings, run_in_thread
from connector_sandbox.procore.settings import RateLimitSettings

pytestmark = pytest.mark.timeout(600)  # a simulator seeded per test: load 15 too

COMPANY = "4264807"
V2_LINES = (
    "GET /rest/v2.0/companies/{company_id}/projects/{project_id}/commitment_change_orders/"
    "{change_order_id}/line_items"
)
COST_CODES = "GET /rest/v1.0/cost_codes"


class Sandbox(SandboxAdmin):
    def rows(self, table: str, **where: Any) -> list[dict[str, Any]]:
        return self.admin("GET", f"records/{table}", params=where).json()["rows"]

    def row(self, table: str, row_id: int) -> dict[str, Any]:
        return self.admin("GET", f"records/{table}/{row_id}").json()

    def variants(self, **values: Any) -> None:
        self.admin("POST", "settings", json={"variants": values})

    def calls(self) -> dict[str, int]:
        return self.state()["calls"]

    def full_code(self, cost_code_id: int | None) -> str | None:
        return None if cost_code_id is None else self.row("cost_codes", cost_code_id)["full_code"]


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    settings = ProcoreSandboxSettings(scale=0.05, rate_limits=RateLimitSettings(enabled=False))
    yield from served(run_in_thread(settings), Sandbox)


@pytest.fixture
def procore(sandbox: Sandbox) -> Iterator[ProcoreResource]:
    yield on_simulator(ProcoreResource, sandbox.url, auth_url=sandbox.url)  # the sandbox's COMPANY
    sandbox.admin("POST", "settings/reset")  # back to the startup variants


def cents(text: str) -> int:
    return int(Decimal(text) * 100)


def change_orders_with_lines(sandbox: Sandbox, at_least: int = 1) -> list[dict[str, Any]]:
    """Stored change orders (live) with at least ``at_least`` stored lines, on a permitted project."""
    permitted = {p["id"] for p in sandbox.rows("projects", permitted=1)}
    found = []
    for order in sandbox.rows("commitment_change_orders"):
        if order["deleted_at"] or order["project_id"] not in permitted:
            continue
        lines = sandbox.rows("commitment_change_order_line_items", change_order_id=order["id"])
        if len(lines) >= at_least:
            found.append({**order, "_stored_lines": lines})
    assert found, f"the seed has change orders with {at_least}+ lines"
    return found


def test_commitment_lines_carry_their_full_cost_codes(sandbox: Sandbox, procore: ProcoreResource) -> None:
    permitted = {p["id"] for p in sandbox.rows("projects", permitted=1)}
    commitments = [
        c for c in sandbox.rows("commitments") if c["project_id"] in permitted and not c["deleted_at"]
    ]
    for kind in ("PurchaseOrderContract", "WorkOrderContract"):
        commitment = next(c for c in commitments if c["kind"] == kind)
        stored = {
            line["id"]: line
            for line in sandbox.rows("commitment_line_items", commitment_id=commitment["id"])
            if not line["deleted_at"]
        }
        with procore.session() as session:
            lines = session.commitment_lines(commitment["project_id"], str(commitment["id"]), kind)
        assert {line["id"] for line in lines} == set(stored)
        for line in lines:
            row = stored[line["id"]]
            assert line["_cost_code"] == sandbox.full_code(row["cost_code_id"])
            assert line["_cost_code_id"] == row["cost_code_id"]
            assert cents(line["amount"]) == row["amount_cents"]
            assert (line["_commitment_id"], line["_commitment_type"]) == (commitment["id"], kind)


def test_an_unknown_commitment_type_is_refused_before_any_call(procore: ProcoreResource) -> None:
    with procore.session() as session, pytest.raises(ValueError, match="unknown commitment type"):
        session.commitment_lines(1, 1, "PrimeContract")


def test_change_order_lines_sum_to_the_grand_total_across_v2_pages(
    sandbox: Sandbox, procore: ProcoreResource
) -> None:
    orders = change_orders_with_lines(sandbox, at_least=2)[:3]
    sandbox.variants(v2_max_per_page=1)  # one line per page: every change order takes several pages
    sandbox.admin("POST", "calls/reset")
    with procore.session() as session:
        for order in orders:
            lines = session.change_order_lines(order["project_id"], str(order["id"]))
            stored = {line["id"]: line for line in order["_stored_lines"]}
            assert [line["id"] for line in lines] == sorted(stored, key=lambda i: stored[i]["position"])
            assert sum(cents(line["amount"]) for line in lines) == order["grand_total_cents"]
            for line in lines:
                row = stored[line["id"]]
                assert isinstance(line["id"], int)  # v2 sends "6442450001"
                assert line["commitment_line_item_id"] == row["commitment_line_item_id"]
                assert line["_cost_code"] == sandbox.full_code(row["cost_code_id"])
                assert line["_change_order_id"] == order["id"]
    pages = sandbox.calls()[V2_LINES]
    assert pages == sum(len(order["_stored_lines"]) for order in orders)


def test_change_order_lines_without_paging_headers(sandbox: Sandbox, procore: ProcoreResource) -> None:
    order = change_orders_with_lines(sandbox, at_least=2)[0]
    sandbox.variants(v2_paging_headers=False)
    with procore.session() as session:
        lines = session.change_order_lines(order["project_id"], order["id"])
    assert sum(cents(line["amount"]) for line in lines) == order["grand_total_cents"]
    assert len(lines) == len(order["_stored_lines"])


def test_a_line_without_its_own_cost_code_takes_the_commitment_lines(
    sandbox: Sandbox, procore: ProcoreResource
) -> None:
    orders = [
        order
        for order in change_orders_with_lines(sandbox)
        if any(line["commitment_line_item_id"] for line in order["_stored_lines"])
    ][:2]
    assert orders, "the seed has change order lines that change a commitment line"
    sandbox.variants(change_order_line_cost_code="via_commitment_line")
    with procore.session() as session:
        for order in orders:
            for line, row in zip(
                session.change_order_lines(order["project_id"], order["id"]),
                sorted(order["_stored_lines"], key=lambda r: r["position"]),
                strict=True,
            ):
                if row["commitment_line_item_id"] is not None:
                    assert line["cost_code_id"] is None  # the server named it only through the SOV line
                    sov = sandbox.row("commitment_line_items", row["commitment_line_item_id"])
                    assert line["_cost_code"] == sandbox.full_code(sov["cost_code_id"])
                else:
                    assert line["_cost_code"] == sandbox.full_code(row["cost_code_id"])


def test_a_procore_without_the_line_endpoint_says_the_lines_cannot_be_read(
    sandbox: Sandbox, procore: ProcoreResource
) -> None:
    order = change_orders_with_lines(sandbox)[0]
    sandbox.variants(change_order_line_items=False)
    with procore.session() as session:
        with pytest.raises(ProcoreLinesUnavailableError) as caught:
            session.change_order_lines(order["project_id"], order["id"])
        assert isinstance(caught.value, ProcoreError)
        assert f"lines of commitment change order {order['id']}" in str(caught.value)
        assert "cannot be read" in str(caught.value)
        # A change order that does not exist is "not found", not "endpoint missing".
        with pytest.raises(ProcoreNotFoundError) as missing:
            session.change_order_lines(order["project_id"], 1)
        assert not isinstance(missing.value, ProcoreLinesUnavailableError)


def test_cost_codes_are_read_once_per_project_per_session(sandbox: Sandbox, procore: ProcoreResource) -> None:
    orders = change_orders_with_lines(sandbox)
    project_id = orders[0]["project_id"]
    same_project = [order for order in orders if order["project_id"] == project_id][:3]
    sandbox.admin("POST", "calls/reset")
    with procore.session() as session:
        codes = session.project_cost_codes(project_id)
        for order in same_project:
            session.change_order_lines(project_id, order["id"])
        assert session.project_cost_codes(project_id) is codes
    stored = [c for c in sandbox.rows("cost_codes", project_id=project_id) if not c["deleted_at"]]
    assert {i: c["full_code"] for i, c in codes.items()} == {c["id"]: c["full_code"] for c in stored}
    assert sandbox.calls()[COST_CODES] == 1
    assert sandbox.calls()[V2_LINES] == len(same_project)


def test_invoice_lines_carry_the_billed_lines_cost_code(sandbox: Sandbox, procore: ProcoreResource) -> None:
    permitted = {p["id"] for p in sandbox.rows("projects", permitted=1)}
    requisition = next(r for r in sandbox.rows("requisitions") if r["project_id"] in permitted)
    stored = {i["id"]: i for i in sandbox.rows("requisition_items", requisition_id=requisition["id"])}
    with procore.session() as session:
        lines = list(session.requisition_lines(requisition["project_id"], requisition["id"]))
    assert {line["id"] for line in lines} == set(stored)
    for line in lines:
        sov = sandbox.row("commitment_line_items", stored[line["id"]]["line_item_id"])
        assert line["line_item_id"] == sov["id"]
        assert line["_cost_code"] == sandbox.full_code(sov["cost_code_id"])


def test_new_change_orders_from_activity_have_lines(sandbox: Sandbox, procore: ProcoreResource) -> None:
    activity = sandbox.admin("POST", "activity", json={"new_change_orders": 2}).json()
    made = activity["records"]["new_change_orders"]
    assert len(made) == 2
    with procore.session() as session:
        for order_id in made:
            order = sandbox.row("commitment_change_orders", order_id)
            lines = session.change_order_lines(order["project_id"], order_id)
            assert lines, "an activity change order has lines"
            assert sum(cents(line["amount"]) for line in lines) == order["grand_total_cents"]
            assert all(line["_cost_code"] for line in lines)


# -- v2 paging against a scripted server (shapes the sandbox does not play) ------------------------------


def scripted_procore(server: Any) -> ProcoreResource:
    return ProcoreResource(
        base_url=server.url,
        auth_url=server.url,
        company_id="31",
        client_id="cid",
        client_secret="order-reads-secret-1",
    )


def v2_line(n: int) -> dict[str, Any]:
    return {"id": str(9_000_000_000 + n), "amount": "1.00", "cost_code": {"id": "5", "full_code": "03-100"}}


def test_v2_pages_without_headers_are_read_while_full_and_a_repeated_page_is_refused() -> None:
    path = "/rest/v2.0/companies/31/projects/700/commitment_change_orders/42/line_items"
    rows = [v2_line(n) for n in range(130)]
    with ScriptedServer() as server:
        OAuthTokenEndpoint(server, client_id="cid", client_secret="order-reads-secret-1", expires_in=5400)

        def pages(request: Any) -> CannedResponse:
            page = int(request.query["page"][0])
            return CannedResponse(200, {"data": rows[(page - 1) * 100 : page * 100]})

        server.route(path, pages)
        with scripted_procore(server).session() as session:
            lines = session.change_order_lines(700, 42)
        assert [line["id"] for line in lines] == [9_000_000_000 + n for n in range(130)]
        assert {line["_cost_code"] for line in lines} == {"03-100"}

        server.route(path, CannedResponse(200, {"data": rows[:100]}))  # ignores ``page``
        with scripted_procore(server).session() as session, pytest.raises(ProcoreError, match="already sent"):
            session.change_order_lines(700, 42)
