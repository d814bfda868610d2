"""Benchmark: the bytes a Coupa poll of invoices and Coupa Pay payments receives, whole documents (before)
against the fields the flows read (now, Coupa's ``fields=``), in one run.

Run by hand (not by pytest):

    .venv/bin/python bench/coupa_poll_fields.py --days 121 --scale 0.75

The Coupa simulator runs in its own process, seeded with a year of history (``--scale``), its rate limit
and latency off (this bench counts bytes, not time). The window is the ``--days`` days before today (UTC),
read for each polled entity (``poll_fields.POLL_FIELDS``) twice through the source step's own code, each
into a staging directory and ledger of its own:

* **whole**: ``saas.read_with_session``, what a Coupa source step ran before: whole documents;
* **fields**: ``coupa.sources.read_polled``, what it runs now: the fields the flows read.

Reported per entity and way: response body bytes the client received (``bytes_received``, the decoded JSON
as the client reads it), calls, records staged, staged bytes (the ``record`` JSON the flows load), wall
seconds; then the share saved. Both ways must stage the same records in every day, each "fields" record
holding exactly the values of its whole record at the fields asked for; the bench checks that before
printing.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import requests
from backfill import print_report, served  # the sibling bench's simulator helpers


def _within(trimmed: Any, whole: Any) -> bool:
    """Whether every value of ``trimmed`` is the one ``whole`` holds at the same place."""
    if isinstance(trimmed, dict):
        return isinstance(whole, dict) and all(
            k in whole and _within(v, whole[k]) for k, v in trimmed.items()
        )
    if isinstance(trimmed, list):
        return isinstance(whole, list) and len(trimmed) == len(whole) and all(map(_within, trimmed, whole))
    return trimmed == whole


def _staged(staging: Any, asset: Any, days: list[date]) -> dict[str, dict[str, Any]]:
    """Day -> record id -> the staged record (its JSON, as the flows load it)."""
    return {
        d.isoformat(): {r["id"]: json.loads(r["record"]) for r in staging.read_rows(asset, d.isoformat())}
        for d in days
    }


def run(base: str, days: list[date], workdir: Path) -> dict[str, Any]:
    from connector_assets.coupa.poll_fields import POLL_FIELDS
    from connector_assets.coupa.sources import read_polled
    from connector_assets.runtime.staging import StagingResource
    from connector_assets.saas.assets import SAAS_ENTITIES
    from connector_assets.saas.entities import SourceRead, read_with_session
    from connector_resources.coupa import CoupaResource
    from connector_resources.ledger import LedgerResource

    secret = {"client_id": "ml-connector-sandbox", "client_secret": "sandbox-coupa-secret"}
    client = CoupaResource(base_url=base, rate_per_second=0, **secret)
    with client.session() as session:  # mint the token (and wait out its warm-up) before measuring
        session.search("suppliers", {}, limit=1)
    today = datetime.now(UTC).date()
    report: dict[str, Any] = {"window": f"{days[0].isoformat()}..{days[-1].isoformat()} ({len(days)} days)"}
    for entity in POLL_FIELDS:
        spec = next(s for s in SAAS_ENTITIES if s.system == "coupa" and s.entity == entity)
        figures, staged = {}, {}
        for way, reader in (("whole", read_with_session), ("fields", read_polled)):
            (workdir / entity).mkdir(parents=True, exist_ok=True)
            staging = StagingResource(base_dir=str(workdir / entity / way))
            book = LedgerResource(db_url=f"sqlite:///{workdir / entity / way}.sqlite").get()
            started = time.perf_counter()
            reads, pages, extra = reader(SourceRead(spec, staging, book, days, today, way), client)
            seconds = time.perf_counter() - started
            staged[way] = _staged(staging, spec.asset, days)
            records = [r for day in staged[way].values() for r in day.values()]
            figures[way] = {
                "response_bytes": extra["http_bytes_received"],
                "calls": extra["http_calls"],
                "pages": pages,
                "records": sum(r.rows for r in reads),
                "staged_bytes": sum(len(json.dumps(r, sort_keys=True, ensure_ascii=False)) for r in records),
                "wall_s": round(seconds, 3),
            }
        ids = {way: {d: set(records) for d, records in staged[way].items()} for way in staged}
        if ids["whole"] != ids["fields"]:
            raise SystemExit(f"{entity}: the two ways staged different records")
        for day, records in staged["fields"].items():
            for key, record in records.items():
                if not _within(record, staged["whole"][day][key]):
                    raise SystemExit(f"{entity} {key}: a field read differs from the whole document's")
        before, now = figures["whole"], figures["fields"]
        report[entity] = {
            **figures,
            "asked_for": json.dumps(POLL_FIELDS[entity], separators=(",", ":")),
            "response_bytes_saved": f"{1 - now['response_bytes'] / max(before['response_bytes'], 1):.1%}",
            "staged_bytes_saved": f"{1 - now['staged_bytes'] / max(before['staged_bytes'], 1):.1%}",
            "same_records_and_values": True,
        }
    report["load_average"] = os.getloadavg()
    return report


def markdown(report: dict[str, Any]) -> str:
    rows = [
        "| Entity | Way | Records | Calls | Response bytes | Staged bytes | Wall s |",
        "|---|---|--:|--:|--:|--:|--:|",
    ]
    for entity, figures in report.items():
        if not isinstance(figures, dict) or "whole" not in figures:
            continue
        for way in ("whole", "fields"):
            f = figures[way]
            rows.append(
                f"| {entity} | {way} | {f['records']:,} | {f['calls']:,} | {f['response_bytes']:,} | "
                f"{f['staged_bytes']:,} | {f['wall_s']} |"
            )
        saved = (figures["response_bytes_saved"], figures["staged_bytes_saved"])
        rows.append(f"| {entity} | saved | | | {saved[0]} | {saved[1]} | |")
    return "\n".join(rows)


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=121)
    parser.add_argument("--scale", type=float, default=0.75)
    args = parser.parse_args()
    with served("connector_sandbox.coupa", args.scale) as base:
        no_limit = {"rate_limit_enabled": False}
        requests.post(f"{base}/sandbox/faults", json=no_limit, timeout=10).raise_for_status()
        today = datetime.now(UTC).date()
        days = [today - timedelta(days=args.days - i) for i in range(args.days)]
        with tempfile.TemporaryDirectory() as workdir:
            os.environ.setdefault("DAGSTER_HOME", workdir)
            print_report(run(base, days, Path(workdir)), markdown)


if __name__ == "__main__":
    main()
