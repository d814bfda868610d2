"""The Procurify side shared by the integrations that write to Procurify (JD Edwards <-> Procurify, Oracle
Fusion <-> Procurify): one copy of what a flow does with Procurify whatever the other system is."""
