"""Reconciliation for Oracle Fusion <-> Procurify (issue 15): Procurify's bill register against Fusion AP
(amounts and paid status per vendor / supplier and period), purchase orders on one side only, and paid
status that disagrees.

One asset, ``fusion_procurify_reconciliation`` (UTC day, like the flows), downstream of the flows' target
assets, with an ``in_balance`` check that fails as a warning naming each difference in a finance user's
words, and metadata: counts, the differences table, ``per_vendor_period`` and ``per_order``.

* Bills (``bills``): for each vendor and period (month of the invoice date) that a Procurify bill or a
  Fusion invoice of ours changed that day touches, the vendor's approved bills against the Fusion invoices
  the invoices flow wrote for them: counts and totals, each bill missing in Fusion (with the queue or hold
  reason), each amount that differs, each invoice of ours whose bill is no longer approved, and each pair
  whose paid status disagrees, saying which side is behind.
* Purchase orders (``orders``): Procurify POs changed that day that Fusion has no order of (by our order
  number), Fusion orders of ours changed that day whose Procurify PO is gone, and POs cancelled in
  Procurify still open in Fusion.

Each side is read from the system itself through its client (per-day change windows, then by key or by
one vendor-month of bills; nothing reads a whole history), never from the ledger alone: the ledger only
pairs records and says why a missing one is missing. The report, the asset, its job and schedule, the call
counting and the per vendor and period table are the flow kit's (``flows.reconciliation``,
``flows.day_reconciliation``, ``flows.reconciliation_calls``, ``flows.reconciliation_totals``), the bill
register's reads the Procurify side's (``procurify.bill_register``).

The modules: ``reads`` (the day's keys and both sides, through the clients), ``bills``, ``orders`` (one
comparison each, pure), ``day`` (one day, in order), ``assets`` (the asset, job and schedule).
"""
