"""A mapping table whose key column is checked and normalised too: ``load_pairs`` checks only the value
column, but a code map keyed by the other system's codes (Oracle Fusion <-> Procurify: the account table
keyed by Procurify account code, the department table keyed by ``Location|Department``) must refuse a
key that system could never hold, before anything is staged, naming the file and the key.
"""

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
