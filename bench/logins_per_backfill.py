"""Benchmark: token requests and AIS logins for N step processes reading in sequence, per system.

Run by hand (not by pytest):

    .venv/bin/python bench/logins_per_backfill.py --steps 8 --warmup 5 --tables 2 --sessions 2

A backfill runs one process per partition and entity. This starts the Coupa and AIS simulators in
threads, then runs ``--steps`` processes one after another, two ways:

* **per process** (before: no ``ML_CONNECTOR_VAULT_KEY``): each Coupa step mints a token and waits
  ``--warmup`` seconds (Coupa documents >= 5 s) before using it; each JDE step opens one session per table
  (``--tables``, one per asset), all on the AIS session the process keeps: one login, one logout at its exit
  (until 2026-11-27 a login and a logout per table);
* **shared** (after: a vault key and one SQLite ledger file): the token / AIS session is kept encrypted
  in the vault and adopted by every later session and process; only the first Coupa step waits.

Each Coupa step reads one page of suppliers with a fresh ``CoupaResource``; each JDE step reads one row
of each table with a fresh ``JdeAisResource`` (as a Dagster step does). Each Procore, Procurify and
Oracle Fusion (OAuth) step opens ``--sessions`` sessions (one per asset) on a fresh resource and reads
one small thing in each: before, Procore and Fusion mint a token per session (Procore revokes it at
close), Procurify one per process. Reported per way: token requests / logins and logouts counted by
the simulators (``/sandbox/state``, never by the client), seconds of warm-up waited, wall seconds;
then the ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]

STEP = """
import json, sys
from connector_resources.coupa import READ_SCOPES, CoupaResource, shared_oauth
url, warmup = sys.argv[1], float(sys.argv[2])
fields = dict(client_id="ml-connector-sandbox", client_secret="sandbox-coupa-secret", rate_per_second=0)
with CoupaResource(base_url=url, token_warmup_seconds=warmup, **fields).session() as s:
    s.search("suppliers", {}, limit=1)
auth = shared_oauth(url, fields["client_id"], fields["client_secret"], READ_SCOPES, warmup_seconds=warmup)
print(json.dumps({"fetches": auth.fetch_count, "adopted": auth.adopt_count, "waited": auth.warmup_waited}))
"""


JDE_STEP = """
import sys
from connector_resources.jde import JdeAisResource
url, tables = sys.argv[1], sys.argv[2:]
jde = JdeAisResource(base_url=url, username="INTEGR8", password="integr8-sandbox", environment="JPS920")
for table in tables:
    with jde.session() as s:
        s.sample(table)
print("{}")
"""
OAUTH_STEP = """
import itertools, sys
system, url, sessions = sys.argv[1], sys.argv[2], int(sys.argv[3])
client = dict(client_id="ml-connector-sandbox")
if system == "procore":
    from connector_resources.procore import ProcoreResource
    resource = ProcoreResource(base_url=url, auth_url=url, company_id="4264807",
                               client_secret="sandbox-procore-secret", **client)
    read = lambda s: s.me()
elif system == "procurify":
    from connector_resources.procurify import ProcurifyResource
    resource = ProcurifyResource(base_url=url, client_secret="sandbox-procurify-secret", rate_per_second=0,
                                 page_size=1, **client)
    read = lambda s: list(itertools.islice(s.iter_all("departments"), 1))
else:
    from connector_resources.fusion import FusionResource
    resource = FusionResource.from_settings({}, base_url=url, token_url=url + "/oauth2/v1/token")
    read = lambda s: s.probe("suppliers")
for _ in range(sessions):
    with resource.session() as s:
        read(s)
print("{}")
"""
# Where each simulator counts the tokens it issued (``/sandbox/state``).
OAUTH_ISSUED = {
    "procore": lambda state: state["calls"].get("POST /oauth/token", 0),
    "procurify": lambda state: state["tokens"]["minted"],
    "fusion": lambda state: state["tokens"]["issued"],
}
JDE_TABLES = ("F0101", "F4311", "F0411", "F0401")
LOGIN, LOGOUT = "POST /jderest/v2/tokenrequest", "POST /jderest/v2/tokenrequest/logout"


def ais_calls(url: str) -> dict[str, int]:
    root = url.rsplit("/jderest", 1)[0]
    return requests.get(f"{root}/sandbox/state", timeout=30).json()["calls"]


def run_jde_steps(url: str, steps: int, tables: int, env: dict[str, str]) -> dict[str, float]:
    before = ais_calls(url)
    started = time.monotonic()
    for _ in range(steps):
        run_process([sys.executable, "-c", JDE_STEP, url, *JDE_TABLES[:tables]], env)
    after = ais_calls(url)
    return {
        "logins": after.get(LOGIN, 0) - before.get(LOGIN, 0),
        "logouts": after.get(LOGOUT, 0) - before.get(LOGOUT, 0),
        "seconds": time.monotonic() - started,
    }


def run_oauth_steps(
    system: str, url: str, steps: int, sessions: int, env: dict[str, str]
) -> dict[str, float]:
    def issued() -> int:
        return OAUTH_ISSUED[system](requests.get(f"{url}/sandbox/state", timeout=30).json())

    before = issued()
    started = time.monotonic()
    for _ in range(steps):
        run_process([sys.executable, "-c", OAUTH_STEP, system, url, str(sessions)], env)
    return {"tokens": issued() - before, "seconds": time.monotonic() - started}


def oauth_simulators() -> tuple[dict[str, str], list]:
    """Procore, Procurify and Oracle Fusion simulators in threads: their URLs and stop functions."""
    from connector_sandbox.fusion import FusionSandboxSettings
    from connector_sandbox.fusion import run_in_thread as fusion_in_thread
    from connector_sandbox.procore import ProcoreSandboxSettings
    from connector_sandbox.procore import create_app as procore_app
    from connector_sandbox.procurify import ProcurifySandboxSettings
    from connector_sandbox.procurify import create_app as procurify_app
    from connector_sandbox.serve import serve_in_thread

    started = {
        "procore": serve_in_thread(procore_app(ProcoreSandboxSettings(scale=0.05))),
        "procurify": serve_in_thread(procurify_app(ProcurifySandboxSettings(scale=0.05))),
        "fusion": fusion_in_thread(FusionSandboxSettings(scale=0.05)),
    }
    return {system: url for system, (url, _) in started.items()}, [stop for _, stop in started.values()]


def run_process(command: list[str], env: dict[str, str]) -> dict:
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise SystemExit(done.stderr[-3000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def minted(url: str) -> int:
    return requests.get(f"{url}/sandbox/state", timeout=30).json()["tokens"]["minted"]


def run_steps(url: str, steps: int, warmup: float, env: dict[str, str]) -> dict[str, float]:
    before = minted(url)
    waited = 0.0
    started = time.monotonic()
    for _ in range(steps):
        waited += run_process([sys.executable, "-c", STEP, url, str(warmup)], env)["waited"]
    return {"tokens": minted(url) - before, "waited": waited, "seconds": time.monotonic() - started}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=8, help="step processes, run one after another")
    parser.add_argument("--warmup", type=float, default=5.0, help="Coupa's warm-up after a mint (s)")
    parser.add_argument("--tables", type=int, default=2, choices=range(1, len(JDE_TABLES) + 1))
    parser.add_argument(
        "--sessions", type=int, default=2, help="Procore / Procurify / Fusion sessions (assets) per step"
    )
    args = parser.parse_args()

    from connector_resources.vault import Vault
    from connector_sandbox.coupa import CoupaSandboxSettings, run_in_thread
    from connector_sandbox.jde_ais import JdeSandboxSettings, create_app
    from connector_sandbox.serve import serve_in_thread

    url, stop = run_in_thread(CoupaSandboxSettings(scale=0.1))
    ais_url, stop_ais = serve_in_thread(create_app(JdeSandboxSettings(scale=0.05)), path="/jderest")
    oauth_urls, stop_oauth = oauth_simulators()
    oauth: dict[str, tuple[dict[str, float], dict[str, float]]] = {}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            base = {k: v for k, v in os.environ.items() if k != "ML_CONNECTOR_VAULT_KEY"}
            before_env = {**base, "ML_CONNECTOR_DB_URL": f"sqlite:///{Path(tmp) / 'before.sqlite'}"}
            after_env = {
                **base,
                "ML_CONNECTOR_DB_URL": f"sqlite:///{Path(tmp) / 'after.sqlite'}",
                "ML_CONNECTOR_VAULT_KEY": Vault.generate_key(),
            }
            before = run_steps(url, args.steps, args.warmup, before_env)
            after = run_steps(url, args.steps, args.warmup, after_env)
            jde_before = run_jde_steps(ais_url, args.steps, args.tables, before_env)
            jde_after = run_jde_steps(ais_url, args.steps, args.tables, after_env)
            for system, system_url in oauth_urls.items():
                oauth[system] = (
                    run_oauth_steps(system, system_url, args.steps, args.sessions, before_env),
                    run_oauth_steps(system, system_url, args.steps, args.sessions, after_env),
                )
    finally:
        stop()
        stop_ais()
        for stop_one in stop_oauth:
            stop_one()

    print(f"{args.steps} Coupa step processes in sequence, warm-up {args.warmup:g} s")
    print(f"{'way':<26}{'token requests':>16}{'warm-up waited s':>18}{'wall s':>10}")
    for name, row in (("per process (before)", before), ("shared in vault (after)", after)):
        print(f"{name:<26}{row['tokens']:>16}{row['waited']:>18.1f}{row['seconds']:>10.1f}")
    print(
        f"ratio before/after: token requests {before['tokens'] / max(after['tokens'], 1):.1f}x, "
        f"wall time {before['seconds'] / after['seconds']:.2f}x"
    )
    print()
    print(f"{args.steps} JDE step processes in sequence, {args.tables} AIS session(s) (tables) each")
    print(f"{'way':<26}{'logins':>10}{'logouts':>10}{'wall s':>10}")
    for name, row in (("per process (before)", jde_before), ("shared in vault (after)", jde_after)):
        print(f"{name:<26}{row['logins']:>10}{row['logouts']:>10}{row['seconds']:>10.1f}")
    print(
        f"ratio before/after: logins {jde_before['logins'] / max(jde_after['logins'], 1):.1f}x, "
        f"wall time {jde_before['seconds'] / jde_after['seconds']:.2f}x"
    )
    print()
    print(f"{args.steps} step processes in sequence per system, {args.sessions} session(s) (assets) each")
    header = f"{'system':<12}{'tokens before':>15}{'tokens after':>14}{'ratio':>8}"
    print(f"{header}{'wall s before':>15}{'after':>8}")
    for system, (was, now) in oauth.items():
        print(
            f"{system:<12}{was['tokens']:>15}{now['tokens']:>14}"
            f"{was['tokens'] / max(now['tokens'], 1):>7.1f}x{was['seconds']:>15.1f}{now['seconds']:>8.1f}"
        )


if __name__ == "__main__":
    main()
