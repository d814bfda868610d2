"""Fusion's account combinations asked about the segment values a mapping table names, before an operator's
change to the table is saved (``account_combinations.Combination.problem``); one ``q`` query per value,
never the whole chart (docs/integrations/fusion_procurify.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, date, datetime
from typing import Any

from connector_assets.fusion.account_combinations import (
    DELIMITER,
    LOV,
    SEGMENTS,
    Combination,
    combination_row,
)


def _usable(records: Iterator[Mapping[str, Any]], segments: tuple[str, ...], on: date) -> tuple[bool, bool]:
    """(any combination read, one of them usable on ``on``), reading no further than the first usable."""
    seen = False
    for record in records:
        row = combination_row(record, segments)
        if row is None:
            continue
        seen = True
        if Combination.of(row).problem(on) is None:
            return True, True
    return seen, False


def natural_accounts(
    fusion: Any, naturals: Iterable[str], segments: tuple[str, ...] = SEGMENTS
) -> dict[str, str]:
    """``{natural account: problem}`` for each segment-3 value no usable combination has."""
    named = [n for n in dict.fromkeys(naturals) if n]
    return _ask(fusion, {n: {segments[2]: n} for n in named}, "natural account", segments)


def company_cost_centers(
    fusion: Any, values: Iterable[str], segments: tuple[str, ...] = SEGMENTS
) -> dict[str, str]:
    """``{<company>-<cost center>: problem}`` for each pair no usable combination has."""
    asked = {}
    for value in dict.fromkeys(values):
        company, _, center = value.partition(DELIMITER)
        if company and center:
            asked[value] = {segments[0]: company, segments[1]: center}
    return _ask(fusion, asked, "company and cost center", segments)


def _ask(
    fusion: Any, asked: Mapping[str, Mapping[str, str]], what: str, segments: tuple[str, ...]
) -> dict[str, str]:
    if not asked:
        return {}
    today = datetime.now(UTC).date()
    problems = {}
    with fusion.session() as session:
        for value, where in asked.items():
            seen, usable = _usable(session.iter_account_combinations(where=dict(where)), segments, today)
            if not seen:
                problems[value] = f"Fusion {what} {value} is in no combination of {LOV}"
            elif not usable:
                problems[value] = (
                    f"Fusion {what} {value} has no enabled, postable, active combination in {LOV}"
                )
    return problems
