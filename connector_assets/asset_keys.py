"""Every asset key of ml-connector has two parts, ``[group, name]``: the asset's group (the integration,
``jde_coupa``, or the system, ``jde``, ``coupa``; ``operations`` for the ledger's own) and its name
within it (``suppliers_in_coupa``, ``po_headers``).

Why: the asset graph shows a node by the last part of its key only, cut to 18 characters in the middle
(dagster-webserver's ``withMiddleTruncation``); flat keys that all begin with their group's name
(``jde_coupa/suppliers_in_coupa``) spent those characters on the prefix, so nodes of a group read alike.
With the group as the first part, the name shown is the part that differs, and the catalog folds the
keys by group (``tests/kit/test_asset_keys.py`` holds every group's labels apart).

Keys are built here only: code that needs a key's group or name reads ``key.path``, never the text of
a flat key.
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
