"""Reconciliation for JD Edwards <-> Procurify (``assets``: one asset per UTC day): ``orders``, ``bills``,
``vendors`` and ``account_codes`` compare (pure) what each flow writes, ``reads`` says which records a day
concerns, ``day`` runs one day in order.

Each side is read from the system itself, never from the ledger alone (which could share a bug with the
writers), through the sides' reads (``jde.reconcile_reads``, ``procurify.reconcile_reads``); a record the
flows hold, queue or refused on purpose is an expected gap with the queue's reason; the report and the
asset are the shared kit's (``flows.day_reconciliation``).
"""
