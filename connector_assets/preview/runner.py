"""Running a preview: each chosen flow's own job over the days asked, writing nothing, then its verdicts,
read back from the scratch ledger, the staged records and the capture of each held write (docs/flows.md,
"A preview: the same flow, every write held").
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from dagster import AssetsDefinition, AssetSelection, DagsterInstance, Definitions, materialize

from connector_assets.flows.mapping_tables import tables_from
from connector_assets.flows.out_of_scope import out_of_scope_group, out_of_scope_rule
from connector_assets.flows.records import FlowSpec
from connector_assets.flows.target_boundary import is_placeholder
from connector_assets.flows.written_step import NOT_SENT_AGAIN
from connector_assets.preview.scratch import ScratchLedger, ScratchStaging, copy_ledger
from connector_assets.preview.tally import FLOWING, KINDED, OUT_OF_SCOPE, FitRow
from connector_assets.preview.target import Capture, capturing
from connector_assets.runtime.staging import StagingResource
from connector_resources.blocked_records import blocked_sentence, blocking_parents
from connector_resources.http.write_hold import writes_held
from connector_resources.ledger import Ledger, release_shared, schema
from connector_resources.ledger.resource import LedgerResource

# The audit actions that decide a record's verdict (``release`` and ``replay`` follow another's).
DECISIVE_ACTIONS = ("create", "update", "adopt", "skip", "fail", "hold")
RANGE_TAGS = ("dagster/asset_partition_range_start", "dagster/asset_partition_range_end")
# The run's events stay in its ephemeral instance and a failed step is said once, by the flow's line and
# in the report (``FlowPreview.error``): the console hears nothing of the run itself.
QUIET = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}
# What a preview leaves in the fit folder beside the report: the scratch ledger (``scratch``), the held
# writes (``target.Capture``) and the staging of its runs; docs/operations.md, "2. Fit", lists them.
SCRATCH_LEDGER, HELD_WRITES, STAGING = "preview-ledger.sqlite", "held-writes.sqlite", "staging"
PREVIEW_FILES = (SCRATCH_LEDGER, HELD_WRITES, STAGING)


@dataclass
class FlowPreview:
    """One flow's preview run: the days it covered, and how the run ended."""

    spec: FlowSpec
    days: list[str | None]
    success: bool = True
    error: str = ""
    rows: int = 0  # the days' own records
    pulled: dict[str, int] = field(default_factory=dict)  # parents its write step pulled, per their flow


def integration_flows(
    integration: str,
    names: Sequence[str] = (),
    *,
    specs: Mapping[str, FlowSpec],
    defs: Definitions | None = None,
) -> list[FlowSpec]:
    """The integration's flows among ``specs`` (the deployment's, by ``FlowSpec.flow``) in declaration
    order (``names`` to choose some); an unknown name is refused naming the known ones. The declared order
    is that of the flows' jobs in ``defs`` (a package builds them in its flow order: suppliers before the
    orders naming their vendors); without ``defs``, the order of ``specs``."""
    mine = [s for s in specs.values() if s.integration == integration]
    if not mine:
        known = sorted({s.integration for s in specs.values()})
        raise ValueError(f"no integration {integration!r} is loaded; loaded: {', '.join(known)}")
    if defs is not None:
        jobs = [getattr(job, "name", None) for job in defs.jobs or ()]
        mine.sort(key=lambda s: jobs.index(s.flow) if s.flow in jobs else len(jobs))
    if not names:
        return mine
    known = {s.name for s in mine}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ValueError(
            f"{integration} has no flow {', '.join(unknown)}; its flows: {', '.join(sorted(known))}"
        )
    return [s for s in mine if s.name in names]


def _assets(defs: Definitions) -> list[Any]:
    return list(defs.assets or ())


def _mapped(defs: Definitions, spec: FlowSpec) -> AssetsDefinition:
    key = spec.key("mapped")
    for item in _assets(defs):
        if isinstance(item, AssetsDefinition) and key in item.keys:
            return item
    raise ValueError(f"{spec.flow}: its mapped step is not among the loaded assets")


def _selection(
    defs: Definitions, spec: FlowSpec, specs: Mapping[str, FlowSpec], *, until_written: bool
) -> Any:
    """The assets the flow's own job runs (its sources, mapping tables, mapped and written steps and what
    follows them), and the master data they read that no flow's job runs (``_refreshed_apart``);
    ``until_written``: up to the write step, as a preview runs it: the steps after it follow up writes
    (acknowledging webhook deliveries, marking records exported in the source), and a preview made none."""
    selections = {
        job.name: job.selection for job in defs.jobs or () if getattr(job, "selection", None) is not None
    }
    if spec.flow not in selections:
        raise ValueError(f"{spec.flow}: no job of its own among the loaded definitions")
    flow_jobs = [selections[s.flow] for s in specs.values() if s.flow in selections]
    selection = selections[spec.flow] | _refreshed_apart(defs, selections[spec.flow], flow_jobs)
    if until_written:
        return selection & AssetSelection.assets(spec.key("written")).upstream()
    return selection


def _refreshed_apart(defs: Definitions, selection: Any, flow_jobs: Sequence[Any]) -> Any:
    """What the job reads but leaves to a refresh schedule of its own (Fusion's account combinations, JDE's
    F0901): a real run reads it as last staged, but the preview's staging starts empty, so the preview
    reads it afresh (a read) beside the job. Never another flow's steps: those are in another flow's job."""
    graph = defs.resolve_asset_graph()
    keys = selection.resolve(graph)
    by_flows = set().union(*(job.resolve(graph) for job in flow_jobs))
    parents = {parent for key in keys for parent in graph.get(key).parent_keys}
    apart = [k for k in parents - keys - by_flows if graph.has(k) and graph.get(k).is_materializable]
    return AssetSelection.assets(*apart)


def flow_days(defs: Definitions, spec: FlowSpec, first: date, last: date) -> list[str | None]:
    """The flow's partition days from ``first`` to ``last`` that exist; ``[None]`` for a flow read whole."""
    partitions = _mapped(defs, spec).partitions_def
    if partitions is None:
        return [None]
    lo, hi = first.isoformat(), last.isoformat()
    return [key for key in partitions.get_partition_keys() if lo <= key <= hi]


def run_preview(
    defs: Definitions,
    integration: str,
    first: date,
    last: date,
    out: Path,
    *,
    specs: Mapping[str, FlowSpec],
    flows: Sequence[str] = (),
    ledger: Ledger,
    resources: Mapping[str, Any] | None = None,
) -> Iterator[FitRow | FlowPreview]:
    """Preview ``integration``'s flows (``flows``: some of them) over ``first``..``last``: yields each
    record's ``FitRow`` as its flow's run ends, then the flow's ``FlowPreview``. Writes nothing anywhere
    but ``out``. ``resources`` replace the definitions' own (a test's sandboxes); ``specs`` are handed in:
    the preview never loads the deployment."""
    chosen = integration_flows(integration, flows, specs=specs, defs=defs)
    # A parent a chosen flow's write step pulls is written whether or not its own flow was chosen.
    every = integration_flows(integration, specs=specs, defs=defs)
    out.mkdir(parents=True, exist_ok=True)
    scratch = copy_ledger(ledger, integration, out / SCRATCH_LEDGER)
    resources = {**defs.resources, **(resources or {})}
    deployed = resources.get("staging") or StagingResource()
    # The verdicts read only what the preview staged; its runs also read the deployment's staging.
    staging = StagingResource(base_dir=str(out / STAGING))
    reading = ScratchStaging(base_dir=staging.base_dir, reads_from=str(deployed.root()))
    resources = {**resources, "ledger": LedgerResource(db_url=scratch.url), "staging": reading}
    try:
        with DagsterInstance.ephemeral() as instance, capturing(out / HELD_WRITES) as boundary:
            resources["target_boundary"], capture = boundary, boundary.capture
            for spec in chosen:
                days = flow_days(defs, spec, first, last)
                flow = FlowPreview(spec, days)
                if not days:
                    flow.error = f"no partition day of {spec.flow} lies in {first}..{last}"
                    yield flow
                    continue
                since = _last_event(scratch)
                with writes_held(), tables_from(scratch.ledger):
                    result = run_flow(defs, spec, days, resources, instance, specs=specs, until_written=True)
                flow.success = result.success
                if not result.success:
                    flow.error = _failure(result)
                for row in verdicts(spec, days, scratch, staging, capture):
                    flow.rows += 1
                    yield row
                for row in pulled_parents(spec, every, days, scratch, capture, since):
                    flow.pulled[row.flow] = flow.pulled.get(row.flow, 0) + 1
                    yield row
                yield flow
    finally:  # the fit folder is left with closed files (``PREVIEW_FILES``), no pool kept on the copy
        release_shared(scratch.url)
        scratch.ledger.dispose()


def run_flow(
    defs: Definitions,
    spec: FlowSpec,
    days: list[str | None],
    resources: Mapping[str, Any],
    instance: DagsterInstance,
    *,
    specs: Mapping[str, FlowSpec],
    until_written: bool = False,
) -> Any:
    """The flow's own job's assets over ``days`` in one run (a range as a backfill's single run), up to its
    write step when ``until_written`` (a preview: ``_selection``); a test runs the real write of the same
    days the same way."""
    return materialize(
        _assets(defs),
        selection=_selection(defs, spec, specs, until_written=until_written),
        resources=dict(resources),
        instance=instance,
        raise_on_error=False,
        run_config=QUIET,
        **_partition_args(days),
    )


def _partition_args(days: list[str | None]) -> dict[str, Any]:
    if days == [None]:
        return {}
    if len(days) == 1:
        return {"partition_key": days[0]}
    return {"tags": dict(zip(RANGE_TAGS, (days[0], days[-1]), strict=True))}


def _failure(result: Any) -> str:
    """The first failed step's message, in words."""
    for event in result.all_events:
        if event.is_step_failure and event.step_failure_data and event.step_failure_data.error:
            return f"{event.step_key}: {event.step_failure_data.error.message.strip()}"
    return "the preview run failed"


def verdicts(
    spec: FlowSpec,
    days: list[str | None],
    scratch: ScratchLedger,
    staging: StagingResource,
    capture: Capture,
) -> Iterator[FitRow]:
    """Each record's verdict (see module docstring), day by day, once: a record the run met on several
    days (an order whose header changed one day and a line the next) is counted on the day of its last
    decision, at that decision, as the run ends it. One day's events in memory at a time, and across days
    the keys of the records found unchanged (staged with no decision: one staged on several days counts on
    the first)."""
    mapped_key = spec.key("mapped")
    unchanged: set[str] = set()
    for day in days:
        seen: set[str] = set()
        decided = _day_events(spec, scratch, day)
        events = decided.events
        rows = [
            _row(spec, day, source_key, event, capture.note_of(spec.name, source_key))
            for source_key, event in events.items()
        ]
        kinds = _queued_kinds(spec, scratch, (row.source_key for row in rows if row.verdict in KINDED))
        # held, then written once its parent was pulled; not one settled with a parent that never comes
        settled = {key for key, event in events.items() if (event.partition_key or None) != day}
        held = decided.held - settled
        waits = {k: json.loads(p or "{}").get("waits_for") for k, (_g, p) in kinds.items() if p}
        parents = blocking_parents(scratch.ledger, {w for w in waits.values() if isinstance(w, str)})
        for row in rows:
            seen.add(row.source_key)
            if row.source_key in held and row.verdict in FLOWING:
                row = replace(row, pull="child")
            parent = parents.get(waits.get(row.source_key) or "") if row.verdict == "hold" else None
            if parent is not None:  # held on a parent that needs a person: counted under that one's kind
                params = json.dumps(parent.params or {}, default=str)
                row = replace(row, pull="blocked", reason=blocked_sentence(parent), kind=parent.kind or "")
                kinds[row.source_key] = (row.kind, params)
            kind = kinds.get(row.source_key)
            yield replace(row, kind=kind[0], params=kind[1]) if kind else row
        staged = [
            row["source_key"]
            for row in staging.read_rows(mapped_key, day)  # none when the day staged nothing
            if row["source_key"] not in seen and row["source_key"] not in unchanged
        ]
        elsewhere = _decided_keys(spec, scratch, staged)  # counted on the day of their decision
        for source_key in staged:
            if source_key in elsewhere or source_key in unchanged:
                continue
            # staged, written nowhere and not queued: unchanged since written
            unchanged.add(source_key)
            yield FitRow(
                spec.integration,
                spec.name,
                day or "",
                source_key,
                "unchanged",
                reason="unchanged since the last write",
            )


def _last_event(scratch: ScratchLedger) -> int:
    with scratch.ledger.engine.connect() as conn:
        return conn.execute(sa.select(sa.func.max(schema.audit_event.c.id))).scalar() or scratch.audit_from


def pulled_parents(
    spec: FlowSpec,
    flows: Sequence[FlowSpec],
    days: list[str | None],
    scratch: ScratchLedger,
    capture: Capture,
    since: int,
) -> Iterator[FitRow]:
    """The rows of the parents ``spec``'s write step pulled (``flows.parent_pull``): decisive events of the
    integration's other flows (``flows``: all of them, chosen or not) written while ``spec`` ran, each as
    its own row of its own flow."""
    for parent in flows:
        if parent.name == spec.name:
            continue
        for day in days:
            events = _day_events(parent, scratch, day, since=since).events
            rows = [
                replace(_row(parent, day, key, event, capture.note_of(parent.name, key)), pull="parent")
                for key, event in events.items()
            ]
            kinds = _queued_kinds(parent, scratch, (row.source_key for row in rows if row.verdict in KINDED))
            for row in rows:
                kind = kinds.get(row.source_key)
                yield replace(row, kind=kind[0], params=kind[1]) if kind else row


@dataclass
class DayEvents:
    """A day's records as the preview ended them: the last decisive event of each record whose last
    decision with a day fell on this one (``events``), and those of them held before it (``held``)."""

    events: dict[str, Any]
    held: set[str]


def _day_events(
    spec: FlowSpec, scratch: ScratchLedger, day: str | None, *, since: int | None = None
) -> DayEvents:
    """The records of ``spec``'s flow the preview decided on ``day`` (the audit's index on integration,
    flow and partition finds them), each with its last decisive event wherever it fell; ``since``: only
    events after that id. A record decided again on a later day is that day's: in one run of several days
    an order held on its second day when it was mapped, then written on its first once its vendor was
    pulled, ends written on the first, once. An event under no day settles a record outside its day (a
    parent's remap skipping one another process exported, ``flows.never_written``): the record ends as
    that event says, on its own day, as the real run's does."""
    a = schema.audit_event
    on_day = (
        a.c.partition_key == day
        if day is not None
        else sa.or_(a.c.partition_key.is_(None), a.c.partition_key == "")
    )
    after = scratch.audit_from if since is None else since
    query = (
        sa.select(a.c.source_id)
        .where(
            a.c.integration == spec.integration,
            a.c.flow == spec.name,
            on_day,
            a.c.id > after,
            a.c.action.in_(DECISIVE_ACTIONS),
        )
        .distinct()
    )
    decided = DayEvents({}, set())
    with scratch.ledger.engine.connect() as conn:
        keys = [str(row.source_id) for row in conn.execute(query)]
        history: dict[str, list[Any]] = {}
        for row in _events_of(conn, spec, keys, after):
            history.setdefault(str(row.source_id), []).append(row)
    for key, events in history.items():
        dated = [event for event in events if event.partition_key]
        home = dated[-1].partition_key if dated else None
        if home != day:
            continue
        decided.events[key] = events[-1]
        if any(event.action == "hold" for event in events[:-1]):
            decided.held.add(key)
    return decided


def _events_of(conn: sa.Connection, spec: FlowSpec, keys: list[str], after: int) -> list[Any]:
    """Every decisive event of ``spec``'s records ``keys`` after event ``after``, on any day, in order."""
    a = schema.audit_event
    found: list[object] = []
    for start in range(0, len(keys), QUEUE_LOOKUP):
        query = (
            sa.select(
                a.c.id, a.c.source_id, a.c.action, a.c.target_id, a.c.reason, a.c.partition_key, a.c.detail
            )
            .where(
                a.c.integration == spec.integration,
                a.c.flow == spec.name,
                a.c.id > after,
                a.c.action.in_(DECISIVE_ACTIONS),
                a.c.source_id.in_(keys[start : start + QUEUE_LOOKUP]),
            )
            .order_by(a.c.id)
        )
        found += conn.execute(query).all()
    return found


def _decided_keys(spec: FlowSpec, scratch: ScratchLedger, keys: list[str]) -> set[str]:
    """Those of ``keys`` the preview decided (a decisive event on any day): each counted on its day."""
    with scratch.ledger.engine.connect() as conn:
        return {str(row.source_id) for row in _events_of(conn, spec, keys, scratch.audit_from)}


QUEUE_LOOKUP = 500  # source keys per query of the scratch queue (well under SQLite's bound parameters)


def _queued_kinds(spec: FlowSpec, scratch: ScratchLedger, keys: Iterable[str]) -> dict[str, tuple[str, str]]:
    """The kind group and parameters (JSON) of the scratch-queue item each of ``keys`` left: what the
    write step queued it with (or, refused for good before, what the deployment's queue held). The open
    item, else the latest closed one (an item keeps its refusal when closed): a refused or held record
    always carries the kind it was queued with."""
    t = schema.retry_queue
    wanted = sorted(set(keys))
    found: dict[str, tuple[str, str]] = {}
    with scratch.ledger.engine.connect() as conn:
        for start in range(0, len(wanted), QUEUE_LOOKUP):
            query = (
                sa.select(t.c.source_key, t.c.kind, t.c.params, t.c.status)
                .where(
                    t.c.integration == spec.integration,
                    t.c.flow == spec.name,
                    t.c.source_key.in_(wanted[start : start + QUEUE_LOOKUP]),
                )
                .order_by(t.c.id)
            )
            open_keys: set[str] = set()
            for row in conn.execute(query):
                key = str(row.source_key)
                if key in open_keys:
                    continue
                found[key] = (row.kind or "", row.params or "")
                if row.status in schema.QUEUE_OPEN_STATUSES:
                    open_keys.add(key)
    return found


def _row(spec: FlowSpec, day: str | None, source_key: str, event: Any, note: dict[str, Any] | None) -> FitRow:
    action, reason = event.action, event.reason or ""
    target_id = "" if is_placeholder(event.target_id) else (event.target_id or "")
    note = note or {}
    changes: Any = note.get("changes")
    matched_by: Any = note.get("matched_by")
    kind = ""
    if action == "skip" and (rule := out_of_scope_rule(event.detail)):  # left alone by the flow's rule
        verdict, kind = OUT_OF_SCOPE, out_of_scope_group(rule)
    elif action == "skip":  # left queued for a replay (refused for good before), or nothing to write
        verdict = "refuse" if reason.startswith(NOT_SENT_AGAIN) else "unchanged"
    elif action == "fail":
        verdict = "ambiguous" if note.get("verdict") == "ambiguous" else "refuse"
    else:
        verdict = action
    return FitRow(
        spec.integration,
        spec.name,
        day or "",
        source_key,
        verdict,
        target_id=target_id,
        matched_by=json.dumps(matched_by, default=str) if matched_by else "",
        reason=reason,
        changes=json.dumps(changes, default=str) if changes is not None else "",
        kind=kind,
    )
