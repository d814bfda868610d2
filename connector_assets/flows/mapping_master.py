"""How a mapping table's rows are checked against the systems' own master data before a change is saved.

A row can be well formed and still wrong (a JDE account not in F0901, an archived BILL department); a flow
would refuse every record meeting it, so the desk and ``mappings import`` refuse the row instead. A table
declares its check with the resource keys it reads; the check reads what the rows name, never the chart.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from connector_assets.flows.master_checks import key_problems, value_problems

# (resources by key, the rows to check {key: value}) -> {key: what is wrong with that row}; a row that is
# fine has no entry.
RowsCheck = Callable[[Mapping[str, Any], Mapping[str, str]], Mapping[str, str]]
# (one system's resource, the distinct values or keys asked about) -> {value: what is wrong with it}
SystemAsk = Callable[[Any, Iterable[str]], Mapping[str, str]]


@dataclass(frozen=True)
class MasterData:
    """A table's check against master data: the resources it reads, the check, and what it checks in a
    finance user's words (shown beside the table: "the JDE account is in F0901 and postable")."""

    systems: tuple[str, ...]
    check: RowsCheck
    what: str

    def problems(
        self, rows: Mapping[str, str], resources: Mapping[str, object] | None = None
    ) -> dict[str, str]:
        """What is wrong with each of ``rows`` (``{key: problem}``; empty when all are fine). ``resources``:
        the initialised resources by key; built from today's settings when not given."""
        if not rows:
            return {}
        if resources is None:
            from connector_assets.flows.replay_resources import resources_from_settings

            resources = resources_from_settings(self.systems)
        return dict(self.check(resources, rows))

    @classmethod
    def asking(cls, system: str, ask: SystemAsk, what: str, *, of: str = "values") -> MasterData:
        """The check most tables declare: one system (its resource key) asked about the rows' values, or
        about their keys (``of="keys"``: a table whose values a flow creates in the other system)."""
        problems = key_problems if of == "keys" else value_problems
        return cls(
            (system,),
            lambda resources, rows: problems(rows, lambda named: ask(resources[system], named)),
            what,
        )
