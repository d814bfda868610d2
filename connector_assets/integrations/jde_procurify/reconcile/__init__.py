"""Reconciliation for JD Edwards <-> Procurify (``assets``: one asset per UTC day): ``orders``, ``bills``,
``vendors`` and ``account_codes`` compare (pure) what each flow writes, ``reads`` says which records a day
concerns, ``day`` runs one day in order; the report and the asset are ``flows.day_reconciliation``'s.
"""
