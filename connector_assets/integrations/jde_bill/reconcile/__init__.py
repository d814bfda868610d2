"""Reconciliation for JD Edwards <-> BILL: both sides compared per day, record by record and field by field;
differences as metadata, a CSV beside the staging and a check (the three assets: ``assets``).

Each side is read from the system itself, never from the ledger alone (which could share a bug with the
writer) nor from a poll staged apart; the ledger says which record is whose counterpart, the retry queue
why one is missing on purpose. Depth: docs/integrations/jde_bill.md, "Reconciliation".
"""
