"""Simulators of the six systems the connector reaches, one package each, written from the vendor's
reference (``docs/reference/``) only.

They share no code or models with ml-connector's client: they are the yardstick the client is measured
against (the import contract in pyproject.toml keeps production code from importing them).
"""
