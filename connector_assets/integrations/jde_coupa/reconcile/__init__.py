"""JD Edwards -> Coupa reconciliation: a JDE day's suppliers, purchase orders and vouchers compared with
Coupa record by record and field by field, on what each flow writes, and what Coupa holds that no JDE
record explains.

``sides`` (what the comparisons share), one module per entity (``suppliers``, ``orders``, ``invoices``),
``only_in_coupa`` (Coupa's records of the day no JDE record explains), ``day`` (the comparison of one day)
and ``assets`` (the asset, its job and schedule). Coupa is read by key with its ``[in]`` operator and by
window (``connector_assets.coupa.reconcile_reads``); JDE with the flows' own readers, by key.
"""

from connector_assets.integrations.jde_coupa.reconcile.assets import RECONCILE, jde_coupa_reconciliation

__all__ = ["RECONCILE", "jde_coupa_reconciliation"]
