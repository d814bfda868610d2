"""The share of a day's records refused, and when it looks systemic (``FlowSpec.systemic_share``): most
likely one broken mapping or schema, so the day is marked loudly without holding back what passed. Which
checks turn red, and what never counts: docs/flows.md, "A flow: mapped, checked, written".
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from dagster import AssetCheckResult, AssetCheckSeverity, MetadataValue

from connector_assets.flows.reason_text import ReasonCounts, group_and_sentence
from connector_assets.flows.records import FlowSpec
from connector_resources.ledger import QueueItem
from connector_resources.needs_person import needs_person
from connector_resources.redaction import redact

SAMPLE = 3  # refusals quoted whole (the record and the field named), the rest only counted by kind
CAUSES_TOLD = 5  # kinds a message names; the check's metadata lists them all


@dataclass(frozen=True)
class RefusedShare:
    """How many of a day's records were refused before writing, why, and whether that looks systemic."""

    entity: str
    partition: str | None
    records: int
    refused: int
    systemic: bool
    causes: ReasonCounts = field(default_factory=ReasonCounts)  # records by cause
    sample: tuple[str, ...] = ()  # a few full reasons, redacted

    def message(self) -> str:
        """What the run's log and the step failure say: the share, the causes counted, a sample in full."""
        told = self.causes.most_common(CAUSES_TOLD)
        causes = "; ".join(f"{n} x {cause}" for cause, n in told)
        if len(self.causes) > len(told):
            causes += f"; {len(self.causes) - len(told)} other cause(s)"
        return (
            f"{self.refused} of {self.records} {self.entity} records for {self.partition or 'the table'} "
            f"were refused ({causes}; e.g. {'; '.join(self.sample)}): this looks systemic (mapping or "
            "schema). The others were written and the steps after them ran; the refused ones are in the "
            "retry queue with their reasons. Fix the cause, then ml-connector replay and rerun the day from "
            "failure (or rerun the whole day)."
        )


def shares_metadata(shares: Sequence[RefusedShare]) -> dict[str, Any]:
    """What a verdict records of ``shares`` (one day, or a range's systemic days): the refused records,
    the records judged, and the causes counted."""
    causes = ReasonCounts()
    for share in shares:
        causes.extend(share.causes)
    return {
        "refused": sum(s.refused for s in shares),
        "of_records": sum(s.records for s in shares),
        "systemic": any(s.systemic for s in shares),
        "refused_causes": MetadataValue.md(causes.markdown()),
    }


def judge(spec: FlowSpec, partition: str | None, records: int, refused: Iterable[object]) -> RefusedShare:
    """The verdict on ``records`` of a day of which ``refused`` (queue items, ``Rejected`` or ``Refusal``)
    were refused: systemic when more than ``spec.systemic_share`` of at least ``spec.systemic_min``
    records. They are counted by kind."""
    refused = list(refused)
    count = len(refused)
    return RefusedShare(
        entity=spec.entity,
        partition=partition,
        records=records,
        refused=count,
        systemic=records >= spec.systemic_min and count > spec.systemic_share * records,
        causes=ReasonCounts().update(refused),
        sample=tuple(redact(group_and_sentence(r)[1]) for r in refused[:SAMPLE]),
    )


def is_refusal(item: QueueItem) -> bool:
    """Whether an open queue item is a refusal (by the mapping, the flow's rules or the target): failed,
    and needing a person by its kind (``needs_person``, which decides an item without a kind or of a kind
    the catalog lacks: a person's). A held record released since (due for replay) still has the kind it
    waited with, and an outage or a limit clears by itself: neither is a refusal."""
    return item.status == "failed" and needs_person(item)


def judge_items(
    spec: FlowSpec, partition: str | None, items: Sequence[QueueItem], staged: Iterable[str]
) -> RefusedShare:
    """The verdict on a day taken from its open queue ``items`` and the source keys it staged: refused are
    the items ``is_refusal`` says; judged are those staged and those refused, less the held ones (waiting,
    not judged). So a replay of the refused records, or a rerun with the fixed mapping, clears it."""
    held = {i.source_key for i in items if i.status == "held"}
    refusals = {i.source_key: i for i in items if is_refusal(i)}
    judged = (set(staged) - held) | set(refusals)
    return judge(spec, partition, len(judged), refusals.values())


def mapped_check(check_name: str, share: RefusedShare, totals: dict[str, int]) -> AssetCheckResult:
    """The mapped step's ``writable`` check: passes unless the share is systemic, then fails with WARN
    severity, so it is shown red in the UI without blocking the write of the records that passed."""
    return AssetCheckResult(
        check_name=check_name,
        passed=not share.systemic,
        severity=AssetCheckSeverity.WARN,
        metadata={**totals, **shares_metadata([share])} if share.refused else totals,
        description=share.message() if share.systemic else None,
    )


def systemic_written_check(result: AssetCheckResult, shares: list[RefusedShare]) -> AssetCheckResult:
    """The write step's check (``written_check.check_result``), made red (ERROR) and carrying the grouped
    refusal causes when any day of the run is systemic."""
    systemic = [s for s in shares if s.systemic]
    if not systemic:
        return result
    return AssetCheckResult(
        asset_key=result.asset_key,
        check_name=result.check_name,
        passed=False,
        severity=AssetCheckSeverity.ERROR,
        metadata={**result.metadata, **shares_metadata(systemic)},
        description=" ".join(s.message() for s in systemic),
    )
