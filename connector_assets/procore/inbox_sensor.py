"""Procore webhooks -> an early run of the flow an event concerns, for the day it happened (the daily
schedule stays the source of truth). Run keys, tags: docs/integrations/procore_jde.md, "How it runs"."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager, nullcontext
from typing import Any

from dagster import (
    DailyPartitionsDefinition,
    RunRequest,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    sensor,
)

from connector_assets.procore.inbox_events import INBOX_SOURCE, PROJECT_TAG, read_batch
from connector_assets.runtime.automation import sensor_status
from connector_resources.ledger import LedgerResource


def build_procore_inbox_sensor(
    name: str,
    jobs: Mapping[str, Any],
    partitions_def: DailyPartitionsDefinition,
    *,
    entity_flows: Mapping[str, tuple[str, ...]],
    description: str,
    enabled: Mapping[str, Callable[[], bool]] | None = None,
    inbox: str = INBOX_SOURCE,
    settings_scope: Callable[[], AbstractContextManager[None]] = nullcontext,
) -> Any:
    """The sensor over ``jobs`` (flow name -> the flow's job); ``entity_flows``: Procore entity -> the flows
    a change of it concerns. Flows without a job are never requested, nor flows whose ``enabled`` check
    (asked at each tick, e.g. ``ML_PROCORE_JDE_VOUCHERS``) says off. ``inbox``: the inbox source it reads;
    ``settings_scope``: the block each tick reads settings in (an instance's own Procore connection names
    its own ``project_ids``)."""
    switches = dict(enabled or {})

    @sensor(
        name=name,
        jobs=list(jobs.values()),
        minimum_interval_seconds=30,
        default_status=sensor_status(),
        description=description,
    )
    def _procore_inbox(context: SensorEvaluationContext, ledger: LedgerResource):
        after = int(context.cursor or 0)
        with settings_scope():
            flows = {f: job for f, job in jobs.items() if switches.get(f, lambda: True)()}
            batch = read_batch(ledger.get(), after, entity_flows, flows, partitions_def, source=inbox)
        if batch.last_id is None:
            return SkipReason(f"no Procore inbox rows after id {after}")
        if batch.unreadable:
            context.log.warning(
                f"{batch.unreadable} Procore inbox row(s) were not webhook events; marked failed"
            )
        requests = [
            RunRequest(
                job_name=flows[flow].name,
                partition_key=day,
                run_key=f"procore-inbox-{flow}-{day}-{batch.last_id}",
                tags={PROJECT_TAG: ",".join(sorted(projects))} if projects else None,
            )
            for (flow, day), projects in sorted(batch.runs.items())
        ]
        return SensorResult(run_requests=requests, cursor=str(batch.last_id))

    return _procore_inbox
