"""JD Edwards <-> Procurify. The flows, each in its own module:

* ``account_codes`` (JDE -> Procurify, daily): F0901 accounts named in the account map or in
  ``ML_JDE_PROCURIFY_ACCOUNT_SCOPE`` -> Procurify account codes (adopted by code, created, updated);
  Procurify codes with no JDE account are reported, never invented in JDE.
* ``suppliers`` (JDE -> Procurify): F0401 + F0101 suppliers -> Procurify vendors, ``external_id`` = AN8.
* ``vendors`` (Procurify -> JDE): vendors created in Procurify -> JDE suppliers (``ML_AddUpdateSupplier``),
  the AN8 written back as the vendor's ``external_id``.
* ``purchase_orders`` (JDE -> Procurify): approved JDE orders (``ML_JDE_PROCURIFY_ORDER_TYPES``) -> one
  Procurify requisition each; a changed order linked to a PO is revised through the PO's PUT.
* ``po_links`` (Procurify -> Procurify): a PO purchased from such a requisition -> linked to its JDE order
  and given its number (``PO_Num``).
* ``bills`` (Procurify -> JDE): approved bills -> JDE AP batches (voucher or journal,
  ``ML_JDE_PROCURIFY_BILL_POSTING``).
* ``payments`` (Procurify -> JDE): paid Procurify payments -> JDE payments against the bills' vouchers.
* ``paid_marks`` (JDE -> Procurify): bills JDE paid with no Procurify payment -> marked paid in Procurify.

And the day's reconciliation of both sides (``reconcile``). Each flow polls on a schedule (``jobs``);
``component`` is what the package puts into Dagster.
"""
