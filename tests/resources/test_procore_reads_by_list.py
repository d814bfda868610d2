"""Records read by list with ``filters[id][]`` (``ProcoreSession.get_many``) instead of one read by id each:
the same records as ``get``, 100 ids a call, each commitment kind's list asked only for the ids not found
yet. Against the Procore sandbox (ephemeral port, scale 0.05), calls counted by the sandbox.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from sandbox.serving import served
from sandbox_admin import SandboxAdmin
from sandbox_logins import on_simulator

from connector_assets.procore.commitment_requisitions import has_approved_requisition, invoiced_kinds
from connector_assets.procore.document_reads import ProjectLabels, RequisitionReads, step_kept
from connector_resources.procore import ProcoreResource
from connector_resources.procore import session as session_module
from connector_sandbox.procore import ProcoreSandboxSettings, run_in_thread
from connector_sandbox.procore.settings import RateLimitSettings

pytestmark = pytest.mark.timeout(600)  # a simulator seeded per test: load 15 too

COMPARED = ("id", "number", "title", "status", "vendor", "contract_date", "accounting_method", "grand_total")


class Sandbox(SandboxAdmin):
    def rows(self, table: str, **where: Any) -> list[dict[str, Any]]:
        return self.admin("GET", f"records/{table}", params=where).json()["rows"]

    def calls(self) -> Counter[str]:
        return Counter(self.state()["calls"])


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    settings = ProcoreSandboxSettings(scale=0.05, rate_limits=RateLimitSettings(enabled=False))
    yield from served(run_in_thread(settings), Sandbox)


@pytest.fixture
def procore(sandbox: Sandbox) -> ProcoreResource:
    return on_simulator(ProcoreResource, sandbox.url, auth_url=sandbox.url)


def _api(calls: Counter[str]) -> Counter[str]:
    return Counter({k: n for k, n in calls.items() if "/oauth/" not in k})


def test_a_projects_commitments_of_both_kinds_come_in_two_list_calls_as_get_reads_them(
    sandbox: Sandbox, procore: ProcoreResource
) -> None:
    permitted = {p["id"] for p in sandbox.rows("projects", permitted=1)}
    live = [c for c in sandbox.rows("commitments") if c["project_id"] in permitted and not c["deleted_at"]]
    project = next(
        p for p in permitted if {c["kind"] for c in live if c["project_id"] == p} == {
            "PurchaseOrderContract", "WorkOrderContract"
        }
    )  # fmt: skip
    ids = [str(c["id"]) for c in live if c["project_id"] == project]
    with procore.session() as session:
        before = sandbox.calls()
        listed = session.get_many("commitments", [*ids, "999999999"], project_id=project)
        calls = _api(sandbox.calls() - before)
        assert calls == Counter(
            {"GET /rest/v1.0/purchase_order_contracts": 1, "GET /rest/v1.0/work_order_contracts": 1}
        ), calls
        assert sorted(listed) == sorted(ids)  # the unknown id is left out, for a read by id to say why
        for commitment_id in ids:
            read = session.get("commitments", commitment_id, project_id=project)
            got = listed[commitment_id]
            assert {k: got.get(k) for k in COMPARED} == {k: read.get(k) for k in COMPARED}
            assert (got["_commitment_type"], got["_project_id"]) == (read["_commitment_type"], project)


def test_vendors_come_a_batch_of_ids_a_call_and_an_inactive_one_is_left_to_get(
    sandbox: Sandbox, procore: ProcoreResource, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(session_module, "ID_BATCH", 10)  # 100 in use: the seed has fewer vendors
    vendors = sandbox.rows("vendors")
    active = [str(v["id"]) for v in vendors if v["is_active"]]
    inactive = [str(v["id"]) for v in vendors if not v["is_active"]][:1]
    assert len(active) > 10 and inactive, "the seed has more than a batch of active ids, and an inactive one"
    with procore.session() as session:
        before = sandbox.calls()
        listed = session.get_many("vendors", [*active, *inactive])
        calls = _api(sandbox.calls() - before)
    assert sorted(listed, key=int) == sorted(active, key=int)
    assert calls == Counter({"GET /rest/v1.0/vendors": -(-(len(active) + 1) // 10)}), calls


def test_a_vendor_the_list_hides_is_asked_of_it_once_a_run(
    sandbox: Sandbox, procore: ProcoreResource
) -> None:
    """An inactive vendor (the list does not show it) named on every day of a backfill: the run's first day
    asks the list, the days after do not; a read by id, when one needs it, finds it."""
    inactive = next(str(v["id"]) for v in sandbox.rows("vendors") if not v["is_active"])
    step = SimpleNamespace(run=SimpleNamespace(run_id="run-hidden"), op_handle="procore_jde__vouchers_mapped")

    def day(by_id: bool = False) -> Counter[str]:
        with procore.session() as session:
            before = sandbox.calls()
            reads = RequisitionReads(session, step_kept(step, int(session.company_id)))
            reads.vendors_ahead([inactive])
            assert inactive not in reads.vendors or by_id
            if by_id:
                assert reads.vendor(inactive) is not None
            return _api(sandbox.calls() - before)

    assert day() == Counter({"GET /rest/v1.0/vendors": 1})
    assert day() == Counter()  # the next day of the run
    assert day(by_id=True) == Counter({"GET /rest/v1.0/vendors/{id}": 1})


def test_an_entity_without_a_documented_id_filter_is_refused_before_any_call(
    sandbox: Sandbox, procore: ProcoreResource
) -> None:
    with procore.session() as session:
        before = sandbox.calls()
        with pytest.raises(ValueError, match="no read of cost_codes by several ids"):
            session.get_many("cost_codes", ["1"], project_id=1)
        with pytest.raises(ValueError, match="no read of commitments by several ids"):
            session.get_many("commitments", ["1"])  # a project entity needs its project
        assert _api(sandbox.calls() - before) == Counter()


def test_a_commitment_of_known_kind_is_asked_of_its_kinds_list_only(
    sandbox: Sandbox, procore: ProcoreResource
) -> None:
    permitted = {p["id"] for p in sandbox.rows("projects", permitted=1)}
    work_order = next(
        c
        for c in sandbox.rows("commitments", kind="WorkOrderContract")
        if c["project_id"] in permitted and not c["deleted_at"]
    )
    wanted, project = str(work_order["id"]), work_order["project_id"]
    with procore.session() as session:
        before = sandbox.calls()
        listed = session.get_many(
            "commitments", [wanted], project_id=project, kinds={wanted: "WorkOrderContract"}
        )
        calls = _api(sandbox.calls() - before)
        assert list(listed) == [wanted] and listed[wanted]["_commitment_type"] == "WorkOrderContract"
        assert calls == Counter({"GET /rest/v1.0/work_order_contracts": 1}), calls
        # Named the wrong kind: asked of that kind's list alone, left out for ``get`` to find.
        wrong = session.get_many(
            "commitments", [wanted], project_id=project, kinds={wanted: "Purchase Order Contract"}
        )
        assert wrong == {}


def test_project_names_for_messages_come_from_one_list_of_projects(
    sandbox: Sandbox, procore: ProcoreResource
) -> None:
    permitted = sandbox.rows("projects", permitted=1)
    assert len(permitted) >= 2
    with procore.session() as session:
        labels = ProjectLabels(session)
        before = sandbox.calls()
        names = [labels(str(p["id"])) for p in permitted for _ in range(2)]
        calls = _api(sandbox.calls() - before)
        assert calls == Counter({"GET /rest/v1.0/projects": 1}), calls
        read_by_id = [
            session.get("projects", p["id"])["name"] for p in permitted
        ]  # as labels read them before
    assert names == [name for name in read_by_id for _ in range(2)]


def test_a_steps_reads_are_kept_across_the_days_it_maps(sandbox: Sandbox, procore: ProcoreResource) -> None:
    """A backfill's step maps day after day, each on a new session: a requisition's lines and commitment
    read on one day are not read again on another day of the same step; another step (run) reads anew."""
    permitted = {p["id"] for p in sandbox.rows("projects", permitted=1)}
    requisition = next(r for r in sandbox.rows("requisitions") if r["project_id"] in permitted)
    rid, pid, cid = str(requisition["id"]), requisition["project_id"], str(requisition["commitment_id"])
    step = SimpleNamespace(run=SimpleNamespace(run_id="run-1"), op_handle="procore_jde__vouchers_mapped")

    def day(context: Any) -> Counter[str]:
        with procore.session() as session:
            before = sandbox.calls()
            reads = RequisitionReads(session, step_kept(context, int(session.company_id)))
            assert isinstance(reads.lines(rid, pid), list) and isinstance(reads.commitment(cid, pid), dict)
            return _api(sandbox.calls() - before)

    assert day(step)["GET /rest/v1.0/requisitions/{requisition_id}/contract_items"] == 1
    assert day(step) == Counter()  # the next day of the same step
    assert day(SimpleNamespace(run=SimpleNamespace(run_id="run-2"), op_handle=step.op_handle))


def test_the_steps_of_one_run_share_its_reads_cost_codes_and_commitment_lines_included(
    sandbox: Sandbox, procore: ProcoreResource
) -> None:
    """The purchase orders step reads a commitment with its schedule of values; the vouchers step of the same
    run, on a session of its own, reads neither again, nor the project's cost codes a line's cost code id
    needs: the run keeps them (``step_kept``, ``kept_session``)."""
    permitted = {p["id"] for p in sandbox.rows("projects", permitted=1)}
    requisition = next(r for r in sandbox.rows("requisitions") if r["project_id"] in permitted)
    pid, cid = requisition["project_id"], str(requisition["commitment_id"])
    run = SimpleNamespace(run_id="run-shared")
    orders = SimpleNamespace(run=run, op_handle="procore_jde__purchase_orders_mapped")
    vouchers = SimpleNamespace(run=run, op_handle="procore_jde__vouchers_mapped")

    def step(context: Any) -> Counter[str]:
        with procore.session() as session:
            before = sandbox.calls()
            reads = RequisitionReads(session, step_kept(context, int(session.company_id)))
            commitment = reads.commitment(cid, pid)
            assert isinstance(commitment, dict)
            kind = commitment["_commitment_type"]
            lines = reads.session._commitment_lines_cache().get((pid, int(cid)))
            if lines is None:
                reads.session.commitment_lines(pid, cid, kind)
            reads.session.project_cost_codes(pid)
            return _api(sandbox.calls() - before)

    first = step(orders)
    assert first["GET /rest/v1.0/cost_codes"] >= 1 and sum(first.values()) >= 3, first
    assert step(vouchers) == Counter()  # another step of the same run
    assert step(SimpleNamespace(run=SimpleNamespace(run_id="run-next"), op_handle=vouchers.op_handle))


def test_an_invoices_change_order_items_are_asked_only_when_its_commitment_has_approved_ones(
    sandbox: Sandbox, procore: ProcoreResource
) -> None:
    """A commitment whose ``approved_change_orders`` is 0.00 (reference §2.4) has no change orders its
    invoices can bill: its invoice's ``change_order_items`` are not asked; with approved ones they are."""
    permitted = {p["id"] for p in sandbox.rows("projects", permitted=1)}
    requisitions = [r for r in sandbox.rows("requisitions") if r["project_id"] in permitted]
    asked: dict[bool, Counter[str]] = {}
    with procore.session() as session:
        reads = RequisitionReads(session)
        for row in requisitions:
            commitment = reads.commitment(str(row["commitment_id"]), row["project_id"])
            approved = isinstance(commitment, dict) and commitment["approved_change_orders"] != "0.00"
            if approved in asked:
                continue
            requisition = session.get("requisitions", row["id"], project_id=row["project_id"])
            before = sandbox.calls()
            assert not isinstance(reads.read(requisition), str)
            asked[approved] = _api(sandbox.calls() - before)
    items = "GET /rest/v1.0/requisitions/{requisition_id}/change_order_items"
    assert set(asked) == {False, True}, "the seed has invoices of commitments with and without change orders"
    assert asked[False][items] == 0 and asked[True][items] == 1, asked
    assert asked[False]["GET /rest/v1.0/requisitions/{requisition_id}/contract_items"] == 1


def test_a_projects_requisitions_are_listed_once_a_run_for_every_commitment_asked_of_it(
    sandbox: Sandbox, procore: ProcoreResource
) -> None:
    """Whether a commitment has an approved requisition (a pull's check) is answered from its project's
    requisitions, listed once per run's ``kept``; their ``commitment_type`` names each commitment's kind."""
    permitted = {p["id"] for p in sandbox.rows("projects", permitted=1)}
    requisitions = [r for r in sandbox.rows("requisitions") if r["project_id"] in permitted]
    pid = Counter(r["project_id"] for r in requisitions).most_common(1)[0][0]
    commitments = {c["id"]: c for c in sandbox.rows("commitments", project_id=pid) if not c["deleted_at"]}
    approved = {"approved", "approved_as_noted"}
    expected = {
        str(cid): any(
            r["commitment_id"] == cid and r["deleted_at"] is None and r["status"] in approved
            for r in requisitions
        )
        for cid in commitments
    }
    assert len(expected) >= 2 and True in expected.values() and False in expected.values()
    kept: dict[int, Any] = {}
    with procore.session() as session:
        before = sandbox.calls()
        answers = {c: has_approved_requisition(session, pid, c, approved, kept) for c in expected}
        assert _api(sandbox.calls() - before) == Counter({"GET /rest/v1.0/requisitions": 1})
    assert answers == expected
    invoiced = {
        str(r["commitment_id"]) for r in requisitions if r["project_id"] == pid and not r["deleted_at"]
    }
    kinds = invoiced_kinds(kept)
    assert set(kinds) == invoiced
    assert all(kinds[c] == commitments[int(c)]["kind"] for c in kinds)


def test_a_cost_code_id_a_commitment_line_read_carries_needs_no_list_of_cost_codes(
    sandbox: Sandbox, procore: ProcoreResource
) -> None:
    """A change order line naming a cost code id that a line of its commitment, read in the run, carries
    with its object is resolved from that line; an id no line read carries lists the project's codes."""
    permitted = {p["id"] for p in sandbox.rows("projects", permitted=1)}
    lines = sandbox.rows("commitment_line_items")
    commitment = next(
        c
        for c in sandbox.rows("commitments")
        if c["project_id"] in permitted
        and not c["deleted_at"]
        and any(x["commitment_id"] == c["id"] for x in lines)
    )
    pid, cid = commitment["project_id"], commitment["id"]
    codes = {c["id"]: c for c in sandbox.rows("cost_codes", project_id=pid)}
    on_lines = {x["cost_code_id"] for x in lines if x["commitment_id"] == cid and x["cost_code_id"]}
    elsewhere = next(code for code in codes if code not in on_lines)
    with procore.session() as session:
        session.commitment_lines(pid, cid, commitment["kind"])
        before = sandbox.calls()
        known = {code: session.resolve_cost_code(pid, {"cost_code_id": code}) for code in on_lines}
        assert _api(sandbox.calls() - before) == Counter()
        listed = session.resolve_cost_code(pid, {"cost_code_id": elsewhere})
        assert _api(sandbox.calls() - before) == Counter({"GET /rest/v1.0/cost_codes": 1})
    assert known and all(known[code] == codes[code]["full_code"] for code in on_lines)
    assert listed == codes[elsewhere]["full_code"]


def test_a_runs_sessions_list_the_permitted_projects_once(sandbox: Sandbox, procore: ProcoreResource) -> None:
    listed: dict[int, list[dict[str, Any]]] = {}
    before = sandbox.calls()
    for _ in range(3):  # three steps of one run, each on a session of its own
        with procore.session() as session:
            session.keep_projects_in(listed)
            assert {p["id"] for p in session.projects()} == {
                p["id"] for p in sandbox.rows("projects", permitted=1)
            }
    assert _api(sandbox.calls() - before) == Counter({"GET /rest/v1.0/projects": 1})
