"""JD Edwards <-> BILL: JDE suppliers -> BILL vendors (``vendors``), JDE approved purchase
orders and vouchers -> BILL bills (``bills``), BILL payments back into JDE (``payments``, webhook-driven).
``component`` is what the package puts into Dagster, assembled as every package is (``flows.assembly``).
"""
