"""When the JDE source assets run: the current day's partition at ``ML_JDE_POLL_CRON`` (default
hourly, see ``connector_assets.runtime.polling``), the F0901 cache daily at ``ML_JDE_GL_REFRESH_CRON``."""

from __future__ import annotations

from dagster import (
    AssetSelection,
    RunRequest,
    ScheduleEvaluationContext,
    define_asset_job,
    schedule,
)

from connector_assets.jde.extract import jde_timezone
from connector_assets.jde.tables import GL_ACCOUNTS, JDE_TABLES
from connector_assets.runtime.automation import schedule_status
from connector_assets.runtime.polling import build_poll_schedule
from connector_resources import settings

PARTITIONED = [spec.asset for spec in JDE_TABLES if spec.partitioned]
# Read whole by their own refresh schedule (F0901, below), so never run by a flow's job: what the
# integrations pass to ``flows.jobs.flow_job`` as ``scheduled_apart``.
REFRESHED_APART = (GL_ACCOUNTS.asset,)

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


jde_poll_schedule = build_poll_schedule(
    "jde_poll_schedule",
    jde_sources_job,
    cron=settings.value("ML_JDE_POLL_CRON"),
    timezone=jde_timezone().key,
    description="Poll today's changes in the JDE tables; after midnight, close yesterday once.",
)


@schedule(
    job=jde_gl_accounts_job,
    cron_schedule=settings.value("ML_JDE_GL_REFRESH_CRON"),
    execution_timezone=jde_timezone().key,
    description="Refresh the cached F0901 accounts daily.",
    default_status=schedule_status(),
)
def jde_gl_accounts_schedule(context: ScheduleEvaluationContext):
    return RunRequest(run_key=f"gl-{context.scheduled_execution_time:%Y-%m-%d}")
