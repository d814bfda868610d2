"""What JD Edwards -> Coupa puts into Dagster and ``ml-connector replay`` (``flows.assembly``): its three
flows, their jobs and schedules (``jobs``), the mapping tables and the reconciliation; each flow's replays
are its own (``Flow.replay``).

No ``from __future__ import annotations``: Dagster reads the loader's return annotation as a class to know
the component's type without loading it.
"""

from connector_assets.flows.assembly import IntegrationParts

from . import invoices, purchase_orders, suppliers
from .jobs import JOBS

FLOWS = (suppliers.FLOW, purchase_orders.FLOW, invoices.FLOW)
TABLES = [suppliers.jde_coupa_payment_terms_map, purchase_orders.jde_coupa_account_map]
FLOW_JOBS = JOBS.build(FLOWS, TABLES)


def parts() -> IntegrationParts:
    """What the package puts into Dagster and ``ml-connector replay`` (its component type builds on it)."""
    return IntegrationParts.assembled(
        __package__, [FLOW_JOBS], mapping_tables=[suppliers.PAYMENT_TERMS, purchase_orders.ACCOUNTS]
    )
