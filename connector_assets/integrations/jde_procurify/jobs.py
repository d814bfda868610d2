"""JDE <-> Procurify jobs: one per flow (``<instance>_<name>``) and its day-closing schedule at the flow's
``ML_<INSTANCE>_*_CRON`` in the JDE time zone (Procurify has no webhooks: every flow polls), the same recipe
for every instance (``wiring.build`` builds it over the instance's flows). Defaults and why:
docs/integrations/jde_procurify.md, "How it runs".
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
