"""The BILL side shared by the integrations that read from or write to BILL (JD Edwards <-> BILL, and any
next one): its write targets (``targets``: vendors with the vendor index, bills), its payment documents
from the webhook inbox and the poll (``documents``) with a payments flow's own read of its day
(``payments_read``), its staged chart of accounts and departments (``classifications``) and the reads a
reconciliation makes of it (``reads``), one copy whatever the other system is."""
