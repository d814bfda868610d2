"""``ml-connector dev`` (what ``make dev`` runs) serves the Dagster UI and loads our definitions."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
QUERY = """{ workspaceOrError { ... on Workspace { locationEntries { name
  locationOrLoadError { __typename ... on PythonError { message } } } } }
  assetNodes { assetKey { path } } }"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_dev_serves_the_ui_with_definitions_loaded(tmp_path):
    from connector_sandbox.registry import SANDBOXES, port_in_use

    port = _free_port()
    jde_port = SANDBOXES["jde_ais"].port
    jde_was_free = not port_in_use(jde_port)
    env = {
        **os.environ,
        "DAGSTER_HOME": str(tmp_path / "home"),
        "ML_CONNECTOR_DB_URL": f"sqlite:///{tmp_path}/l.db",
    }
    cli = Path(sys.executable).parent / "ml-connector"
    proc = subprocess.Popen(
        [str(cli), "dev", "--port", str(port), "--scale", "0.02"],
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 150
        data = None
        while time.monotonic() < deadline:
            assert proc.poll() is None, f"dagster dev exited early:\n{proc.stdout.read()}"
            try:
                body = requests.post(
                    f"http://127.0.0.1:{port}/graphql", json={"query": QUERY}, timeout=10
                ).json()
                entries = body["data"]["workspaceOrError"]["locationEntries"]
                if entries and entries[0]["locationOrLoadError"]:
                    data = body["data"]
                    break
            except (requests.ConnectionError, requests.Timeout, KeyError, TypeError, ValueError):
                pass
            time.sleep(1)
        assert data is not None, "the Dagster UI did not come up within 150 s"
        [entry] = data["workspaceOrError"]["locationEntries"]
        assert entry["name"] == "connector"
        assert entry["locationOrLoadError"]["__typename"] == "RepositoryLocation", entry
        assert ["ledger_health"] in [node["assetKey"]["path"] for node in data["assetNodes"]]
        assert (tmp_path / "home" / "dagster.yaml").read_text() == (ROOT / "dagster.yaml").read_text()
        assert requests.get(f"http://127.0.0.1:{port}/", timeout=10).status_code == 200
        if jde_was_free:  # the JDE simulator runs beside Dagster, with its data under DAGSTER_HOME
            info = requests.get(f"http://127.0.0.1:{jde_port}/jderest/defaultconfig", timeout=10)
            assert info.status_code == 200
            assert list((tmp_path / "home" / "sandbox").glob("jde_ais-*.sqlite"))
            _backfill_from_the_ui(port, tmp_path / "home")
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


LAUNCH = """mutation($p: LaunchBackfillParams!) { launchPartitionBackfill(backfillParams: $p) {
  __typename ... on LaunchBackfillSuccess { backfillId } ... on PythonError { message } } }"""
STATUS = """query($id: String!) { partitionBackfillOrError(backfillId: $id) {
  __typename ... on PartitionBackfill { status } ... on PythonError { message } } }"""


def _backfill_from_the_ui(port: int, home: Path) -> None:
    """What the UI's "Materialize selected" on a date range does: a partition backfill via GraphQL."""
    from datetime import date, timedelta

    url = f"http://127.0.0.1:{port}/graphql"
    days = [(date.today() - timedelta(days=n)).isoformat() for n in (2, 1)]
    params = {"partitionNames": days, "assetSelection": [{"path": ["jde_suppliers"]}]}
    launched = requests.post(url, json={"query": LAUNCH, "variables": {"p": params}}, timeout=60).json()
    result = launched["data"]["launchPartitionBackfill"]
    assert result["__typename"] == "LaunchBackfillSuccess", result
    deadline = time.monotonic() + 240
    status = None
    while time.monotonic() < deadline:
        body = requests.post(
            url, json={"query": STATUS, "variables": {"id": result["backfillId"]}}, timeout=30
        )
        status = body.json()["data"]["partitionBackfillOrError"].get("status")
        if status and status.startswith(("COMPLETED", "FAILED", "CANCELED")):
            break
        time.sleep(2)
    assert status in ("COMPLETED", "COMPLETED_SUCCESS"), status
    for day in days:
        assert (home / "staging" / "jde_suppliers" / f"{day}.parquet").is_file()
