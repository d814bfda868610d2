"""Procore -> JD Edwards: vendors -> suppliers (``vendors``) and back (``suppliers``), commitments ->
purchase orders, approved requisitions -> batch vouchers, approved change orders -> lines added to the
order, the day's reconciliation (``reconcile``). When each runs: ``jobs``."""
