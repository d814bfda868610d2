"""What Coupa -> JD Edwards puts into Dagster and ``ml-connector replay`` (``flows.assembly``): the flows'
assets, jobs, poll schedules and the inbox sensor (``jobs``), the reconciliation (``reconcile``: its
asset, job and daily schedule); each flow's replays are its own (``Flow.replays``).

Each flow is the shared flow factory's steps (mapped, check, written) followed by ``<flow>_inbox_done``
(acknowledges the call-outs the run consumed) and ``<flow>_marked_exported`` (marks what reached JDE
``exported`` in Coupa, as Coupa's ERP integration pattern asks). Payments come after the invoices of the
same run, so a payment and its invoice arriving together are both written in one run instead of the
payment waiting in the queue for the next.
"""

from connector_assets.flows.assembly import Declaration
from connector_assets.integrations.coupa_jde import invoices, payments, reconcile
from connector_assets.integrations.coupa_jde.accounts import coupa_jde_account_map
from connector_assets.integrations.coupa_jde.jobs import JOBS, inbox_sensor

FLOWS = (invoices.FLOW, payments.FLOW)
TABLES = [coupa_jde_account_map]
coupa_jde_assets = [*TABLES, *invoices.invoice_assets, *payments.payment_assets]
FLOW_JOBS = JOBS.build(FLOWS, TABLES)
coupa_jde_inbox_sensor = inbox_sensor(FLOW_JOBS)

DECLARATION = Declaration.assembled(
    FLOWS, [FLOW_JOBS], reconcile.WIRING, tables=TABLES, sensors=[coupa_jde_inbox_sensor]
)
