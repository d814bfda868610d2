"""Parents pulled on demand: a record held on a parent the ledger has never synced gets it in the same run.

Why: on a customer's first day most orders and bills name suppliers or vendors that last changed months
before, so no window of the parents' flow ever reads them, and their records would wait for ever. A write
step whose flow declares its parents (``build_flow_assets(parents=...)``) looks, day by day, at the records
of the day held on a parent that has no cross-reference and no open queue item of its own (never seen); it
reads those parents from their source by key (the parent flow's ``remap``: one read per chunk where the API
allows), validates them with the parent's model and writes them through the parent's own target and
``PartitionWriter`` (its claim, search by natural key and audit: exactly once), which releases the records
held on them. Those records are read again (the flow's ``remap``, so a body built without the pair is
rebuilt) and written with the day. A parent read that waits itself for another declared parent never
synced (an order for its vendor) gets that one pulled first and is read again. At most
``ML_PARENT_PULL_LIMIT`` parents a step; the rest wait for the next run, said in the log and the day's
figures. A range does every day's pulls before its first day is written (``ParentPull.ahead``): each day's
parents are read and written under that day as before, but one day's parents are claimed and searched with
the next days' (``found_ahead.SearchAhead``), and the records they release are mapped ahead, so the step
searches them with the days they are written in: a backfill's natural-key searches go by chunk of records,
not by day. A parent its flow's ``remap`` does not give back (missing from its source, or not one its flow
writes yet), refused, or held itself leaves its records held on it (``parents_missing``; a refused one is
shown with the records it blocks). One its remap settles as never written (another process exported it:
``flows.never_written``) is not missing: its records are settled with it at once, as a replay sweep would
(``parents_never_written``).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from connector_assets.flows.core import (
    FlowSpec,
    Mapped,
    Rejected,
    hold_until_synced,
    must_wait,
    queue_failure,
)
from connector_assets.flows.deferred import batch_limits
from connector_assets.flows.flow_run import run_lease
from connector_assets.flows.found_ahead import SearchAhead
from connector_assets.flows.records import validate
from connector_assets.flows.write_pools import write_pool
from connector_assets.flows.writer import PartitionWriter, write_workers
from connector_resources import settings
from connector_resources.held_parents import refuse_held_on
from connector_resources.ledger import Ledger
from connector_resources.parent_verdicts import gone_parents
from connector_resources.replay import backoff_for

LIMIT_ENV = "ML_PARENT_PULL_LIMIT"
OPEN_ITEMS = (
    100_000  # a parent flow's open items read at most, once per step (as the write step reads its own)
)

# The day's figures a pull adds (``WRITE_COUNTS``): parents written for the day's records, parents not found
# in their source, parents that will never be written (their records settled with them), parents left for
# the next run by the limit, and held records written after their pull.
PULL_COUNTS = (
    "parents_pulled",
    "parents_missing",
    "parents_never_written",
    "parents_left",
    "written_after_pull",
)


# The parent flow whose records a pull is reading and writing, while it does (None otherwise): its calls are
# that flow's work, done in another flow's step; what counts calls per flow (a bench) puts them there.
PULLING: ContextVar[str | None] = ContextVar("parent_pull_flow", default=None)


@contextmanager
def pulling(parent: FlowSpec) -> Iterator[None]:
    """The calls of the block are ``parent``'s (``PULLING``)."""
    token = PULLING.set(parent.flow)
    try:
        yield
    finally:
        PULLING.reset(token)


def pull_limit(environ: dict[str, str] | None = None) -> int:
    """``ML_PARENT_PULL_LIMIT``: parents one write step may pull (0: none)."""
    return int(settings.read(LIMIT_ENV, environ))


def parent_of(parents: Sequence[FlowSpec], depends_on: str) -> tuple[FlowSpec, str] | None:
    """The parent flow a dependency key names and the parent's source key, if one of ``parents``."""
    for parent in parents:
        prefix = parent.dependency_key("")
        if depends_on.startswith(prefix) and len(depends_on) > len(prefix):
            return parent, depends_on[len(prefix) :]
    return None


def check_parents(spec: FlowSpec, parents: Sequence[FlowSpec]) -> None:
    """Refuse a declaration the step could not honour: a parent without ``remap`` cannot be read by key,
    one written in another Dagster pool would be written outside that pool's limit, and the flow's own
    records are read again once their parent is in."""
    if parents and spec.remap is None:
        raise ValueError(f"{spec.flow}: a flow that pulls parents needs a remap to read its records again")
    for parent in parents:
        if parent.remap is None:
            raise ValueError(f"{spec.flow}: parent flow {parent.flow} has no remap: it cannot be read by key")
        if write_pool(parent) != write_pool(spec):
            raise ValueError(
                f"{spec.flow}: parent flow {parent.flow} writes in pool {write_pool(parent)}, not "
                f"{write_pool(spec)}: a pull would write outside that pool's limit"
            )


@dataclass
class ParentPull:
    """One write step's pulls (module docstring): the budget left and the parents tried, across its days."""

    spec: FlowSpec
    parents: tuple[FlowSpec, ...]
    limit: int
    tried: set[str] = field(default_factory=set)  # dependency keys pulled (or tried) by this step
    _parent_items: dict[str, dict[str, Any]] = field(default_factory=dict)  # parent flow -> key -> open item
    # What ``ahead`` did for each later day: its records released and mapped again, its figures, and the
    # keys of its held records it settled (not looked at again by ``day``).
    _ready: dict[str | None, list[Mapped]] = field(default_factory=dict)
    _figures: dict[str | None, Counter[str]] = field(default_factory=dict)
    _settled: set[str] = field(default_factory=set)
    _failed: Exception | None = None  # what stopped ``ahead``, raised by the range's first ``day``

    def _held(self, ledger: Ledger, partition: str | None, leave: set[str]) -> list[Any]:
        """The day's open items held on a declared parent, or released by one written since (a pull of
        another flow's step, a run of the parent's flow) and not yet replayed: the run writes both. Not
        those of ``leave``."""
        return [
            item
            for item in ledger.partition_queue(
                integration=self.spec.integration, flow=self.spec.name, partition_key=partition
            )
            if item.depends_on and item.source_key not in leave and parent_of(self.parents, item.depends_on)
        ]

    def ahead(
        self, context: Any, partitions: Sequence[str | None], staged: Callable[[str | None], set[str]]
    ) -> None:
        """A range's pulls, every day's, before its first day is written (module docstring): each day's
        parents read under that day, then written day by day with the next days' claimed and searched
        ahead, then each day's released records mapped again, kept for ``day`` and ``ready_for``. ``staged``:
        a day's staged source keys (records the step writes anyway)."""
        if not self.parents or len(partitions) < 2:
            return
        try:
            self._ahead(context, partitions, staged)
        except Exception as error:  # each day pulls its own then; the first day fails with this
            self._ready.clear()
            self._figures.clear()
            self._settled.clear()
            self._failed = error

    def _ahead(
        self, context: Any, partitions: Sequence[str | None], staged: Callable[[str | None], set[str]]
    ) -> None:
        ledger: Ledger = context.resources.ledger.get()
        held_by_day: dict[str | None, list[Any]] = {}
        deferred: dict[FlowSpec, dict[str | None, list[Mapped]]] = {}
        for partition in partitions:  # a record audited under several days is the first one's
            held = self._held(ledger, partition, self._settled)
            if held:  # only a day with held records is read ahead for its staged keys
                writing = staged(partition)
                held = [item for item in held if item.source_key not in writing]
            self._settled |= {item.source_key for item in held}
            held_by_day[partition] = held
            figures = self._figures.setdefault(partition, Counter())
            if held:
                waited = {item.depends_on for item in held}
                self._pull_keys(context, ledger, waited, partition, figures, deferred)
        for parent, by_day in deferred.items():
            self._write_ahead(context, ledger, parent, by_day)
        for partition, held in held_by_day.items():
            synced = ledger.synced_dependencies({item.depends_on for item in held})
            ready = sorted({item.source_key for item in held if item.depends_on in synced})
            if ready:
                figures = self._figures[partition]
                self._ready[partition] = self._again(context, ledger, ready, partition, figures)

    def ready_for(self, partition: str | None) -> list[Mapped]:
        """The records ``ahead`` released for ``partition`` and mapped again, not yet handed to ``day``."""
        return list(self._ready.get(partition, ()))

    def day(
        self, context: Any, partition: str | None, counts: dict[str, int], staged: Iterable[str] = ()
    ) -> list[Mapped]:
        """Pull the parents the day's held records wait for; the held records now writable, mapped again
        (not those of ``staged``, the day's records the step writes anyway). In a range, what ``ahead``
        did for the day first, with its figures."""
        if not self.parents:
            return []
        if self._failed is not None:  # the range's pulls failed: its first day fails with why
            error, self._failed = self._failed, None
            raise error
        writing = set(staged)
        prepared = self._ready.pop(partition, [])
        found = [r for r in prepared if r.source_key not in writing]
        for name, n in self._figures.pop(partition, Counter()).items():
            counts[name] += n
        counts["written_after_pull"] -= len(prepared) - len(found)
        ledger: Ledger = context.resources.ledger.get()
        held = self._held(ledger, partition, writing | self._settled)
        if not held:
            return found
        waited = {item.depends_on for item in held}
        self._pull_keys(context, ledger, waited, partition, counts)
        synced = ledger.synced_dependencies(waited)
        ready = sorted({item.source_key for item in held if item.depends_on in synced})
        return found + (self._again(context, ledger, ready, partition, counts) if ready else [])

    def _write_ahead(
        self, context: Any, ledger: Ledger, parent: FlowSpec, by_day: dict[str | None, list[Mapped]]
    ) -> None:
        """Write the parents ``ahead`` read, day by day under each day, the next days' first chunk
        claimed and searched at the end of each (``SearchAhead``), whose claims never used are ended."""
        days = [day for day, records in by_day.items() if records]
        lease = run_lease(context)

        def upcoming(after: list[str | None]) -> Iterator[list[Mapped]]:
            for day in days[days.index(after[0]) + 1 :] if after else days:
                yield by_day[day]

        writing: list[str | None] = []
        search = SearchAhead(lambda: upcoming(writing))
        with pulling(parent), parent.open_target(context) as opened:
            target = context.resources.target_boundary.wrap(parent, opened)
            try:  # the first day's parents claimed and searched with the next days', in one go
                search.search(parent, target, ledger, lease, batch_limits()[0], set())
                for day in days:
                    writing[:] = [day]
                    self._write_parents(context, ledger, parent, by_day[day], day, target, search)
            finally:
                search.release(parent, ledger, lease)

    def _pull_keys(
        self,
        context: Any,
        ledger: Ledger,
        waited: set[str],
        partition: str | None,
        counts: dict[str, int],
        deferred: dict[FlowSpec, dict[str | None, list[Mapped]]] | None = None,
    ) -> None:
        """Pull the parents ``waited`` names that the ledger never synced nor saw, within the budget;
        ``deferred``: read them only, kept there by parent and day for ``ahead`` to write."""
        unsynced = waited - ledger.synced_dependencies(waited)
        wanted = [key for key in sorted(unsynced) if self._never_seen(ledger, key)]
        room = max(0, self.limit - len(self.tried))
        if len(wanted) > room:
            counts["parents_left"] += len(wanted) - room
            context.log.warning(
                f"{self.spec.flow}: {len(wanted) - room} parent(s) never synced left for the next run "
                f"({LIMIT_ENV}={self.limit} reached)"
            )
            wanted = wanted[:room]
        by_parent: dict[FlowSpec, list[str]] = {}
        for key in wanted:
            self.tried.add(key)
            found = parent_of(self.parents, key)
            assert found is not None
            by_parent.setdefault(found[0], []).append(found[1])
        for parent, keys in by_parent.items():
            with pulling(parent):
                self._pull(context, ledger, parent, keys, partition, counts, deferred)

    def _never_seen(self, ledger: Ledger, depends_on: str) -> bool:
        """Whether ``depends_on``'s parent is unknown to the ledger beyond this step: not tried, and no open
        item of its own (a refused parent needs a person; a held one waits for something itself)."""
        if depends_on in self.tried:
            return False
        found = parent_of(self.parents, depends_on)
        assert found is not None
        parent, key = found
        if parent.name not in self._parent_items:
            items = ledger.open_items(integration=parent.integration, flow=parent.name, limit=OPEN_ITEMS)
            self._parent_items[parent.name] = {item.source_key: item for item in items}
        return key not in self._parent_items[parent.name]

    def _pull(
        self,
        context: Any,
        ledger: Ledger,
        parent: FlowSpec,
        keys: list[str],
        partition: str | None,
        counts: dict[str, int],
        deferred: dict[FlowSpec, dict[str | None, list[Mapped]]] | None = None,
    ) -> None:
        """Read ``keys`` of ``parent`` from its source and write them through the parent's own flow (or
        keep them in ``deferred``, for ``ahead``)."""
        assert parent.remap is not None
        run_id = context.run.run_id
        read = list(parent.remap(context, keys))
        # A parent waiting for a parent of its own that the flow also declares (an order for its vendor,
        # both never synced) gets that one pulled first, then is read again with it in.
        grand = self._waits(ledger, read) - {parent.dependency_key(key) for key in keys}
        if grand:
            self._pull_keys(context, ledger, grand, partition, counts)
            read = list(parent.remap(context, keys))
        seen = {r.source_key for r in read}
        unread = [key for key in keys if key not in seen]
        gone = self._settle_gone(context, ledger, parent, unread, counts)
        missing = [key for key in unread if key not in gone]
        if missing:
            counts["parents_missing"] += len(missing)
            context.log.warning(
                f"{self.spec.flow}: {len(missing)} {parent.entity}(s) its records wait for were not read "
                f"from {parent.source_system} (not there, or not one {parent.flow} writes yet): "
                f"{', '.join(missing[:20])}; their records stay held"
            )
        ready = writable(parent, ledger, read, run_id=run_id, partition=partition)
        if not ready:
            return
        if deferred is not None:
            deferred.setdefault(parent, {}).setdefault(partition, []).extend(ready)
            return
        with parent.open_target(context) as opened:
            target = context.resources.target_boundary.wrap(parent, opened)
            self._write_parents(context, ledger, parent, ready, partition, target, None, counts)

    def _write_parents(
        self,
        context: Any,
        ledger: Ledger,
        parent: FlowSpec,
        ready: list[Mapped],
        partition: str | None,
        target: Any,
        search: SearchAhead | None,
        counts: dict[str, int] | None = None,
    ) -> None:
        """Write ``ready`` parents under ``partition`` through the parent's own target and writer; the
        pulled count goes to ``counts`` (else to the day's figures ``ahead`` keeps)."""
        parent_counts: defaultdict[str, int] = defaultdict(int)  # what the pull did, not the parent's day
        queued = self._parent_items.get(parent.name, {})
        writer = PartitionWriter(
            parent,
            target,
            ledger,
            run_id=context.run.run_id,
            partition=partition,
            lease=run_lease(context),
            queued=dict(queued),
            counts=parent_counts,
            search_ahead=search,
        )
        writer.run(ready, write_workers(parent, target))
        written = sum(parent_counts.get(k, 0) for k in ("create", "update", "adopt", "skip"))
        figures = counts if counts is not None else self._figures.setdefault(partition, Counter())
        figures["parents_pulled"] += written
        context.log.info(
            f"{self.spec.flow}: pulled {written} of {len(ready)} {parent.entity}(s) never synced through "
            f"{parent.flow} ({', '.join(f'{k}={v}' for k, v in sorted(parent_counts.items()) if v)})"
        )

    def _waits(self, ledger: Ledger, read: list[Mapped | Rejected]) -> set[str]:
        """The keys of declared parents that records just read wait for and the ledger has not synced."""
        waits = {r.held_on for r in read if isinstance(r, Rejected) and r.held_on}
        waits |= {r.depends_on for r in read if isinstance(r, Mapped) and r.depends_on}
        ours = {key for key in waits if parent_of(self.parents, key)}
        return ours - ledger.synced_dependencies(ours)

    def _settle_gone(
        self, context: Any, ledger: Ledger, parent: FlowSpec, keys: list[str], counts: dict[str, int]
    ) -> set[str]:
        """Of ``keys``, parents the remap returned nothing for, those the ledger knows will never be written
        (the remap skipped one another process exported, or one was abandoned): not missing from the source.
        This step's records held on them are settled now, as a replay sweep would (``held_parents``:
        skipped with a parent taken elsewhere, else refused naming it), rather than reported as waiting."""
        dependencies = {parent.dependency_key(key): key for key in keys}
        gone = gone_parents(ledger, dependencies, checks={}) if dependencies else {}
        for dependency in sorted(gone):
            with ledger.transaction() as conn:
                refuse_held_on(
                    ledger, gone[dependency], retry_in=backoff_for, run_id=context.run.run_id,
                    integration=self.spec.integration, flow=self.spec.name, conn=conn,
                )  # fmt: skip
        if gone:
            counts["parents_never_written"] += len(gone)
            causes = ", ".join(sorted({g.cause_text for g in gone.values()}))
            context.log.info(
                f"{self.spec.flow}: {len(gone)} {parent.entity}(s) its records wait for will never be "
                f"written ({causes}): {', '.join(sorted(dependencies[d] for d in gone)[:20])}; their "
                "records are settled with them"
            )
        return {dependencies[d] for d in gone}

    def _again(
        self, context: Any, ledger: Ledger, keys: list[str], partition: str | None, counts: dict[str, int]
    ) -> list[Mapped]:
        """The released records read and mapped again (their bodies may lack the pair), those still
        refused or held queued again; the rest to write with the day."""
        spec, run_id = self.spec, context.run.run_id
        assert spec.remap is not None
        ready = writable(spec, ledger, list(spec.remap(context, keys)), run_id=run_id, partition=partition)
        counts["written_after_pull"] += len(ready)
        return ready


def writable(
    spec: FlowSpec, ledger: Ledger, read: list[Mapped | Rejected], *, run_id: str, partition: str | None
) -> list[Mapped]:
    """What a mapped step would stage of ``read`` (records of ``spec`` read by key): validated, the refused
    queued with why, those waiting for a record of their own held on it; the rest, to write now."""
    checked = validate(spec, [r for r in read if isinstance(r, Mapped)])
    for rejected in [*(r for r in read if isinstance(r, Rejected)), *checked.rejected]:
        status = "held" if rejected.held_on else "failed"
        queue_failure(
            spec, ledger, rejected, status=status, depends_on=rejected.held_on, run_id=run_id,
            partition=partition,
        )  # fmt: skip
    ready = []
    for record in checked.valid:
        if must_wait(ledger, record):
            hold_until_synced(spec, ledger, record, run_id=run_id, partition=partition)
        else:
            ready.append(record)
    return ready


def parent_systems(parents: Iterable[FlowSpec]) -> set[str]:
    """The resource keys a step needs to read and write ``parents``: their source and target systems."""
    return {s.lower() for parent in parents for s in (parent.source_system, parent.target_system)}
