"""Reconciliation for Procore -> JD Edwards, record by record and field by field: requisitions against
their vouchers (``documents``), commitments and their change orders against their orders (``orders``),
vendors against suppliers (``vendors``), the orders no Procore record explains (``jde_only``), and the
balances per project and period (``balances``). Each side is read from the system itself, never from our
ledger alone (which could share a bug with the writer): the ledger only pairs records and says why one is
missing. What is compared and how it is reported: docs/integrations/procore_jde.md, "Reconciliation".
"""
