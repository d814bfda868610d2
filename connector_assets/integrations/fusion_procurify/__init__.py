"""Oracle Fusion <-> Procurify: one module per flow, the mapping tables and manual matches, the day's
``reconcile``, ``jobs`` and ``wiring``; what is Fusion's own is ``connector_assets.fusion``'s. The flows:
docs/integrations/fusion_procurify.md.
"""
