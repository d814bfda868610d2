"""A reconciliation report between two systems, named by parameter: what differs, in a finance user's words.

Written here first for Procore -> JDE, now shared by every integration from the flow kit
(``connector_assets.flows.reconciliation``); re-exported under its old names for the modules that import
it from here.
"""

from connector_assets.flows.reconciliation import (
    CHECK,
    SAMPLE,
    SHOWN,
    Difference,
    Report,
    amount,
    cell,
    money,
)

__all__ = ["CHECK", "SAMPLE", "SHOWN", "Difference", "Report", "amount", "cell", "money"]
