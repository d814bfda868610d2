"""A Fusion value set's values and their descriptions (``valueSets`` -> child ``values``), paged here. The
path and attributes are unconfirmed (reference §2.9): a 404, 403 or refused query raises (``UNREADABLE``)
for the flow's own fallback.
"""

from __future__ import annotations

from typing import Any

from connector_resources.fusion.errors import FusionNotFoundError, FusionPermissionError, FusionQueryError
from connector_resources.fusion.paging import read_offsets
from connector_resources.fusion.query import equals_q

UNREADABLE = (FusionNotFoundError, FusionPermissionError, FusionQueryError)


def value_descriptions(session: Any, value_set: str) -> dict[str, str]:
    """``{value: description}`` of Fusion value set ``value_set`` (values without a description left out);
    one of ``UNREADABLE`` when the pod cannot answer."""
    root = session.rest_root
    q, _left = equals_q({"ValueSetCode": value_set}, session.framework_version)
    sets = list(
        read_offsets(
            lambda offset: session._page(
                f"{root}/valueSets",
                {"q": q, "limit": session.page_size, "offset": offset},
                what=f"value set {value_set}",
                spec=None,
            ),
            key="ValueSetId",
        )
    )
    found = [s for s in sets if str(s.get("ValueSetCode")) == value_set]
    if len(found) != 1:
        raise FusionNotFoundError(f"fusion: value set {value_set}: {len(found)} value sets have that code")
    href = next(
        (
            link.get("href")
            for link in found[0].get("links") or []
            if isinstance(link, dict) and link.get("rel") == "child" and link.get("name") == "values"
        ),
        f"{root}/valueSets/{found[0].get('ValueSetId')}/child/values",
    )
    url = session._local(href)
    titles: dict[str, str] = {}
    for row in read_offsets(
        lambda offset: session._page(
            url,
            {"limit": session.page_size, "offset": offset, "onlyData": "true"},
            what=f"value set {value_set} values",
            spec=None,
        ),
        key=None,
    ):
        value, description = str(row.get("Value") or "").strip(), str(row.get("Description") or "")
        if value and description.strip():
            titles[value] = description.strip()
    return titles
