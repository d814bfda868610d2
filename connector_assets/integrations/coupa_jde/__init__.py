"""Coupa -> JD Edwards: approved invoices become JDE batch vouchers and Coupa Pay payments are recorded
against them. Call-outs (the webhook inbox) and the day's poll are read together
(``connector_assets.coupa.documents``), mapped by pure functions (``invoices``, ``payments``) and written
by the shared JDE targets (``connector_assets.jde.targets``).
"""
