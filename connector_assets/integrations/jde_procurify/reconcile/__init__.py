"""Reconciliation for JD Edwards <-> Procurify (issue 14): orders, bills per vendor and period, vendors and
account codes on one side only.

One asset, ``jde_procurify_reconciliation`` (UTC day, like the Procurify-sourced flows), downstream of the
flows' target assets, with an ``in_balance`` check that fails as a warning naming each difference in a
finance user's words, and metadata: counts, the differences table, ``per_order`` and
``per_vendor_period``.

* Orders (``orders``): each JDE order sent to Procurify that changed on either side that day: JDE's total
  (F4311 AEXP of the lines not cancelled) against the Procurify PO ``subtotal`` (every PO linked to it;
  the requisition's ``totalPrice`` while not purchased). Tax, freight, other and discount exist only in
  Procurify, so they are shown, not compared (why: ``orders``).
* Bills (``bills``): for each vendor and period (month of the GL date) a bill of the day touches, the
  Procurify register of approved bills against the JDE vouchers the bills flow wrote for the vendor's
  supplier (F0411 once processed, F0411Z1 while not; F0911Z1 for journal postings), read from JDE by the
  flow's EDI user and batch prefix and matched back to their bill by the batch keys: counts and totals,
  and each bill on one side only or with another amount.
* Vendors (``vendors``): active JDE suppliers with no Procurify vendor and active Procurify vendors with
  no JDE supplier among those the day concerns, and pairs whose other half is gone.
* Account codes (``account_codes``): JDE accounts that should have an active Procurify code and have none,
  and Procurify codes with no JDE account (``account_codes.orphan_codes``), compared whole every day.

Each side is read from the system itself, never from the ledger alone (which could share a bug with the
writers): the ledger only pairs records and says why a missing one is missing (its retry queue). The
report, the asset, its job and schedule, the call counting and the per vendor and period table are the
flow kit's (``flows.reconciliation``, ``flows.day_reconciliation``, ``flows.reconciliation_calls``,
``flows.reconciliation_totals``), the bill register's reads the Procurify side's
(``procurify.bill_register``).

The modules: ``reads`` (the day's keys, both sides read by key), ``orders``, ``bills``, ``vendors``,
``account_codes`` (one comparison each, pure), ``day`` (one day, in order), ``assets`` (the asset, job and
schedule).
"""
