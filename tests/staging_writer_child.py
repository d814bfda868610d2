"""A process that stages a big partition, for the tests that kill it or measure its memory.

``python -m tests.staging_writer_child BASE ASSET PARTITION midway``: writes rows without end, prints
``midway`` once more than two object-store parts' worth of Parquet has been written, and keeps writing
until killed. ``... million``: stages a million rows, reads them back batch by batch, and prints one JSON
line with the row count, a checksum and the process's peak RSS (``VmHWM``), so the figure is the
whole process's own: imports, writer, upload buffers and reader.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from datetime import date

import pyarrow as pa
from dagster import AssetKey

from connector_assets.runtime.staging import (
    BATCH_ROWS,
    OBJECT_BLOCK_BYTES,
    Column,
    StagingResource,
    arrow_schema,
)

# An AP-ledger-like partition, the columns kit/test_staging.py stages too.
COLUMNS = [
    Column("DOC", "int"),
    Column("NAME"),
    Column("AG", "decimal"),
    Column("DIVJ", "date"),
    Column("UPMT", "time"),
]


def batch(start: int, rows: int) -> pa.RecordBatch:
    """``rows`` rows numbered from ``start``; the names are random hex so Parquet cannot shrink them much
    and the file grows as a real extract's does."""
    names = [os.urandom(24).hex() for _ in range(rows)]
    return pa.RecordBatch.from_arrays(
        [
            pa.array(range(start, start + rows), pa.int64()),
            pa.array(names, pa.string()),
            pa.array([i * 100 + 56 for i in range(start, start + rows)], pa.int64()).cast(
                pa.decimal128(38, 8)
            ),
            pa.array([date(2026, 11, 20)] * rows, pa.date32()),
            pa.array([93015] * rows, pa.int32()),
        ],
        schema=arrow_schema(COLUMNS),
    )


def _status_mb(field: str) -> float:
    """A memory figure of this process from /proc/self/status (Linux), in MiB."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def midway(staging: StagingResource, asset: AssetKey, partition: str) -> None:
    writer = staging.writer(asset, partition, COLUMNS)
    written, told = 0, False
    while True:
        writer.write_batch(batch(written, BATCH_ROWS))
        written += BATCH_ROWS
        if not told and written * 48 > 2.5 * OBJECT_BLOCK_BYTES:  # ~48 bytes of random text a row
            print("midway", written, flush=True)
            told = True
        if told:
            time.sleep(0.01)


def million(staging: StagingResource, asset: AssetKey, partition: str) -> None:
    rows = 1_000_000
    started = time.process_time()
    writer = staging.writer(asset, partition, COLUMNS)
    for start in range(0, rows, BATCH_ROWS):
        writer.write_batch(batch(start, min(BATCH_ROWS, rows - start)))
    writer.commit()
    written = time.process_time()
    count, checksum = 0, 0
    for frame in staging.read_batches(asset, partition):
        count += len(frame)
        checksum += int(frame["DOC"].sum())
    read = time.process_time()
    # VmHWM: this process image's own peak. ru_maxrss is printed too, but Linux carries it over exec
    # from the forking parent (a big pytest process would count), so VmHWM is the one tested.
    peak_mb = _status_mb("VmHWM")
    maxrss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(
        json.dumps(
            {
                "rows": count,
                "checksum": checksum,
                "staged_rows": staging.count(asset, partition),
                "peak_rss_mb": round(peak_mb, 1),
                "ru_maxrss_mb": round(maxrss_mb, 1),
                "write_cpu_s": round(written - started, 2),
                "read_cpu_s": round(read - written, 2),
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    base, asset, partition, mode = sys.argv[1:5]
    {"midway": midway, "million": million}[mode](
        StagingResource(base_dir=base), AssetKey.from_user_string(asset), partition
    )
