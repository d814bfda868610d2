"""JD Edwards -> Coupa: suppliers (F0101 + F0401), purchase orders (F4301/F4311) and vouchers (F0411) as
Coupa suppliers, purchase orders and invoices, with a reconciliation of what both sides hold.

One module per flow (``suppliers``, ``purchase_orders``, ``invoices``: spec, mapper, Coupa target),
``reconcile`` for the comparison, ``jobs`` for when they run, ``replay`` for ``ml-connector replay``;
``defs`` is what Dagster shows of this integration.
"""

from dagster import Definitions

from connector_assets.integrations.jde_coupa.invoices import jde_coupa_invoice_assets
from connector_assets.integrations.jde_coupa.jobs import jde_coupa_jobs, jde_coupa_schedules
from connector_assets.integrations.jde_coupa.purchase_orders import jde_coupa_po_assets
from connector_assets.integrations.jde_coupa.reconcile import jde_coupa_reconciliation
from connector_assets.integrations.jde_coupa.replay import register_replay_handlers
from connector_assets.integrations.jde_coupa.suppliers import INTEGRATION, jde_coupa_assets

defs = Definitions(
    assets=[*jde_coupa_assets, *jde_coupa_po_assets, *jde_coupa_invoice_assets, jde_coupa_reconciliation],
    jobs=jde_coupa_jobs,
    schedules=jde_coupa_schedules,
)

__all__ = ["INTEGRATION", "defs", "register_replay_handlers"]
