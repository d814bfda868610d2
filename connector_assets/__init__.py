"""ml-connector flows as Dagster assets.

Beta / preview warnings (partitioned asset checks, backfill policies) are re-printed by every run and
step subprocess; silence them here, before any submodule is imported, so the logs stay readable.
"""

import warnings

from dagster import BetaWarning, PreviewWarning

warnings.filterwarnings("ignore", category=BetaWarning)
warnings.filterwarnings("ignore", category=PreviewWarning)
