"""Writing a record exactly once: the run's lease on a record (``Lease``, ``LeaseWaits``), the claim in the
ledger, the natural-key search that adopts what a crashed attempt created, and only then the create
(``write_one``, ``write_record``). Every write, a run's or a replay's, goes through here.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection
from tenacity import Retrying, retry_if_exception_type, stop_after_delay, wait_exponential

from connector_assets.flows.after_write import queue_failure, release_dependents
from connector_assets.flows.deferred import DeferredWrites, Pending
from connector_assets.flows.records import Created, FlowSpec, Mapped, Rejected, Target
from connector_resources.ledger import (
    Ledger,
    Recording,
    Xref,
    XrefConflict,
    XrefLeased,
    lease_length,
    lease_wait,
)
from connector_resources.redaction import get_logger, redact
from connector_resources.refusals import being_written, refusal_of
from connector_resources.replay import WaitsFor, replay_writer

log = get_logger(__name__)


class LeaseWaits:
    """How long a write step may still wait for records other live writers hold: ``lease_wait()`` in
    all, from its first wait, shared by its workers. Once spent, a record leased by a live run is held at
    once (``BeingWritten``, naming the run) instead of costing another wait: a run behind 50 records of
    another run waits once, not 50 times in a row."""

    def __init__(self, budget: timedelta) -> None:
        self._budget = budget.total_seconds()
        self._deadline: float | None = None
        self._lock = threading.Lock()

    def remaining(self) -> float:
        """Seconds left to wait; the first call starts the clock."""
        with self._lock:
            now = time.monotonic()
            if self._deadline is None:
                self._deadline = now + self._budget
            return max(0.0, self._deadline - now)


@dataclass(frozen=True)
class Lease:
    """Who claims a record before creating it (``Ledger.claim_xref``): a run, by its id, or a replay, by an
    id of its own; ``inherits`` are finished runs this one re-executes, whose leases it takes over at once
    (they will never finish those writes; waiting for the expiry would only delay the record)."""

    owner: str
    inherits: tuple[str, ...] = ()
    # Whether another lease owner is a run that has ended (Dagster says so): its lease is taken over at once,
    # whatever its expiry, since that run will never finish the write. A killed run's rerun from the UI is a
    # new run, not a re-execution, so ``inherits`` alone would leave it waiting out the lease.
    gone: Callable[[str], bool] | None = field(default=None, compare=False)
    # A write step's one wait for live leases of other writers (``LeaseWaits``); None: each record waits
    # up to ``lease_wait()`` on its own (a replay writes one record at a time).
    waits: LeaseWaits | None = field(default=None, compare=False)

    @classmethod
    def for_writer(cls, run_id: str | None) -> Lease:
        """A write outside a write step: a replay's writes are its own (``replay.replay_writer``: one owner
        for its takes and leases, ended runs as it was told to recognise them); any other (a
        webhook-driven write) gets an owner of its own."""
        writer = replay_writer()
        if writer is None:
            return cls(run_id or f"replay-{uuid.uuid4()}")
        return cls(run_id or writer.owner, gone=writer.ended)


class BeingWritten(WaitsFor):
    """Another run holds the record's lease (it is creating it right now) and did not finish within
    ``lease_wait()``: this writer did not send it, which would have duplicated it in the target.

    A ``WaitsFor`` on the record's own dependency key, so the record is *held*, not failed and not lost: the
    holder's write releases it (a replay then finds it written and skips it), the holder's failure queues it
    as failed, and a killed holder's lapsed lease releases it (``Ledger.release_lapsed_holds``)."""

    def __init__(self, spec: FlowSpec, source_key: str, leased: XrefLeased) -> None:
        until = f"{leased.expires_at:%Y-%m-%d %H:%M:%S} UTC" if leased.expires_at else "its lease ends"
        reason = (
            f"{spec.entity} {source_key} is being written to {spec.target_system} by {leased.owner} (lease "
            f"until {until}); not sent by this run, to avoid a duplicate. Held until that write finishes."
        )
        super().__init__(
            spec.dependency_key(source_key), reason, being_written(reason, owner=str(leased.owner or ""))
        )
        self.owner = leased.owner


@dataclass
class WriteResult:
    action: str  # create | update | adopt | skip | fail
    target_id: str | None
    reason: str = ""
    released: int = 0  # held records waiting for this one, released by the write (``write_record``)
    marks: tuple[str, ...] = ()  # what the target said of the write beside its action (``Created.marks``)


def write_one(
    spec: FlowSpec,
    target: Target,
    ledger: Ledger,
    record: Mapped,
    *,
    run_id: str | None,
    partition: str | None,
    lease: Lease | None = None,
    release_held: bool = False,
    deferred: DeferredWrites | None = None,
    preloaded: dict[str, Xref | Claimed | None] | None = None,
    audit_detail: Mapping[str, Any] | None = None,
) -> WriteResult:
    """Write one record without ever creating a second copy in the target.

    ``release_held``: the records held on this one are released in the transaction of its target id (one
    commit). ``deferred`` (a write step's): a create's or update's records are written in the step's next
    claim instead; an adoption is recorded at once (its match may be another record's). ``preloaded``
    stands in for the first look-up or claim (``_claim``). Only the holder of ``lease`` searches and
    creates; another run's live lease is waited for, then ``BeingWritten`` (never a POST)."""
    key = (spec.integration, spec.entity, spec.source_system, record.source_key, spec.target_system)
    digest = record.content_hash()
    lease = lease or Lease.for_writer(run_id)
    xref, waited_for, found = _claim(spec, ledger, record, lease, deferred, preloaded)
    audit = {
        **spec.ledger_keys,
        "source_system": spec.source_system,
        "source_id": record.source_key,
        "target_system": spec.target_system,
        "run_id": run_id,
        "partition_key": partition,
        "detail": audit_detail,  # a CLI replay's has no run: it says so (``replay.ReplayAt``)
    }
    if xref.target_id and xref.content_hash == digest:
        if waited_for:
            return WriteResult(
                "skip", xref.target_id, f"written by {waited_for} while this run waited for it"
            )
        return WriteResult("skip", xref.target_id, "unchanged since the last write")
    if xref.target_id:
        kept = target.update(xref.target_id, record)
        action, reason = ("skip", kept.reason) if kept is not None else ("update", "changed in the source")
        written = _Written(spec, ledger, record, action, xref.target_id, reason, audit, digest)
        released = written.keep(release_held, deferred, lease)
        return WriteResult(action, xref.target_id, reason, released=released)
    # This run holds the lease now: the intent is on record, and no other writer creates the record.
    try:
        return _search_then_create(
            spec, target, ledger, record, lease, audit, xref, release_held, deferred, digest, found
        )
    except BaseException:
        try:  # the next writer claims at once (and searches first: the create may have gone through)
            ledger.release_xref(*key, owner=lease.owner)
        except Exception as exc:  # the lease then simply expires; the write's own error matters more
            log.warning("%s %s: could not release its lease: %s", spec.entity, record.source_key, exc)
        raise


_UNKNOWN: Any = object()  # not in the preloaded page: looked up alone
UNSEARCHED: Any = object()  # no search of the target came with the claim: ``target.find`` searches alone


@dataclass(frozen=True, slots=True)
class Claimed:
    """A preloaded look-up that is this writer's claim already, taken ahead in one commit
    (``Ledger.claim_xrefs``). ``found``: the batch search's answer after the claim was durable
    (``flows.found_ahead``), used in place of ``target.find``; ``UNSEARCHED`` when it did not settle it."""

    xref: Xref
    found: Any = UNSEARCHED


def _claim(
    spec: FlowSpec,
    ledger: Ledger,
    record: Mapped,
    lease: Lease,
    deferred: DeferredWrites | None,
    preloaded: dict[str, Xref | Claimed | None] | None = None,
) -> tuple[Xref, str | None, object]:
    """The record's xref, leased by ``lease`` unless it has a target id; whose write was waited for; and
    ``Claimed.found`` (else ``UNSEARCHED``). Another run's live lease is waited for with back-off up to
    ``lease_wait()`` (its write usually ends within a second), then ``BeingWritten``.

    ``preloaded`` answers a key's first look-up, once. It is only a hint: a stale page costs at most a
    claim (which reads the row in its own transaction), never a second create. A ``Claimed`` entry is no
    hint: this writer's lease, committed (``_lease_fresh`` renews it before the create if half spent)."""
    key = (spec.integration, spec.entity, spec.source_system, record.source_key, spec.target_system)
    waited: list[str | None] = []
    searched: list[object] = []

    def attempt() -> Xref:
        hint = _UNKNOWN if preloaded is None else preloaded.pop(record.source_key, _UNKNOWN)
        if isinstance(hint, Claimed):  # claimed ahead by this writer: the lease is its own, on disk
            if deferred is not None and deferred.due(record.source_key):  # no claim comes to carry it
                deferred.flush(ledger)
            searched.append(hint.found)
            return hint.xref
        # a plain read first: most records are known and unchanged
        xref = ledger.get_xref(*key) if hint is _UNKNOWN else hint
        if xref is not None and xref.target_id:
            if deferred is not None and deferred.due(record.source_key):  # no claim comes to carry it
                deferred.flush(ledger)
            return xref
        try:
            return _claim_with(ledger, key, lease, deferred)
        except XrefLeased as leased:
            waited.append(leased.owner)
            raise

    try:  # almost always decided at once: known, or claimed; the back-off is built only for a live lease
        xref = attempt()
        return xref, None, searched[0] if searched else UNSEARCHED
    except XrefLeased as leased:
        budget = lease_wait().total_seconds() if lease.waits is None else lease.waits.remaining()
        if budget <= 0:  # this step has waited its time already: held with the others behind that run
            raise BeingWritten(spec, record.source_key, leased) from None
    retrying = Retrying(
        retry=retry_if_exception_type(XrefLeased),
        wait=wait_exponential(multiplier=0.05, min=0.05, max=1.0),
        stop=stop_after_delay(budget),
        reraise=True,
    )
    try:
        xref = retrying(attempt)
    except XrefLeased as leased:
        raise BeingWritten(spec, record.source_key, leased) from None
    return xref, (waited[-1] if waited else None), UNSEARCHED


def _claim_with(
    ledger: Ledger, key: tuple[str, str, str, str, str], lease: Lease, deferred: DeferredWrites | None
) -> Xref:
    """``claim_xref``, with what ``deferred`` has due written in the claim's transaction (one commit); an
    ``XrefLeased`` is raised after that commit."""
    claim = {"owner": lease.owner, "inherits": lease.inherits, "gone": lease.gone}
    if deferred is None or not deferred.due(key[3]):
        return ledger.claim_xref(*key, **claim)
    leased: XrefLeased | None = None
    with deferred.committing(ledger) as flush:
        try:
            return ledger.claim_xref(*key, **claim, first=flush)
        except XrefLeased as exc:
            leased = exc
    raise leased


def _lease_fresh(claimed: Xref, lease: Lease) -> bool:
    """Whether ``claimed`` (as this writer's claim returned it) holds ``lease`` with at least half of
    ``lease_length()`` still to run: then nobody can have taken it over by expiry since, and the create
    (an HTTP call that gives up within 10 minutes) ends long before it lapses."""
    until = claimed.lease_expires_at
    return (
        claimed.lease_owner == lease.owner
        and until is not None
        and until - datetime.now(UTC) >= lease_length() / 2
    )


def _search_then_create(
    spec: FlowSpec,
    target: Target,
    ledger: Ledger,
    record: Mapped,
    lease: Lease,
    audit: dict[str, Any],
    claimed: Xref,
    release_held: bool,
    deferred: DeferredWrites | None,
    digest: str,
    found: Any = UNSEARCHED,
) -> WriteResult:
    """Adopt what a crashed earlier attempt created (natural-key search, or ``found`` from a batch
    search), else create; record the id with ``digest`` (``Mapped.content_hash``)."""
    key = (spec.integration, spec.entity, spec.source_system, record.source_key, spec.target_system)
    marks: tuple[str, ...] = ()  # what a create said of itself beside its action (``Created.marks``)
    if found is UNSEARCHED:
        found = target.find(record)
    if found is not None:
        # A match that is already another source record's counterpart (two JDE suppliers with one name)
        # must not be touched: updating it would overwrite the other record in the target.
        holder = ledger.find_xref_by_target(spec.integration, spec.entity, spec.target_system, found)
        if holder is not None and holder.source_key != record.source_key:
            raise XrefConflict(
                f"{spec.entity} {record.source_key}: its natural-key match in {spec.target_system} ({found}) "
                f"is already the counterpart of {holder.source_system}:{holder.source_key}; not adopted, not "
                "changed. Enter the right match by hand (a manual cross-reference) or fix the source data.",
                recorded_target_id=found,
                attempted_target_id=found,
                other_source_key=holder.source_key,
            )
        target.update(found, record)
        action, target_id = "adopt", found
        reason = "found in the target by its natural key; adopted, not duplicated"
    else:
        # Renew the lease right before the POST when the search was slow: a lease that lapsed meanwhile
        # may have been taken over; then the other writer creates it, never both. A lease with more than
        # half its length to run cannot have lapsed, and renewing it would cost a durable commit for nothing.
        if not _lease_fresh(claimed, lease):
            try:
                renewed = ledger.claim_xref(*key, owner=lease.owner, inherits=lease.inherits)
            except XrefLeased as leased:
                raise BeingWritten(spec, record.source_key, leased) from None
            if renewed.target_id:  # the writer that took over has finished: skip or update what it wrote
                return write_one(
                    spec,
                    target,
                    ledger,
                    record,
                    run_id=audit["run_id"],
                    partition=audit["partition_key"],
                    lease=lease,
                    release_held=release_held,
                    deferred=deferred,
                )
        created = target.create(record)
        if isinstance(created, Created):
            target_id, action, reason = created.target_id, created.action, created.reason
            marks = created.marks
            deferred = None  # it may have adopted another record's match: recorded (or refused) now
        else:
            target_id, action, reason = created, "create", "created"
    written = _Written(spec, ledger, record, action, target_id, reason, audit, digest)
    released = written.keep(release_held, None if action == "adopt" else deferred, lease)
    return WriteResult(action, target_id, reason, released=released, marks=marks)


@dataclass(slots=True)  # one per record written: not frozen, which costs a setattr per field
class _Written:
    """A record just written to the target, and what the ledger keeps of it: the target id with the hash
    written, an audit event, and (``write_record``) the release of the records held on it."""

    spec: FlowSpec
    ledger: Ledger
    record: Mapped
    action: str
    target_id: str
    reason: str
    audit: dict[str, Any]
    digest: str  # the hash of what was written (``Mapped.content_hash``)

    def keep(self, release_held: bool, deferred: DeferredWrites | None, lease: Lease) -> int:
        """Written now (held records released), or left to ``deferred`` (0 now; it counts them)."""
        if deferred is None:
            with self.ledger.transaction() as conn:
                return self.write(conn, release_held)
        spec, record = self.spec, self.record
        recording = Recording(
            spec.integration,
            spec.entity,
            spec.source_system,
            record.source_key,
            spec.target_system,
            self.target_id,
            self.digest,
            {**self.audit, "action": self.action, "reason": self.reason},
        )
        self.ledger.note_unrecorded(recording)  # its target id is this record's from now on
        deferred.add(
            Pending(
                record.source_key,
                self.action,
                lambda conn: self.write(conn, release_held),
                lambda conn, exc: self.refused(conn, exc, lease),
                recording=recording,
                depends_on=spec.dependency_key(record.source_key) if release_held else None,
                release=(lambda conn: self.release(conn)) if release_held else None,
            )
        )
        return 0

    def write(self, conn: Connection, release_held: bool) -> int:
        spec, record = self.spec, self.record
        key = (spec.integration, spec.entity, spec.source_system, record.source_key, spec.target_system)
        self.ledger.record_target(*key, target_id=self.target_id, content_hash=self.digest, conn=conn)
        self.ledger.audit(
            action=self.action, target_id=self.target_id, reason=self.reason, conn=conn, **self.audit
        )
        return self.release(conn) if release_held else 0

    def release(self, conn: Connection) -> int:
        """Release the records held on this one (it is recorded); how many."""
        return release_dependents(
            self.spec,
            self.ledger,
            self.record.source_key,
            run_id=self.audit["run_id"],
            target_id=self.target_id,
            conn=conn,
        )

    def refused(self, conn: Connection, exc: Exception, lease: Lease) -> None:
        """The ledger refused to record it (a deferred record's conflict): queued as failed with why, as
        ``write_one`` failing at once would have; its lease ends so the next writer searches first."""
        spec, record = self.spec, self.record
        key = (spec.integration, spec.entity, spec.source_system, record.source_key, spec.target_system)
        log.error(
            "%s %s: %s %s, but not recorded: %s",
            spec.entity,
            record.source_key,
            self.action,
            self.target_id,
            exc,
        )
        self.ledger.release_xref(*key, owner=lease.owner, conn=conn)
        why = redact(f"{spec.entity} {record.source_key}: {exc}")
        queue_failure(
            spec,
            self.ledger,
            Rejected.of(
                record.source_key, refusal_of(exc, why, system=spec.target_system), record.to_payload()
            ),
            run_id=self.audit["run_id"],
            partition=self.audit["partition_key"],
            conn=conn,
        )


def write_record(
    spec: FlowSpec, target: Target, ledger: Ledger, record: Mapped, **options: Any
) -> WriteResult:
    """``write_one``, releasing the records held on this one: the path every write takes (a step, a
    replay, a webhook), so a record that syncs always releases what waits for it. ``options`` are
    ``write_one``'s (``run_id`` and ``partition`` required)."""
    return write_one(spec, target, ledger, record, release_held=True, **options)
