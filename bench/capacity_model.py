"""Capacity model: for N JDE companies x M integrations x records a day, which API is the bottleneck, how
many workers help, and how long a 90-day backfill takes; ``--check`` sets one row against a real run.

Run by hand (not by pytest)::

    .venv/bin/python bench/capacity_model.py                                # the README's table
    .venv/bin/python bench/capacity_model.py --companies 4 --records 500 --integrations jde_coupa jde_bill
    .venv/bin/python bench/capacity_model.py --check --scale 0.3 --days 10   # one row against a sandbox run

Why a model and not a measurement of every size: every integration is API-bound (our CPU per record is a few
ms next to hundreds of ms of API wait, docs/performance.md "Our CPU per record"), and each target API is
written by one step at a time (its Dagster pool, limit 1, across every run and worker). So a backfill's
length is set by the busiest API's calls divided by what that API sustains, and adding workers only helps
until every API pool has a step running. The inputs are the calls per record each integration's bench
measured (its page in docs/integrations/, "Performance") and each API's documented ceiling over hours,
which for BILL and Procore is the hourly cap, not the burst rate the short benches ran at:

- Coupa: 25 req/s (reference: "25 requests per second and a burst query limit of 20 calls");
- BILL: 20,000 requests per developer key per hour = 5.6 req/s sustained (3 in flight caps bursts at
  3 / latency; the hourly cap binds after about 10 minutes at 30 req/s);
- Procore: an hourly limit per app, "historically 3,600 requests/hour" (the reference; its doc examples show
  600), so a setting here (``--procore-per-hour``, default 3,600 = 1.0 req/s sustained; spike 25 per 10 s);
- Procurify and Oracle Fusion publish no limit: our clients' own pace (Procurify 5 req/s) is the ceiling;
  Fusion is called at most 2.8 times per record beside Procurify and is never the bottleneck here;
- JD Edwards AIS publishes no limit; its calls per record are 1-2 and it is not the bottleneck in any bench.

A company's records are assumed to go through the same SaaS tenant as the other companies' (one Coupa
instance, one BILL organization, ... for the group); ``--tenants-per-company`` models one tenant each,
which multiplies the API pools and divides the backfill time.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DAY_SECONDS = 86_400


@dataclass(frozen=True)
class Api:
    name: str
    sustained_per_s: float  # what it allows over hours: documented, or our client's pace where none is
    basis: str


@dataclass(frozen=True)
class Integration:
    name: str
    api: str  # the API that bounds it (the other side's calls per record are 1-2 JDE or Fusion calls)
    calls_per_record: float  # on that API, per record written, as its bench measured
    measured_by: str


APIS = {
    "coupa": Api("Coupa", 25.0, "documented 25 req/s"),
    "bill": Api("BILL", 20_000 / 3600, "documented 20,000 req/h per developer key"),
    "procore": Api("Procore", 3600 / 3600, "documented 3,600 req/h"),
    "procurify": Api("Procurify", 5.0, "no published limit: the client's own 5 req/s"),
}

INTEGRATIONS = {
    "jde_coupa": Integration(
        # 2.76 before the natural-key searches were batched per chunk of claims (2026-11-26)
        "jde_coupa",
        "coupa",
        1.15,
        "bench/backfill.py --profile jde_coupa --scale 1 --days 30",
    ),
    # The four below re-measured 2026-11-28 at scale 0.5 over 10 days (docs/performance.md, "Reads kept for
    # the run" and "Holds before reads"); before: BILL 1.58, Procore 7.44, Procurify 12.38 and 1.81 (at
    # scale 1 over 20-30 days).
    "jde_bill": Integration(
        "jde_bill", "bill", 1.31, "bench/backfill.py --profile jde_bill --scale 0.5 --days 10"
    ),
    "procore_jde": Integration(
        "procore_jde", "procore", 1.16, "bench/backfill.py --profile procore_jde --scale 0.5 --days 10"
    ),
    "jde_procurify": Integration(
        "jde_procurify", "procurify", 1.91, "bench/backfill.py --profile jde_procurify --scale 0.5 --days 10"
    ),
    "fusion_procurify": Integration(
        "fusion_procurify",
        "procurify",
        1.39,
        "bench/backfill.py --profile fusion_procurify --scale 0.5 --days 10 (every flow)",
    ),
}

# A run's fixed cost (process start, definitions, instance, exit): bench/no_change_poll.py measured a run of
# two steps at 2.9-4.0 s wall on 2 cores at load 3.4 (with and without cached bytecode); runs overlap up to
# max_concurrent_runs (deploy/postgres/dagster.yaml: 8). A backfill is one run per flow for its whole range
# (BackfillPolicy.single_run with per-day results), so this cost no longer grows with the days.
RUN_FIXED_SECONDS = 4.0
MAX_CONCURRENT_RUNS = 8
FLOWS_PER_INTEGRATION = 3


@dataclass(frozen=True)
class Plan:
    bottleneck: str
    api_seconds: dict[str, float]  # per API, for the whole backfill
    backfill_seconds: float
    steady_share_of_day: float  # of the busiest API's day, for one day's records
    workers: int


def plan(
    companies: int, integrations: list[str], records_per_day: int, days: int, tenants_per_company: bool
) -> Plan:
    """What the model says for ``companies`` x ``integrations`` x ``records_per_day`` (per company and
    integration) over ``days``."""
    tenants = companies if tenants_per_company else 1
    calls_per_day: dict[str, float] = {}
    for name in integrations:
        integration = INTEGRATIONS[name]
        calls = companies * records_per_day * integration.calls_per_record
        calls_per_day[integration.api] = calls_per_day.get(integration.api, 0.0) + calls
    api_seconds = {
        api: days * calls / (APIS[api].sustained_per_s * tenants) for api, calls in calls_per_day.items()
    }
    bottleneck = max(api_seconds, key=api_seconds.__getitem__)
    runs = companies * len(integrations) * FLOWS_PER_INTEGRATION  # one per flow and backfill, not per day
    fixed = runs * RUN_FIXED_SECONDS / MAX_CONCURRENT_RUNS
    # One write step per API pool (per tenant) at a time; one more worker keeps source reads going.
    workers = len(calls_per_day) * tenants + 1
    return Plan(
        bottleneck=APIS[bottleneck].name,
        api_seconds=api_seconds,
        backfill_seconds=max(api_seconds.values()) + fixed,
        steady_share_of_day=api_seconds[bottleneck] / days / DAY_SECONDS,
        workers=workers,
    )


def _hours(seconds: float) -> str:
    if seconds >= 48 * 3600:
        return f"{seconds / 86400:.1f} days"
    return f"{seconds / 3600:.1f} h" if seconds >= 3600 else f"{seconds / 60:.0f} min"


SCENARIOS = [
    (1, ["jde_coupa"], 100),
    (1, ["jde_coupa", "jde_bill"], 100),
    (4, ["jde_coupa", "jde_bill"], 500),
    (4, ["jde_coupa", "jde_bill", "procore_jde", "jde_procurify", "fusion_procurify"], 500),
    (10, ["jde_coupa", "jde_bill", "procore_jde", "jde_procurify", "fusion_procurify"], 1000),
]


def table(scenarios: list[tuple[int, list[str], int]], days: int, tenants_per_company: bool) -> str:
    lines = [
        f"| companies | integrations | records/day each | bottleneck | {days}-day backfill | "
        "busiest API's share of a day (steady) | workers |",
        "|---|---|---|---|---|---|---|",
    ]
    for companies, integrations, records in scenarios:
        p = plan(companies, integrations, records, days, tenants_per_company)
        lines.append(
            f"| {companies} | {', '.join(integrations)} | {records:,} | {p.bottleneck} | "
            f"{_hours(p.backfill_seconds)} | {p.steady_share_of_day:.1%} | {p.workers} |"
        )
    return "\n".join(lines)


def check(scale: float, days: int) -> dict:
    """Run the JDE -> Coupa backfill bench on the sandbox and set its figures against the model's."""
    answer = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "backfill.py"),
            "--profile",
            "jde_coupa",
            "--scale",
            str(scale),
            "--days",
            str(days),
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    measured = json.loads(answer.stdout[answer.stdout.index("{") :])
    to_coupa = sum(v for k, v in measured["written_per_flow"].items() if not k.startswith("coupa_jde"))
    predicted_coupa_seconds = (
        to_coupa * INTEGRATIONS["jde_coupa"].calls_per_record / APIS["coupa"].sustained_per_s
    )
    return {
        "command": (
            f"bench/backfill.py --profile jde_coupa --scale {scale} --days {days} (one run for the range)"
        ),
        "records_written_to_coupa": to_coupa,
        "model_coupa_seconds": round(predicted_coupa_seconds, 1),
        "measured_write_step_seconds": measured["write_step_seconds"],
        "measured_total_seconds": measured["seconds_total"],
        "measured_coupa_calls_per_record": measured["coupa_calls_per_record"],
        "measured_429s": measured["coupa_429s"],
        "model_over_measured_write": round(
            predicted_coupa_seconds / max(measured["write_step_seconds"], 1e-9), 2
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--companies", type=int)
    parser.add_argument("--integrations", nargs="+", choices=sorted(INTEGRATIONS))
    parser.add_argument("--records", type=int, help="records a day per company and integration")
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--tenants-per-company", action="store_true")
    parser.add_argument(
        "--procore-per-hour", type=int, default=3600, help="Procore's hourly limit for the app (unconfirmed)"
    )
    parser.add_argument("--check", action="store_true", help="run one row on the sandbox")
    parser.add_argument("--scale", type=float, default=0.3, help="--check: the sandboxes' scale")
    args = parser.parse_args()
    APIS["procore"] = Api(
        "Procore", args.procore_per_hour / 3600, f"{args.procore_per_hour:,} req/h (a setting)"
    )
    if args.check:
        print(json.dumps(check(args.scale, args.days), indent=2))
        return
    scenarios = SCENARIOS
    if args.companies or args.integrations or args.records:
        scenarios = [(args.companies or 1, args.integrations or ["jde_coupa"], args.records or 100)]
    print(table(scenarios, args.days, args.tenants_per_company))


if __name__ == "__main__":
    main()
