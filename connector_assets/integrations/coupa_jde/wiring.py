"""What Coupa -> JD Edwards puts into Dagster and ``ml-connector replay`` (``flows.assembly``): the flows
with their jobs, schedules and inbox sensor (``jobs``) and the reconciliation. Each flow's steps and why
payments follow invoices in one run: docs/integrations/coupa_jde.md, "The flows".
"""

from connector_assets.flows.assembly import IntegrationParts

from . import invoices, payments
from .accounts import ACCOUNTS, coupa_jde_account_map
from .jobs import JOBS, inbox_sensor

FLOWS = (invoices.FLOW, payments.FLOW)
TABLES = [coupa_jde_account_map]
coupa_jde_assets = [*TABLES, *invoices.invoice_assets, *payments.payment_assets]
FLOW_JOBS = JOBS.build(FLOWS, TABLES)
# On a Coupa tenant of its own, the sensor reads the instance's own call-outs (``coupa_side``).
coupa_jde_inbox_sensor = inbox_sensor(FLOW_JOBS)


def parts() -> IntegrationParts:
    """What the package puts into Dagster and ``ml-connector replay`` (its component type builds on it)."""
    return IntegrationParts.assembled(
        __package__,
        [FLOW_JOBS],
        sensors=[coupa_jde_inbox_sensor],
        mapping_tables=[ACCOUNTS],
    )
