"""Reconciliation for Procore -> JD Edwards: per project and billing period, Procore's approved
requisition amounts against the JDE vouchers and purchase order lines by cost code and account;
commitments without a JDE purchase order; approved change orders not on their order; vendors on one side
only.

One asset, ``procore_jde/reconciliation`` (Procore UTC day, like the flows), downstream of the four flows'
target assets, with an ``in_balance`` check that warns naming each difference in a finance user's words,
and a metadata table of the balances per project, period, account and cost code.

Each side is read from the system itself, never from our ledger alone (which could share a bug with the
writer): the ledger only says which record on one side is the counterpart of which on the other, and why
a missing one is missing (the retry queue's reason). JDE is read by the keys the flows write (voucher
batch keys, ``PC-<commitment id>`` / ``PCCO-<change order id>`` references, address numbers), 100 keys to
a call.

The modules (the documents are read on each system's side: JDE's by key in ``jde.reconcile_documents``,
Procore's live in ``procore.reads`` and ``procore.reconcile_documents``): ``documents`` (requisitions
against vouchers, commitments against orders), ``balances`` (the per project and period table),
``vendors``, ``day`` (one day, in order), ``assets`` (the asset, job and schedule). The report is the
flow kit's (``flows.reconciliation``).
"""
