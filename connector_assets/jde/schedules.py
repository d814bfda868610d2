"""When the JDE source assets run: the current day's partition at a cadence, the GL cache daily.

``ML_JDE_POLL_CRON`` sets the cadence (default hourly). Every tick polls today's partition; the ticks of
the first hour after midnight also re-read yesterday whole, once (a fixed run key makes Dagster launch it
only the first time), which picks up rows committed late on the previous day.
"""

from __future__ import annotations

import os
from datetime import timedelta

from dagster import (
    AssetSelection,
    RunRequest,
    ScheduleEvaluationContext,
    define_asset_job,
    schedule,
)

from connector_assets.jde.extract import jde_timezone
from connector_assets.jde.tables import GL_ACCOUNTS, JDE_TABLES

PARTITIONED = [spec.asset for spec in JDE_TABLES if spec.partitioned]

jde_sources_job = define_asset_job(
    "jde_sources",
    selection=AssetSelection.assets(*PARTITIONED),
    description="Read JD Edwards F-tables for a day on UPMJ (the current day incrementally).",
)
jde_gl_accounts_job = define_asset_job(
    "jde_gl_accounts_refresh",
    selection=AssetSelection.assets(GL_ACCOUNTS.asset),
    description="Re-read the F0901 account master used to validate GL mappings.",
)


@schedule(
    job=jde_sources_job,
    cron_schedule=os.environ.get("ML_JDE_POLL_CRON", "").strip() or "0 * * * *",
    execution_timezone=jde_timezone().key,
    description="Poll today's changes in the JDE tables; after midnight, close yesterday once.",
)
def jde_poll_schedule(context: ScheduleEvaluationContext):
    now = context.scheduled_execution_time.astimezone(jde_timezone())
    today = now.date()
    requests = [RunRequest(partition_key=today.isoformat(), run_key=f"poll-{now:%Y-%m-%dT%H:%M}")]
    if now.hour == 0:
        yesterday = today - timedelta(days=1)
        requests.append(RunRequest(partition_key=yesterday.isoformat(), run_key=f"close-{yesterday}"))
    return requests


@schedule(
    job=jde_gl_accounts_job,
    cron_schedule=os.environ.get("ML_JDE_GL_REFRESH_CRON", "").strip() or "0 5 * * *",
    execution_timezone=jde_timezone().key,
    description="Refresh the cached F0901 accounts daily.",
)
def jde_gl_accounts_schedule(context: ScheduleEvaluationContext):
    return RunRequest(run_key=f"gl-{context.scheduled_execution_time:%Y-%m-%d}")
