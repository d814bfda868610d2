"""The BILL side shared by the integrations that read from or write to BILL (JD Edwards <-> BILL, and any
next one), one copy whatever the other system is."""
