"""Code maps checked on both columns (``flows.code_maps``): a key the other system could never hold is
refused naming the file and the key, keys are normalised, and a one-to-one map refuses a key mapped twice
or a value mapped from two keys, naming both lines."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from connector_assets.flows.code_maps import KeyCheckedTable, OneToOneTable


def _table(kind: type, **checks: Any) -> Any:
    return kind(asset="t", variable="ML_TEST_TABLE", key="key", value="value", description="test", **checks)


def _file(path: Path, *rows: str) -> Path:
    path.write_text("\n".join(["key,value", *rows]) + "\n", encoding="utf-8")
    return path


def test_a_key_checked_table_refuses_bad_keys_and_normalises_the_rest(tmp_path: Path) -> None:
    table = _table(
        KeyCheckedTable, key_check=lambda key: "too long" if len(key) > 4 else None, key_clean=str.upper
    )
    assert table.read(_file(tmp_path / "ok.csv", "ab,1", "cd,2")) == {"AB": "1", "CD": "2"}
    with pytest.raises(ValueError, match="bad.csv: key abcdef: too long"):
        table.read(_file(tmp_path / "bad.csv", "abcdef,1"))
    with pytest.raises(ValueError, match="twice.csv: key AB is mapped twice"):
        table.read(_file(tmp_path / "twice.csv", "ab,1", "AB,2"))


def test_a_one_to_one_table_names_both_lines(tmp_path: Path) -> None:
    table = _table(
        OneToOneTable,
        key_problem=lambda key: None if "." in key else "write BU.OBJ",
        key_clean=str.upper,
        twice="account {key} is mapped twice",
        shared="code {value} is mapped from both {other} and {key}",
    )
    assert table.read(_file(tmp_path / "ok.csv", "m30.7110,A", "1.6110,B")) == {
        "M30.7110": "A",
        "1.6110": "B",
    }
    with pytest.raises(ValueError, match="bad.csv line 2: key 6110: write BU.OBJ"):
        table.read(_file(tmp_path / "bad.csv", "6110,A"))
    with pytest.raises(ValueError, match="twice.csv lines 2 and 3: account M30.7110 is mapped twice"):
        table.read(_file(tmp_path / "twice.csv", "m30.7110,A", "M30.7110,B"))
    with pytest.raises(ValueError, match="lines 2 and 3: code A is mapped from both 1.6110 and 1.6120"):
        table.read(_file(tmp_path / "shared.csv", "1.6110,A", "1.6120,A"))
