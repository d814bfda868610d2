"""What Coupa -> JD Edwards puts into Dagster and ``ml-connector replay`` (``flows.assembly``): the flows'
assets, jobs, poll schedules and the inbox sensor (``jobs``), the reconciliation (``reconcile``: its
asset, job and daily schedule); each flow's replays are its own (``Flow.replay``).

Each flow is the shared flow factory's steps (mapped, check, written) followed by ``<flow>_inbox_done``
(acknowledges the call-outs the run consumed) and ``<flow>_marked_exported`` (marks what reached JDE
``exported`` in Coupa, as Coupa's ERP integration pattern asks). Payments come after the invoices of the
same run, so a payment and its invoice arriving together are both written in one run instead of the
payment waiting in the queue for the next.

No ``from __future__ import annotations``: Dagster reads the loader's return annotation as a class.
"""

import dagster as dg

from connector_assets.flows.assembly import IntegrationComponent
from connector_assets.integrations.coupa_jde import invoices, payments
from connector_assets.integrations.coupa_jde.accounts import ACCOUNTS, coupa_jde_account_map
from connector_assets.integrations.coupa_jde.jobs import JOBS, inbox_sensor

FLOWS = (invoices.FLOW, payments.FLOW)
TABLES = [coupa_jde_account_map]
coupa_jde_assets = [*TABLES, *invoices.invoice_assets, *payments.payment_assets]
FLOW_JOBS = JOBS.build(FLOWS, TABLES)
coupa_jde_inbox_sensor = inbox_sensor(FLOW_JOBS)


@dg.component_instance
def coupa_jde(context: dg.ComponentLoadContext) -> IntegrationComponent:
    return IntegrationComponent.assembled(
        __package__, [FLOW_JOBS], sensors=[coupa_jde_inbox_sensor], mapping_tables=[ACCOUNTS]
    )
