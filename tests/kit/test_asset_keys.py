"""Asset keys stay distinguishable in the asset graph at default zoom.

The graph names a node by the last part of its key only, cut in the middle to 18 characters. Flat keys
that began with their group's name (``jde_coupa_suppliers_in_coupa``) all read alike once cut; every key
is now ``[group, name]`` (``connector_assets.asset_keys``). Held against the real definitions: each key
has those two parts, and within each group the labels the graph shows are pairwise distinct.
"""

from __future__ import annotations

import re
from collections import defaultdict

import pytest
from dagster import AssetKey

import connector_assets.definitions as definitions
from connector_assets.asset_keys import asset_key

GRAPH = definitions.defs.get_repository_def().asset_graph
NODE_LABEL_LENGTH = 18  # the node's ``withMiddleTruncation(label, {maxLength: 18})``


def _positions(text: str, pattern: str) -> list[int]:
    return [m.start() for m in re.finditer(pattern, text)]


def middle_truncated(text: str, max_length: int = NODE_LABEL_LENGTH) -> str:
    """dagster-webserver 1.13.27's ``withMiddleTruncation``, as the asset graph's node label applies it to
    ``assetKey.path[assetKey.path.length - 1]`` (the bundle's
    ``dagster_webserver/webapp/build/_next/static/chunks/2093.*.js``, minified):

        let m=(e,t)=>{let n=e.length-t.maxLength;if(n<=0)return e;if(t.maxLength<=10)return
        e.substring(0,t.maxLength-1)+"…";let r=e.includes("__")?p(e,/__/g):p(e,/[_>\\.-]/g),
        i=Math.floor((e.length+n)/2),s=r.findIndex(e=>e>n+3);if(-1!==s){let e=Math.floor(r.length/2),
        t=r[Math.max(s,e)];void 0!==t&&(i=t)}return[e.substring(0,i-(n+1)),e.substring(i)].join("…")}
    where ``p(e, re)`` lists the indexes at which ``re`` matches ``e``."""
    over = len(text) - max_length
    if over <= 0:
        return text
    if max_length <= 10:
        return text[: max_length - 1] + "…"
    cuts = _positions(text, "__") if "__" in text else _positions(text, r"[_>.-]")
    at = (len(text) + over) // 2
    first = next((i for i, cut in enumerate(cuts) if cut > over + 3), -1)
    if first != -1:
        chosen = max(first, len(cuts) // 2)
        if chosen < len(cuts):
            at = cuts[chosen]
    return text[: at - (over + 1)] + "…" + text[at:]


@pytest.mark.parametrize(
    ("label", "shown"),
    [
        # the collisions once reported (the flat keys' labels), and labels that fit or cut at a "_"
        ("jde_coupa_suppliers_in_coupa", "jde_coup…_in_coupa"),
        ("jde_coupa_invoices_in_coupa", "jde_coup…_in_coupa"),
        ("jde_coupa_suppliers_written", "jde_coupa…_written"),
        ("jde_coupa_invoices_written", "jde_coupa…_written"),
        ("suppliers_in_coupa", "suppliers_in_coupa"),
        ("purchase_orders_in_coupa", "purchase…_in_coupa"),
    ],
)
def test_the_port_cuts_labels_as_the_graph_does(label, shown):
    assert middle_truncated(label) == shown


def test_every_asset_key_is_its_group_and_its_name():
    wrong = []
    for key in GRAPH.get_all_asset_keys():
        group = GRAPH.get(key).group_name
        if len(key.path) != 2 or key.path[0] != group or asset_key(group, key.path[1]) != key:
            wrong.append(f"{key.to_user_string()} (group {group})")
    assert not wrong, f"keys not [group, name]: {wrong}"


def test_within_each_group_the_graph_labels_are_distinct():
    labels: dict[str, dict[str, list[AssetKey]]] = defaultdict(lambda: defaultdict(list))
    for key in GRAPH.get_all_asset_keys():
        labels[key.path[0]][middle_truncated(key.path[-1])].append(key)
    alike = {
        group: {label: [k.to_user_string() for k in keys] for label, keys in shown.items() if len(keys) > 1}
        for group, shown in labels.items()
    }
    assert not {group: same for group, same in alike.items() if same}, alike
    assert len(labels) == 13  # the six integrations, the six systems, operations
