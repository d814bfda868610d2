"""Procore -> JD Edwards: Procore vendors -> JDE suppliers (``vendors``) and JDE supplier changes
back to the linked Procore vendors (``suppliers``); commitments with an approved requisition -> JDE purchase
orders (``purchase_orders``); approved requisitions -> JDE batch vouchers against the order (``vouchers``,
``ML_PROCORE_JDE_VOUCHERS``); approved commitment change orders -> lines added to the order
(``change_orders``); the day's reconciliation of Procore with JDE (``reconcile``).

Each flow has its own job and a schedule that closes each whole day (``jobs``: the daily
``ML_PROCORE_JDE_*_CRON`` ticks sync the previous day, read whole), and Procore's webhooks start an early run
of the flow an event concerns (``sensor``).
"""
