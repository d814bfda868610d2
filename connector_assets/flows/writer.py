"""The write step's loop over one day's records: one at a time, or ``FlowSpec.write_concurrency`` at once,
to fill a target's cap on requests in flight (BILL: 3 per organization). The rules of its workers:
docs/flows.md, "The write step's ledger work".
"""

from __future__ import annotations

import contextvars
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from dagster import Failure

from connector_assets.flows.core import (
    BeingWritten,
    Claimed,
    FlowSpec,
    Lease,
    LeaseWaits,
    Mapped,
    Rejected,
    queue_failure,
    write_record,
)
from connector_assets.flows.deferred import DeferredWrites
from connector_assets.flows.found_ahead import SearchAhead, found_ahead, release_claims
from connector_assets.runtime.step_retry import is_transient, refused_for_good
from connector_resources.errors import when_again
from connector_resources.ledger import Ledger, lease_wait
from connector_resources.parent_verdicts import REFUSED_FOR_GOOD
from connector_resources.redaction import get_logger, redact
from connector_resources.refusals import Refusal, refusal_of
from connector_resources.replay import WaitsFor

# Consecutive records the target did not answer for (outage, throttling beyond the client's retries),
# with none of the day written, after which the day is failed instead of trying every record.
UNREACHABLE_AFTER = 3
LOOKUP_PAGE = 200  # units whose xrefs one query looks up (``PartitionWriter._preload``)

log = get_logger(__name__)


class TargetUnreachable(Failure):
    """The target answered none of a partition's writes: the step fails so "rerun failed" covers it."""


class TargetRefusesUntil(Failure):
    """The target refuses every call until a known time (BILL's hourly request cap): the step stopped
    sending at once, queued what it had not sent with that time, and fails without a step retry."""


def awaits_replay(item: Any, record: Mapped) -> bool:
    """Whether a run leaves ``record`` to ``ml-connector replay``: its open queue item says the target
    refused it for good, and it is unchanged since (same body). A changed record is sent again: the change
    may be the fix. A held item, or a failure that may pass (an outage), is sent as before."""
    payload = item.payload
    if item.status != "failed" or not payload.get(REFUSED_FOR_GOOD) or not payload.get("body"):
        return False
    return Mapped.from_payload(payload).content_hash() == record.content_hash()


def refused_until(exc: BaseException) -> datetime | None:
    """When the target accepts calls again, if ``exc`` is a limit that holds until a known future time."""
    retry_at = getattr(exc, "retry_at", None)
    if not isinstance(retry_at, datetime):
        return None
    moment = retry_at if retry_at.tzinfo else retry_at.replace(tzinfo=UTC)
    return moment if moment > datetime.now(UTC) else None


def write_workers(spec: FlowSpec, target: Any) -> int:
    """Records written at once: the flow's ``write_concurrency``, but never more than twice the in-flight
    cap the target's client states (``max_in_flight``, e.g. BILL's 3 lowered in settings): the client
    holds the requests to its cap; records beyond it only prepare the next request meanwhile."""
    workers = max(1, int(spec.write_concurrency))
    cap = getattr(target, "max_in_flight", None)
    if isinstance(cap, int) and not isinstance(cap, bool) and cap >= 1:
        workers = min(workers, 2 * cap)
    return workers


class PartitionWriter:
    """Writes one partition's valid records through ``write_record`` (see module docstring)."""

    def __init__(
        self,
        spec: FlowSpec,
        target: Any,
        ledger: Ledger,
        *,
        run_id: str,
        partition: str | None,
        lease: Lease,
        queued: dict[str, Any],
        counts: dict[str, int],
        search_ahead: SearchAhead | None = None,
    ) -> None:
        self.spec, self.target, self.ledger = spec, target, ledger
        # A ranged step's claims and searches of its next days' first records (``found_ahead``).
        self.search_ahead = search_ahead
        self._taken_ahead: set[str] = set()
        self.run_id, self.partition = run_id, partition
        self.queued, self.counts = queued, counts
        self._lock = threading.Lock()
        gone = self._serialised(lease.gone) if lease.gone else None
        self.lease = replace(lease, gone=gone, waits=LeaseWaits(lease_wait()))
        self.leased_by: Counter[str] = Counter()  # records held behind another live writer, by writer
        self.written = 0
        self.unreachable = 0
        self.last_error: BaseException | None = None
        self.until: datetime | None = None  # the target refuses calls until then
        self.until_error: BaseException | None = None
        self.gave_up = False
        self.crashed = False
        self._units: list[list[Mapped]] = []
        self._next = 0
        self._unsent: list[Mapped] = []
        # The look-ups of the next page of units, in one query (``Ledger.get_xrefs``); each record's
        # claim still decides under its own transaction (``flows.write_once._claim``).
        self._preloaded: dict[str, Any] = {}
        self._preloaded_upto = 0
        # Units whose claims were taken ahead (``_claim_ahead``), and the keys claimed, by unit index.
        self._claimed_upto = 0
        self._claimed: dict[str, int] = {}
        self.peak_workers = 0
        # Target ids, audit events and releases of the records written, recorded with the next claim
        # (``flows.deferred``), a batch per claim ahead. Flushed by ``run`` before it returns or raises.
        self.deferred = DeferredWrites()
        self._resolve: list[tuple[int, str, str]] = []  # queue items of records written: id, key, why

    def _serialised(self, gone: Callable[[str], bool]) -> Callable[[str], bool]:
        lock = threading.Lock()

        def ask(run_id: str) -> bool:  # the Dagster instance is asked from one thread at a time
            with lock:
                return gone(run_id)

        return ask

    # -- the loop ----------------------------------------------------------------------------------

    def run(self, records: list[Mapped], workers: int) -> None:
        """Write ``records`` with up to ``workers`` at once; raise when the target stopped the day. What
        the writes left pending in the ledger is recorded first, whatever happens (``_settle``)."""
        try:
            self._run(records, workers)
        finally:
            self._settle()
        rest = self._unsent + [r for unit in self._units[self._next :] for r in unit]
        if self.until is not None:
            self._stop_for_limit(rest)
        if self.gave_up:
            self._give_up(rest)

    def _settle(self) -> None:
        """Flush the deferred records; count those the ledger refused as failed (they are queued with
        why); end the claims taken ahead for records never sent; then resolve the earlier queue items of
        the records now recorded."""
        self.deferred.flush(self.ledger)
        self._release_unsent_claims()
        refused = {item.source_key for item in self.deferred.failed}
        for item in self.deferred.failed:
            self.counts[item.action] -= 1
            self.counts["fail"] += 1
            self.written -= 1
        self.deferred.failed.clear()
        self.counts["released"] += self.deferred.released
        self.deferred.released = 0
        resolve, self._resolve = self._resolve, []
        for item_id, source_key, reason in resolve:
            if source_key not in refused:
                self.ledger.resolve(item_id, reason=reason)

    def _run(self, records: list[Mapped], workers: int) -> None:
        by_key: dict[str, list[Mapped]] = {}
        for record in records:
            by_key.setdefault(record.source_key, []).append(record)
        self._units = list(by_key.values())
        self._next, self._preloaded_upto, self._claimed_upto = 0, 0, 0
        self._preloaded.clear()
        self._claimed.clear()
        self._taken_ahead.clear()
        workers = max(1, min(workers, len(self._units)))
        self.peak_workers = workers
        if workers == 1:
            self._work()
        else:
            with ThreadPoolExecutor(workers, thread_name_prefix=f"write-{self.spec.flow}") as pool:
                # Each worker in a copy of this thread's context (what ``parent_pull.PULLING`` says).
                futures = [pool.submit(contextvars.copy_context().run, self._work) for _ in range(workers)]
                errors = [f.exception() for f in futures]
            first = next((e for e in errors if e is not None), None)
            if first is not None:
                raise first
        ahead = self.search_ahead
        with self._lock:
            stopped = not self._may_send()
        if ahead is not None and not stopped:  # the day is written: the next days' first chunk searched now
            seen = {unit[0].source_key for unit in self._units}
            ahead.search(self.spec, self.target, self.ledger, self.lease, self.deferred.batch, seen)

    def _may_send(self) -> bool:
        """Under the lock: whether another record may be sent (see "Stopping" in the module docstring)."""
        if self.until is not None or self.crashed or self.gave_up:
            return False
        if self.unreachable >= UNREACHABLE_AFTER and self.written == 0 and self.last_error is not None:
            self.gave_up = True
            return False
        return True

    def _take(self) -> list[Mapped] | None:
        with self._lock:
            if not self._may_send() or self._next >= len(self._units):
                return None
            if self._next >= self._preloaded_upto:
                self._preload()
            if self._next >= self._claimed_upto:
                self._claim_ahead()
            unit = self._units[self._next]
            self._next += 1
            return unit

    def _preload(self) -> None:
        """Under the lock: look up the next ``LOOKUP_PAGE`` units' xrefs in one query. A page, not the
        whole step, so the snapshot a record is judged by is minutes old at most, not hours."""
        spec, upto = self.spec, min(self._next + LOOKUP_PAGE, len(self._units))
        keys = [unit[0].source_key for unit in self._units[self._next : upto]]
        self._preloaded.update(
            self.ledger.get_xrefs(spec.integration, spec.entity, spec.source_system, keys, spec.target_system)
        )
        if self.search_ahead is not None:  # claimed and searched by the day before: this writer's now
            taken = self.search_ahead.take(keys)
            for n in range(self._next, upto):
                key = self._units[n][0].source_key
                if key in taken:
                    self._preloaded[key] = taken[key]
                    self._claimed[key] = n
                    self._taken_ahead.add(key)
        self._preloaded_upto = upto

    def _claim_ahead(self) -> None:
        """Under the lock: claim the next ``deferred.batch`` units in one commit (``Ledger.claim_xrefs``,
        the pending deferred records in its transaction), then search them at once if the target can.

        Why: a claim must be durable before its create, and one commit per record was most of the
        ledger's CPU per record. A page, not the step: claimed records hold their lease until sent. A key
        the page did not claim is claimed alone as before. Units the day before claimed and searched
        (``SearchAhead``) are written first."""
        first = self._next
        while first < self._preloaded_upto and self._units[first][0].source_key in self._taken_ahead:
            first += 1
        if first > self._next:
            self._claimed_upto = first
            return
        spec, upto = self.spec, min(self._next + self.deferred.batch, self._preloaded_upto)
        index: dict[str, int] = {}
        for n in range(self._next, upto):
            key = self._units[n][0].source_key
            hint = self._preloaded.get(key)
            if hint is None or (not isinstance(hint, Claimed) and hint.target_id is None):
                index[key] = n
        self._claimed_upto = upto
        if not index:
            return
        try:
            with self.deferred.committing(self.ledger) as flush:
                taken = self.ledger.claim_xrefs(
                    spec.integration,
                    spec.entity,
                    spec.source_system,
                    list(index),
                    spec.target_system,
                    owner=self.lease.owner,
                    inherits=self.lease.inherits,
                    gone=self.lease.gone,
                    first=flush,
                )
        except Exception as exc:  # each record then claims alone, where its error is reported
            log.warning("%s: could not claim records ahead, claiming one at a time: %s", spec.flow, exc)
            return
        # Searched only when the whole chunk is claimed here: one claimed alone may be created first.
        found = {}
        if taken.keys() == index.keys():
            found = found_ahead(spec.flow, self.target, [self._units[index[key]][0] for key in taken])
        for key, xref in taken.items():
            self._preloaded[key] = Claimed(xref, found[key]) if key in found else Claimed(xref)
            self._claimed[key] = index[key]

    def _release_unsent_claims(self) -> None:
        """End the leases claimed ahead for units never taken (the day stopped, or a worker failed), so
        the next writer (a rerun, a replay) claims them at once."""
        unsent = [key for key, n in self._claimed.items() if n >= self._next]
        self._claimed.clear()
        release_claims(self.spec, self.ledger, self.lease, unsent)

    def _work(self) -> None:
        try:
            while (unit := self._take()) is not None:
                for position, record in enumerate(unit):
                    if position:
                        with self._lock:
                            if not self._may_send():
                                self._unsent.extend(unit[position:])
                                break
                    self._write(record)
            self.deferred.flush(self.ledger)  # another run may wait for these target ids
        except BaseException:
            with self._lock:
                self.crashed = True
            raise

    def _write(self, record: Mapped) -> None:
        spec, ledger = self.spec, self.ledger
        try:
            result = write_record(
                spec,
                self.target,
                ledger,
                record,
                run_id=self.run_id,
                partition=self.partition,
                lease=self.lease,
                deferred=self.deferred,
                preloaded=self._preloaded,
            )
        except BeingWritten as busy:  # another run is creating it now: held, neither sent nor failed
            with self._lock:
                self.counts["leased"] += 1
                self.leased_by[busy.owner or "?"] += 1
            self._queue(record, busy.refusal, status="held", depends_on=busy.depends_on)
            return
        except WaitsFor as waits:  # the target says it waits (JDE's batch processor): held, not failed
            with self._lock:
                self.counts["held"] += 1
            held = Refusal(waits.refusal.kind, redact(waits.reason), waits.refusal.params)
            self._queue(record, held, status="held", depends_on=waits.depends_on)
            return
        except Exception as exc:  # one record's failure never stops the batch (XrefConflict too)
            until = refused_until(exc)
            with self._lock:
                self.counts["fail"] += 1
                self.unreachable = self.unreachable + 1 if is_transient(exc) else 0
                self.last_error = exc
                if until is not None and self.until is None:
                    self.until, self.until_error = until, exc
            why = redact(f"{spec.entity} {record.source_key}: {exc}")
            refusal = refusal_of(exc, why, system=spec.target_system)
            self._queue(record, refusal, refused=refused_for_good(exc))
            return
        with self._lock:
            self.written += 1
            self.counts[result.action] += 1
            self.counts["released"] += result.released
            for mark in result.marks:  # only on the days they occur: "redated", "warned" (``Created.marks``)
                self.counts[mark] = self.counts.get(mark, 0) + 1
            item = self.queued.pop(record.source_key, None)
        if item is not None:  # resolved once its record is recorded (``_settle``)
            with self._lock:
                self._resolve.append(
                    (item.id, record.source_key, f"written by run {self.run_id}: {result.action}")
                )

    def _queue(
        self,
        record: Mapped,
        refusal: Refusal,
        *,
        status: str = "failed",
        depends_on: str | None = None,
        refused: bool = False,
    ) -> None:
        """Queue ``record`` with why, as data (``refusal``: its sentence is the reason); ``refused``: the
        target refused it for good, so runs leave it to a replay until it changes (``awaits_replay``)."""
        payload = record.to_payload()
        if refused:
            payload[REFUSED_FOR_GOOD] = True
        queue_failure(
            self.spec,
            self.ledger,
            Rejected.of(record.source_key, refusal, payload),
            status=status,
            depends_on=depends_on,
            run_id=self.run_id,
            partition=self.partition,
        )

    # -- stopping the day ----------------------------------------------------------------------------

    def _queue_unsent(self, rest: list[Mapped], why: str, kind: str, params: dict[str, str]) -> None:
        """Queue the records the stopped day did not send, as waits of ``kind`` (a limit, an outage)."""
        system = {"system": self.spec.target_system}
        for record in rest:
            sentence = f"{self.spec.entity} {record.source_key}: not sent, {why}"
            self._queue(record, Refusal(kind, sentence, {**system, **params}))
        self.counts["fail"] += len(rest)

    def _stop_for_limit(self, rest: list[Mapped]) -> None:
        assert self.until is not None
        spec, when = self.spec, when_again(self.until)
        cause = redact(str(self.until_error))
        why = f"{spec.target_system} accepts calls again at {when} ({cause})"
        self._queue_unsent(rest, why, "rate_limited", {"until": self.until.isoformat()})
        raise TargetRefusesUntil(
            f"{spec.flow}: {spec.target_system} refuses every call until {when}, so the write of "
            f"{self.partition or 'the table'} stopped at once: {self.written} record(s) written, "
            f"{len(rest)} not sent and {self.counts['fail']} in the retry queue with that time. Rerun the "
            f"partition (or replay) after {when}; retrying sooner only spends more of the limit. {cause}",
            metadata={**self.counts, "partition": self.partition or "-", "accepts_calls_again": when},
            allow_retries=False,
        )

    def _give_up(self, rest: list[Mapped]) -> None:
        """Queue the records not yet tried and fail the step: the target is down for this day, and the
        step going red is what "rerun failed" picks up."""
        spec = self.spec
        why = redact(f"{spec.target_system} did not answer: {self.last_error}")
        status = getattr(self.last_error, "status", None)
        self._queue_unsent(rest, why, "target_unavailable", {"status": str(status or "")})
        raise TargetUnreachable(
            f"{spec.flow}: {spec.target_system} answered none of the {self.counts['fail']} writes of "
            f"{self.partition or 'the table'} ({why}); every record is in the retry queue. Rerun the "
            "partition (or replay) once it is back.",
            metadata={**self.counts, "partition": self.partition or "-"},
            allow_retries=False,
        )
