"""The one ``Definitions`` object of ml-connector, loaded by workspace.yaml.

It holds the integrations ``ML_INTEGRATIONS`` names (every one by default: ``integrations.chosen``), each
package's own ``Definitions`` merged with what they stand on (the sides of the systems they reach, the
operations and the resources), assembled by ``connector_assets.deployment``. Every API resource is
constructed from ``connector_resources.settings`` so the sandbox is the default and any environment
variable can point a connection elsewhere. An unknown integration name stops the load naming the known ones.
"""

from connector_assets.deployment import deployment_definitions, register_replay_handlers
from connector_assets.integrations import chosen

CHOSEN = chosen()
register_replay_handlers(CHOSEN)
defs = deployment_definitions(CHOSEN)
