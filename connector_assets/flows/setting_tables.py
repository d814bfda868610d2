"""A mapping table declared from its setting in one call (``setting_table``), and a ``KeyCheckedTable`` whose
every key is checked when the file is read, naming the file and the line.
"""

import csv
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from connector_assets.flows.mapping_master import MasterData
from connector_assets.flows.mapping_tables import MappingTable

Check = Callable[[str], str | None]


@dataclass(frozen=True)
class KeyCheckedTable(MappingTable):
    """A mapping table whose keys have a shape too (project ids, cost codes): every key is checked when the
    file is read, naming the file and the line, before the values are (``load_pairs``)."""

    check_key: Check | None = None

    def read(self, path: Path | None = None) -> dict[str, str]:
        path = path or self.path()
        if path is not None and self.check_key is not None:
            with path.open(newline="", encoding="utf-8-sig") as handle:
                reader = csv.DictReader(handle)
                for row in reader:
                    key = (row.get(self.key) or "").strip()
                    problem = self.check_key(key) if key else None
                    if problem:
                        line = reader.line_num
                        raise ValueError(f"{path.name} line {line}: {self.key} {key}: {problem}")
        return super().read(path)


def setting_table(
    group: str,
    variable: str,
    key: str,
    value: str,
    description: str,
    guarded_by: tuple[str, ...],
    check: Check,
    clean: Callable[[str], str],
    check_key: Check | None = None,
    master: MasterData | None = None,
) -> MappingTable:
    """The table ``variable`` declares (``MappingTable.from_setting``), its values checked and cleaned; a
    ``KeyCheckedTable`` when its keys are checked too; ``master``: its check against the systems."""
    if check_key is None:
        return MappingTable.from_setting(
            variable, group=group, key=key, value=value, description=description, guarded_by=guarded_by,
            check=check, clean=clean, master=master,
        )  # fmt: skip
    return KeyCheckedTable.from_setting(
        variable, group=group, key=key, value=value, description=description, guarded_by=guarded_by,
        check=check, clean=clean, check_key=check_key, master=master,
    )  # fmt: skip
