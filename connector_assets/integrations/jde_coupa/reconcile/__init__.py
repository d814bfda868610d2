"""JD Edwards -> Coupa reconciliation: a JDE day's suppliers, purchase orders and vouchers compared with
Coupa record by record and field by field, on what each flow writes, and what Coupa holds that no JDE
record explains. Coupa is read by key with its ``[in]`` operator and by window
(``connector_assets.coupa.reconcile_reads``); JDE with the flows' own readers, by key.
"""
