"""When the JD Edwards -> Coupa flows run: today's partition, from the JDE tables to the Coupa writes.

Each flow has a job of its own (its JDE source tables, the mapping table it maps with, its mapped, check
and write steps) on a poll schedule of its own, hourly by default like the JDE reads, staggered so an
hour's suppliers are in Coupa before that hour's orders and vouchers look for them
(``ML_JDE_COUPA_<FLOW>_CRON``): the kit's ``FlowJobs`` as every JDE -> X flow polls
(``jde.flow_jobs.jde_poll_jobs``). ``jde_coupa_sync`` runs all three in one run, in
dependency order, for backfills and by hand. Every job stages the mapping tables its flows map with
(accounts, payment terms) first, in the same run: flows map only with the staged snapshot, so a run on a
fresh instance finds it, and the mapped asset names the snapshot it used. The reconciliation has a job of
its own (``jde_coupa_reconcile``), closing each JDE day on a daily schedule (``ML_JDE_COUPA_RECONCILE_CRON``)
after the flows' last hourly tick.
"""

from connector_assets.flows.jobs import OneRun
from connector_assets.jde.flow_jobs import jde_poll_jobs

JOBS = jde_poll_jobs(
    "Coupa",
    together=OneRun(
        "jde_coupa_sync", "JDE suppliers, purchase orders and vouchers changed on a day -> Coupa, in one run."
    ),
)
