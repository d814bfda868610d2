"""Reconciliation for Procore -> JD Edwards, record by record and field by field: each approved requisition
against its JDE voucher, each commitment against its JDE purchase order line by line (and its approved
change orders against the lines under their references), each vendor against its JDE supplier; the orders
JDE holds that no Procore record explains; a table of the balances per project, period, account and cost
code as a summary.

One asset, ``procore_jde/reconciliation`` (Procore UTC day, like the flows), downstream of the four flows'
target assets, with an ``in_balance`` check that warns naming each difference: the record in both systems
(``requisition 1280646 (INV-7)`` / ``voucher 00001 10234 PV``), the field, both values (money as money) and
a finance user's sentence. The metadata counts each kind, shows the first rows of each, and links the full
list (a CSV beside the staging); records the flows did not write on purpose (queued, held, abandoned) are
expected gaps with the queue's reason (the flow kit's ``flows.reconciliation`` and
``flows.reconciliation_expected``).

Each side is read from the system itself, never from our ledger alone (which could share a bug with the
writer): the ledger only says which record on one side is the counterpart of which on the other, and why
a missing one is missing. JDE is read by the keys the flows write (voucher batch keys, voucher numbers,
``PC-<commitment id>`` / ``PCCO-<change order id>`` references, address numbers), 100 keys to a call, and
by day for the orders of the flow's order types on its job business units (JDE's documents are read in
``jde.reconcile_documents``, Procore's in ``procore.reads`` and ``procore.reconcile_documents``).
"""
