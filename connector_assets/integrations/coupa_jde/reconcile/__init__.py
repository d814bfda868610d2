"""Coupa -> JD Edwards reconciliation: a Coupa day's invoices and Coupa Pay payments compared with the JDE
vouchers and payments the flows wrote, record by record and field by field, and the batches JDE holds under
the flow's marking that no Coupa invoice explains. Coupa is read by window and by id
(``connector_assets.coupa.reconcile_reads``); JDE by the batch keys and references the flows write
(``connector_assets.jde.reconcile_documents``).
"""

from connector_assets.integrations.coupa_jde.reconcile.assets import WIRING

__all__ = ["WIRING"]  # what the package's component lists
