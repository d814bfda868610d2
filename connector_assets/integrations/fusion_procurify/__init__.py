"""Oracle Fusion Cloud ERP <-> Procurify. The flows, each in its own module:

* ``account_codes`` (Fusion -> Procurify): the Fusion natural accounts named in the account map ->
  Procurify account codes (adopted by code, created, updated).
* ``suppliers`` (Fusion -> Procurify): Fusion suppliers -> Procurify vendors (paired by a manual match,
  then ``external_id`` = SupplierNumber, then a unique name, else created).
* ``vendors`` (Procurify -> Fusion): Procurify vendors paired with an existing Fusion supplier by name
  (Fusion has no supplier create); a mismatch is matched by hand (``ml-connector xref set``).
* ``purchase_orders`` (Procurify -> Fusion): approved Procurify purchase orders (or requisitions) ->
  Fusion draft purchase orders, submitted; the Procurify PO number kept on the Fusion side.
* ``invoices`` (Procurify -> Fusion): approved Procurify bills -> Fusion payables invoices, matched to the
  Fusion PO when the bill came from one, validated with Fusion's own action.
* ``payment_status`` (Fusion -> Procurify): Fusion payables payments -> Procurify bills marked paid.

And the master data they map with: the account map and department map (mapping tables), Fusion's account
combinations (``charge_accounts``, re-read whole at ``ML_FUSION_PROCURIFY_ACCOUNT_COMBINATIONS_CRON``) and
the manual vendor matches (``manual_matches``, ``ML_FUSION_PROCURIFY_VENDOR_XREF``), and the day's
reconciliation of the bill register and the orders (``reconcile``). Each flow polls on a schedule
(``jobs``); ``component`` is what the package puts into Dagster.

What is about Fusion itself (supplier reads and sites, the draft order and its target, the invoice target,
payments and paid state, account combinations) is the Fusion side's (``connector_assets.fusion``), shared
with any other integration touching Fusion; this package gives it Procurify's name where it speaks.
"""
