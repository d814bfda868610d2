"""A real Dagster webserver + daemon (``dagster dev``) for end-to-end tests, driven through GraphQL.

``dagster_server(home, env)`` starts what ``ml-connector dev`` starts (``connector_cli.dev``: the project's
``dagster.yaml`` copied into a DAGSTER_HOME of the test's own, the write-pool limits applied, ``dagster dev
-w workspace.yaml``), on a free loopback port, and waits until the project's code location has loaded.
The processes run in a session of their own, so stopping (SIGINT, then SIGKILL after a grace period) ends
the webserver, the daemon, the code servers and any run worker, and nothing outlives the test.

``DagsterServer.gql`` posts to ``/graphql`` and reads the body even on HTTP 500: the webserver answers a
mutation whose result is a ``PythonError`` with status 500 and a normal GraphQL body, so the body is read
before the status. The backfill helpers wrap the few operations an operator does from the UI: launch a
partition backfill, watch it, and "re-execute from failure".

PYTEST_DONT_REWRITE: a helper, not a test module.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from dagster import AssetKey

ROOT = Path(__file__).resolve().parents[1]
LOCATION = "connector"  # workspace.yaml's location_name
TERMINAL_BACKFILL = {"COMPLETED", "COMPLETED_SUCCESS", "COMPLETED_FAILED", "FAILED", "CANCELED"}
TERMINAL_RUN = {"SUCCESS", "FAILURE", "CANCELED"}

# Processes started in the background (with `&`, as on our CI machines) may inherit SIG_IGN for SIGINT and
# SIGTERM, and then `dagster dev` cannot be stopped gracefully. This exec wrapper restores the defaults
# first; it is preferred to ``preexec_fn``, which is unsafe while the test's sandbox threads are running.
_DEFAULT_SIGNALS = (
    "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); "
    "signal.signal(signal.SIGTERM, signal.SIG_DFL); os.execv(sys.argv[1], sys.argv[1:])"
)

_WORKSPACE = """{ workspaceOrError { __typename ... on Workspace { locationEntries { name loadStatus
  locationOrLoadError { __typename ... on PythonError { message stack } } } } } }"""

LAUNCH_BACKFILL = """mutation($p: LaunchBackfillParams!) { launchPartitionBackfill(backfillParams: $p) {
  __typename ... on LaunchBackfillSuccess { backfillId } ... on Error { message } } }"""

REEXECUTE_BACKFILL = """mutation($p: ReexecutionParams!) { reexecutePartitionBackfill(reexecutionParams: $p) {
  __typename ... on LaunchBackfillSuccess { backfillId } ... on Error { message } } }"""

BACKFILL = """query($id: String!) { partitionBackfillOrError(backfillId: $id) { __typename
  ... on PartitionBackfill { id status numPartitions partitionNames fromFailure error { message }
    runs { runId status tags { key value } assetSelection { path } }
    assetBackfillData { assetBackfillStatuses { ... on AssetPartitionsStatusCounts { assetKey { path }
      numPartitionsTargeted numPartitionsInProgress numPartitionsMaterialized numPartitionsFailed } } } }
  ... on Error { message } } }"""

PARTITION_STATUSES = """query($k: AssetKeyInput!) { assetNodeOrError(assetKey: $k) { __typename
  ... on AssetNode { assetPartitionStatuses { __typename
    ... on TimePartitionStatuses { ranges { startKey endKey status } }
    ... on DefaultPartitionStatuses { materializedPartitions failedPartitions materializingPartitions } } }
  ... on Error { message } } }"""

MATERIALIZATIONS = """query($k: AssetKeyInput!, $p: [String!]) { assetOrError(assetKey: $k) { __typename
  ... on Asset { assetMaterializations(partitions: $p) { partition runId
    metadataEntries { label ... on IntMetadataEntry { intValue } ... on TextMetadataEntry { text } } } }
  ... on Error { message } } }"""

RUN_IDS = """{ runsOrError { __typename ... on Runs { results { runId status } }
  ... on Error { message } } }"""

RUNS = """{ runsOrError { __typename ... on Runs { results { runId status tags { key value }
  assetSelection { path } } } ... on Error { message } } }"""

DAEMONS = """{ instance { daemonHealth { allDaemonStatuses { daemonType healthy } } } }"""


class GraphQLError(AssertionError):
    """The webserver answered with GraphQL errors (bad query, or a server-side exception)."""


def free_port() -> int:
    """A loopback port free right now (bound to port 0, then released) for a child process to bind."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class DagsterServer:
    url: str  # http://127.0.0.1:<port>
    home: Path
    log: Path
    process: subprocess.Popen

    def gql(self, query: str, variables: Mapping[str, Any] | None = None, *, timeout: float = 60) -> dict:
        answer = requests.post(
            f"{self.url}/graphql", json={"query": query, "variables": dict(variables or {})}, timeout=timeout
        )
        try:
            body = answer.json()
        except ValueError:
            raise GraphQLError(f"HTTP {answer.status_code}, not JSON: {answer.text[:500]}") from None
        if body.get("errors"):
            raise GraphQLError(f"HTTP {answer.status_code}: {body['errors']}")
        return body["data"]

    def log_tail(self, lines: int = 60) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    # -- backfills --------------------------------------------------------------------------------

    def launch_backfill(self, assets: list[str], partitions: list[str], *, title: str) -> str:
        params = {
            "assetSelection": [{"path": key_path(name)} for name in assets],
            "partitionNames": partitions,
            "title": title,
        }
        result = self.gql(LAUNCH_BACKFILL, {"p": params})["launchPartitionBackfill"]
        assert result["__typename"] == "LaunchBackfillSuccess", result
        return result["backfillId"]

    def reexecute_backfill(self, backfill_id: str, strategy: str = "FROM_FAILURE") -> str:
        """The UI's "Re-execute from failure" on a backfill: a new backfill of what did not materialize."""
        params = {"parentRunId": backfill_id, "strategy": strategy}
        result = self.gql(REEXECUTE_BACKFILL, {"p": params})["reexecutePartitionBackfill"]
        assert result["__typename"] == "LaunchBackfillSuccess", result
        return result["backfillId"]

    def backfill(self, backfill_id: str) -> dict:
        found = self.gql(BACKFILL, {"id": backfill_id})["partitionBackfillOrError"]
        assert found["__typename"] == "PartitionBackfill", found
        return found

    def wait_backfill(self, backfill_id: str, *, timeout: float = 600) -> dict:
        """The backfill once it has finished and every one of its runs has ended."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.backfill(backfill_id)
            runs_done = all(run["status"] in TERMINAL_RUN for run in found["runs"])
            if found["status"] in TERMINAL_BACKFILL and runs_done:
                return found
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise AssertionError(
                    f"backfill {backfill_id} not finished after {timeout:.0f} s: status {found['status']}, "
                    f"runs {[(r['runId'][:8], r['status']) for r in found['runs']]}; daemons "
                    f"{self.gql(DAEMONS) if self.process.poll() is None else 'gone'}\n{self.log_tail()}"
                )
            time.sleep(1)

    # -- assets and runs --------------------------------------------------------------------------

    def partition_status(self, asset: str, partitions: list[str]) -> dict[str, str | None]:
        """``{partition: MATERIALIZED | FAILED | MATERIALIZING | None}`` for daily partitions."""
        node = self.gql(PARTITION_STATUSES, {"k": {"path": key_path(asset)}})["assetNodeOrError"]
        assert node["__typename"] == "AssetNode", node
        statuses = node["assetPartitionStatuses"]
        if statuses["__typename"] == "DefaultPartitionStatuses":
            named = {
                **dict.fromkeys(statuses["materializedPartitions"], "MATERIALIZED"),
                **dict.fromkeys(statuses["failedPartitions"], "FAILED"),
                **dict.fromkeys(statuses["materializingPartitions"], "MATERIALIZING"),
            }
            return {p: named.get(p) for p in partitions}
        out: dict[str, str | None] = dict.fromkeys(partitions)
        for status_range in statuses["ranges"]:  # ISO days compare as strings
            for p in partitions:
                if status_range["startKey"] <= p <= status_range["endKey"]:
                    out[p] = status_range["status"]
        return out

    def materializations(self, asset: str, partitions: list[str]) -> list[dict]:
        """Materializations of ``asset`` in ``partitions``: partition, runId, metadata (label -> value)."""
        found = self.gql(MATERIALIZATIONS, {"k": {"path": key_path(asset)}, "p": partitions})["assetOrError"]
        assert found["__typename"] == "Asset", found
        return [
            {
                "partition": event["partition"],
                "runId": event["runId"],
                "metadata": {e["label"]: e.get("intValue", e.get("text")) for e in event["metadataEntries"]},
            }
            for event in found["assetMaterializations"]
        ]

    def run_ids(self) -> set[str]:
        runs = self.gql(RUN_IDS)["runsOrError"]
        assert runs["__typename"] == "Runs", runs
        return {run["runId"] for run in runs["results"]}

    def runs(self) -> list[dict]:
        """Every run with its status, tags and asset selection (what launched it is in its tags)."""
        runs = self.gql(RUNS)["runsOrError"]
        assert runs["__typename"] == "Runs", runs
        return runs["results"]


def run_tags(run: dict) -> dict[str, str]:
    return {tag["key"]: tag["value"] for tag in run["tags"]}


def key_path(asset: str) -> list[str]:
    """An asset key as the catalog writes it (``jde_coupa/suppliers_written``), as GraphQL takes it."""
    return list(AssetKey.from_user_string(asset).path)


def run_assets(run: dict) -> set[str]:
    return {AssetKey(key["path"]).to_user_string() for key in run["assetSelection"] or []}


def _wait_loaded(server: DagsterServer, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise AssertionError(f"dagster dev exited with {server.process.returncode}\n{server.log_tail()}")
        try:
            workspace = server.gql(_WORKSPACE, timeout=10)["workspaceOrError"]
            entries = {e["name"]: e for e in workspace.get("locationEntries", [])}
            entry = entries.get(LOCATION)
            loaded = entry and entry["loadStatus"] == "LOADED" and entry["locationOrLoadError"]
            if loaded:
                if entry["locationOrLoadError"]["__typename"] != "RepositoryLocation":
                    problem = entry["locationOrLoadError"]
                    raise AssertionError(f"code location {LOCATION} failed to load: {problem}")
                return
            last = workspace
        except (requests.ConnectionError, requests.Timeout, GraphQLError) as exc:
            last = exc
        time.sleep(0.5)
    raise AssertionError(
        f"code location {LOCATION} not loaded after {timeout:.0f} s ({last})\n{server.log_tail()}"
    )


def stop_session(process: subprocess.Popen, grace: float = 30) -> None:
    """SIGINT to the session (graceful, 4-6 s), SIGKILL to whatever is left after ``grace`` seconds."""
    group = process.pid  # start_new_session: the group id is the child's pid
    if process.poll() is None:
        try:
            os.killpg(group, signal.SIGINT)
            process.wait(timeout=grace)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            pass
    with contextlib.suppress(ProcessLookupError):
        os.killpg(group, signal.SIGKILL)  # run workers or code servers that outlived their parent
    if process.poll() is None:
        process.wait(timeout=10)


@contextmanager
def instance_at(home: Path) -> Iterator[Any]:
    """The Dagster instance of ``home`` (its dagster.yaml), opened as every Dagster process opens it, with
    DAGSTER_HOME naming the folder: the project's event log storage finds its files there
    (``connector_assets.runtime.event_log_storage``). DAGSTER_HOME is restored once the instance is open."""
    from dagster import DagsterInstance

    before = os.environ.get("DAGSTER_HOME")
    os.environ["DAGSTER_HOME"] = str(home)
    try:
        instance = DagsterInstance.from_config(str(home))
    finally:
        if before is None:
            del os.environ["DAGSTER_HOME"]
        else:
            os.environ["DAGSTER_HOME"] = before
    with instance:
        yield instance


@contextmanager
def dagster_server(
    home: Path,
    env: Mapping[str, str],
    *,
    ready_timeout: float = 600,
    port: int | None = None,
    daemon: bool = True,
) -> Iterator[DagsterServer]:
    """``dagster dev`` on the project's workspace, with ``env`` added to the current environment.
    ``daemon=False`` starts the webserver alone: what reads and switches schedules and sensors needs no
    daemon, and without one nothing ticks or launches a run (cheap, even with everything running)."""
    from connector_assets.definitions import defs
    from connector_assets.flows.assets import apply_write_pool_limits
    from connector_cli.dev import dagster_dev_command, prepare_dagster_home

    home = prepare_dagster_home(ROOT, home)
    with instance_at(home) as instance:  # as `ml-connector dev` does, before starting
        apply_write_pool_limits(instance, defs.assets or [])
    port = port or free_port()
    log = home.parent / f"dagster-dev-{port}.log"
    started = dagster_dev_command(ROOT, "127.0.0.1", port)
    if not daemon:
        started = [sys.executable, "-m", "dagster_webserver", *started[3:]]  # the same -w, -h and -p
    command = [sys.executable, "-c", _DEFAULT_SIGNALS, *started]
    with log.open("wb") as sink:
        process = subprocess.Popen(
            command,
            cwd=home,  # as ml-connector dev does: the instance folder, where dagster.yaml is
            # Schedules and sensors stay stopped unless the test asks: one that ran (a poll of a system the
            # test never started) would hold the queue behind its retries, whatever an earlier test left
            # in this worker's environment.
            env={**os.environ, "ML_AUTOMATION_DEFAULT": "stopped", **env, "DAGSTER_HOME": str(home)},
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = DagsterServer(f"http://127.0.0.1:{port}", home, log, process)
    try:
        _wait_loaded(server, ready_timeout)
        yield server
    finally:
        stop_session(process)


def required_binaries() -> str | None:
    """Why a real webserver + daemon cannot start here, or None (checked before any sandbox starts)."""
    import importlib.util

    missing = [m for m in ("dagster_webserver", "dagster_graphql") if importlib.util.find_spec(m) is None]
    return f"{' and '.join(missing)} not installed (pip install -e .[dev])" if missing else None
