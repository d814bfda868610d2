"""Reconciliation for JD Edwards <-> Procurify: one asset, ``jde_procurify/reconciliation`` (UTC day), with an
``in_balance`` check that warns naming each difference: the record in both systems, the field, both values
(money as money), in a finance user's words; the full list as a CSV beside the staging.

What is compared, each in its module (pure, what this pair decides), record by record and field by field on
what each flow writes: ``orders`` (each JDE order line against its Procurify PO or requisition line,
the PO's vendor, PO number and status; POs made in Procurify from no JDE order), ``bills`` (each bill
against its JDE voucher or journal: amount, invoice number, dates, currency, status, paid; vouchers entered
in JDE from no bill), ``vendors`` (every supplier / vendor pair field by field; one-sided records of the
day) and ``account_codes`` (every code field by field; codes with no JDE account). ``reads`` says which
records a day concerns, reading each target itself within the day, and how this pair keys them; ``day``
runs one day in order; ``assets`` declares the asset, job and schedule.

Each side is read from the system itself, never from the ledger alone (which could share a bug with the
writers), through the sides' reads (``jde.reconcile_reads``, ``procurify.reconcile_reads``); a record the
flows hold, queue or refused on purpose is an expected gap with the queue's reason
(``flows.reconciliation_expected``). The report, the asset, its job and schedule, the call counting and the
per vendor and period table are shared (``flows.reconciliation``, ``flows.day_reconciliation``,
``flows.reconciliation_calls``, ``flows.reconciliation_totals``).
"""
