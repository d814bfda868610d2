"""Changing a mapping table the ledger holds: one path for the exceptions desk and ``mappings import``, so a
row saved at the desk and one a bulk import brings meet the same checks (the table's format, then each
changed row against the systems' master data) before anything is saved, versioned, with who and why.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import requests

from connector_assets.flows.mapping_tables import MappingTable
from connector_resources.error_kinds import ConnectorError
from connector_resources.ledger import Ledger, shared_ledger
from connector_resources.ledger.mapping_store import MappingInfo
from connector_resources.ledger.operator_actions import Operator
from connector_resources.redaction import redact


class MappingRefused(ValueError):
    """The change was not saved: ``problems`` says what is wrong, by key."""

    def __init__(self, table: str, problems: Mapping[str, str]) -> None:
        self.table = table
        self.problems = dict(problems)
        said = "; ".join(f"{key}: {problem}" for key, problem in sorted(self.problems.items()))
        super().__init__(f"{table}: not saved, {len(self.problems)} row(s) refused: {said}")


@dataclass(frozen=True)
class MappingDiff:
    """What a change would do to a table: rows added, changed (old, new) and removed (old)."""

    added: dict[str, str] = field(default_factory=dict)
    changed: dict[str, tuple[str, str]] = field(default_factory=dict)
    removed: dict[str, str] = field(default_factory=dict)

    @classmethod
    def between(cls, old: Mapping[str, str], new: Mapping[str, str]) -> MappingDiff:
        return cls(
            added={k: v for k, v in new.items() if k not in old},
            changed={k: (old[k], v) for k, v in new.items() if k in old and old[k] != v},
            removed={k: v for k, v in old.items() if k not in new},
        )

    def __bool__(self) -> bool:
        return bool(self.added or self.changed or self.removed)

    def changes(self) -> dict[str, str | None]:
        """``{key: new value}``, None for a removed row: what ``Ledger.change_mapping`` takes."""
        return {
            **self.added,
            **{k: new for k, (_, new) in self.changed.items()},
            **dict.fromkeys(self.removed),
        }

    def lines(self) -> list[str]:
        """``+ key -> value``, ``~ key: old -> new``, ``- key (was value)``, sorted by key."""
        rows = [(k, f"+ {k} -> {v}") for k, v in self.added.items()]
        rows += [(k, f"~ {k}: {old} -> {new}") for k, (old, new) in self.changed.items()]
        rows += [(k, f"- {k} (was {v})") for k, v in self.removed.items()]
        return [line for _, line in sorted(rows)]


@dataclass(frozen=True)
class PlannedChange:
    """A change checked and ready to save: the table's version it was planned on, and its diff."""

    table: MappingTable
    version: int
    diff: MappingDiff


def plan_change(
    table: MappingTable,
    changes: Mapping[str, str | None],
    *,
    ledger: Ledger | None = None,
    resources: Mapping[str, object] | None = None,
    replace: bool = False,
) -> PlannedChange:
    """Check ``changes`` (``{key: value}``, None deletes a row; with ``replace`` the whole new table)
    against today's table and the master data; ``MappingRefused`` names every row that is wrong."""
    ledger = ledger or shared_ledger()
    current = table.current(ledger)
    info = ledger.mapping_info(table.name)
    wanted = {k: v for k, v in changes.items() if v is not None} if replace else _applied(current, changes)
    try:
        checked = table.check_rows(wanted)
    except ValueError as problem:
        raise MappingRefused(table.name, {_key_named(str(problem), wanted): _said(str(problem))}) from problem
    diff = MappingDiff.between(current, checked)
    touched = {**diff.added, **{k: new for k, (_, new) in diff.changed.items()}}
    if table.master is not None and touched:
        try:
            problems = table.master.problems(touched, resources)
        except (ConnectorError, OSError, requests.RequestException) as error:  # down, or a login refused
            said = f"could not check against {', '.join(table.master.systems)} ({redact(str(error))})"
            raise MappingRefused(table.name, {"(table)": f"{said}; nothing saved, try again"}) from error
        if problems:
            raise MappingRefused(table.name, problems)
    return PlannedChange(table, info.version if info else 0, diff)


def save_change(
    planned: PlannedChange, *, by: Operator, note: str, origin: str, ledger: Ledger | None = None
) -> MappingInfo:
    """Save a planned change (refused when someone saved the table since it was planned: ``StaleMapping``)."""
    if not planned.diff:
        raise MappingRefused(
            planned.table.name, {"(table)": "nothing to change: every row has that value already"}
        )
    return (ledger or shared_ledger()).change_mapping(
        planned.table.name,
        planned.diff.changes(),
        by=by,
        note=note,
        origin=origin,
        expected_version=planned.version,
    )


def _applied(current: Mapping[str, str], changes: Mapping[str, str | None]) -> dict[str, str]:
    rows = dict(current)
    for key, value in changes.items():
        key = key.strip()
        if value is None:
            rows.pop(key, None)
        else:
            rows[key] = value.strip()
    return rows


def _said(problem: str) -> str:
    """The checker's words without the scratch file's name and line (``<file> line 3: ...``)."""
    head, sep, rest = problem.partition(": ")
    return rest if sep and ("line" in head or head.endswith(".csv")) else problem


def _key_named(problem: str, rows: Mapping[str, str]) -> str:
    """The key a checker's message names (it quotes the key), else ``(table)``."""
    for key in sorted(rows, key=len, reverse=True):
        if f" {key} " in f" {problem} " or f" {key}:" in problem:
            return key
    return "(table)"
