"""Every asset key of ml-connector has two parts, ``[group, name]``: the asset's group (the integration,
``jde_coupa``, or the system, ``jde``; ``operations`` for the ledger's own) and its name within it, since
the asset graph shows a node by its key's last part only (docs/operations.md). Keys are built here only;
code reads a key's group or name from ``key.path``, never from its text.
"""

from dagster import AssetKey

OPERATIONS = "operations"  # the group of the ledger's own assets (``operations/ledger_health``)


def asset_key(group: str, name: str) -> AssetKey:
    """``[group, name]``, each a non-empty identifier-like part (the graph shows ``name`` alone)."""
    for what, part in (("group", group), ("name", name)):
        if not part or not part.replace("_", "").isalnum():
            raise ValueError(f"asset key {group!r}/{name!r}: the {what} must be letters, digits and _")
    return AssetKey([group, name])


def flow_asset_key(integration: str, flow: str, step: str) -> AssetKey:
    """A flow's asset in its integration's group: ``[<integration>, <flow>_<step>]``
    (``["jde_coupa", "suppliers_mapped"]``), ``step`` one of ``mapped``, ``written``, ``in_<target>``,
    or what the flow adds after the write (``inbox_done``, ``marked_exported``)."""
    return asset_key(integration, f"{flow}_{step}")
