"""Oracle Fusion Cloud ERP <-> Procurify: one module per flow, the mapping tables and manual matches they map
with, the day's ``reconcile``, ``jobs`` and ``component`` (what the package puts into Dagster); the
flows: docs/integrations/fusion_procurify.md.
What is about Fusion itself is the Fusion side's (``connector_assets.fusion``), shared with any integration
touching Fusion; this package gives it Procurify's name where it speaks.
"""
