"""Coupa -> JD Edwards reconciliation: a Coupa day's invoices and Coupa Pay payments against the JDE vouchers
and payments the flows wrote, and the batches under the flow's marking no Coupa invoice explains. Coupa is
read by window and id (``coupa.reconcile_reads``); JDE by the flows' keys (``jde.reconcile_documents``).
"""
