"""The JD Edwards and Coupa simulators on free loopback ports, with the resources a flow test runs on.

One place for what every JDE <-> Coupa flow test stands on (both sandboxes, Coupa's rate limit off so a
test measures behaviour rather than pacing, sandbox credentials, staging with the mapping tables'
snapshots and a SQLite ledger under the test's own folder), so a change to how the sandboxes are started
or logged into is made once.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests
from jde_coupa_parts import ACCOUNTS, PAYMENT_TERMS
from sandbox_world import Integration, PairWorld, pair_world, small_simulators

from connector_assets.flows.core import FlowSpec
from connector_assets.flows.replays import Replays, replay_handler
from connector_sandbox.coupa import CoupaSandboxSettings
from connector_sandbox.jde_ais import JdeSandboxSettings

INTEGRATION_WORLD = Integration(
    name="jde_coupa",
    simulators=small_simulators("jde", "coupa"),
    fields={"coupa": {"token_warmup_seconds": 0}},
    day=lambda: None,
    target="coupa",
)
JdeCoupaWorld = PairWorld  # resources (jde, coupa, staging, ledger), ledger, ledger_url, jde_url, coupa_url


@contextmanager
def jde_coupa_world(
    tmp_path: Path,
    *,
    jde_scale: float = 0.02,
    coupa_scale: float = 0.02,
    coupa_backoff: float | None = 0.01,
    staging_base: str | None = None,
    coupa_anchor: dt.date | None = None,
) -> Iterator[PairWorld]:
    """Both simulators served for the block, Coupa's rate limit off; ``coupa_backoff`` None keeps the
    client's own backoff; ``staging_base`` stages elsewhere than the test's folder (an ``s3://`` URL);
    ``coupa_anchor`` the day Coupa's seeded history ends (today unless given)."""
    anchored = {"anchor_date": coupa_anchor} if coupa_anchor is not None else {}
    settings = {
        "jde": JdeSandboxSettings(scale=jde_scale),
        "coupa": CoupaSandboxSettings(scale=coupa_scale, **anchored),
    }
    fields = {"coupa": {} if coupa_backoff is None else {"backoff_base": coupa_backoff}}
    with pair_world(
        INTEGRATION_WORLD, tmp_path, PairWorld, settings=settings, fields=fields, staging=staging_base
    ) as world:
        answer = requests.post(
            f"{world.coupa_url}/sandbox/faults", json={"rate_limit_enabled": False}, timeout=10
        )
        answer.raise_for_status()
        # The JDE -> Coupa flows map with staged table snapshots: stage today's tables, as a job would.
        for table in (PAYMENT_TERMS, ACCOUNTS):
            table.stage(world.resources["staging"])
        yield world


def _julian(day: dt.date) -> int:
    return (day.year - 1900) * 1000 + day.timetuple().tm_yday


def _jde_rows(root: str, table: str, **where: object) -> list[dict]:
    answer = requests.get(f"{root}/sandbox/rows/{table}", params=where, timeout=10)
    answer.raise_for_status()
    return answer.json()["rows"]


def suppliers_of_day(root: str, day: str) -> dict[int, str]:
    """``{AN8: F0401 TRAP}`` of the suppliers the flow maps for ``day``, read from the sandbox's stored rows:
    F0401 rows changed that day, and suppliers (search type V) whose F0101 row changed that day."""
    julian = _julian(dt.date.fromisoformat(day))
    changed = {int(r["AN8"]) for r in _jde_rows(root, "F0401", UPMJ=julian)}
    changed |= {int(r["AN8"]) for r in _jde_rows(root, "F0101", UPMJ=julian, AT1="V")}
    terms: dict[int, str] = {}
    for an8 in sorted(changed):
        for row in _jde_rows(root, "F0401", AN8=an8):
            terms[an8] = str(row["TRAP"]).strip()
    return terms


def coupa_supplier_numbers(coupa_url: str) -> Counter:
    """How many Coupa suppliers carry each supplier number (the JDE AN8 the flow writes there)."""
    answer = requests.get(f"{coupa_url}/sandbox/records/suppliers", params={"limit": 5000}, timeout=30)
    answer.raise_for_status()
    return Counter(str(r.get("number")) for r in answer.json()["records"])


def replay_into_coupa(
    flow: FlowSpec, target: Any, resources: dict[str, Any], *, remap: bool = False
) -> Replays:
    """``flow``'s replay handler alone, writing through ``target`` (``CoupaSuppliers``...) opened on the
    world's Coupa. With ``remap`` a replay reads each record from JDE again and maps it with today's
    tables (the jde, coupa and staging resources); without, it writes the payload queued then."""

    def opened() -> Any:
        return target.opened(resources["coupa"])

    def reread() -> dict[str, Any]:
        return {k: resources[k] for k in ("jde", "coupa", "staging")}

    handler = replay_handler(flow, opened, reread if remap else None)
    return Replays({(flow.integration, flow.name): handler})
