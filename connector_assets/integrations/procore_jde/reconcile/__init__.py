"""Reconciliation for Procore -> JD Edwards: requisitions against vouchers (``documents``), commitments
against orders (``orders``), vendors against suppliers (``vendors``), unexplained orders (``jde_only``),
balances (``balances``), each side read from its system. Docs: docs/integrations/procore_jde.md,
"Reconciliation"."""
