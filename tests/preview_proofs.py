"""What every integration's preview test proves, written once: the preview wrote nothing (the simulators'
own request logs hold no write, the ledger holds no new row), and the real run of the same days did what
the preview said, record by record.

A request counts as a read when the API documents it as one: a GET, a login / token / logout, JD Edwards'
data service query. Anything else a simulator received during the preview is a write, and fails the test.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from types import ModuleType
from typing import Any, Protocol, TypeVar

import sqlalchemy as sa
from dagster import DagsterInstance, Definitions
from request_log import RequestLog

from connector_assets.deployment import Deployment
from connector_assets.flows.records import FlowSpec
from connector_assets.preview.runner import (
    DECISIVE_ACTIONS,
    FlowPreview,
    flow_days,
    integration_flows,
    run_flow,
    run_preview,
)
from connector_assets.preview.tally import FitRow
from connector_resources.ledger import Ledger, schema

LOGIN_PATHS = ("token", "login", "logout", "/oauth")
READ_POSTS = ("/v2/dataservice",)
# What the real run's audit shows for each verdict the preview gave.
REAL_ACTIONS = {
    "create": {"create"},
    "adopt": {"adopt"},
    "update": {"update"},
    "unchanged": {"skip", None},
    "refuse": {"fail", "skip"},  # skip: refused before and unchanged, left for a replay
    "ambiguous": {"fail"},
    "hold": {"hold"},
    "out_of_scope": {"skip"},  # left alone by the flow's rule, never queued (``flows.out_of_scope``)
}


class PreviewWorld(Protocol):
    """A sandbox world as the proofs use it: its ledger and resources, the simulators' request logs
    (``request_log.logged_simulators``) and the deployment's definitions of the integration's package."""

    ledger: Ledger
    resources: Mapping[str, Any]
    logs: Mapping[str, Sequence[RequestLog]]
    defs: Definitions
    specs: Mapping[str, FlowSpec]


World = TypeVar("World")


def equip_for_previews(world: World, logs: Mapping[str, Sequence[RequestLog]], package: ModuleType) -> World:
    """``world`` with what ``PreviewWorld`` adds: ``logs`` (to see what a preview sent), ``defs`` and
    ``specs``, the definitions and flows a deployment of ``package`` has (to preview and run its flows as
    they are deployed)."""
    deployment = Deployment.of([package.__name__.rpartition(".")[2]])
    world.logs = logs  # type: ignore[attr-defined]
    world.defs = deployment.definitions  # type: ignore[attr-defined]
    world.specs = deployment.specs  # type: ignore[attr-defined]
    return world


def write_requests(logs: Mapping[str, Sequence[RequestLog]]) -> list[str]:
    """Every request the simulators received that is not a read, as "system METHOD path"."""
    writes = []
    for system, served in logs.items():
        for log in served:
            for entry in log.entries_all():
                if entry.method in ("GET", "HEAD", "OPTIONS"):
                    continue
                if entry.path.startswith("/sandbox"):  # the test's own operator calls
                    continue
                if any(part in entry.path for part in LOGIN_PATHS + READ_POSTS):
                    continue
                writes.append(f"{system} {entry.method} {entry.path}")
    return writes


def ledger_rows(ledger: Ledger) -> dict[str, list[tuple]]:
    """Every row of the tables a flow writes (cross-references, audit, queue, cursors, inbox) or a first run
    imports (mapping tables)."""
    tables = (schema.xref, schema.audit_event, schema.retry_queue, schema.cursor, schema.webhook_inbox,
              schema.mapping, schema.mapping_row)  # fmt: skip
    with ledger.engine.connect() as conn:
        return {
            t.name: [tuple(r) for r in conn.execute(sa.select(t).order_by(*t.primary_key.columns))]
            for t in tables
        }


@dataclass
class Previewed:
    rows: list[FitRow]
    flows: list[FlowPreview]

    def verdicts(self) -> dict[tuple[str, str], FitRow]:
        return {(r.flow, r.source_key): r for r in self.rows}


def previewed_writing_nothing(
    world: PreviewWorld,
    integration: str,
    first: date,
    last: date,
    out: Path,
    *,
    flows: Sequence[str] = (),
) -> Previewed:
    """A preview whose every flow ran, which sent the simulators no write and left every ledger row as it
    was (the logs are cleared first: only the preview's requests count)."""
    before = ledger_rows(world.ledger)
    for served in world.logs.values():
        for log in served:
            log.clear()
    rows, runs = [], []
    for item in run_preview(
        world.defs,
        integration,
        first,
        last,
        out,
        specs=world.specs,
        flows=flows,
        ledger=world.ledger,
        resources=world.resources,
    ):
        (runs if isinstance(item, FlowPreview) else rows).append(item)
    seen = Previewed(rows, runs)
    assert all(flow.success for flow in seen.flows), [flow.error for flow in seen.flows]
    # every record counted once, and every refusal or hold with the kind it was queued with
    assert len({(r.flow, r.source_key) for r in rows}) == len(rows), "a record counted twice"
    unkinded = [r for r in rows if r.verdict in ("refuse", "hold", "ambiguous") and not r.kind]
    assert unkinded == [], unkinded
    assert write_requests(world.logs) == [], "the preview sent a write"
    assert ledger_rows(world.ledger) == before, "the preview changed the ledger"
    return seen


def run_as_previewed(
    world: PreviewWorld,
    integration: str,
    first: date,
    last: date,
    seen: Previewed,
    *,
    flows: Sequence[str] = (),
) -> dict[tuple[str, str], tuple[str, str]]:
    """The real run of the flows and days ``seen`` previewed, as a preview runs them but writing, which did
    what the preview said, record by record: (flow, source key) -> (action, target id) of what it decided."""
    after = last_audit_id(world.ledger)
    with DagsterInstance.ephemeral() as instance:
        for spec in integration_flows(integration, flows, specs=world.specs, defs=world.defs):
            days = flow_days(world.defs, spec, first, last)
            if days:
                run_flow(world.defs, spec, days, world.resources, instance, specs=world.specs)
    real = real_actions(world.ledger, integration, after, world.specs)
    wrong = mismatches(seen.rows, real)
    assert wrong == [], wrong
    return real


def forget_xref(
    ledger: Ledger, integration: str, entity: str, source_key: str | None = None
) -> tuple[str, str | None]:
    """Delete the cross-reference of ``source_key`` (by default the first, by key, that names a target
    record): a first backfill against a record both systems hold. Its source key and the target id it held."""
    x = schema.xref
    mine = (x.c.integration == integration) & (x.c.entity == entity)
    with ledger.engine.begin() as conn:
        if source_key is None:
            recorded = mine & x.c.target_id.is_not(None)
            source_key = conn.execute(
                sa.select(x.c.source_key).where(recorded).order_by(x.c.source_key).limit(1)
            ).scalar_one()
        target_id = conn.execute(sa.select(x.c.target_id).where(mine, x.c.source_key == source_key)).scalar()
        conn.execute(sa.delete(x).where(mine, x.c.source_key == source_key))
    return source_key, target_id


def real_actions(
    ledger: Ledger, integration: str, after: int, specs: Mapping[str, FlowSpec]
) -> dict[tuple[str, str], tuple[str, str]]:
    """The last decisive audit event (action, target id) per (flow, source record) after event ``after``,
    on the flow's own target system: not an event elsewhere (a Coupa record marked exported after its
    write is an ``update`` in Coupa), which follows the write and judges nothing a preview judged."""
    targets = {spec.name: spec.target_system for spec in integration_flows(integration, specs=specs)}
    a = schema.audit_event
    query = (
        sa.select(a.c.flow, a.c.source_id, a.c.action, a.c.target_id, a.c.target_system)
        .where(
            a.c.id > after,
            a.c.integration == integration,
            a.c.action.in_(DECISIVE_ACTIONS),
        )
        .order_by(a.c.id)
    )
    with ledger.engine.connect() as conn:
        return {
            (r.flow, str(r.source_id)): (r.action, r.target_id or "")
            for r in conn.execute(query)
            if r.target_system in (None, targets.get(r.flow))
        }


def last_audit_id(ledger: Ledger) -> int:
    with ledger.engine.connect() as conn:
        return conn.execute(sa.select(sa.func.max(schema.audit_event.c.id))).scalar() or 0


def mismatches(rows: Iterable[FitRow], real: Mapping[tuple[str, str], tuple[str, str]]) -> list[str]:
    """Each record whose real outcome differs from its preview verdict (an adoption: of another record)."""
    wrong = []
    for row in rows:
        action, target_id = real.get((row.flow, row.source_key), (None, ""))
        if action not in REAL_ACTIONS[row.verdict]:
            said = f"previewed {row.verdict} ({row.reason})"
            wrong.append(f"{row.flow} {row.source_key}: {said}, the run did {action}")
        elif row.verdict == "adopt" and row.target_id != target_id:
            wrong.append(f"{row.flow} {row.source_key}: previewed adopting {row.target_id}, run {target_id}")
    return wrong
