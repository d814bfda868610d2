"""JD Edwards -> Coupa: suppliers (F0101 + F0401), purchase orders (F4301/F4311) and vouchers (F0411) as
Coupa suppliers, purchase orders and invoices, with a reconciliation of what both sides hold.

One module per flow (``suppliers``, ``purchase_orders``, ``invoices``: spec, mapper, Coupa target),
``reconcile`` for the comparison, ``jobs`` for when they run; ``component`` is what the package puts into
Dagster, assembled as every package is (``flows.assembly``).
"""
