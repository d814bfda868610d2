"""Reconciliation for Oracle Fusion <-> Procurify: one asset, ``fusion_procurify/reconciliation``
(UTC day), with an ``in_balance`` check that warns naming each difference in a finance user's words.

What is compared, each in its module (pure, what this pair decides): ``bills`` (per vendor / supplier and
period, the approved bill register against the Fusion invoices of ours: amounts and paid status), ``orders``
(purchase orders on one side only, or cancelled in Procurify and open in Fusion); ``reads`` says which
records a day concerns and how this pair keys them; ``day`` runs one day in order; ``assets`` declares the
asset, job and schedule.

Each side is read from the system itself through its client (per-day change windows, then by key), never from
the ledger alone, through the sides' reads (``procurify.reconcile_reads``, ``fusion.reconcile_reads``); the
register walk (``procurify.register_comparison``), the report, the asset, its job and schedule, the call
counting and the per vendor and period table are shared (``flows.reconciliation``,
``flows.day_reconciliation``, ``flows.reconciliation_calls``, ``flows.reconciliation_totals``).
"""
