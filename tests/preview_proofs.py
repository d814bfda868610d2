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
from typing import Any

import sqlalchemy as sa
from dagster import DagsterInstance, Definitions
from request_log import RequestLog

from connector_assets.preview.runner import FlowPreview, flow_days, integration_flows, run_flow, run_preview
from connector_assets.preview.verdicts import FitRow
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
}


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
    """Every row of the tables a flow writes (cross-references, audit, queue, cursors, inbox)."""
    tables = (schema.xref, schema.audit_event, schema.retry_queue, schema.cursor, schema.webhook_inbox)
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


def preview(
    defs: Definitions,
    integration: str,
    first: date,
    last: date,
    out: Path,
    *,
    ledger: Ledger,
    resources: Mapping[str, Any],
    flows: Sequence[str] = (),
) -> Previewed:
    rows, runs = [], []
    for item in run_preview(
        defs, integration, first, last, out, flows=flows, ledger=ledger, resources=resources
    ):
        (runs if isinstance(item, FlowPreview) else rows).append(item)
    return Previewed(rows, runs)


def run_for_real(
    defs: Definitions,
    integration: str,
    first: date,
    last: date,
    *,
    resources: Mapping[str, Any],
    flows: Sequence[str] = (),
) -> None:
    """The same flows over the same days as a preview runs them, writing."""
    with DagsterInstance.ephemeral() as instance:
        for spec in integration_flows(integration, flows, defs=defs):
            days = flow_days(defs, spec, first, last)
            if days:
                run_flow(defs, spec, days, resources, instance)


def real_actions(ledger: Ledger, integration: str, after: int) -> dict[tuple[str, str], tuple[str, str]]:
    """The last decisive audit event (action, target id) per (flow, source record) after event ``after``,
    on the flow's own target system: not an event elsewhere (a Coupa record marked exported after its
    write is an ``update`` in Coupa), which follows the write and judges nothing a preview judged."""
    targets = {spec.name: spec.target_system for spec in integration_flows(integration)}
    a = schema.audit_event
    query = (
        sa.select(a.c.flow, a.c.source_id, a.c.action, a.c.target_id, a.c.target_system)
        .where(
            a.c.id > after,
            a.c.integration == integration,
            a.c.action.in_(("create", "update", "adopt", "skip", "fail", "hold")),
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
            wrong.append(f"{row.flow} {row.source_key}: previewed {row.verdict}, the run did {action}")
        elif row.verdict == "adopt" and row.target_id != target_id:
            wrong.append(f"{row.flow} {row.source_key}: previewed adopting {row.target_id}, run {target_id}")
    return wrong
