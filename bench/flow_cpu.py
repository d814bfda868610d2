"""Our own CPU per record for map + validate + ledger, measured apart from any API wait.

Used by ``bench/backfill.py``'s profiles after their timed runs. For each flow and day it runs the flow's own
code again in this process, one stage at a time, each timed with ``time.thread_time`` (CPU of this thread:
no network or disk wait is counted):

* **map**: ``FlowSpec.map_records`` for the day, timed per record (each ``next()`` of its generator). The
  readers complete each document from the staged partition and the source API before the first record is
  yielded, so the first ``next()`` (reading) is left out and counted as one more average record; CPU spent
  inside an API call (``HttpClient.request`` and the answer's JSON parse) is subtracted wherever it happens.
* **validate**: the flow's pandera schema over the day's records (``validate``), as the mapped step and the
  write step each run it.
* **ledger**: what the two steps do in the ledger per record: the dependency check, then ``write_record``
  (claim, renewal, target id + audit event in one transaction, release of held records) into a fresh
  SQLite ledger of its own, with a target that answers at once with the id the real run got: the ledger's
  create path without the API.
* **stage**: the mapped record's JSON round trip through staging (written by one step, read by the next).
"""

from __future__ import annotations

import json
import statistics
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import requests
import sqlalchemy as sa

from connector_assets.flows.core import FlowSpec, Lease, Mapped, dependency_synced, validate, write_record
from connector_resources.http.client import HttpClient
from connector_resources.ledger import Ledger

STAGES = ("map", "validate", "ledger", "stage")


@dataclass
class FlowCpu:
    """CPU seconds per stage over ``records`` records of one flow, and what explains the two big ones:
    the schema's cost per call (``validate_calls``) against its cost per record, and the SQL statements and
    commits the ledger stage sent (over ``written`` records)."""

    records: int = 0
    seconds: dict[str, float] = field(default_factory=lambda: dict.fromkeys(STAGES, 0.0))
    validate_calls: int = 0
    validate_marginal: float = 0.0  # CPU seconds per record beyond the per-call cost, summed over days
    written: int = 0
    statements: int = 0
    commits: int = 0

    def add(self, other: FlowCpu) -> None:
        self.records += other.records
        for stage in STAGES:
            self.seconds[stage] += other.seconds[stage]
        self.validate_calls += other.validate_calls
        self.validate_marginal += other.validate_marginal
        self.written += other.written
        self.statements += other.statements
        self.commits += other.commits

    def per_record_us(self) -> dict[str, float]:
        per = {s: round(self.seconds[s] / max(self.records, 1) * 1e6, 1) for s in STAGES}
        per["map+validate+ledger"] = round(per["map"] + per["validate"] + per["ledger"], 1)
        per["total"] = round(per["map+validate+ledger"] + per["stage"], 1)
        marginal = self.validate_marginal / max(self.records, 1)
        fixed = (self.seconds["validate"] - 2 * self.validate_marginal) / max(self.validate_calls, 1)
        per["validate_ms_per_call"] = round(max(fixed, 0.0) * 1e3, 2)
        per["validate_us_per_record_beyond"] = round(marginal * 1e6, 1)
        per["ledger_sql_per_record"] = round(self.statements / max(self.written, 1), 1)
        per["ledger_commits_per_record"] = round(self.commits / max(self.written, 1), 1)
        return per


_api = threading.local()


def _api_cpu() -> float:
    return getattr(_api, "cpu", 0.0)


def _timed(original: Callable[..., Any]) -> Callable[..., Any]:
    """``original`` adding the thread CPU it uses to ``_api.cpu`` (the outermost call only)."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        depth = getattr(_api, "depth", 0)
        _api.depth = depth + 1
        started = time.thread_time()
        try:
            return original(*args, **kwargs)
        finally:
            _api.depth = depth
            if depth == 0:
                _api.cpu = _api_cpu() + time.thread_time() - started

    return wrapper


@contextmanager
def api_cpu_counted() -> Iterator[None]:
    """Count the CPU of API calls (request + JSON answer) per thread while the block runs."""
    saved = HttpClient.request, requests.Response.json
    HttpClient.request = _timed(saved[0])  # type: ignore[method-assign]
    requests.Response.json = _timed(saved[1])  # type: ignore[method-assign]
    try:
        yield
    finally:
        HttpClient.request, requests.Response.json = saved  # type: ignore[method-assign]


class _AnsweringTarget:
    """A target that answers at once with the id the real run recorded: ``write_record``'s ledger work
    alone, without the API. Only this measurement uses it; nothing here is written anywhere but the
    measurement's own ledger."""

    def __init__(self, ids: dict[str, str]) -> None:
        self.ids = ids

    def find(self, record: Mapped) -> str | None:
        return None

    def create(self, record: Mapped) -> str:
        return self.ids.get(record.source_key) or f"bench-{record.source_key}"

    def update(self, target_id: str, record: Mapped) -> None:
        return None


def measure_day(
    spec: FlowSpec, context: Any, day: str, real: Ledger, scratch: Ledger, run_id: str
) -> tuple[FlowCpu, list[Mapped]]:
    """Map, validate, stage and write (into ``scratch``) one day of ``spec``; the CPU of each stage."""
    cpu = FlowCpu()
    items, per_item = [], []
    records = iter(spec.map_records(context, day))
    while True:
        started, api = time.thread_time(), _api_cpu()
        try:
            item = next(records)
        except StopIteration:
            break
        per_item.append(time.thread_time() - started - (_api_cpu() - api))
        items.append(item)
    if not items:
        return cpu, []
    # The first next() read the day; it counts as one more average record (the only one if it is alone).
    mapping = sum(per_item[1:]) + (statistics.fmean(per_item[1:]) if len(per_item) > 1 else per_item[0])
    mapped = [item for item in items if isinstance(item, Mapped)]
    cpu.records = len(items)
    cpu.seconds["map"] = mapping

    started = time.thread_time()
    checked = validate(spec, mapped)
    validate(spec, mapped)  # the write step validates its input again
    cpu.seconds["validate"] = time.thread_time() - started
    cpu.validate_calls = 2
    if mapped:  # ten times the records in one call: what a record adds beyond the call's own cost
        started = time.thread_time()
        validate(spec, mapped * 10)
        tenfold = time.thread_time() - started
        cpu.validate_marginal = max(tenfold - cpu.seconds["validate"] / 2, 0.0) / 9

    started = time.thread_time()
    staged = [json.dumps(r.to_payload()) for r in checked.valid]
    back = [Mapped.from_payload(json.loads(text)) for text in staged]
    cpu.seconds["stage"] = time.thread_time() - started

    key = spec.source_system, spec.target_system
    ids = {}
    for record in back:
        xref = real.get_xref(spec.integration, spec.entity, key[0], record.source_key, key[1])
        if xref is not None and xref.target_id:
            ids[record.source_key] = xref.target_id
    target, lease = _AnsweringTarget(ids), Lease.for_writer(run_id)
    scratch.summary()  # its engine and schema are made before the clock starts (the run's are long made)
    with sql_counted(scratch.engine) as sql:
        started = time.thread_time()
        for record in back:
            if record.depends_on:
                dependency_synced(scratch, record.depends_on)
            write_record(spec, target, scratch, record, run_id=run_id, partition=day, lease=lease)
        cpu.seconds["ledger"] = time.thread_time() - started
    cpu.written, cpu.statements, cpu.commits = len(back), sql["statements"], sql["commits"]
    return cpu, back


@contextmanager
def sql_counted(engine: Any) -> Iterator[dict[str, int]]:
    """SQL statements and commits ``engine`` sends while the block runs."""
    counts = {"statements": 0, "commits": 0}

    def statement(*_: Any) -> None:
        counts["statements"] += 1

    def commit(*_: Any) -> None:
        counts["commits"] += 1

    sa.event.listen(engine, "before_cursor_execute", statement)
    sa.event.listen(engine, "commit", commit)
    try:
        yield counts
    finally:
        sa.event.remove(engine, "before_cursor_execute", statement)
        sa.event.remove(engine, "commit", commit)
