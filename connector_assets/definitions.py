"""The one ``Definitions`` object of ml-connector, loaded by workspace.yaml: the defs folder
(``connector_assets/defs``: the ``Connector`` and one instance per integration, each a ``defs.yaml``) as
Dagster's own loader builds it. ``ML_INTEGRATIONS`` narrows which instances run (docs/components.md).
Every API resource is built from ``connector_resources.settings``, so the sandbox is the default.
"""

import dagster as dg

from connector_assets.deployment import PROJECT, Deployment

# The same instances as ``ml-connector`` sees them (replays, mapping tables, pairings), read from the folder;
# first, so a name ``ML_INTEGRATIONS`` misspells stops the load in one line, not inside Dagster's loader.
DEPLOYMENT = Deployment.of()

defs = dg.load_from_defs_folder(path_within_project=PROJECT)
