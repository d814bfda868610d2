"""Procore -> JDE vouchers of a requisition whose id is longer than the 10 digits ``PROCORE-REQ-<id>``
holds (a second company's ids are 15 digits): the batch goes under its compact key
(``PQ<base36>`` / ``PROCOREQ-<base36>``), once, and a rerun, even one whose ledger forgot the voucher,
meets that same key and adopts it. The Procore simulator keeps its data in a SQLite file here so the test
can give the requisition such an id (the simulator numbers rows max(id) + 1)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from procore_jde_parts import VOUCHERS as VOUCHER_FLOW
from procore_jde_world import CLERK, GENEROUS, INTEGRATION, ProcoreJdeWorld, procore_jde_world

from connector_assets.flows.replays import build_replays
from connector_assets.integrations.procore_jde.voucher_mappers import BatchKey
from connector_resources.replay import replay_items
from connector_sandbox.procore.settings import DEFAULT_CLIENT, ProcoreSandboxSettings

MASTERS = ("jde/gl_accounts", "procore_jde/project_map", "procore_jde/cost_code_map")
VOUCHERS = ("procore/requisitions", "procore_jde/vouchers_mapped", "procore_jde/vouchers_written")
ORDERS = ("procore_jde/purchase_orders_mapped", "procore_jde/purchase_orders_written")
LONG_ID = 562949954702010  # the id the second company's voucher was refused for


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProcoreJdeWorld]:
    tmp = Path(tmp_path_factory.mktemp("procore_jde_voucher_keys"))
    procore = ProcoreSandboxSettings(
        scale=0.05, rate_limits=GENEROUS, clients=(DEFAULT_CLIENT, CLERK), db_path=tmp / "procore.sqlite"
    )
    with procore_jde_world(tmp, procore=procore) as made:
        made.procore_db = tmp / "procore.sqlite"  # type: ignore[attr-defined]
        made.run_whole(*MASTERS)
        yield made


def renumber(db: Path, old: int, new: int) -> None:
    """Give requisition ``old`` the id ``new`` in the simulator's store (its items follow)."""
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE requisitions SET id = ? WHERE id = ?", (new, old))
        conn.execute("UPDATE requisition_items SET requisition_id = ? WHERE requisition_id = ?", (new, old))


def test_a_15_digit_requisition_is_vouchered_once_under_its_compact_key_and_a_rerun_adopts(world):
    made = world.activity(new_requisitions=1)["records"]["new_requisitions"]
    renumber(world.procore_db, int(made[0]), LONG_ID)
    requisition = world.procore_record("requisitions", LONG_ID)
    project_id, commitment_id = requisition["project_id"], str(requisition["commitment_id"])
    vendor_id = world.procore_record("commitments", commitment_id)["vendor_id"]
    an8 = int(world.jde_rows("F0401")[0]["AN8"])
    world.link_vendor(vendor_id, an8)
    world.clerk.approve_requisition(project_id, LONG_ID)
    key = BatchKey.for_requisition(str(LONG_ID))
    assert (key.batch, key.transaction) == ("PQ5JJRN03BUI", "PROCOREQ-5JJRN03BUI")

    world.run(*VOUCHERS)  # held on its purchase order
    world.run(*ORDERS)
    resources = world.resources
    replays = build_replays([VOUCHER_FLOW], lambda: {k: resources[k] for k in ("jde", "procore", "staging")})
    items = world.ledger.open_items(integration=INTEGRATION, flow="vouchers")
    replay_items(world.ledger, [i for i in items if i.status != "held"], replays)
    assert str(LONG_ID) not in world.queue("vouchers"), world.queue("vouchers")

    pay_items = world.jde_rows("F0411Z1", EDUS="MLPROCORE", EDBT=key.batch)
    assert len(pay_items) == 1 and pay_items[0]["EDTN"] == key.transaction
    due = Decimal(world.clerk.requisition(project_id, LONG_ID)["summary"]["current_payment_due"])
    assert Decimal(pay_items[0]["AG"]) / 100 == due
    assert world.xrefs("voucher")[str(LONG_ID)] == key.target_id

    written = world.run(*VOUCHERS)["procore_jde/vouchers_written"]
    assert written["create"] == 0, written
    with world.ledger.engine.begin() as conn:  # the ledger forgets the voucher: the key finds it in JDE
        conn.execute(
            sa.text("delete from mlc_xref where integration = :i and entity = 'voucher' and source_key = :k"),
            {"i": INTEGRATION, "k": str(LONG_ID)},
        )
    written = world.run(*VOUCHERS)["procore_jde/vouchers_written"]
    assert written["adopt"] == 1 and written["create"] == 0, written
    assert len(world.jde_rows("F0411Z1", EDUS="MLPROCORE", EDBT=key.batch)) == 1
    assert world.xrefs("voucher")[str(LONG_ID)] == key.target_id
