"""Reconciliation for JD Edwards <-> BILL: both sides compared per day; differences as metadata + a check.

Three assets, one per entity, each downstream of its flow's target asset so lineage reads source ->
mapped -> written -> target -> reconciliation:

- ``jde_bill/vendors_reconciliation`` (JDE day): the day's changed suppliers (staged F0401 / F0101 keys,
  completed from JDE) against the BILL vendor the cross-reference names, read from BILL by id; and the
  BILL vendors changed that day (staged ``bill/vendors``) that no JDE supplier accounts for.
- ``jde_bill/bills_reconciliation`` (JDE day): the day's purchase orders (staged F4301 / F4311 keys, every
  line read again) and vouchers (staged F0411 keys, every pay item read again) that should be bills,
  against the BILL bill the cross-reference names: missing, amount, vendor; totals per supplier on both
  sides; and the BILL bills changed that day that came from no JDE document.
- ``jde_bill/payments_reconciliation`` (UTC day, like the BILL poll): the day's BILL payments that count
  as paid (staged ``bill/payments``) against what JDE shows: the paid amount on the voucher (F0411 gross
  minus open amount) or the journal batch in F0911Z1 by its batch key; the payments JDE does not show
  are listed by payment, bill, vendor and amount.

Each side is read from the system itself, never from our ledger alone (which could share a bug with the
writer); the ledger only says which record on one side is the counterpart of which on the other, and why
a missing one is missing (the retry queue's reason). Reads are bounded by the day's staged keys: records
are fetched by key, 100 to a call (JDE ``MATCH_ANY``, BILL ``id:in``), never a whole table per day.

The modules: ``report`` (the kit's report, ``flows.reconciliation``, placed by supplier, with per-supplier
totals), ``reads`` (BILL's staged records of a JDE day, the retry queue's reasons; the documents are read
on each system's side, ``jde.documents``, ``jde.reconcile_documents`` and ``bill.reads``, calls counted),
``vendors``, ``expected_bills`` + ``bills``, ``payments`` (one comparison each), ``assets`` (the assets,
jobs and schedules).
"""
