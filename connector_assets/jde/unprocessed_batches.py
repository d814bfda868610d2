"""Payments held until JDE's Batch Voucher Processor (R04110ZA, on JDE's own schedule) has made their voucher
batch a voucher: waiting, never counted failed; each payments flow lists the sweep in its replay.
"""

from __future__ import annotations

from connector_assets.flows.replays import Resources
from connector_assets.jde.target_base import BATCH_TABLE, BatchKey, VoucherNotReady
from connector_resources.held_outside import Kind, OutsideCheck, outside_key
from connector_resources.jde.session import JdeSession
from connector_resources.refusals import target_processing
from connector_resources.replay import WaitsFor

UNPROCESSED = ("JDE", "voucher_batch", BATCH_TABLE)  # the kind of state the payments are held on


def batch_wait_key(key: BatchKey) -> str:
    """What a payment waiting for batch ``key`` is held on."""
    return outside_key(UNPROCESSED, key.target_id)


class VoucherUnprocessed(VoucherNotReady, WaitsFor):
    """The voucher batch is in F0411Z1 but R04110ZA has not made it a voucher yet: held on the batch, not
    failed; released once it has (``processed_batches``)."""

    def __init__(self, key: BatchKey, invoice: str) -> None:
        reason = (
            f"held until JDE's Batch Voucher Processor (R04110ZA) turns voucher batch {key.target_id} of "
            f"invoice {invoice} into a voucher: the payment can only be recorded on the voucher. The next "
            "replay (or a rerun of the day) after R04110ZA has run records it"
        )
        waits = batch_wait_key(key)
        processing = target_processing(reason, system="JDE", waits_for=f"voucher batch {key.target_id}")
        WaitsFor.__init__(self, waits, reason, processing)


def _batch_of(target_id: str) -> BatchKey | None:
    """The batch key a wait key names (EDUS and EDBT hold no ``/``: the integrations' keys are letters and
    digits), None when it does not name one."""
    parts = target_id.split("/", 2)
    return BatchKey(*parts) if len(parts) == 3 and all(parts) else None


def processed_batches(session: JdeSession, batches: list[str]) -> dict[str, str]:
    """Batch (``EDUS/EDBT/EDTN``) -> why its payments may go now: R04110ZA processed it (``EDSP = 1`` on
    its rows), or its rows are gone from F0411Z1 (purged after processing, or deleted: the replay then
    finds the voucher or says why it cannot). Batches still unprocessed are left out."""
    ready: dict[str, str] = {}
    for batch in batches:
        key = _batch_of(batch)
        if key is None:
            continue
        rows = list(session.browse(BATCH_TABLE, columns=["EDLN", "EDSP"], conditions=key.conditions()))
        if any(str(row.get("EDSP") or "").strip() == "1" for row in rows):
            ready[batch] = f"JDE's Batch Voucher Processor (R04110ZA) made voucher batch {batch} a voucher"
        elif not rows:
            ready[batch] = (
                f"voucher batch {batch} is no longer in JDE's F0411Z1 (processed and purged, or deleted)"
            )
    return ready


def unprocessed_checks(resources: Resources) -> dict[Kind, OutsideCheck]:
    """The sweep releasing the payments held on unprocessed batches once R04110ZA has run (a flow's
    ``Replay.outside``), reading F0411Z1 on ``resources()["jde"]`` (the JDE its replays write with, built
    when a sweep asks)."""

    def check(batches: list[str]) -> dict[str, str]:
        with resources()["jde"].session() as session:
            return processed_batches(session, batches)

    return {UNPROCESSED: check}
