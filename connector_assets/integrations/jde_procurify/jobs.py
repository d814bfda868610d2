"""JDE <-> Procurify jobs: one per flow (``jde_procurify_<name>``) and its day-closing schedule at the flow's
``ML_JDE_PROCURIFY_*_CRON`` in the JDE time zone (Procurify has no webhooks: every flow polls). Defaults and
why: docs/integrations/jde_procurify.md, "How it runs".
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
