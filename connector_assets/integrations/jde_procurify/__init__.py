"""JD Edwards <-> Procurify: account codes, suppliers, vendors, purchase orders, PO links, bills, payments
and paid marks, each flow in its own module, and the day's reconciliation (``reconcile``). Each flow polls
on a schedule (``jobs``); ``wiring`` is what the package puts into Dagster. What each flow moves:
docs/integrations/jde_procurify.md.
"""
