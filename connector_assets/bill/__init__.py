"""The BILL side shared by the integrations that read from or write to BILL (JD Edwards <-> BILL, and any
next one), one copy whatever the other system is: its write targets (``targets``: vendors with the vendor
index, bills), its payment documents from the webhook inbox and the poll (``documents``), what a payment
says (``payment_fields``), a payments flow's own read of its day (``payments_read``), its staged chart of
accounts and departments (``classifications``) and a reconciliation's reads of it (``reads``)."""
