"""The Oracle Fusion side shared by the integrations that read from or write to Fusion: what is about
Fusion's REST API and data whatever the other system is.

An integration keeps its own rules (pairing, mapping tables, which records are sent) and names itself in
the wording these pieces take as parameters. Nothing here imports an integration package (import-linter
contract in pyproject.toml).
"""
