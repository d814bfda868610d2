"""A mapping table's file named in a ``defs.yaml`` is checked as Dagster loads the instance (what ``dg check
defs`` runs): a file that is not there is refused naming the instance's defs.yaml, the attribute and the file;
one that is there loads. ``tests/project/test_components_outside.py`` sees the same from ``dg check defs``."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
from dg_projects import CONNECTOR, importable, load_refusal, scaffolded_project

REPO = Path(__file__).resolve().parents[2]


def _jde_bill(account_map: str) -> str:
    return f"type: connector_assets.components.JdeBill\nattributes:\n  account_map: {account_map}\n"


def test_a_mapping_table_file_that_does_not_exist_is_refused_naming_the_attribute_and_the_file(tmp_path):
    missing = tmp_path / "chart" / "jde_bill_accounts.csv"
    project, root = scaffolded_project(
        tmp_path, {"connector": CONNECTOR, "jde_bill": _jde_bill(str(missing))}
    )
    with importable(project):
        said = load_refusal(project)
    assert f"{project / root / 'defs' / 'jde_bill' / 'defs.yaml'}: attributes.account_map:" in said, said
    assert f"the mapping table file {missing} does not exist" in said, said
    assert "jde_bill/account_map" in said, said  # the table it was to hold


def test_a_mapping_table_file_that_exists_loads(tmp_path):
    present = REPO / "mappings" / "sandbox" / "jde_bill_accounts.csv"
    project, _ = scaffolded_project(tmp_path, {"connector": CONNECTOR, "jde_bill": _jde_bill(str(present))})
    with importable(project):
        loaded = dg.load_from_defs_folder(path_within_project=project)
    assert loaded.resolve_assets_def(dg.AssetKey(["jde_bill", "account_map"])).group_names_by_key
