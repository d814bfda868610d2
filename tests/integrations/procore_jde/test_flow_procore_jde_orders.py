"""Procore -> JDE purchase orders and change orders, end to end through Dagster against both simulators.

One world for the module (the steps build on each other, as a day's runs do): a project manager approves
the latest invoices of two commitments (one of them twice, two billing periods) and a change order of the
first; the cost-code table in force lacks every row of a cost code the second commitment uses.

* the first commitment becomes one JDE purchase order (one, although two of its invoices were approved),
  its lines on the accounts its cost codes map to; a rerun writes nothing;
* the second is queued naming the cost code, the project and the table, and once the table is fixed a
  replay writes it, without touching the order that already succeeded;
* a changed commitment updates its order's header, never its lines;
* the approved change order adds its lines (reference PCCO-<id>) to the first order once; a rerun adds
  none.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from instances import instance_for_test
from mapping_rows import import_file
from procore_jde_parts import CHANGE_ORDERS, COST_CODES, PURCHASE_ORDERS, CostCodeMap
from procore_jde_proofs import APPROVED, MASTER, change_order_added
from procore_jde_world import ProcoreJdeWorld, procore_jde_world

from connector_assets.flows.replays import build_replays
from connector_resources.replay import replay_items

# Runs here mix unpartitioned tables with the day's assets; the kit silences this for Dagster, not pytest.
pytestmark = pytest.mark.filterwarnings(
    "ignore:Asset job .* materializes assets with varying BackfillPolicies"
)
ORDERS = ("procore_jde/purchase_orders_mapped", "procore_jde/purchase_orders_written")
CHANGES = ("procore_jde/change_orders_mapped", "procore_jde/change_orders_written")
SANDBOX_TABLE = Path("mappings/sandbox/procore_jde_cost_codes.csv")


class Story:
    """What the module's world was given: the two commitments, their invoices, the change order."""

    good: dict[str, Any]
    bad: dict[str, Any]
    missing_code: str  # the top-level cost code whose rows the broken table lacks
    change_order: dict[str, Any]
    world: ProcoreJdeWorld


def _cast(world: ProcoreJdeWorld) -> tuple[dict, dict, str, dict]:
    """Two commitments on permitted projects whose latest invoice is open (so it can be approved): the
    first with a change order waiting for approval, the second using a top-level cost code the first
    does not (the one the broken table lacks)."""
    commitments = world.invoiced_commitments()
    latest = world.latest_invoices()
    codes = {c["id"]: c["full_code"] for c in world.procore_records("cost_codes")}
    tops: dict[int, set[str]] = defaultdict(set)
    for line in world.procore_records("commitment_line_items"):
        if line["deleted_at"] is None:
            tops[line["commitment_id"]].add(codes[line["cost_code_id"]].split("-")[0])
    waiting = world.waiting_change_orders()
    open_latest = [
        cid for cid, r in latest.items() if cid in commitments and r["status"] not in APPROVED and tops[cid]
    ]
    for good in (cid for cid in open_latest if cid in waiting):
        for bad in open_latest:
            spare = sorted(tops[bad] - tops[good])
            if bad != good and spare:
                return (
                    commitments[good] | {"requisition": latest[good]},
                    commitments[bad] | {"requisition": latest[bad]},
                    spare[0],
                    waiting[good],
                )
    pytest.skip("the sandbox seed has no two commitments fit for this story")


def _broken_table(path: Path, missing: str) -> Path:
    """The sandbox table without any row for cost code ``missing`` or its children (on any project)."""
    with SANDBOX_TABLE.open(newline="", encoding="utf-8") as source:
        rows = list(csv.reader(source))
    kept = [rows[0]] + [row for row in rows[1:] if row[0].split("/")[-1].split("-")[0] != missing]
    with path.open("w", newline="", encoding="utf-8") as out:
        csv.writer(out).writerows(kept)
    return path


def _approve(world: ProcoreJdeWorld, commitment: dict) -> None:
    world.clerk.approve_requisition(commitment["project_id"], commitment["requisition"]["id"])


def _second_invoice(world: ProcoreJdeWorld, commitment: dict) -> None:
    """A second invoice of the commitment, in a billing period it has none for, approved the same day."""
    made = world.new_invoice(commitment)
    world.clerk.approve_requisition(commitment["project_id"], made["id"])


def _link_vendors(world: ProcoreJdeWorld, *commitments: dict) -> None:
    """Each commitment's vendor linked to a JDE supplier, as the vendors flow would have left it."""
    an8s = [row["AN8"] for row in world.jde_rows("F0401")]
    for position, commitment in enumerate(commitments):
        world.link_vendor(commitment["vendor_id"], an8s[position])


@pytest.fixture(scope="module")
def story(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("procore_jde_orders")
    with (
        pytest.MonkeyPatch.context() as patch,
        procore_jde_world(tmp) as world,
        instance_for_test() as instance,
    ):
        world.instance = instance  # one Dagster instance for the module's runs
        good, bad, missing, change_order = _cast(world)
        patch.setenv("ML_PROCORE_JDE_COST_CODE_MAP", str(_broken_table(tmp / "broken.csv", missing)))
        _link_vendors(world, good, bad)
        _approve(world, good)
        _second_invoice(world, good)
        _approve(world, bad)
        world.run("procore/requisitions", *MASTER, *ORDERS)  # the day's invoices, the tables, the orders
        told = Story()
        told.good, told.bad, told.missing_code, told.change_order, told.world = (
            good,
            bad,
            missing,
            change_order,
            world,
        )
        yield told


def _orders(world: ProcoreJdeWorld, commitment: dict) -> list[dict]:
    return world.jde_rows("F4301", VR01=f"PC-{commitment['id']}")


def test_an_approved_invoice_makes_one_order_with_its_lines_on_the_mapped_accounts(story: Story):
    world, good = story.world, story.good
    headers = _orders(world, good)
    assert len(headers) == 1  # two approved invoices of the commitment, one order
    header = headers[0]
    target = world.xrefs("purchase_order")[str(good["id"])]
    assert target == f"{header['KCOO']}:{header['DOCO']}:{header['DCTO']}"
    assert header["DCTO"] == ("OP" if good["kind"] == "PurchaseOrderContract" else "OS")
    lines = world.jde_rows("F4311", DOCO=header["DOCO"], DCTO=header["DCTO"])
    sov = sorted(
        (
            x
            for x in world.procore_records("commitment_line_items", commitment_id=good["id"])
            if x["deleted_at"] is None
        ),
        key=lambda x: x["position"],
    )
    codes = {
        c["id"]: c["full_code"] for c in world.procore_records("cost_codes", project_id=good["project_id"])
    }
    books = CostCodeMap.load(world.resources["staging"])
    label = next(
        p["display_name"] for p in world.procore_records("projects") if p["id"] == good["project_id"]
    )
    expected = [books.account(str(good["project_id"]), label, codes[x["cost_code_id"]]).account for x in sov]
    assert [line["ANI"].strip() for line in sorted(lines, key=lambda r: r["LNID"])] == expected
    assert sum(line["AEXP"] for line in lines) == sum(x["amount_cents"] for x in sov)


def test_a_commitment_whose_cost_code_has_no_row_is_queued_naming_it(story: Story):
    reason = story.world.queue("purchase_orders")[str(story.bad["id"])]
    assert f"cost code {story.missing_code}" in reason and f"project {story.bad['project_id']}" in reason
    assert "has no row in procore_jde/cost_code_map" in reason
    assert not _orders(story.world, story.bad)


def test_a_rerun_writes_nothing_again(story: Story):
    world = story.world
    before = world.audit_counts("purchase_orders")
    counts = world.run(*ORDERS)["procore_jde/purchase_orders_written"]
    assert counts["create"] == 0 and counts["skip"] == 1
    assert len(_orders(world, story.good)) == 1
    assert world.audit_counts("purchase_orders")["create"] == before["create"] == 1


def test_the_queued_commitment_is_written_once_the_table_is_fixed_and_the_other_is_left_alone(story: Story):
    world = story.world
    # The table is fixed as an operator fixes it: the full table imported over the one in force.
    import_file(
        COST_CODES,
        SANDBOX_TABLE.resolve(),
        note="the rows of the missing cost code",
        resources=world.resources,
    )
    replays = build_replays(
        [PURCHASE_ORDERS, CHANGE_ORDERS],
        lambda: {k: world.resources[k] for k in ("jde", "procore", "staging")},
    )
    summary = replay_items(
        world.ledger, world.ledger.open_items(integration="procore_jde", flow="purchase_orders"), replays
    )
    assert summary.replayed and not summary.failed, summary.line()
    assert len(_orders(world, story.bad)) == 1 and len(_orders(world, story.good)) == 1
    assert world.audit_counts("purchase_orders")["create"] == 2  # the good order was not written again
    assert not world.queue("purchase_orders")


def test_a_changed_commitment_updates_its_order_s_header_never_its_lines(story: Story):
    world, good = story.world, story.good
    header = _orders(world, good)[0]
    lines = world.jde_rows("F4311", DOCO=header["DOCO"], DCTO=header["DCTO"])
    kind = "purchase_order_contract" if good["kind"] == "PurchaseOrderContract" else "work_order_contract"
    world.clerk.call(
        "PATCH",
        f"{kind}s/{good['id']}",
        {"project_id": good["project_id"], kind: {"title": "Revised scope"}},  # no query (SDK Body26)
    )
    written = world.run("procore/commitments", *ORDERS)["procore_jde/purchase_orders_written"]
    assert written["update"] == 1 and written["create"] == 0
    (after,) = _orders(world, good)
    assert after["DOCO"] == header["DOCO"] and after["RMK"] == f"{good['number']} Revised scope"[:30]
    assert world.jde_rows("F4311", DOCO=header["DOCO"], DCTO=header["DCTO"]) == lines


def test_an_approved_change_order_adds_its_lines_once(story: Story):
    world, good, change_order = story.world, story.good, story.change_order
    world.clerk.approve_change_order(change_order["project_id"], change_order["id"])
    # The day's change orders and the fixed table, staged for the run, then the change orders.
    first = world.run("procore/commitment_change_orders", "procore_jde/cost_code_map", *CHANGES)
    first = first["procore_jde/change_orders_written"]
    assert first["create"] == 1, world.queue("change_orders")
    header = _orders(world, good)[0]
    reference = f"PCCO-{change_order['id']}"
    _, lines = change_order_added(world, header, change_order)
    assert (
        world.xrefs("change_order")[str(change_order["id"])]
        == f"{header['KCOO']}:{header['DOCO']}:{header['DCTO']}:{reference}"
    )
    again = world.run(*CHANGES)["procore_jde/change_orders_written"]
    assert again["create"] == 0 and again["skip"] == 1
    assert len(world.jde_rows("F4311", DOCO=header["DOCO"], DCTO=header["DCTO"], VR01=reference)) == len(
        lines
    )
