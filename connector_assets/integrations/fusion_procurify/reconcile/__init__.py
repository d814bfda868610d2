"""Reconciliation for Oracle Fusion <-> Procurify, one asset per UTC day (``assets``, run by ``day``):
``bills``, ``orders``, ``vendors`` and ``account_codes`` compare (pure), ``reads`` says which records a day
concerns; each side read from the system itself, never from the ledger alone.
"""
