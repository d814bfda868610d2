"""Reconciliation for JD Edwards <-> BILL: both sides compared per day, record by record and field by field;
differences as metadata, a CSV beside the staging and a check.

Three assets, one per entity (``assets``: what each compares): vendors and bills by JDE day, mapped by
their flow's own mappers and compared with the BILL record the cross-reference names; payments by UTC day,
like BILL's payments poll, each paid part against what JDE shows.

Each side is read from the system itself, never from our ledger alone (which could share a bug with the
writer) nor from a poll staged apart: BILL's records of the day are listed from BILL by ``createdTime`` /
``updatedTime`` (``bill.reads.in_window``), the rest by id, 100 to a call (``id:in``); JDE's by key
(``MATCH_ANY``). The ledger says which record is the counterpart of which; the retry queue
(``flows.reconciliation_expected``), read under the flows' own keys, why a record is missing or different
on purpose (an expected gap, never a difference).
"""
