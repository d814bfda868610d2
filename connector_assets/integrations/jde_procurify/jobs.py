"""JDE <-> Procurify jobs and schedules: one job per flow and a schedule at the flow's
``ML_JDE_PROCURIFY_*_CRON``.

Procurify has no webhooks (the API is pull-only), so every flow polls, every 1 to 4 hours by default, the
account codes once a day. The jobs and schedules are the shared kit's (``flows.jobs.FlowJobs``):

* each flow's job holds the flow's own assets plus the staged sources and mapping tables its mapped step
  reads, never another flow's assets (a purchase order needing a supplier not in Procurify yet is held and
  released when the suppliers flow writes it) and never F0901 (``jde/gl_accounts``), which keeps its own
  refresh schedule (``ML_JDE_GL_REFRESH_CRON``, 05:00 by default, before the account codes' 05:30);
* a day-closing schedule per flow. The first tick after a partition day ended reads that day whole and
  syncs it (once, asked of the instance); later ticks of the day poll today from the cursor. So with a
  2-hourly cron a day is polled 12 times and closed once, whatever the minute the cron fires at (a poll
  schedule closing yesterday only in the hour after midnight would miss it with a cron like ``50 */4``).

Days: the JDE-sourced flows are partitioned by JDE day (``ML_JDE_TIMEZONE``), the Procurify-sourced ones
by UTC day (the staged Procurify entities' stamps are UTC); each schedule takes "yesterday" in its own
flow's partition time zone, and every cron fires in the JDE time zone.

A flow whose mapped step is not partitioned (a whole read, e.g. of the cached F0901) gets a plain cron
schedule of its job: there is no day to close.
"""

from __future__ import annotations

from connector_assets.flows.core import FlowSpec
from connector_assets.jde.flow_jobs import jde_day_closing_jobs


def _describe_schedule(spec: FlowSpec, cron_setting: str) -> str:
    return (
        f"Poll {spec.name} ({spec.source_system} -> {spec.target_system}) at ${cron_setting}; the first "
        "tick of a day closes the previous day, read whole."
    )


# One job per flow (named after the flow, ``jde_procurify_<name>``) and its schedule
# (``jde_procurify_<name>_schedule``) at the flow's cron setting, in the JDE time zone.
JOBS = jde_day_closing_jobs(_describe_schedule)
