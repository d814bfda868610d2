"""Reconciliation for JD Edwards <-> BILL: both sides compared per day, record by record and field by field;
differences as metadata, a CSV beside the staging and a check.

Three assets, one per entity, each downstream of its flow's target asset so lineage reads source ->
mapped -> written -> target -> reconciliation:

- ``jde_bill/vendors_reconciliation`` (JDE day): the day's changed suppliers, and those of the BILL vendors
  of the day, mapped by the vendors flow's own mapper and compared field by field with the BILL vendor the
  cross-reference names (status, name, tax ID, account type, payee name, address, the currency it is
  billed in); the BILL vendors of the day no JDE supplier explains ("only in BILL").
- ``jde_bill/bills_reconciliation`` (JDE day): the bills the day's orders and vouchers (and those behind
  the BILL bills of the day) make by the bills flow's own rule and mappers, compared field by field with the
  BILL bill the cross-reference names (status, vendor, invoice number and date, due date, each line's
  amount, GL account and department); the BILL bills of the day no JDE document explains; totals per
  supplier as a summary.
- ``jde_bill/payments_reconciliation`` (UTC day, like BILL's payments poll): the day's BILL payments that
  count as paid, one part per bill, against what JDE shows (the voucher's paid amount in F0411, or the
  journal batch in F0911Z1 by its batch key); payments BILL voided after the flow posted them.

Each side is read from the system itself, never from our ledger alone (which could share a bug with the
writer) nor from a poll staged apart: BILL's records of the day are listed from BILL by ``createdTime`` /
``updatedTime`` (``bill.reads.in_window``), the rest by id, 100 to a call (``id:in``); JDE's by key
(``MATCH_ANY``). The ledger says which record is the counterpart of which; the retry queue
(``flows.reconciliation_expected``), read under the flows' own keys, why a record is missing or different
on purpose (an expected gap, never a difference).

The modules: ``report`` (the kit's report, placed by supplier, per-supplier totals), ``reads`` (the window,
cross-references, the queue), ``compare`` (field-by-field drift), ``vendors``, ``planned_bills`` +
``bills``, ``payments`` (one comparison each), ``assets`` (the assets, jobs and schedules).
"""
