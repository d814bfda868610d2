"""When the JD Edwards -> Coupa flows run: each on a poll schedule of its own as every JDE -> X flow polls
(``jde.flow_jobs.jde_poll_jobs``), hourly by default and staggered so an hour's suppliers are in Coupa
before that hour's orders and vouchers look for them (``ML_JDE_COUPA_<FLOW>_CRON``); ``<instance>_sync``
runs all three in one run, in dependency order, for backfills and by hand.
"""

from connector_assets.flows.instance import Instance
from connector_assets.flows.jobs import FlowJobs, OneRun
from connector_assets.jde.flow_jobs import jde_poll_jobs


def flow_jobs(it: Instance) -> FlowJobs:
    """``it``'s flows' jobs and schedules, and its ``<instance>_sync``."""
    return jde_poll_jobs(
        "Coupa",
        together=OneRun(
            f"{it.instance}_sync",
            "JDE suppliers, purchase orders and vouchers changed on a day -> Coupa, in one run.",
        ),
    )
