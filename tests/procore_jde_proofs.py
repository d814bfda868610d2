"""What the Procore -> JDE proof tests (kill -9, concurrent runs, outage, systemic failure) share: a day of
approved requisitions, the JDE records each must end up as exactly once, and the orchestration calls the
JDE simulator counted.

* ``approve_a_day(world)``: people approve a batch of subcontractor invoices today (new requisitions made
  and approved by the sandbox's activity, stamped now), each commitment's vendor linked to a JDE supplier
  in the ledger as the vendors flow leaves it (so no order waits for its vendor), and the master data the
  mapped steps read staged (F0901, the two mapping tables). Returns the ``Day``: the approved requisition
  ids and their commitments.
* ``orders_by_commitment`` / ``batches_by_requisition``: what JDE holds for them (F4301 by VR01
  ``PC-<commitment id>``, F0411Z1 by EDTN ``PROCORE-REQ-<requisition id>``), so a test asserts one each,
  none missing.
* ``posts(world, orchestration)``: how many times JDE was asked to run an orchestration (the simulator
  counts a call when it arrives, before its latency): double POSTs show here even when JDE's batch keys
  refused the second.

PYTEST_DONT_REWRITE: a helper, not a test module.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass

import pytest
from procore_jde_world import INTEGRATION, ProcoreJdeWorld
from sandbox_hands import JdeHands

from connector_assets.integrations.procore_jde.voucher_mappers import BatchKey
from connector_assets.jde.purchase_orders import CREATE_PURCHASE_ORDER
from connector_assets.jde.targets import CREATE_VOUCHERS

MASTER = ("jde/gl_accounts", "procore_jde/project_map", "procore_jde/cost_code_map")
ORDERS_MAPPED, ORDERS_WRITTEN = "procore_jde/purchase_orders_mapped", "procore_jde/purchase_orders_written"
VOUCHERS_MAPPED, VOUCHERS_WRITTEN = "procore_jde/vouchers_mapped", "procore_jde/vouchers_written"
APPROVED = ("approved", "approved_as_noted")
# Runs here mix the day's source read with its flow assets; the kit silences this for Dagster only.
SILENCED = [
    pytest.mark.filterwarnings("ignore:Asset job .* materializes assets with varying BackfillPolicies"),
    pytest.mark.filterwarnings("ignore:Found multiple backfill policies"),
]
__all__ = ["CREATE_PURCHASE_ORDER", "CREATE_VOUCHERS"]


@dataclass(frozen=True)
class Day:
    """A day's approved requisitions (id -> commitment id) and their distinct commitments."""

    requisitions: dict[str, str]

    @property
    def commitments(self) -> set[str]:
        return set(self.requisitions.values())


def link_vendor_in_ledger(world: ProcoreJdeWorld, vendor_id: str, an8: str) -> None:
    """The vendor's JDE address number in the ledger, as the vendors flow records it after a sync (also
    for a vendor whose Procore origin_id another integration owns: the link then lives in the ledger)."""
    digest = hashlib.sha256(f"vendor {vendor_id}".encode()).hexdigest()
    world.ledger.record_target(INTEGRATION, "vendor", "procore", vendor_id, "JDE", an8, digest)


def approve_a_day(world: ProcoreJdeWorld, *, new: int = 14, at_least: int = 10) -> Day:
    """People's invoices of today, approved (see module docstring); at least ``at_least`` of them, each on
    its own commitment, so a day holds enough records for a kill to land mid-write and for the kit's
    systemic rule (10 records or more)."""
    world.activity(new_requisitions=new)
    world.activity(updated_requisitions=10 * new)  # every open invoice approved now
    requisitions: dict[str, str] = {}
    vendors: set[str] = set()
    for row in world.procore_records("requisitions"):
        if row["status"] in APPROVED and row["deleted_at"] is None and row["updated_at"][:10] == world.day:
            requisitions[str(row["id"])] = str(row["commitment_id"])
    for commitment in set(requisitions.values()):
        vendors.add(str(world.procore_record("commitments", commitment)["vendor_id"]))
    suppliers = [str(row["AN8"]) for row in world.jde_rows("F0401")]
    assert len(suppliers) >= len(vendors), (len(suppliers), len(vendors))
    for vendor, an8 in zip(sorted(vendors), suppliers, strict=False):
        link_vendor_in_ledger(world, vendor, an8)
    assert len(set(requisitions.values())) == len(requisitions) >= at_least, requisitions
    world.run_whole(*MASTER)
    return Day(requisitions)


def orders_by_commitment(world: ProcoreJdeWorld, commitments: set[str]) -> Counter[str]:
    """JDE purchase orders (F4301 headers) per commitment, by their reference ``PC-<commitment id>``."""
    wanted = {f"PC-{c}": c for c in commitments}
    return Counter(
        wanted[row["VR01"].strip()] for row in world.jde_rows("F4301") if row["VR01"].strip() in wanted
    )


def batches_by_requisition(world: ProcoreJdeWorld, requisitions: set[str]) -> Counter[str]:
    """JDE voucher pay items (F0411Z1 rows of the integration's batches) per requisition, by EDTN
    (``voucher_mappers.BatchKey``: ``PROCORE-REQ-<id>``, base 36 over 10 digits): one pay item per
    requisition's voucher batch."""
    wanted = {BatchKey.for_requisition(str(r)).transaction: r for r in requisitions}
    rows = world.jde_rows("F0411Z1", EDUS="MLPROCORE")
    return Counter(wanted[row["EDTN"].strip()] for row in rows if row["EDTN"].strip() in wanted)


def posts(world: JdeHands, orchestration: str) -> int:
    """Calls of ``orchestration`` the JDE simulator received so far (counted on arrival)."""
    return world.orchestration_calls(orchestration)


def change_order_added(
    world: ProcoreJdeWorld, header: dict, change_order: dict
) -> tuple[list[dict], list[dict]]:
    """(the F4311 rows the change order added to the JDE order ``header``: its ``PCCO-<id>`` reference,
    the live lines of the change order in Procore), asserted one row per line (at least one) with the
    same total."""
    added = world.jde_rows(
        "F4311", DOCO=header["DOCO"], DCTO=header["DCTO"], VR01=f"PCCO-{change_order['id']}"
    )
    lines = [
        x
        for x in world.procore_records(
            "commitment_change_order_line_items", change_order_id=change_order["id"]
        )
        if x["deleted_at"] is None
    ]
    assert len(added) == len(lines) >= 1
    assert sum(row["AEXP"] for row in added) == sum(x["amount_cents"] for x in lines)
    return added, lines
