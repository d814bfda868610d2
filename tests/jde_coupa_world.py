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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from sandbox_logins import on_simulator

from connector_assets.integrations.jde_coupa.purchase_orders import ACCOUNTS
from connector_assets.integrations.jde_coupa.suppliers import PAYMENT_TERMS
from connector_assets.staging import StagingResource
from connector_resources.coupa import CoupaResource
from connector_resources.jde import JdeAisResource
from connector_resources.ledger import Ledger, LedgerResource
from connector_sandbox.coupa import CoupaSandboxSettings
from connector_sandbox.coupa import create_app as coupa_app
from connector_sandbox.jde_ais import JdeSandboxSettings, run_in_thread
from connector_sandbox.serve import serve_in_thread


@dataclass(frozen=True)
class JdeCoupaWorld:
    resources: dict[str, Any]  # jde, coupa, staging, ledger: what ``materialize`` takes
    ledger: Ledger
    ledger_url: str
    jde_url: str  # .../jderest
    coupa_url: str


@contextmanager
def jde_coupa_world(
    tmp_path: Path,
    *,
    jde_scale: float = 0.02,
    coupa_scale: float = 0.02,
    coupa_backoff: float | None = 0.01,
    staging_base: str | None = None,
) -> Iterator[JdeCoupaWorld]:
    """Both simulators served for the block; ``coupa_backoff`` None keeps the client's own backoff;
    ``staging_base`` stages elsewhere than the test's folder (an ``s3://`` URL)."""
    jde_url, stop_jde = run_in_thread(JdeSandboxSettings(scale=jde_scale))
    try:
        coupa_url, stop_coupa = serve_in_thread(coupa_app(CoupaSandboxSettings(scale=coupa_scale)))
        try:
            requests.post(f"{coupa_url}/sandbox/faults", json={"rate_limit_enabled": False}, timeout=10)
            db = f"sqlite:///{tmp_path / 'ledger.sqlite'}"
            backoff = {} if coupa_backoff is None else {"backoff_base": coupa_backoff}
            resources = {
                "jde": on_simulator(JdeAisResource, jde_url),
                "coupa": on_simulator(CoupaResource, coupa_url, token_warmup_seconds=0, **backoff),
                "staging": StagingResource(base_dir=staging_base or str(tmp_path / "staging")),
                "ledger": LedgerResource(db_url=db),
            }
            # The JDE -> Coupa flows map with staged table snapshots: stage today's tables, as a job would.
            for table in (PAYMENT_TERMS, ACCOUNTS):
                table.stage(resources["staging"])
            yield JdeCoupaWorld(resources, Ledger(db), db, jde_url, coupa_url)
        finally:
            stop_coupa()
    finally:
        stop_jde()


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
