"""The one ``Definitions`` object of ml-connector, loaded by workspace.yaml.

``DEPLOYMENT`` runs the integrations ``ML_INTEGRATIONS`` names (every one by default:
``deployment.chosen``): each component's own ``Definitions`` merged with what they stand on (the sides of
the systems they reach, the operations and the resources), assembled by ``connector_assets.deployment``.
Every API resource is constructed from ``connector_resources.settings`` so the sandbox is the default and
any environment variable can point a connection elsewhere. An unknown integration name stops the load
naming the known ones. Nothing is registered as it loads: what ``ml-connector replay``, the desk and the
replay job replay with is ``DEPLOYMENT.replays()``, built from the same components.
"""

from connector_assets.deployment import Deployment

DEPLOYMENT = Deployment.of()
defs = DEPLOYMENT.definitions
