"""JD Edwards -> Coupa: suppliers (F0101 + F0401), purchase orders (F4301/F4311) and vouchers (F0411) as
Coupa suppliers, purchase orders and invoices, with a reconciliation of what both sides hold.
"""
