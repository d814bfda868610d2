"""The values a ``mapping_missing`` refusal says its table lacks, one ``MappingGap`` each.

Why its own module: the fit report's missing-values table, the desk's mapping pages and the tests read
them from a refusal's kind and parameters; the catalog of kinds (``refusals``) needs none of it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from connector_resources.refusals import code_of


@dataclass(frozen=True, slots=True)
class MappingGap:
    """One value a mapping table lacks: ``what`` it is ("payment terms"), the ``value`` and the ``table``
    (its asset or setting name): a ``mapping_missing`` refusal's parameters, one per value it names."""

    what: str
    value: str
    table: str = ""


def mapping_gaps(kind: str | None, params: Mapping[str, Any] | None) -> list[MappingGap]:
    """Every value a ``mapping_missing`` refusal (its kind's code or group, and parameters) says its table
    lacks, each once, in the order named; [] for any other kind."""
    if not kind or code_of(kind) != "mapping_missing" or not params:
        return []
    value = params.get("value", "")
    values = [value] if isinstance(value, str) else [str(v) for v in value or []]
    what, table = str(params.get("what", "")), str(params.get("table", ""))
    return [MappingGap(what, v, table) for v in dict.fromkeys(values) if v]
