"""Code maps checked on both columns: a map keyed by the other system's codes (Oracle Fusion <-> Procurify)
must refuse a key that system could never hold (``KeyCheckedTable``), and a map read both ways must be
one-to-one (``OneToOneTable``), before anything is staged, naming the file and the key.
"""

import csv
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from connector_assets.flows.mapping_tables import MappingTable


@dataclass(frozen=True)
class KeyCheckedTable(MappingTable):
    """A ``MappingTable`` whose keys are checked (``key_check``: what is wrong with one in a finance
    user's words, None when it is fine; ``key_shown``: how a refused key is quoted) and normalised
    (``key_clean``); two keys that are one once normalised are refused as mapped twice."""

    key_check: Callable[[str], str | None] | None = None
    key_clean: Callable[[str], str] = str.strip
    key_shown: Callable[[str], str] = str

    def read(self, path: Path | None = None) -> dict[str, str]:
        path = path or self.path()
        pairs = super().read(path)
        name = path.name if path is not None else self.variable
        keyed: dict[str, str] = {}
        for key, value in pairs.items():
            problem = self.key_check(key) if self.key_check else None
            if problem:
                raise ValueError(f"{name}: {self.key} {self.key_shown(key)}: {problem}")
            normal = self.key_clean(key)
            if normal in keyed:
                raise ValueError(f"{name}: {self.key} {normal} is mapped twice")
            keyed[normal] = value
        return keyed


@dataclass(frozen=True)
class OneToOneTable(MappingTable):
    """A ``MappingTable`` read as a one-to-one map, checked both ways with the file's line numbers: keys
    checked (``key_problem``) and normalised (``key_clean``), no key mapped twice, no value from two keys
    (so a Procurify code posts to one JDE account without a guess). ``twice`` / ``shared`` word the
    refusals (``{key}``, ``{value}``, ``{other}``: the first key of that value)."""

    key_problem: Callable[[str], str | None] | None = None
    key_clean: Callable[[str], str] = str.strip
    twice: str = "{key} is mapped twice"
    shared: str = "{value} is mapped from both {other} and {key}"

    def read(self, path: Path | None = None) -> dict[str, str]:
        path = path or self.path()
        pairs = super().read(path)
        if path is None:
            return pairs
        seen_key: dict[str, int] = {}
        seen_value: dict[str, tuple[int, str]] = {}
        with path.open(newline="", encoding="utf-8-sig") as handle:
            for number, row in enumerate(csv.DictReader(handle), start=2):
                key, value = (row.get(self.key) or "").strip(), (row.get(self.value) or "").strip()
                problem = self.key_problem(key) if self.key_problem else None
                if problem:
                    raise ValueError(f"{path.name} line {number}: {self.key} {key}: {problem}")
                key = self.key_clean(key)
                if key in seen_key:
                    raise ValueError(
                        f"{path.name} lines {seen_key[key]} and {number}: {self.twice.format(key=key)}"
                    )
                seen_key[key] = number
                if value in seen_value:
                    first, other = seen_value[value]
                    said = self.shared.format(value=value, other=other, key=key)
                    raise ValueError(f"{path.name} lines {first} and {number}: {said}")
                seen_value[value] = (number, key)
        return {self.key_clean(k): v for k, v in pairs.items()}
