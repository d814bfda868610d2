"""Benchmark: the verdict step's read of a day's mapped staging, whole rows against the one column it needs.

Run by hand (not by pytest):

    .venv/bin/python bench/verdict_read.py --rows 200000 --repeat 3

``<flow>_verdict`` counts the day's records from the source keys its mapped step staged. It read every row
whole (``StagingResource.read_rows``: each record's payload decoded into Python, then dropped); it now reads
the ``source_key`` column alone (``column_values``, Parquet column projection). This stages one mapped day
of ``--rows`` voucher-like records (a JSON body of five lines, about 1 KB) in a temporary folder, then reads
its keys each way in a fresh process per read, ``--repeat`` times, printing seconds and the process's peak
RSS (``VmHWM``, imports included: Dagster and pyarrow alone are most of it).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time

ASSET_PATH = ["jde_procurify", "bills_mapped"]
DAY = "2026-11-23"


def body(i: int) -> str:
    lines = [
        {
            "Line_Number": n,
            "Account": f"00001.6100.{n:04d}",
            "Amount": f"{(i * 7 + n) % 100000}.25",
            "Explanation": "Plywood 18 mm, Baustelle Lyon-Saint-Exupéry, Équipe de Nuit (Est)",
            "Subledger": "",
        }
        for n in range(1, 6)
    ]
    head = {"Company": "00001", "Supplier_Number": 4242 + i, "Invoice_Number": f"INV-{i:08d}"}
    return json.dumps({**head, "Currency_Code": "EUR", "Gross_Amount": "1000.00", "Lines": lines})


def staging_at(base: str):
    from dagster import AssetKey

    from connector_assets.runtime.staging import StagingResource

    return StagingResource(base_dir=base), AssetKey(ASSET_PATH)


def stage(base: str, rows: int) -> int:
    from connector_assets.flows.mapped_step import MAPPED_COLUMNS

    staging, asset = staging_at(base)
    writer = staging.writer(asset, DAY, MAPPED_COLUMNS)
    for i in range(rows):
        writer.write({"source_key": f"{i:08x}-bill-{i:012d}", "payload": body(i)})
    writer.commit()
    return staging.path(asset, DAY).stat().st_size


def read(base: str, mode: str) -> None:
    """One read in this process; prints ``{"keys", "seconds", "peak_mb"}``."""
    staging, asset = staging_at(base)
    start = time.perf_counter()
    if mode == "rows":  # before: every row whole
        keys = {row["source_key"] for row in staging.read_rows(asset, DAY)}
    else:  # after: the one column
        keys = set(staging.column_values(asset, DAY, "source_key"))
    seconds = time.perf_counter() - start
    print(json.dumps({"keys": len(keys), "seconds": round(seconds, 3), "peak_mb": round(peak_mb())}))


def peak_mb() -> float:
    """The process's own peak RSS (``VmHWM``; ``ru_maxrss`` would carry the staging parent's over fork)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--read", choices=("rows", "column"), help=argparse.SUPPRESS)
    parser.add_argument("--base", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.read:
        read(args.base, args.read)
        return
    with tempfile.TemporaryDirectory() as base:
        size = stage(base, args.rows)
        print(f"{args.rows} mapped records staged: {size / 1e6:.1f} MB of Parquet")
        print("| read | seconds | peak RSS (MB) |\n|---|---|---|")
        for _ in range(args.repeat):
            for mode in ("rows", "column"):
                child = [sys.executable, __file__, "--read", mode, "--base", base]
                answer = json.loads(subprocess.run(child, check=True, capture_output=True, text=True).stdout)
                assert answer["keys"] == args.rows, answer
                print(f"| {mode} | {answer['seconds']:.2f} | {answer['peak_mb']} |")


if __name__ == "__main__":
    main()
