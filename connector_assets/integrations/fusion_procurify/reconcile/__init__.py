"""Reconciliation for Oracle Fusion <-> Procurify (``assets``: one asset per UTC day): ``bills``,
``orders``, ``vendors`` and ``account_codes`` compare (pure), ``reads`` says which records a day concerns
(``Gaps``), ``day`` runs one day in order.

Each side is read from the system itself, never from the ledger alone (which could share a bug with the
writers); the register walk, report and asset are the shared kit's (``procurify.register_comparison``,
``flows.day_reconciliation``).
"""
