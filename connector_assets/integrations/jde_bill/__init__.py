"""JD Edwards <-> BILL: JDE suppliers -> BILL vendors (``vendors``), JDE approved purchase
orders and vouchers -> BILL bills (``bills``), BILL payments back into JDE (``payments``, webhook-driven).
"""
