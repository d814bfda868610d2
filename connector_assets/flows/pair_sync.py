"""When the two records of a pair synced both ways (a vendor and its supplier, Procore <-> JD Edwards) were
last brought together, and which side wins a conflict.

The pair's sync time (a ledger cursor ``vendor_pair:<vendor id>``, never moving backwards) is taken
*after* the other system answered, so the stamp our own write left there is never later: our write-back
does not come back as an edit. Newer wins when both sides changed since; a tie goes to JDE, the books
of record.
"""

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from connector_assets.flows.after_write import audit_record
from connector_assets.flows.core import FlowSpec, Mapped
from connector_assets.flows.documents import utc
from connector_resources.ledger import Ledger

STAMP_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"  # fixed width: the cursor compares as text


def shown(moment: datetime | None) -> str:
    return f"{utc(moment):%Y-%m-%d %H:%M:%S} UTC" if moment else "an unknown time"


@dataclass(frozen=True)
class PairSync:
    """The sync times of one integration's pairs (ledger cursors ``<stream>:<pair id>``, the pair id being
    the id of the record on the side the pair is keyed by, e.g. the Procore vendor id)."""

    integration: str
    stream: str = "vendor_pair"

    def _stream(self, pair_id: str) -> str:
        return f"{self.stream}:{pair_id}"

    def synced_at(self, ledger: Ledger, pair_id: str) -> datetime | None:
        """When the integration last wrote either side of this pair (None: never)."""
        text = ledger.get_cursor(self.integration, self._stream(pair_id))
        return datetime.strptime(text, STAMP_FORMAT).replace(tzinfo=UTC) if text else None

    def mark_synced(self, ledger: Ledger, pair_id: str) -> None:
        """Record that the pair was written now (call after the other system answered)."""
        ledger.advance_cursor(
            self.integration, self._stream(pair_id), datetime.now(UTC).strftime(STAMP_FORMAT)
        )

    def pair_written(
        self,
        ledger: Ledger,
        pair_id: str,
        record: Any,
        spec: FlowSpec,
        target_id: str,
        *,
        run_id: str | None,
        partition: str | None = None,
    ) -> None:
        """After ``spec``'s flow wrote one side of a pair (``record``, a ``Mapped``): the pair's sync time
        moves, and when both sides had changed (``natural_key["conflict"]``, newer wins) the audit says which
        edit was written and which was not (an ``update`` event of the flow)."""
        self.mark_synced(ledger, pair_id)
        conflict = record.natural_key.get("conflict")
        if conflict:
            audit_record(
                ledger, spec, "update", record.source_key, conflict, target_id=target_id, run_id=run_id,
                partition=partition,
            )  # fmt: skip


def with_conflict(record: object, conflict: str | None) -> Any:
    """``record`` carrying the newer-wins verdict (``natural_key["conflict"]``) when both sides had
    changed, so ``pair_written`` audits it once the write is done; a refusal, or a record with no
    conflict, as it is."""
    if isinstance(record, Mapped) and conflict:
        return replace(record, natural_key={**record.natural_key, "conflict": conflict})
    return record


def parse_stamp(value: object) -> datetime | None:
    """An ISO 8601 change stamp (Procore's ``updated_at``, ``Z`` for UTC) as aware UTC; None when absent or
    unreadable."""
    if isinstance(value, datetime):
        return utc(value)
    text = str(value or "").strip()
    if not text:
        return None
    try:
        return utc(datetime.fromisoformat(text.replace("Z", "+00:00")))
    except ValueError:
        return None


def only_ours(edited: datetime | None, since: datetime | None) -> bool:
    """Whether a side's stamp says it changed only by our own writes: earlier than the second of the last
    sync. The stamps count whole seconds, so an edit in that same second is not taken for ours; it goes on
    to the content hash (unchanged: skipped) and to the target's comparison of what it holds."""
    if since is None or edited is None:
        return False
    return edited < since.replace(microsecond=0)


@dataclass(frozen=True)
class Verdict:
    """Whether the side a flow reads wins this pair, and the audit's words when it was a conflict."""

    writes: bool
    conflict: str = ""


def decide(
    flow_side: str,
    flow_at: datetime | None,
    other_side: str,
    other_at: datetime | None,
    since: datetime | None,
) -> Verdict:
    """Whether a flow reading ``flow_side`` (edited at ``flow_at``) writes over ``other_side`` (edited at
    ``other_at``), given the pair's last sync ``since``. Only a conflict (both edited since) can stop it."""
    if since is None or flow_at is None or other_at is None:
        return Verdict(True)
    if not (flow_at > since and other_at > since):
        return Verdict(True)
    flow_wins = flow_at > other_at or (flow_at == other_at and flow_side == "JDE")
    newer, older = (
        ((flow_side, flow_at), (other_side, other_at))
        if flow_wins
        else (
            (other_side, other_at),
            (flow_side, flow_at),
        )
    )
    words = (
        f"conflict: {newer[0]} edit at {shown(newer[1])} is newer than the {older[0]} edit at "
        f"{shown(older[1])}; {newer[0]} wins"
    )
    return Verdict(flow_wins, words)
