"""The BILL side shared by the integrations that read from or write to BILL (JD Edwards <-> BILL, and any
next one): BILL's payment documents from the webhook inbox and the poll (``documents``) and a payments
flow's own read of its day (``payments_read``), one copy whatever the other system is."""
