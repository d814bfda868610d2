"""The natural-key search of a chunk of records a write step has just claimed, in one go, for a target
whose API searches many keys in one call (``records.BatchFinder``: Coupa's ``[in]`` operator).

Why: every create is preceded by a search of the target by natural key after the record's claim, so a
crashed attempt's record is adopted, never doubled. One record at a time that is one call or more per
record before its create, most of a backfill's calls. The write step claims records a chunk ahead in one
commit (``PartitionWriter._claim_ahead``); searching the chunk right after that commit keeps the order
the exactly-once proofs rest on (claim durable, then search, then create) at one call per key for up
to 49 records.

What stays per record: a record the batch does not settle (``find_many`` leaves it out) is searched by
``find`` alone when its turn comes, as before; a chunk in which some record could not be claimed ahead
(another writer holds it; it is claimed alone later) is not searched in a batch at all, since that record
may be created between the batch's search and a later record's create; if the batch search fails, every
record of the chunk is searched alone (its error, if it recurs, is then that record's).

With several workers (``FlowSpec.write_concurrency``), records of the previous chunk may still be in
flight when a chunk is searched: two records sharing a natural key across chunks could then both miss
each other, as two workers searching at once already can. Coupa's targets, the only ones with
``find_many`` today, write one record at a time.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from connector_assets.flows.records import Mapped
from connector_resources.redaction import get_logger, redact

log = get_logger(__name__)


def found_ahead(flow: str, target: Any, records: Sequence[Mapped]) -> dict[str, str | None]:
    """By source key, the target ID of each record's natural-key match (None: no match) that
    ``target.find_many`` settled; {} when the target has no ``find_many`` or its search failed."""
    finder = getattr(target, "find_many", None)
    if not callable(finder) or not records:
        return {}
    try:
        answer = finder(records)
    except Exception as exc:  # each record is searched alone instead, where its error is its own
        log.warning(
            "%s: could not search %d records at once, searching one at a time: %s",
            flow,
            len(records),
            redact(str(exc)),
        )
        return {}
    keys = {record.source_key for record in records}
    return {key: None if found is None else str(found) for key, found in answer.items() if key in keys}
