"""The one ``Definitions`` object of ml-connector, loaded by workspace.yaml.

``DEPLOYMENT`` runs the integrations ``ML_INTEGRATIONS`` names (``deployment.chosen``); an unknown name
stops the load naming the known ones. Every API resource is built from ``connector_resources.settings``,
so the sandbox is the default. Nothing is registered as it loads: replays come from
``DEPLOYMENT.replays()``.
"""

from connector_assets.deployment import Deployment

DEPLOYMENT = Deployment.of()
defs = DEPLOYMENT.definitions
