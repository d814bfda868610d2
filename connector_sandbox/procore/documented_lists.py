"""The filters and sort each list endpoint takes, as Procore documents them: the query parameters of its
operation in Procore's contract (``contract.py``, from ``vendor_facts.json``: the SDK's parameters), not what
our client sends. A list's own ``ListSpec`` says how the simulator applies a filter; this says which it may
apply: the inactive-vendor list documents no filter at all, the project list ``filters[updated_at]`` and no
``filters[active]``, ``/commitments`` none. A filter the endpoint does not document is then unknown there
(ignored, or refused with ``variants.unknown_filters = "reject"``), even where the contract's own check is
set to record only (``ML_SANDBOX_CONTRACT=record``)."""

from __future__ import annotations

import re
from functools import cache

from .contract import CONTRACT
from .listing import ListSpec

_FILTER = re.compile(r"^filters\[([a-z_]+)\](\[\])?$")


@cache
def _documented(method: str, endpoint: str) -> tuple[frozenset[str], bool] | None:
    op = next((o for o in CONTRACT.operations if o.method == method and o.path == endpoint), None)
    if op is None or op.query is None:
        return None
    names = set(op.query.get("properties", {}))
    filters = frozenset(m.group(1) for name in names if (m := _FILTER.match(name)))
    return filters, "sort" in names


def as_documented(spec: ListSpec, method: str, path: str) -> ListSpec:
    """``spec`` narrowed to what the operation serving ``path`` documents (unchanged for a path the
    contract does not name: the REST v2.0 change order lines)."""
    op = CONTRACT.operation(method, path)
    found = _documented(method, op.path) if op is not None else None
    return spec if found is None else spec.as_documented(*found)
