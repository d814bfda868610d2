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
# Registered as the definitions load, from each chosen package's declaration (every ``Flow``'s own
# replays): the replay job's run process (``operations_replay``), ``ml-connector replay`` and the desk load
# this module and nothing else of the packages before they look a handler up.
register_replay_handlers(CHOSEN)
defs = deployment_definitions(CHOSEN)
