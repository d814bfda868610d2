"""Flows between two systems, declared as data (``FlowSpec``), built into assets by ``build_flow_assets``."""
