"""Reconciliation for JD Edwards <-> Procurify: one asset, ``jde_procurify/reconciliation`` (UTC
day), with an ``in_balance`` check that warns naming each difference in a finance user's words.

What is compared, each in its module (pure, what this pair decides): ``orders`` (JDE AEXP total against the
Procurify PO subtotal), ``bills`` (per vendor and period, the approved bill register against the JDE
vouchers), ``vendors`` and ``account_codes`` (on one side only); ``reads`` says which records a day concerns
and how this pair keys them; ``day`` runs one day in order; ``assets`` declares the asset, job and schedule.

Each side is read from the system itself, never from the ledger alone (which could share a bug with the
writers), through the sides' reads (``jde.reconcile_reads``, ``procurify.reconcile_reads``); the register
walk (``procurify.register_comparison``), the report, the asset, its job and schedule, the call counting and
the per vendor and period table are shared (``flows.reconciliation``, ``flows.day_reconciliation``,
``flows.reconciliation_calls``, ``flows.reconciliation_totals``).
"""
