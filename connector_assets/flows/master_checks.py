"""Building blocks of a mapping table's master-data check (``mapping_master.MasterData``): a table maps many
keys to one value, so a system side answers ``{value: problem}`` once per distinct value, and the check
turns that into ``{key: problem}`` for every row naming a refused value, on either column.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

Ask = Callable[[Iterable[str]], Mapping[str, str]]  # distinct values -> {value: problem}


def value_problems(
    rows: Mapping[str, str], ask: Ask, *, keep: Callable[[str, str], bool] = lambda key, value: True
) -> dict[str, str]:
    """``{key: problem}`` of the rows whose value ``ask`` refuses (rows ``keep`` turns down are not asked)."""
    wanted = {key: value for key, value in rows.items() if keep(key, value)}
    said = ask(sorted(set(wanted.values()))) if wanted else {}
    return {key: said[value] for key, value in wanted.items() if value in said}


def key_problems(
    rows: Mapping[str, str], ask: Ask, *, keep: Callable[[str], bool] = lambda key: True
) -> dict[str, str]:
    """``{key: problem}`` of the rows whose key ``ask`` refuses; only keys ``keep`` accepts are asked."""
    wanted = [key for key in rows if keep(key)]
    said = ask(sorted(wanted)) if wanted else {}
    return {key: said[key] for key in wanted if key in said}


def merged(*found: Mapping[str, str]) -> dict[str, str]:
    """Each key's problems from several checks in one sentence (the key's, then the value's)."""
    out: dict[str, list[str]] = {}
    for problems in found:
        for key, problem in problems.items():
            out.setdefault(key, []).append(problem)
    return {key: "; ".join(said) for key, said in out.items()}
