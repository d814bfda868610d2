"""The one ``Definitions`` object of ml-connector, loaded by workspace.yaml.

Integrations add their assets, checks, jobs, schedules and sensors here as they are built; every
resource is constructed from ``connector_resources.settings`` so the sandbox is the default and any
environment variable can point a connection elsewhere.
"""

from __future__ import annotations

from dagster import Definitions

from connector_assets.operations import ledger_health
from connector_resources.ledger import LedgerResource

defs = Definitions(
    assets=[ledger_health],
    resources={"ledger": LedgerResource()},
)
