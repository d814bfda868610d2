"""The natural-key search of a chunk of records a write step has just claimed, in one go, for a target
whose API searches many keys in one call (``records.BatchFinder``: Coupa's ``[in]`` operator). Why (most of
a backfill's calls were the search before each create), and how claim -> search -> create keeps the
exactly-once order with several workers: docs/flows.md, "The write step's ledger work".
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Sequence
from contextlib import suppress
from typing import TYPE_CHECKING

from connector_assets.flows.records import FlowSpec, Mapped
from connector_assets.flows.write_once import Claimed
from connector_resources.redaction import get_logger, redact

if TYPE_CHECKING:
    from connector_assets.flows.write_once import Lease
    from connector_resources.ledger import Ledger

log = get_logger(__name__)


def found_ahead(flow: str, target: object, records: Sequence[Mapped]) -> dict[str, str | None]:
    """By source key, the target ID of each record's natural-key match (None: no match) that
    ``target.find_many`` settled; {} when the target has no ``find_many`` or its search failed."""
    finder = getattr(target, "find_many", None)
    if not callable(finder) or not records:
        return {}
    try:
        answer = finder(records)
    except Exception as exc:  # each record is searched alone instead, where its error is its own
        log.warning("%s: could not search %d records at once: %s", flow, len(records), redact(str(exc)))
        return {}
    keys = {record.source_key for record in records}
    return {key: None if found is None else str(found) for key, found in answer.items() if key in keys}


class SearchedKeys:
    """The search keys a target's chunks were searched by (``find_many``), shared by its workers' threads:
    a key met twice, in one chunk or in an earlier one, is left to ``find`` alone, since a worker may be
    writing that record meanwhile."""

    def __init__(self) -> None:
        self._seen: set[Hashable] = set()
        self._lock = threading.Lock()

    def alone(self, keys_by_record: Iterable[Iterable[Hashable]]) -> set[Hashable]:
        """Of these records' keys, those to search alone; every one counts as searched from now on."""
        counts = Counter(key for keys in keys_by_record for key in set(keys))
        with self._lock:
            alone = {key for key, n in counts.items() if n > 1} | self._seen
            self._seen.update(counts)
        return alone


def found_each(find: Callable[[Mapped], str | None], records: Iterable[Mapped]) -> dict[str, str | None]:
    """``find``'s answer for each record, from what a ``find_many`` read ahead for it; a record ``find``
    refuses is left out, for its write to call ``find`` alone, which says why."""
    answer: dict[str, str | None] = {}
    for record in records:
        with suppress(Exception):
            answer[record.source_key] = find(record)
    return answer


class SearchAhead:
    """A ranged write step's search of its next days (docs/flows.md, ``SearchAhead``): when a day's writes
    are done, the first records of the days after it, up to a chunk, are claimed and searched in one go
    (``take`` hands them over), only when nothing of an earlier look-ahead waits; claims never used are
    ended by ``release``."""

    def __init__(
        self,
        upcoming: Callable[[], Iterable[list[Mapped]]],
        awaits: Callable[[Mapped], bool] = lambda record: False,
    ) -> None:
        self._upcoming = upcoming  # the valid records of the days after the one written, as read ahead
        self._awaits = awaits  # a record the run leaves to a replay (``writer.awaits_replay``)
        self.held: dict[str, Claimed] = {}

    def take(self, keys: Iterable[str]) -> dict[str, Claimed]:
        """The claims (and answers) held for ``keys``, handed over to the day writing them."""
        return {key: self.held.pop(key) for key in keys if key in self.held}

    def window(self, room: int, seen: set[str]) -> list[Mapped]:
        """The next days' first records, at most ``room``, in the order they are written (see class)."""
        out: list[Mapped] = []
        keys = set(seen)
        for records in self._upcoming():
            for record in records:
                if len(out) >= room or record.source_key in keys or self._awaits(record):
                    return out
                keys.add(record.source_key)
                out.append(record)
        return out

    def search(
        self, spec: FlowSpec, target: object, ledger: Ledger, lease: Lease, room: int, seen: set[str]
    ) -> None:
        """Claim and search the next days' first records once nothing searched earlier waits for its write."""
        if self.held or not callable(getattr(target, "find_many", None)):
            return
        window = self.window(room, seen)
        if window:
            self.held = claim_and_search(spec, target, ledger, lease, window)

    def release(self, spec: FlowSpec, ledger: Ledger, lease: Lease) -> None:
        """End the claims held for days that did not use them (the step stopped, or a day failed)."""
        keys, self.held = list(self.held), {}
        release_claims(spec, ledger, lease, keys)


def claim_and_search(
    spec: FlowSpec, target: object, ledger: Ledger, lease: Lease, records: Sequence[Mapped]
) -> dict[str, Claimed]:
    """By source key, ``lease``'s claim on each of ``records`` not yet written, taken in one commit, with
    what ``target.find_many`` answered for it. All or nothing: a record another writer holds may be
    created before the others, so then none is claimed ({}), as when the ledger fails."""
    flow = (spec.integration, spec.entity, spec.source_system)
    keys = [record.source_key for record in records]
    try:
        known = ledger.get_xrefs(*flow, keys, spec.target_system)
        unwritten = [key for key in keys if not (known.get(key) and known[key].target_id)]
        taken = ledger.claim_xrefs(
            *flow, unwritten, spec.target_system, owner=lease.owner, inherits=lease.inherits, gone=lease.gone
        )
    except Exception as exc:  # each record claims its own, as without claims ahead
        log.warning("%s: could not claim %d records ahead: %s", spec.flow, len(keys), exc)
        return {}
    if taken.keys() != set(unwritten):
        release_claims(spec, ledger, lease, list(taken))
        return {}
    found = found_ahead(spec.flow, target, [record for record in records if record.source_key in taken])
    return {key: Claimed(xref, found[key]) if key in found else Claimed(xref) for key, xref in taken.items()}


def release_claims(spec: FlowSpec, ledger: Ledger, lease: Lease, keys: list[str]) -> None:
    """End ``lease``'s claims on ``keys`` that no write used (taken by ``claim_and_search``, or by a write
    step's claims ahead of a day that stopped), so the next writer claims them at once."""
    if not keys:
        return
    try:
        flow = (spec.integration, spec.entity, spec.source_system)
        ledger.release_xrefs(*flow, keys, spec.target_system, owner=lease.owner)
    except Exception as exc:  # they lapse with the lease, or end with this run (``Lease.gone``)
        log.warning("%s: could not end %d claim(s) no write used: %s", spec.flow, len(keys), exc)
