"""Benchmark: does our Procore client keep under Procore's rate limits by its headers, and how close to them?

Run by hand (not by pytest):

    .venv/bin/python bench/procore_pacing.py --calls 300 --spike 25 --spike-seconds 10 --hourly 3600

The Procore simulator runs in its own process with the given windows (``rate_limits``: spike ``--spike`` calls
per ``--spike-seconds``, hourly ``--hourly``; per app, fixed windows that open at the first call after the
previous one closed, ``X-Rate-Limit-*`` on every answer for the window closest to exhaustion) and answers
every call after ``--latency-ms``. A read loop of ``--calls`` GETs (vendors by id, cycling through the
company's vendors) runs through ``ProcoreResource.session()`` each of these ways (``--ways``), each from
fresh windows:

1. ``respect_rate_limit_headers`` on: ``RateLimitPacer`` slows down before the budget is spent, and ends a
   spike window that opened on its own call 10 s after that call's answer (``window_seconds``);
2. on, but by the header's ``X-Rate-Limit-Reset`` alone (``window_seconds`` None: the pacer before that
   change), to show what it changed;
3. ``respect_rate_limit_headers`` off: the loop learns the limit from 429s (the HTTP core then waits as
   ``Retry-After`` says and asks again).

Reported per way: GETs answered, seconds, requests/s achieved against the binding limit (the spike window's
rate while the loop needs fewer calls than the hourly window allows, else the hourly one's; goal >= 0.9 with
the pacer), over the whole loop and sustained over its complete spike windows (the pacer spreads a window's
last fifth up to the reset, so a loop that ends mid-window pays for its last window in full), 429s the
simulator sent (goal 0 with the pacer), the pacer's waits, and token fetches. ``--reset-margin`` tries
another slack past ``X-Rate-Limit-Reset`` (an experiment in this process, not a setting).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the sandbox accounts every test logs in with
sys.path.insert(0, str(ROOT / "bench"))

from backfill import command, print_report, served  # noqa: E402
from sandbox_logins import on_simulator  # noqa: E402


def binding_limit(calls: int, limits: dict[str, float]) -> tuple[str, float]:
    """The limit that binds a loop of ``calls`` back-to-back calls, as (name, requests/s): the spike window's
    rate while the hourly window holds them all, else the hourly window's (fixed windows: a run needing more
    than the hourly budget waits for the hour to end)."""
    spike = limits["spike_limit"] / limits["spike_window_seconds"]
    hourly = limits["hourly_limit"] / limits["hourly_window_seconds"]
    if calls <= limits["hourly_limit"]:
        return f"spike {limits['spike_limit']}/{limits['spike_window_seconds']:g} s", spike
    return f"hourly {limits['hourly_limit']}/{limits['hourly_window_seconds']:g} s", min(spike, hourly)


def sustained_rate(answered_at: list[float], per_window: int) -> float | None:
    """Requests/s over the loop's complete spike windows: from the first answer to the first answer of the
    last window (``per_window`` answers a window). The whole loop's rate also counts its last window, which
    a pacer spreading the window's last fifth stretches to the reset although no call follows; a loop that
    goes on (a backfill) never pays that."""
    windows = (len(answered_at) - 1) // per_window
    if windows < 1:
        return None
    return windows * per_window / (answered_at[windows * per_window] - answered_at[0])


def read_loop(procore: Any, calls: int) -> dict[str, Any]:
    """``calls`` GETs of vendors by id through one session; what the session's pacer did."""
    from connector_resources.procore.errors import ProcoreError

    with procore.session() as session:
        vendors = [
            row["id"]
            for row in session.rows_of(
                "/rest/v1.0/vendors", {"company_id": session.company_id, "per_page": 100}, what="list vendors"
            )
        ][:100]
        pacer = session.pacer
        waits, waited = pacer.waits, pacer.waited
        failed: dict[str, int] = {}
        started = time.monotonic()
        answered: list[float] = []
        for n in range(calls):
            try:
                session.get("vendors", vendors[n % len(vendors)])
                answered.append(time.monotonic())
            except ProcoreError as exc:  # a 429 the retries could not outlast, said and counted
                kind = type(exc).__name__
                failed[kind] = failed.get(kind, 0) + 1
        seconds = time.monotonic() - started
        return {
            "seconds": seconds,
            "answered_at": answered,
            "failed_calls": failed,
            "pacer_waits": pacer.waits - waits,
            "pacer_waited_s": round(pacer.waited - waited, 1),
            "token_fetches": session.token_fetches,
        }


WAYS = {
    "on": (True, True),  # (respect_rate_limit_headers, the pacer ends the windows it opened by its clock)
    "on-header-reset-only": (True, False),
    "off": (False, False),
}


def one_way(url: str, calls: int, way: str, limits: dict[str, float]) -> dict[str, Any]:
    """The loop one ``way`` (``WAYS``), from fresh windows and a fresh pacer."""
    from connector_resources.procore.ratelimit import SPIKE_WINDOW_SECONDS

    respect, own_window = WAYS[way]
    from connector_resources.procore import ProcoreResource
    from connector_resources.procore.ratelimit import shared_pacer

    procore = on_simulator(
        ProcoreResource,
        url,
        auth_url=url,
        respect_rate_limit_headers=respect,
        rate_limit_max_wait=max(60.0, limits["spike_window_seconds"] * 2),
    )
    pacer = shared_pacer(procore._limit_key(), max_wait=procore.rate_limit_max_wait, enabled=respect)
    pacer.reset()
    pacer.window_seconds = SPIKE_WINDOW_SECONDS if own_window else None
    requests.post(f"{url}/sandbox/rate-limits/reset", timeout=10).raise_for_status()
    before = requests.get(f"{url}/sandbox/state", timeout=10).json()
    loop = read_loop(procore, calls)
    after = requests.get(f"{url}/sandbox/state", timeout=10).json()
    get_vendor = "GET /rest/v1.0/vendors/{id}"
    statuses = {k: v - before["statuses"].get(k, 0) for k, v in after["statuses"].items()}
    answered = statuses.get(f"{get_vendor} -> 200", 0)
    refused = statuses.get(f"{get_vendor} -> 429", 0)
    name, limit = binding_limit(calls, limits)
    rate = answered / loop["seconds"]
    sustained = sustained_rate(loop.pop("answered_at"), limits["spike_limit"])
    return {
        "way": way,
        "gets_answered": answered,
        "seconds": round(loop["seconds"], 1),
        "requests_per_s": round(rate, 2),
        "binding_limit": f"{name} = {limit:g} req/s",
        "rate_to_limit": round(rate / limit, 3),
        "sustained_requests_per_s": round(sustained, 2) if sustained else None,
        "sustained_to_limit": round(sustained / limit, 3) if sustained else None,
        "429s": refused,
        "429s_all_calls": statuses.get("429", 0),
        **{k: v for k, v in loop.items() if k != "seconds"},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=300, help="GETs in the read loop")
    parser.add_argument("--spike", type=int, default=25, help="spike window: calls")
    parser.add_argument("--spike-seconds", type=float, default=10.0, help="spike window: seconds")
    parser.add_argument("--hourly", type=int, default=3600, help="hourly window: calls")
    parser.add_argument("--latency-ms", type=int, default=100, help="Procore's answer time per call")
    parser.add_argument("--scale", type=float, default=0.05, help="simulator data (vendors to read)")
    parser.add_argument("--ways", nargs="+", choices=tuple(WAYS), default=list(WAYS))
    parser.add_argument(
        "--reset-margin",
        type=float,
        default=None,
        help="seconds the pacer waits past X-Rate-Limit-Reset when the budget is spent (default: the "
        "client's own, ratelimit._RESET_MARGIN): what that slack costs",
    )
    args = parser.parse_args()
    from connector_resources.procore import ratelimit

    if args.reset_margin is not None:
        ratelimit._RESET_MARGIN = args.reset_margin  # this process only: an experiment, not a setting
    limits = {
        "spike_limit": args.spike,
        "spike_window_seconds": args.spike_seconds,
        "hourly_limit": args.hourly,
        "hourly_window_seconds": 3600.0,
    }
    with served("connector_sandbox.procore", args.scale) as url:
        settings = {"rate_limits": limits, "faults": {"latency_ms": args.latency_ms}}
        requests.post(f"{url}/sandbox/settings", json=settings, timeout=10).raise_for_status()
        report: dict[str, Any] = {
            "command": command(),
            "latency_ms": args.latency_ms,
            "limits": limits,
            "reset_margin_s": ratelimit._RESET_MARGIN,
            "load_average": os.getloadavg(),
            "runs": [one_way(url, args.calls, way, limits) for way in args.ways],
        }
        print_report(report, markdown)


def markdown(report: dict[str, Any]) -> str:
    """The ways as one markdown table for the README."""
    lines = [
        f"`{report['command']}` (Procore latency {report['latency_ms']} ms, pacer reset margin "
        f"{report['reset_margin_s']} s; load average "
        f"{report['load_average'][0]:.1f} on 2 cores, other work included)",
        "",
        "| way | GETs | seconds | req/s | / binding limit | sustained req/s "
        "(complete windows) | / limit | 429s | pacer waits |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for run in report["runs"]:
        lines.append(
            f"| {run['way']} | {run['gets_answered']} | "
            f"{run['seconds']} | {run['requests_per_s']} | **{run['rate_to_limit']}** of "
            f"{run['binding_limit']} | {run['sustained_requests_per_s']} | **{run['sustained_to_limit']}** | "
            f"**{run['429s']}** | {run['pacer_waits']} ({run['pacer_waited_s']} s) |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
