"""JDE <-> Procurify jobs: one per flow (``jde_procurify_<name>``), and its day-closing schedule
(``flows.jobs.DAY_CLOSE``) at the flow's ``ML_JDE_PROCURIFY_*_CRON``, in the JDE time zone.

Procurify has no webhooks, so every flow polls, every 1 to 4 hours by default, the account codes once a day
(05:30, after F0901's own refresh at ``ML_JDE_GL_REFRESH_CRON``, 05:00). A job never runs another flow's
assets: a purchase order needing a supplier not in Procurify yet is held and released when the suppliers
flow writes it. The JDE-sourced flows' days are JDE days, the Procurify-sourced ones' UTC days (the staged
Procurify stamps are UTC): each schedule closes "yesterday" in its own flow's partition time zone.
"""

from __future__ import annotations

from connector_assets.flows.core import FlowSpec
from connector_assets.jde.flow_jobs import jde_day_closing_jobs


def _describe_schedule(spec: FlowSpec, cron_setting: str) -> str:
    return (
        f"Poll {spec.name} ({spec.source_system} -> {spec.target_system}) at ${cron_setting}; the first "
        "tick of a day closes the previous day, read whole."
    )


JOBS = jde_day_closing_jobs(_describe_schedule)
