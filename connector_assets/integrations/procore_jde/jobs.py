"""Procore -> JDE jobs and schedules: one job per flow, a daily schedule closing each whole day (a poll at
02:00 would never read a day's afternoon again). Days, time zones and crons: docs/integrations/procore_jde.md,
"How it runs"."""

from __future__ import annotations

from typing import Any

from connector_assets.flows.core import FlowSpec
from connector_assets.flows.jobs import BuiltJobs
from connector_assets.jde.flow_jobs import jde_day_closing_jobs
from connector_assets.procore.inbox_events import INBOX_SOURCE
from connector_assets.procore.inbox_sensor import build_procore_inbox_sensor
from connector_assets.saas.assets import saas_partitions

from .hooks import ENTITY_FLOWS, SENSOR_DESCRIPTION
from .integration import Own
from .vouchers import vouchers_enabled


def _describe_job(spec: FlowSpec) -> str:
    return f"{spec.integration} {spec.name} of a day: {spec.source_system} -> {spec.target_system}."


def _describe_schedule(spec: FlowSpec, _cron_setting: str) -> str:
    return (
        f"Sync the previous day's {spec.name} ({spec.source_system} -> {spec.target_system}) once it has "
        "ended; later ticks of a day poll today."
    )


JOBS = jde_day_closing_jobs(_describe_schedule, _describe_job)


def inbox_sensor(own: Own, flow_jobs: BuiltJobs) -> Any:
    """Procore's webhooks start ``own``'s Procore-sourced flows early (the suppliers flow reads JDE, which
    sends none); the vouchers flow only while its ``vouchers`` setting is on, asked at each tick. An
    instance on a Procore company of its own reads its own endpoint's inbox, with its own connection's
    settings."""
    return build_procore_inbox_sensor(
        f"{own.name}_inbox_sensor",
        {spec.name: job for spec, job in flow_jobs.jobs.items() if spec.source_system == "procore"},
        saas_partitions,
        entity_flows=ENTITY_FLOWS,
        description=SENSOR_DESCRIPTION,
        enabled={"vouchers": lambda: vouchers_enabled(own)},
        inbox=own.procore.side.inbox(INBOX_SOURCE),
        settings_scope=own.procore.side.scope,
    )
