"""A Procore purchase order whose vendor's ``origin_id`` names a JDE supplier JDE does not have
(``JDE-V-10243``, a vendor the vendors flow refused) is held on its vendor, nothing sent to
``ML_CreatePurchaseOrder``, instead of failing with JDE's 0002; once the vendors flow syncs the vendor the
order is released and written once, to the supplier the vendors flow made."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from procore_jde_parts import CHANGE_ORDERS, PURCHASE_ORDERS, commitment_record, supplier_numbers
from procore_jde_parts import VENDORS as VENDOR_FLOW
from procore_jde_proofs import CREATE_PURCHASE_ORDER, posts
from procore_jde_world import INTEGRATION, ProcoreJdeWorld, procore_jde_world

from connector_assets.flows.replays import build_replays
from connector_assets.procore.document_reads import Kept, RequisitionReads
from connector_resources.replay import replay_items

pytestmark = pytest.mark.filterwarnings(
    "ignore:Asset job .* materializes assets with varying BackfillPolicies"
)
MASTERS = ("jde/gl_accounts", "procore_jde/project_map", "procore_jde/cost_code_map")
ORDERS = ("procore/requisitions", "procore_jde/purchase_orders_mapped", "procore_jde/purchase_orders_written")
VENDORS = ("procore/vendors", "procore_jde/vendors_mapped", "procore_jde/vendors_written")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProcoreJdeWorld]:
    with procore_jde_world(Path(tmp_path_factory.mktemp("procore_jde_order_hold"))) as made:
        made.run_whole(*MASTERS)
        yield made


def orders_of(world: ProcoreJdeWorld, commitment_id: str) -> list[dict]:
    return [r for r in world.jde_rows("F4301") if str(r["VR01"]).strip() == f"PC-{commitment_id}"]


def test_an_order_whose_vendor_names_a_missing_jde_supplier_is_held_then_written_once_it_syncs(world):
    made = world.activity(new_requisitions=1)["records"]["new_requisitions"]
    requisition = world.procore_record("requisitions", made[0])
    commitment_id = str(requisition["commitment_id"])
    vendor_id = str(world.procore_record("commitments", commitment_id)["vendor_id"])
    missing = 9_999_998
    assert missing not in {int(r["AN8"]) for r in world.jde_rows("F0401")}
    with world.resources["procore"].session() as session:  # a stale link typed into Procore
        session.update_vendor(vendor_id, {"origin_id": f"JDE-V-{missing}"})
    world.clerk.approve_requisition(requisition["project_id"], made[0])
    calls = posts(world, CREATE_PURCHASE_ORDER)

    world.run(*ORDERS)
    [item] = [
        i
        for i in world.ledger.open_items(integration=INTEGRATION, flow="purchase_orders")
        if i.source_key == commitment_id
    ]
    assert item.status == "held", (item.status, item.reason)
    assert item.depends_on == f"procore_jde:vendor:procore:{vendor_id}"
    assert posts(world, CREATE_PURCHASE_ORDER) == calls and orders_of(world, commitment_id) == []
    assert_held_unread(world, commitment_id, vendor_id)

    # The vendors flow refuses the vendor while its origin_id names no JDE supplier: the order stays held.
    world.run(*VENDORS)
    assert "no supplier 9999998" in world.queue("vendors")[vendor_id]
    assert world.queue("purchase_orders").get(commitment_id) is not None
    assert posts(world, CREATE_PURCHASE_ORDER) == calls

    # Procore's user clears the wrong link; the vendor's replay adds the supplier and releases the order.
    with world.resources["procore"].session() as session:
        session.update_vendor(vendor_id, {"origin_id": None})
    resources = lambda: {k: world.resources[k] for k in ("jde", "procore", "staging")}  # noqa: E731
    vendor_items = [
        i
        for i in world.ledger.open_items(integration=INTEGRATION, flow="vendors")
        if i.source_key == vendor_id
    ]
    replay_items(world.ledger, vendor_items, build_replays([VENDOR_FLOW], resources))
    an8 = world.xrefs("vendor")[vendor_id]
    assert an8 and int(an8) != missing
    released = [
        i
        for i in world.ledger.open_items(integration=INTEGRATION, flow="purchase_orders")
        if i.source_key == commitment_id
    ]
    assert released and released[0].status != "held", released
    replay_items(world.ledger, released, build_replays([PURCHASE_ORDERS, CHANGE_ORDERS], resources))
    assert world.queue("purchase_orders").get(commitment_id) is None, world.queue("purchase_orders")
    [order] = orders_of(world, commitment_id)
    assert int(order["AN8"]) == int(an8)
    assert posts(world, CREATE_PURCHASE_ORDER) == calls + 1

    written = world.run(*ORDERS)["procore_jde/purchase_orders_written"]
    assert written.get("create", 0) == 0, written
    assert len(orders_of(world, commitment_id)) == 1 and posts(world, CREATE_PURCHASE_ORDER) == calls + 1


class NoLineReads:
    """A session the held order must not read: its schedule of values is read once it is released."""

    company_id = 1

    def commitment_lines(self, *args: object) -> list:
        raise AssertionError("an order held on its vendor read its lines")


def assert_held_unread(world: ProcoreJdeWorld, commitment_id: str, vendor_id: str) -> None:
    """Mapped again while its vendor has no JDE number, the order listed ahead is held on the vendor
    before its lines are read (``unread_holds``), in the words the mapped step holds it with."""
    with world.resources["procore"].session() as session:
        listed = session.get("commitments", commitment_id)
    kept = Kept(commitments={commitment_id: listed})
    reads = RequisitionReads(NoLineReads(), kept)
    suppliers = supplier_numbers(world.ledger, None)
    held = commitment_record(
        reads.session,
        suppliers,
        None,
        commitment_id,
        None,
        reads,
        world.ledger,  # type: ignore[arg-type]
    )
    depends = f"procore_jde:vendor:procore:{vendor_id}"
    assert held.held_on == depends, held
    assert held.reason == f"purchase_order {commitment_id} waits for {depends} to sync"
    assert held.payload["project_id"] == str(listed["_project_id"])
