"""Staged partitions: typed round trip, atomic replace, merge by key, clear errors."""

from datetime import date
from decimal import Decimal

import pytest

from connector_assets.staging import Column, StagingError, StagingResource, coerce_row

COLUMNS = [
    Column("DOC", "int"),
    Column("NAME"),
    Column("AG", "decimal"),
    Column("DIVJ", "date"),
    Column("UPMT", "time"),
]


def _rows(n, start=0, name="Müller Baustoffe GmbH"):
    return [
        coerce_row(
            {"DOC": i, "NAME": name, "AG": "1234.56", "DIVJ": date(2026, 11, 20), "UPMT": "93015"},
            COLUMNS,
            record=f"doc {i}",
        )
        for i in range(start, start + n)
    ]


def test_round_trip_keeps_types(tmp_path):
    staging = StagingResource(base_dir=str(tmp_path))
    writer = staging.writer("jde_ap_ledger", "2026-11-20", COLUMNS)
    for row in _rows(12_000):
        writer.write(row)
    writer.commit()
    assert staging.count("jde_ap_ledger", "2026-11-20") == 12_000
    first = next(staging.read_rows("jde_ap_ledger", "2026-11-20"))
    assert first == {
        "DOC": 0,
        "NAME": "Müller Baustoffe GmbH",
        "AG": Decimal("1234.56"),
        "DIVJ": date(2026, 11, 20),
        "UPMT": 93015,
    }
    sizes = [len(frame) for frame in staging.read_batches("jde_ap_ledger", "2026-11-20", batch_rows=5000)]
    assert sizes == [5000, 5000, 2000]


def test_an_aborted_write_leaves_the_previous_partition(tmp_path):
    staging = StagingResource(base_dir=str(tmp_path))
    writer = staging.writer("t", "2026-11-20", COLUMNS)
    for row in _rows(3):
        writer.write(row)
    writer.commit()
    second = staging.writer("t", "2026-11-20", COLUMNS)
    for row in _rows(10_000, start=100):
        second.write(row)
    second.abort()
    assert [r["DOC"] for r in staging.read_rows("t", "2026-11-20")] == [0, 1, 2]
    assert [p.name for p in (tmp_path / "t").iterdir()] == ["2026-11-20.parquet"]


def test_merge_upserts_by_key_and_keeps_the_rest(tmp_path):
    staging = StagingResource(base_dir=str(tmp_path))
    staging.merge("t", "d", COLUMNS, _rows(5), key=lambda r: (r["DOC"],))
    changed = _rows(2, start=3, name="Société Générale d'Équipement") + _rows(1, start=9)
    changed.append(_rows(1, start=9, name="北京建材")[0])  # re-read overlap: same key twice, last wins
    total = staging.merge("t", "d", COLUMNS, changed, key=lambda r: (r["DOC"],))
    rows = {r["DOC"]: r["NAME"] for r in staging.read_rows("t", "d")}
    assert total == 6 == len(rows)
    assert rows[0] == "Müller Baustoffe GmbH"
    assert rows[3] == rows[4] == "Société Générale d'Équipement"
    assert rows[9] == "北京建材"


def test_a_merge_that_changes_nothing_leaves_the_file_alone(tmp_path):
    """A no-change poll re-reads its overlap: the same rows again. The partition file is not rewritten
    (no Arrow write, so pyarrow does not import pandas in such a run); any difference rewrites it."""
    staging = StagingResource(base_dir=str(tmp_path))
    staging.merge("t", "d", COLUMNS, _rows(5), key=lambda r: (r["DOC"],))
    path = staging.path("t", "d")
    before = path.stat().st_ino
    overlap = _rows(2, start=3)  # AG "1234.56" is staged as Decimal("1234.56000000"): still the same value
    assert staging.merge("t", "d", COLUMNS, overlap, key=lambda r: (r["DOC"],)) == 5
    assert staging.merge("t", "d", COLUMNS, [], key=lambda r: (r["DOC"],)) == 5
    assert path.stat().st_ino == before  # os.replace of a rewrite would give the path a new inode
    renamed = _rows(1, start=4, name="Müller Baustoffe AG")
    assert staging.merge("t", "d", COLUMNS, overlap[:1] + renamed, key=lambda r: (r["DOC"],)) == 5
    assert path.stat().st_ino != before
    assert {r["DOC"]: r["NAME"] for r in staging.read_rows("t", "d")}[4] == "Müller Baustoffe AG"
    assert staging.merge("t", "d", COLUMNS, _rows(1, start=7), key=lambda r: (r["DOC"],)) == 6


def test_a_bad_value_names_record_and_field():
    with pytest.raises(
        StagingError, match=r"F0411 00070/4711/PV/001: field AG has value 'abc', not a valid decimal"
    ):
        coerce_row({"AG": "abc"}, [Column("AG", "decimal")], record="F0411 00070/4711/PV/001")


def test_blank_non_text_values_become_null():
    row = coerce_row({"DIVJ": " ", "AG": "", "NAME": "  Acme  "}, COLUMNS, record="r")
    assert row["DIVJ"] is None and row["AG"] is None and row["DOC"] is None
    assert row["NAME"] == "  Acme"
