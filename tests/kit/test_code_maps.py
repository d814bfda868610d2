"""Code maps checked on both columns (``flows.code_maps``): a key the other system could never hold is
refused naming the file and the key, keys are normalised, and a one-to-one map refuses a key mapped twice
or a value mapped from two keys, naming both lines."""

from __future__ import annotations

from pathlib import Path

import pytest

from connector_assets.flows.code_maps import KeyCheckedTable, OneToOneTable


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_a_key_checked_table_refuses_bad_keys_and_normalises_the_rest(tmp_path: Path) -> None:
    table = KeyCheckedTable(
        asset="codes",
        variable="ML_TEST_CODES",
        key="code",
        value="account",
        description="test",
        key_check=lambda key: "too long" if len(key) > 4 else None,
        key_clean=str.upper,
    )
    assert table.read(_write(tmp_path / "ok.csv", "code,account\nab,1\ncd,2\n")) == {"AB": "1", "CD": "2"}
    with pytest.raises(ValueError, match="bad.csv: code abcdef: too long"):
        table.read(_write(tmp_path / "bad.csv", "code,account\nabcdef,1\n"))
    with pytest.raises(ValueError, match="twice.csv: code AB is mapped twice"):
        table.read(_write(tmp_path / "twice.csv", "code,account\nab,1\nAB,2\n"))


def test_a_one_to_one_table_names_both_lines(tmp_path: Path) -> None:
    table = OneToOneTable(
        asset="accounts",
        variable="ML_TEST_ACCOUNTS",
        key="account",
        value="code",
        description="test",
        key_problem=lambda key: None if "." in key else "write BU.OBJ",
        key_clean=str.upper,
        twice="account {key} is mapped twice",
        shared="code {value} is mapped from both {other} and {key}",
    )
    assert table.read(_write(tmp_path / "ok.csv", "account,code\nm30.7110,A\n1.6110,B\n")) == {
        "M30.7110": "A",
        "1.6110": "B",
    }
    with pytest.raises(ValueError, match="bad.csv line 2: account 6110: write BU.OBJ"):
        table.read(_write(tmp_path / "bad.csv", "account,code\n6110,A\n"))
    with pytest.raises(ValueError, match="twice.csv lines 2 and 3: account M30.7110 is mapped twice"):
        table.read(_write(tmp_path / "twice.csv", "account,code\nm30.7110,A\nM30.7110,B\n"))
    with pytest.raises(
        ValueError, match="shared.csv lines 2 and 3: code A is mapped from both 1.6110 and 1.6120"
    ):
        table.read(_write(tmp_path / "shared.csv", "account,code\n1.6110,A\n1.6120,A\n"))
