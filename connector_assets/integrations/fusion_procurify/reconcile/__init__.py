"""Reconciliation for Oracle Fusion <-> Procurify (``assets``: one asset per UTC day): ``bills``,
``orders``, ``vendors`` and ``account_codes`` compare (pure), ``reads`` says which records a day concerns
and why one missing on purpose is not a difference (``Gaps``), ``day`` runs one day in order.

Each side is read from the system itself (per-day change windows, then by key in lists), never from the
ledger alone (which could share a bug with the writers), through the sides' reads
(``procurify.reconcile_reads``, ``fusion.reconcile_reads``); the register walk, the report, the asset and
the expected gaps are the shared kit's (``procurify.register_comparison``, ``flows.day_reconciliation``).
"""
