"""Staged partitions: typed round trip, atomic replace, merge by key, clear errors.

Every test of the partition files runs twice: on local disk and on a real S3-compatible server (moto in
server mode, its own process, a fresh bucket per test), through the same ``StagingResource`` API.
"""

import json
import os
import signal
import subprocess
import sys
from datetime import date
from decimal import Decimal

import pytest
from dagster import AssetKey
from roots import ROOT
from s3_server import S3Server, moto_server
from staging_writer_child import COLUMNS  # the child process stages the same columns

from connector_assets.runtime.staging import Column, StagingError, StagingResource, coerce_row


def _rows(n, start=0, name="Müller Baustoffe GmbH"):
    return [
        coerce_row(
            {"DOC": i, "NAME": name, "AG": "1234.56", "DIVJ": date(2026, 11, 20), "UPMT": "93015"},
            COLUMNS,
            record=f"doc {i}",
        )
        for i in range(start, start + n)
    ]


@pytest.fixture(scope="module")
def s3(tmp_path_factory) -> S3Server:
    with moto_server(tmp_path_factory.mktemp("moto")) as server:
        yield server


T, MANIFEST, BIG = AssetKey(["test", "t"]), AssetKey(["test", "manifest"]), AssetKey(["test", "big"])


@pytest.fixture(params=["local", "s3"])
def base(request, tmp_path) -> str:
    """The staging root of one test: a folder, or ``s3://<fresh bucket>/staging`` on the moto server."""
    if request.param == "local":
        return str(tmp_path / "staging")
    server = request.getfixturevalue("s3")
    return f"s3://{server.new_bucket()}/staging"


def _names(staging: StagingResource, asset: AssetKey) -> list[str]:
    """The visible files of ``asset``'s folder (or prefix), hidden temporary files left out."""
    folder = staging.root().joinpath(*asset.path)
    return sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))


def test_a_partition_lives_under_its_keys_parts_and_a_flat_name_is_refused(tmp_path):
    """``<root>/<group>/<name>/<day>.parquet``: the folders follow the asset key (``asset_keys``); a flat
    name would land beside the groups' folders, so it is refused naming it."""
    staging = StagingResource(base_dir=str(tmp_path))
    key = AssetKey(["jde", "suppliers"])
    assert staging.path(key, "2026-11-20") == tmp_path / "jde" / "suppliers" / "2026-11-20.parquet"
    assert staging.path(key, None) == tmp_path / "jde" / "suppliers" / "all.parquet"
    with pytest.raises(TypeError, match="'flat_name'"):
        staging.path("flat_name", "2026-11-20")


def test_round_trip_keeps_types(base):
    staging = StagingResource(base_dir=base)
    assert not staging.exists(AssetKey(["jde", "ap_ledger"]), "2026-11-20")
    assert staging.count(AssetKey(["jde", "ap_ledger"]), "2026-11-20") == 0
    assert list(staging.read_rows(AssetKey(["jde", "ap_ledger"]), "2026-11-20")) == []
    writer = staging.writer(AssetKey(["jde", "ap_ledger"]), "2026-11-20", COLUMNS)
    for row in _rows(12_000):
        writer.write(row)
    writer.commit()
    assert staging.exists(AssetKey(["jde", "ap_ledger"]), "2026-11-20")
    assert staging.count(AssetKey(["jde", "ap_ledger"]), "2026-11-20") == 12_000
    first = next(staging.read_rows(AssetKey(["jde", "ap_ledger"]), "2026-11-20"))
    assert first == {
        "DOC": 0,
        "NAME": "Müller Baustoffe GmbH",
        "AG": Decimal("1234.56"),
        "DIVJ": date(2026, 11, 20),
        "UPMT": 93015,
    }
    sizes = [
        len(frame)
        for frame in staging.read_batches(AssetKey(["jde", "ap_ledger"]), "2026-11-20", batch_rows=5000)
    ]
    assert sizes == [5000, 5000, 2000]


def test_an_aborted_write_leaves_the_previous_partition(base, request):
    staging = StagingResource(base_dir=base)
    writer = staging.writer(T, "2026-11-20", COLUMNS)
    for row in _rows(3):
        writer.write(row)
    writer.commit()
    second = staging.writer(T, "2026-11-20", COLUMNS)
    for row in _rows(10_000, start=100):
        second.write(row)
    second.abort()
    assert [r["DOC"] for r in staging.read_rows(T, "2026-11-20")] == [0, 1, 2]
    # Nothing else left behind: no temporary file on disk, no unfinished upload on S3.
    assert [p.name for p in staging.root().joinpath(*T.path).iterdir()] == ["2026-11-20.parquet"]
    if base.startswith("s3://"):
        assert request.getfixturevalue("s3").unfinished_uploads(base[5:].split("/")[0]) == []


def test_a_writer_dropped_without_commit_publishes_nothing(base):
    """A step that raises between ``writer()`` and ``commit()`` without calling ``abort`` drops its
    writer; the garbage collector then closes the file, which on S3 must not complete the upload."""
    staging = StagingResource(base_dir=base)
    staging.merge(T, "d", COLUMNS, _rows(2), key=lambda r: (r["DOC"],))
    writer = staging.writer(T, "d", COLUMNS)
    for row in _rows(7_000, start=50):
        writer.write(row)
    del writer
    import gc

    gc.collect()
    assert [r["DOC"] for r in staging.read_rows(T, "d")] == [0, 1]
    assert _names(staging, T) == ["d.parquet"]


def test_merge_upserts_by_key_and_keeps_the_rest(base):
    staging = StagingResource(base_dir=base)
    staging.merge(T, "d", COLUMNS, _rows(5), key=lambda r: (r["DOC"],))
    changed = _rows(2, start=3, name="Société Générale d'Équipement") + _rows(1, start=9)
    changed.append(_rows(1, start=9, name="北京建材")[0])  # re-read overlap: same key twice, last wins
    total = staging.merge(T, "d", COLUMNS, changed, key=lambda r: (r["DOC"],))
    rows = {r["DOC"]: r["NAME"] for r in staging.read_rows(T, "d")}
    assert total == 6 == len(rows)
    assert rows[0] == "Müller Baustoffe GmbH"
    assert rows[3] == rows[4] == "Société Générale d'Équipement"
    assert rows[9] == "北京建材"


def test_one_column_is_read_alone_in_order_and_a_partition_never_staged_has_none(base):
    staging = StagingResource(base_dir=base)
    staging.merge(T, "d", COLUMNS, _rows(3) + _rows(1, start=7, name="北京建材"), key=lambda r: (r["DOC"],))
    assert list(staging.column_values(T, "d", "DOC")) == [0, 1, 2, 7]
    assert list(staging.column_values(T, "d", "NAME"))[-1] == "北京建材"
    assert list(staging.column_values(T, "never", "DOC")) == []


def test_the_path_of_a_partition_can_be_removed(base):
    """``documents`` removes a finished manifest with ``path(...).unlink(missing_ok=True)``."""
    staging = StagingResource(base_dir=base)
    staging.merge(MANIFEST, "m1", COLUMNS, _rows(1), key=lambda r: (r["DOC"],))
    staging.path(MANIFEST, "m1").unlink(missing_ok=True)
    staging.path(MANIFEST, "m1").unlink(missing_ok=True)
    assert not staging.exists(MANIFEST, "m1")


def _child(base: str, mode: str, partition: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.staging_writer_child", base, BIG.to_user_string(), partition, mode],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        text=True,
    )


def test_a_killed_writer_leaves_the_previous_version_and_no_new_partition(base, request):
    """kill -9 of a real process in the middle of a big partition (more than two upload parts sent on S3):
    the previous version is still what readers see, and no new or half partition is visible."""
    staging = StagingResource(base_dir=base)
    staging.merge(BIG, "2026-11-20", COLUMNS, _rows(3), key=lambda r: (r["DOC"],))
    child = _child(base, "midway", "2026-11-20")
    try:
        line = child.stdout.readline()
        assert line.startswith("midway"), line
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL
    assert [r["DOC"] for r in staging.read_rows(BIG, "2026-11-20")] == [0, 1, 2]
    assert staging.count(BIG, "2026-11-20") == 3
    assert _names(staging, BIG) == ["2026-11-20.parquet"]
    if base.startswith("s3://"):
        # The killed writer's parts are on the server, in an upload nobody will complete.
        bucket = base[5:].split("/")[0]
        assert request.getfixturevalue("s3").unfinished_uploads(bucket) == [
            "staging/test/big/2026-11-20.parquet"
        ]
    else:
        hidden = [p.name for p in staging.root().joinpath(*BIG.path).iterdir() if p.name.startswith(".")]
        assert len(hidden) == 1 and hidden[0].endswith(".tmp")  # the killed writer's, never read


def test_a_million_row_partition_stays_within_300_mb(base):
    """Written and read back by a process of its own, which reports its peak RSS (ru_maxrss)."""
    child = _child(base, "million", "2026-11-21")
    out, _ = child.communicate(timeout=600)
    assert child.returncode == 0, out
    figures = json.loads(out.strip().splitlines()[-1])
    print(f"million rows on {base.split(':')[0] if '://' in base else 'local disk'}: {figures}")
    assert figures["rows"] == figures["staged_rows"] == 1_000_000
    assert figures["checksum"] == 1_000_000 * 999_999 // 2
    assert figures["peak_rss_mb"] < 300


def test_the_root_is_the_resource_setting_then_ml_staging_url_then_dagster_home(monkeypatch, tmp_path):
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("ML_STAGING_URL", raising=False)
    assert StagingResource().root() == tmp_path / "home" / "staging"
    monkeypatch.setenv("ML_STAGING_URL", f"file://{tmp_path}/shared")
    assert StagingResource().root() == tmp_path / "shared"  # a plain local path: os.replace as before
    monkeypatch.setenv("ML_STAGING_URL", "s3://staging-bucket/prod")
    root = StagingResource().root()
    assert (root.protocol, root.path) == ("s3", "staging-bucket/prod")
    assert str(StagingResource().path(AssetKey(["jde", "ap_ledger"]), "2026-11-20")) == (
        "s3://staging-bucket/prod/jde/ap_ledger/2026-11-20.parquet"
    )
    assert StagingResource(base_dir=str(tmp_path / "own")).root() == tmp_path / "own"


def test_a_merge_that_changes_nothing_leaves_the_file_alone(tmp_path):
    """A no-change poll re-reads its overlap: the same rows again. The partition file is not rewritten
    (no Arrow write, so pyarrow does not import pandas in such a run); any difference rewrites it."""
    staging = StagingResource(base_dir=str(tmp_path))
    staging.merge(T, "d", COLUMNS, _rows(5), key=lambda r: (r["DOC"],))
    path = staging.path(T, "d")
    before = path.stat().st_ino
    overlap = _rows(2, start=3)  # AG "1234.56" is staged as Decimal("1234.56000000"): still the same value
    assert staging.merge(T, "d", COLUMNS, overlap, key=lambda r: (r["DOC"],)) == 5
    assert staging.merge(T, "d", COLUMNS, [], key=lambda r: (r["DOC"],)) == 5
    assert path.stat().st_ino == before  # os.replace of a rewrite would give the path a new inode
    renamed = _rows(1, start=4, name="Müller Baustoffe AG")
    assert staging.merge(T, "d", COLUMNS, overlap[:1] + renamed, key=lambda r: (r["DOC"],)) == 5
    assert path.stat().st_ino != before
    assert {r["DOC"]: r["NAME"] for r in staging.read_rows(T, "d")}[4] == "Müller Baustoffe AG"
    assert staging.merge(T, "d", COLUMNS, _rows(1, start=7), key=lambda r: (r["DOC"],)) == 6


def test_a_bad_value_names_record_and_field():
    with pytest.raises(
        StagingError, match=r"F0411 00070/4711/PV/001: field AG has value 'abc', not a valid decimal"
    ):
        coerce_row({"AG": "abc"}, [Column("AG", "decimal")], record="F0411 00070/4711/PV/001")


def test_blank_non_text_values_become_null():
    row = coerce_row({"DIVJ": " ", "AG": "", "NAME": "  Acme  "}, COLUMNS, record="r")
    assert row["DIVJ"] is None and row["AG"] is None and row["DOC"] is None
    assert row["NAME"] == "  Acme"
