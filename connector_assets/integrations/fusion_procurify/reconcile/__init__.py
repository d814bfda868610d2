"""Reconciliation for Oracle Fusion <-> Procurify: one asset, ``fusion_procurify/reconciliation`` (UTC day),
with an ``in_balance`` check that warns naming each difference: the record in both systems, the field and
both values (money as money).

What is compared, each in its module (pure, what this pair decides): ``bills`` (per vendor / supplier and
period, the approved bill register against the Fusion invoices of ours, field by field and line by line,
paid status; Fusion invoices no bill explains), ``orders`` (Procurify POs against the Fusion orders made of
them, status and line by line; Fusion orders no PO explains), ``vendors`` (pairs on status, name and supplier
number; unpaired suppliers and vendors), ``account_codes`` (the account table against Procurify's codes, and
Procurify's codes with no Fusion account); ``reads`` says which records a day concerns, how this pair keys
them and why one missing on purpose is not a difference (``Gaps``); ``day`` runs one day in order;
``assets`` declares the asset, job and schedule.

Each side is read from the system itself (per-day change windows, then by key in lists), never from the
ledger alone, through the sides' reads (``procurify.reconcile_reads``, ``fusion.reconcile_reads``); the
register walk (``procurify.register_comparison``), the report, the asset (its CSV of every difference),
its job and schedule, the expected gaps, the call counting and the per vendor and period table are shared
(``flows.reconciliation``, ``flows.reconciliation_expected``, ``flows.day_reconciliation``,
``flows.reconciliation_calls``, ``flows.reconciliation_totals``).
"""
