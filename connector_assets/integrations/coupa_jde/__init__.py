"""Coupa -> JD Edwards: approved invoices become JDE batch vouchers (F0411Z1/F0911Z1) and Coupa Pay
payments are recorded against those vouchers (F0411), both through the ml-connector orchestrations.

The records come from Coupa call-outs (the webhook inbox) and from the poll of the day, read together
(``connector_assets.coupa.documents``); invoices and payments are mapped by pure functions (``invoices``,
``payments``) and written by the shared JDE targets (``connector_assets.jde.targets``).
"""
