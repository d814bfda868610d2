"""Procore -> JD Edwards: Procore vendors -> JDE suppliers (``vendors``) and JDE supplier changes
back to the linked Procore vendors (``suppliers``); commitments with an approved requisition -> JDE purchase
orders (``purchase_orders``); approved requisitions -> JDE batch vouchers against the order (``vouchers``,
``ML_PROCORE_JDE_VOUCHERS``); approved commitment change orders -> lines added to the order
(``change_orders``); the day's reconciliation of Procore with JDE (``reconcile``). When each runs: ``jobs``.
"""
