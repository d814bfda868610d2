"""The Coupa side shared by the integrations that read from or write to Coupa (JD Edwards -> Coupa, Coupa ->
JD Edwards, and any next one): its write targets (``targets``) and its document readers (``documents``),
one copy whatever the other system is."""
