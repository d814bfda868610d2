"""kill -9 of the Procore -> JDE write steps (purchase orders, then vouchers) mid-write, then a rerun of
the partition: exactly one JDE purchase order per commitment (F4301 by VR01 ``PC-<id>``) and one voucher
batch per requisition (F0411Z1 by EDTN ``PROCORE-REQ-<id>``), none missing, and JDE asked to create
each once.

JDE does not refuse a second purchase order with the same reference (P4310 has no duplicate check); what
stands between a rerun and a second order is the ledger's claim on the commitment and the F4301 search by
reference before a create. A voucher batch carries keys derived from the requisition, so JDE refuses a
second copy (59A4); a rerun still must not send one: it looks the batch up first when an earlier attempt
claimed it and never recorded the result.

The write step runs in a child process (a real Dagster run, ``materialize`` of the one write asset) against
the simulators, threads of this test process reached over loopback, exactly as a scheduled run would but
for two things that widen the crash window: JDE answers slowly (injected latency) and the child records
each JDE key in the ledger ``T_SLOW_RECORD`` seconds after JDE answered (a slow ledger). The kill lands
as soon as JDE holds the second record of the day: that record (and any other of the write step's batch
not yet recorded, ``flows.deferred``) is in JDE and not in the ledger. The rerun is a new in-process run;
it takes the killed run's leases over at once (the process holding them has ended; no wait for their
30 minutes), adopts every such record by what JDE holds, and creates the rest.
"""

from __future__ import annotations

from collections.abc import Iterator

import procore_jde_proofs as proofs
import pytest
from instances import instance_for_test
from kill9 import WriteStep, killed_then_rerun
from procore_jde_world import ProcoreJdeWorld, procore_jde_world

pytestmark = [pytest.mark.timeout(600), *proofs.SILENCED]  # a child process killed, a rerun
ORDERS = WriteStep(proofs.ORDERS_WRITTEN, "purchase_order", "purchase_orders", slow="jde")
VOUCHERS = WriteStep(proofs.VOUCHERS_WRITTEN, "voucher", "vouchers", slow="jde")


@pytest.fixture(scope="module")
def day(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ProcoreJdeWorld, proofs.Day]]:
    with (
        procore_jde_world(tmp_path_factory.mktemp("procore_jde_kill9")) as world,
        instance_for_test() as instance,
    ):
        world.instance = instance
        approved = proofs.approve_a_day(world)
        yield world, approved


def test_kill_9_mid_write_of_purchase_orders_then_a_rerun_leaves_one_order_per_commitment(day):
    world, approved = day
    commitments = approved.commitments
    mapped = world.run("procore/requisitions", proofs.ORDERS_MAPPED)[proofs.ORDERS_MAPPED]
    assert mapped["valid"] == len(commitments) and mapped["held"] == mapped["rejected"] == 0, mapped
    assert not proofs.orders_by_commitment(world, commitments)
    by_commitment = lambda: proofs.orders_by_commitment(world, commitments)  # noqa: E731
    # JDE was asked once per commitment: the orphan was adopted by its reference, not created again.
    killed_then_rerun(
        world,
        ORDERS,
        commitments,
        by_commitment,
        posts=lambda: proofs.posts(world, proofs.CREATE_PURCHASE_ORDER),
    )


def test_kill_9_mid_write_of_vouchers_then_a_rerun_leaves_one_batch_per_requisition(day):
    world, approved = day
    requisitions = set(approved.requisitions)
    assert proofs.orders_by_commitment(world, approved.commitments) == dict.fromkeys(approved.commitments, 1)
    mapped = world.run(proofs.VOUCHERS_MAPPED)[proofs.VOUCHERS_MAPPED]
    assert mapped["valid"] == len(requisitions) and mapped["held"] == mapped["rejected"] == 0, mapped
    by_requisition = lambda: proofs.batches_by_requisition(world, requisitions)  # noqa: E731
    # The orphan was found in F0411Z1 (its claim predates the rerun) and adopted before any POST.
    killed_then_rerun(
        world,
        VOUCHERS,
        requisitions,
        by_requisition,
        posts=lambda: proofs.posts(world, proofs.CREATE_VOUCHERS),
    )
    xrefs = world.xrefs("voucher")
    assert all(xrefs.get(r) == f"MLPROCORE/PR{r}/PROCORE-REQ-{r}" for r in requisitions), xrefs
