"""Procore's webhook events in the ledger's inbox, read as the (flow, day) runs they ask for: an event
carries ids only (reference 2.10), so it says which flow should look, for which UTC day; one outside
``ML_PROCORE_PROJECT_IDS`` asks nothing; rows marked ``processed``, or ``failed`` when not a Procore event."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC
from typing import Any

from dagster import DailyPartitionsDefinition

from connector_resources import settings
from connector_resources.ledger import InboxEvent, Ledger
from connector_resources.procore.errors import ProcoreError
from connector_resources.procore.webhooks import ProcoreEvent, parse_procore_event

INBOX_SOURCE = "procore"  # the receiver's Procore source; an instance's own company: ``<instance>_procore``
PROJECT_TAG = "ml-connector/procore_project"
ROWS_PER_TICK = 500  # bounded work per evaluation; the next tick continues from the cursor


@dataclass
class Batch:
    """What one evaluation found: (flow, day) -> project ids named, and the last inbox row id seen."""

    runs: dict[tuple[str, str], set[str]] = field(default_factory=dict)
    last_id: int | None = None
    unreadable: int = 0
    ignored: int = 0


def configured_projects() -> set[str]:
    """``ML_PROCORE_PROJECT_IDS`` as a set of id strings; empty = every project the app may read."""
    raw = settings.value("ML_PROCORE_PROJECT_IDS")
    return {p.strip() for p in raw.replace(";", ",").split(",") if p.strip()}


def event_day(event: ProcoreEvent, row: InboxEvent) -> str:
    """The UTC day of the change: the event's ``timestamp``, else when the delivery was received."""
    moment = event.timestamp or row.received_at
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return moment.date().isoformat()


def read_batch(
    ledger: Ledger,
    after_id: int,
    entity_flows: Mapping[str, tuple[str, ...]],
    flows: Mapping[str, Any],
    partitions_def: DailyPartitionsDefinition,
    *,
    projects: set[str] | None = None,
    limit: int = ROWS_PER_TICK,
    source: str = INBOX_SOURCE,
) -> Batch:
    """The runs the Procore inbox rows after ``after_id`` ask for, marking each row processed (or failed,
    with the reason, when it is not a Procore event). ``entity_flows``: Procore entity -> the flows a
    change of it concerns (the integration's rule); ``flows``: the flow names that have a job; ``source``:
    the inbox source read (an instance on a Procore company of its own reads its own endpoint's)."""
    batch = Batch()
    wanted_projects = configured_projects() if projects is None else projects
    for row in ledger.inbox_pending(source=source, after_id=after_id, limit=limit):
        batch.last_id = row.id
        try:
            event = parse_procore_event(json.loads(row.body.decode("utf-8")))
        except (ValueError, UnicodeDecodeError, ProcoreError) as exc:
            ledger.inbox_mark(row.id, status="failed", error=f"not a Procore webhook event: {exc}")
            batch.unreadable += 1
            continue
        project = "" if event.project_id is None else str(event.project_id)
        day = event_day(event, row)
        affected = [f for f in entity_flows.get(event.entity or "", ()) if f in flows]
        outside = bool(project and wanted_projects and project not in wanted_projects)
        if affected and not outside and partitions_def.has_partition_key(day):
            for flow in affected:
                named = batch.runs.setdefault((flow, day), set())
                if project:
                    named.add(project)
        else:
            batch.ignored += 1
        ledger.inbox_mark(row.id, status="processed")
    return batch


# -- the app's webhook on Procore: one hook per company, found by namespace and adopted, never doubled, with
# a trigger per (resource, event); which resources matter is the integration's (the resources whose events
# its inbox sensor acts on). Used by ``ml-connector procore-webhooks`` and by ``make dev``.

# The app's hook namespace on Procore (one per app: lowercase letters, digits and dashes).
PROCORE_HOOK_NAMESPACE = "ml-connector"


def hook_resources(entities: Iterable[str]) -> list[str]:
    """The Procore webhook resources whose events concern ``entities`` (``RESOURCE_ENTITIES`` values)."""
    from connector_resources.procore.entities import RESOURCE_ENTITIES

    wanted = set(entities)
    return sorted(name for name, entity in RESOURCE_ENTITIES.items() if entity in wanted)


def register_procore_hook(resource: Any, destination: str, resources: Sequence[str]) -> list[str]:
    """The app's hook to ``destination`` in every company of ``resource`` (a ``ProcoreResource``), with
    a trigger per (resource, event) of ``resources``; adopted, not doubled, when it exists. Answers what
    was done per company ("created" / "adopted" / "updated")."""
    done = []
    for company in resource.company_ids():
        with resource.session(company) as session:
            done.append(ensure_procore_hook(session, destination, resources).action)
    return done


def ensure_procore_hook(session: Any, destination: str, resources: Sequence[str]) -> Any:
    """The app's hook to ``destination`` in the session's company with its triggers (``HookSync``):
    found by namespace and adopted, updated when its URL or token differ, else created."""
    hook = session.webhooks.ensure_hook(PROCORE_HOOK_NAMESPACE, destination)
    session.webhooks.ensure_triggers(hook.id, list(resources))
    return hook
