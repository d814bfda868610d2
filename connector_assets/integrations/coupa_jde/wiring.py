"""What Coupa -> JD Edwards puts into Dagster and ``ml-connector replay`` for one instance (``build``): the
flows with their jobs, schedules and inbox sensor (``jobs``), the pairing by hand and the reconciliation.
Each flow's steps and why payments follow invoices in one run: docs/integrations/coupa_jde.md, "The flows".
"""

from connector_assets.flows.assembly import IntegrationParts
from connector_assets.flows.instance import Instance
from connector_assets.flows.mapping_tables import build_mapping_table_asset

from .invoices import invoices_flow
from .jobs import flow_jobs, inbox_sensor
from .manual_pairs import supplier_pairing
from .own import Own
from .payments import payments_flow
from .reconcile.assets import reconciliation


def build(it: Instance) -> IntegrationParts:
    """Instance ``it``'s parts (its component type calls this with itself)."""
    own = Own.of(it)
    invoices = invoices_flow(own)
    payments = payments_flow(own, invoices.spec)
    table = build_mapping_table_asset(own.accounts, group=it.instance)
    built = flow_jobs(it.instance, (invoices, payments), [table])
    return IntegrationParts.of(
        it.instance,
        [built],
        reconciliation=reconciliation(own, invoices.spec, payments.spec),
        pairings=(supplier_pairing(own, invoices.spec),),
        sensors=[inbox_sensor(it.instance, built)],
        mapping_tables=[own.accounts],
        package=__package__ or "",
    )
