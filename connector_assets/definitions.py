"""The one ``Definitions`` object of ml-connector, loaded by workspace.yaml: the defs folder
(``connector_assets/defs``: the ``Connector`` and one instance per integration, each a ``defs.yaml``) as
Dagster's own loader builds it, from the one component tree the deployment reads too
(``project_tree.component_tree``: each ``defs.yaml`` loaded once per process, not once for Dagster and once
for the deployment). ``ML_INTEGRATIONS`` narrows which instances run (docs/components.md). Every API
resource is built from ``connector_resources.settings``, so the sandbox is the default.
"""

from connector_assets.deployment import Deployment
from connector_assets.project_tree import PROJECT, component_tree

TREE = component_tree(PROJECT)

# The same instances as ``ml-connector`` sees them (replays, mapping tables, pairings), read from the tree;
# first, so a name ``ML_INTEGRATIONS`` misspells stops the load in one line, not inside Dagster's loader.
DEPLOYMENT = Deployment.of(project=PROJECT)

defs = TREE.build_defs()  # what ``dg.load_from_defs_folder`` returns, on the tree already loaded
