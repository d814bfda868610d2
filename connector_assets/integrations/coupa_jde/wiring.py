"""What Coupa -> JD Edwards puts into Dagster and ``ml-connector replay`` (``flows.assembly``): the flows
with their jobs, schedules and inbox sensor (``jobs``) and the reconciliation. Each flow's steps and why
payments follow invoices in one run: docs/integrations/coupa_jde.md, "The flows".
"""

from connector_assets.flows.assembly import IntegrationParts

from . import invoices, payments
from .accounts import ACCOUNTS, coupa_jde_account_map
from .coupa_side import OWN_TENANT
from .jobs import JOBS, inbox_sensor

FLOWS = (invoices.FLOW, payments.FLOW)
TABLES = [coupa_jde_account_map]
coupa_jde_assets = [*TABLES, *invoices.invoice_assets, *payments.payment_assets]
FLOW_JOBS = JOBS.build(FLOWS, TABLES)
# An instance on a Coupa tenant of its own polls: the receiver's call-outs are the deployment's tenant's.
coupa_jde_inbox_sensor = None if OWN_TENANT else inbox_sensor(FLOW_JOBS)


def parts() -> IntegrationParts:
    """What the package puts into Dagster and ``ml-connector replay`` (its component type builds on it)."""
    return IntegrationParts.assembled(
        __package__,
        [FLOW_JOBS],
        sensors=[coupa_jde_inbox_sensor],
        mapping_tables=[ACCOUNTS],
    )
