"""``ml-connector dev`` (what ``make dev`` runs): the Dagster UI with our definitions, the sandboxes beside
it, never on someone else's ports, with schedules and sensors running on the sandbox and no start-up
warnings.

Nothing here binds a default port (8711-8716, 8720, 3000): another ``make dev`` may hold them.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import requests
from dagster import AssetKey
from roots import ROOT
from waiting import load

from connector_assets.jde.sandbox_suppliers import jde_supplier_numbers
from connector_resources.settings import SANDBOX_PORT_BASE_ENV, SYSTEMS
from connector_resources.vault import KEY_ENV as VAULT_KEY_ENV

CLI = Path(sys.executable).parent / "ml-connector"
QUERY = """{ workspaceOrError { ... on Workspace { locationEntries { name
  locationOrLoadError { __typename ... on PythonError { message } } } } }
  assetNodes { assetKey { path } } }"""
REPOSITORY = '{repositoryLocationName: "connector", repositoryName: "__repository__"}'
AUTOMATION = f"""{{ schedulesOrError(repositorySelector: {REPOSITORY}) {{
    ... on Schedules {{ results {{ name scheduleState {{ status }} }} }} }}
  sensorsOrError(repositorySelector: {REPOSITORY}) {{
    ... on Sensors {{ results {{ name sensorState {{ status }} }} }} }} }}"""
MATERIALIZED = """query($k: AssetKeyInput!) { assetOrError(assetKey: $k) {
  ... on Asset { assetMaterializations(limit: 1) { runId } } } }"""
# What a newcomer used to see on every start; none may come back.
START_WARNINGS = (
    "Traceback (most recent call last)",  # e.g. SQLite connections closed on another thread
    "SupersessionWarning",
    "Found a dagster instance configuration",
    "is deprecated",
    "DeprecationWarning",
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in (SANDBOX_PORT_BASE_ENV, "ML_AUTOMATION_DEFAULT", VAULT_KEY_ENV)
        and not any(key == s.env for system in SYSTEMS.values() for s in system.settings)
    }
    return {
        **env,
        "DAGSTER_HOME": str(tmp_path / "home"),
        "ML_CONNECTOR_DB_URL": f"sqlite:///{tmp_path}/l.db",
        **extra,
    }


def _where(name: str, home: Path) -> str:
    """``ml-connector where NAME`` in a shell that knows only the instance folder."""
    shell = {k: v for k, v in os.environ.items() if k != SANDBOX_PORT_BASE_ENV} | {"DAGSTER_HOME": str(home)}
    done = subprocess.run([str(CLI), "where", name], cwd=ROOT, env=shell, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def _stop(proc: subprocess.Popen) -> None:
    """Ctrl-C, as a person stops it; a clean shutdown of the daemon, the code server and the UI took over 40 s
    once on a loaded 2-core CI machine, so it gets 90 before being killed (and the test then fails)."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGINT)
    try:
        proc.wait(timeout=90)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


def test_dev_stops_before_starting_anything_when_a_port_is_taken(tmp_path):
    """A UI pointed at someone else's servers is worse than none: one port taken, nothing starts."""
    from connector_sandbox.registry import free_port_base, port_in_use

    base = free_port_base()
    with socket.socket() as holder:  # "someone else's Coupa" on the Coupa sandbox port
        holder.bind(("127.0.0.1", base + 1))
        holder.listen()
        done = subprocess.run(
            [str(CLI), "dev", "--port", str(_free_port()), "--scale", "0.02"],
            cwd=ROOT,
            env=_env(tmp_path, **{SANDBOX_PORT_BASE_ENV: str(base)}),
            capture_output=True,
            text=True,
            timeout=120,
        )
    output = done.stdout + done.stderr
    assert done.returncode != 0, output
    assert f"not starting: coupa on 127.0.0.1:{base + 1}" in output, output
    assert "--sandbox-ports free" in output  # says how to start beside it
    assert "Dagster UI" not in output and "sandbox jde_ais" not in output
    assert not port_in_use(base)  # the JDE simulator was never started
    assert not (tmp_path / "home").exists()  # nor the instance


def test_dev_serves_the_ui_with_definitions_loaded(tmp_path):
    port = _free_port()
    log = tmp_path / "dev.log"
    with log.open("w") as sink:
        proc = subprocess.Popen(
            [str(CLI), "dev", "--port", str(port), "--scale", "0.02", "--sandbox-ports", "free"],
            cwd=ROOT,
            env=_env(tmp_path),
            start_new_session=True,
            stdout=sink,
            stderr=subprocess.STDOUT,
            text=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 600  # a machine at load 15 too
        data = None
        while time.monotonic() < deadline:
            assert proc.poll() is None, f"ml-connector dev exited early:\n{log.read_text()}"
            try:
                body = requests.post(f"{url}/graphql", json={"query": QUERY}, timeout=10).json()
                entries = body["data"]["workspaceOrError"]["locationEntries"]
                if entries and entries[0]["locationOrLoadError"]:
                    data = body["data"]
                    break
            except (requests.ConnectionError, requests.Timeout, KeyError, TypeError, ValueError):
                pass
            time.sleep(1)
        assert data is not None, f"the Dagster UI did not come up within 600 s ({load()})\n{log.read_text()}"
        [entry] = data["workspaceOrError"]["locationEntries"]
        assert entry["name"] == "connector"
        assert entry["locationOrLoadError"]["__typename"] == "RepositoryLocation", entry
        assert ["operations", "ledger_health"] in [node["assetKey"]["path"] for node in data["assetNodes"]]
        assert (tmp_path / "home" / "dagster.yaml").read_text() == (ROOT / "dagster.yaml").read_text()
        # No key configured: one was made in the instance folder (0600) so sessions outlive the run.
        vault_key = tmp_path / "home" / "vault.key"
        assert stat.S_IMODE(vault_key.stat().st_mode) == 0o600
        assert requests.get(f"{url}/", timeout=10).status_code == 200

        # Every sandbox address moved together, and the output says where.
        printed = log.read_text()
        base = int(re.search(rf"sandbox ports moved: {SANDBOX_PORT_BASE_ENV}=(\d+)", printed).group(1))
        assert f"sandbox jde_ais: http://127.0.0.1:{base}/jderest" in printed
        assert f"webhook receiver: http://127.0.0.1:{base + 9}/webhooks" in printed
        info = requests.get(f"http://127.0.0.1:{base}/jderest/defaultconfig", timeout=10)
        assert info.status_code == 200
        assert list((tmp_path / "home" / "sandbox").glob("jde_ais-*.sqlite"))
        # Kept for the next free start, which takes the same block while it is free (bookmarks survive).
        assert (tmp_path / "home" / "sandbox-port-base").read_text().strip() == str(base)
        # Another shell (its DAGSTER_HOME the same, nothing else exported) is told the moved addresses.
        where = {name: _where(name, tmp_path / "home") for name in ("ui", "jde_ais", "receiver", "desk")}
        assert where == {
            "ui": url,
            "jde_ais": f"http://127.0.0.1:{base}",
            "receiver": f"http://127.0.0.1:{base + 9}",
            "desk": f"http://127.0.0.1:{base + 10}",
        }
        # The exceptions desk, with this machine's person signed in as its operator.
        assert re.search(
            rf"exceptions desk: http://127.0.0.1:{base + 10}/ \(signed in as \S+, operator", printed
        )
        desk = requests.get(f"http://127.0.0.1:{base + 10}/queue", timeout=30, allow_redirects=False)
        assert desk.status_code == 200 and "(operator)" in desk.text

        # The seeded Procore vendors' JDE links were re-pointed to suppliers the JDE sandbox has, so
        # Procore -> JDE records flow (the two simulators are seeded apart).
        linked = re.search(r"Procore vendor links to JDE: (\d+) name real JDE suppliers", printed)
        assert linked and int(linked.group(1)) > 0, printed
        procore_root = re.search(r"sandbox procore: (http://\S+)", printed).group(1)
        ours = requests.get(
            f"{procore_root}/sandbox/records/vendors",
            params={"origin_owner": "ml-connector-sandbox", "limit": 1000},
            timeout=10,
        ).json()["rows"]
        an8s = {int(m.group(1)) for v in ours if (m := re.fullmatch(r"JDE-V-(\d+)", v["origin_id"] or ""))}
        assert an8s and an8s <= set(jde_supplier_numbers(f"http://127.0.0.1:{base}"))

        # On the sandbox every schedule and sensor runs, the automation sensor included.
        automation = requests.post(f"{url}/graphql", json={"query": AUTOMATION}, timeout=30).json()["data"]
        found = automation["schedulesOrError"]["results"]
        schedules = {s["name"]: s["scheduleState"]["status"] for s in found}
        sensors = {s["name"]: s["sensorState"]["status"] for s in automation["sensorsOrError"]["results"]}
        assert {"jde_coupa_suppliers_schedule", "replay_due_records", "jde_gl_accounts_schedule"} <= set(
            schedules
        )
        assert {"coupa_jde_inbox_sensor", "automation_sensor"} <= set(sensors)
        assert set(schedules.values()) == set(sensors.values()) == {"RUNNING"}, (schedules, sensors)

        _backfill_from_the_ui(url, tmp_path / "home")
        # The automation sensor read the F0901 cache and staged the mapping tables a newcomer's first runs
        # need.
        deadline = time.monotonic() + 600
        for asset in ("jde/gl_accounts", "jde_coupa/payment_terms_map", "jde_coupa/account_map"):
            while not _materialized(url, asset):
                assert time.monotonic() < deadline, (
                    f"{asset} was not materialized by the automation sensor within 600 s ({load()})"
                )
                time.sleep(2)
    finally:
        _stop(proc)
    output = log.read_text()
    for warning in START_WARNINGS:
        assert warning not in output, f"{warning!r} printed by ml-connector dev:\n{output[:3000]}"
    assert "Dagster services shut down" in output
    assert f"vault key: {vault_key} (created;" in output
    # Dagster's daemon chatter is in the log file, not on the console; the UI's address is on both.
    dagster_log = (tmp_path / "home" / "dagster-dev.log").read_text()
    assert "Checking for new runs for sensor" in dagster_log and "Checking for new runs" not in output
    assert "Serving dagster-webserver" in output and "Dagster's own log (daemon ticks, run steps):" in output
    assert vault_key.read_text().strip() not in output and "No vault key" not in output


def _materialized(url: str, asset: str) -> bool:
    variables = {"k": {"path": list(AssetKey.from_user_string(asset).path)}}
    body = requests.post(f"{url}/graphql", json={"query": MATERIALIZED, "variables": variables}, timeout=30)
    return bool(body.json()["data"]["assetOrError"].get("assetMaterializations"))


LAUNCH = """mutation($p: LaunchBackfillParams!) { launchPartitionBackfill(backfillParams: $p) {
  __typename ... on LaunchBackfillSuccess { backfillId } ... on PythonError { message } } }"""
STATUS = """query($id: String!) { partitionBackfillOrError(backfillId: $id) {
  __typename ... on PartitionBackfill { status } ... on PythonError { message } } }"""


def _backfill_from_the_ui(url: str, home: Path) -> None:
    """What the UI's "Materialize selected" on a date range does: a partition backfill via GraphQL."""
    from datetime import date, timedelta

    graphql = f"{url}/graphql"
    days = [(date.today() - timedelta(days=n)).isoformat() for n in (2, 1)]
    params = {"partitionNames": days, "assetSelection": [{"path": ["jde", "suppliers"]}]}
    launched = requests.post(graphql, json={"query": LAUNCH, "variables": {"p": params}}, timeout=60).json()
    result = launched["data"]["launchPartitionBackfill"]
    assert result["__typename"] == "LaunchBackfillSuccess", result
    deadline = time.monotonic() + 900
    status = None
    while time.monotonic() < deadline:
        body = requests.post(
            graphql, json={"query": STATUS, "variables": {"id": result["backfillId"]}}, timeout=30
        )
        status = body.json()["data"]["partitionBackfillOrError"].get("status")
        if status and status.startswith(("COMPLETED", "FAILED", "CANCELED")):
            break
        time.sleep(2)
    assert status in ("COMPLETED", "COMPLETED_SUCCESS"), f"the UI's backfill: {status} ({load()})"
    for day in days:
        assert (home / "staging" / "jde/suppliers" / f"{day}.parquet").is_file()


def test_free_ports_prefer_the_block_the_last_free_start_chose(tmp_path, monkeypatch):
    """A restart under ``--sandbox-ports free`` keeps the desk's and the simulators' addresses while they
    are free; one of them taken, the whole block moves."""
    from connector_cli.dev import _choose_ports
    from connector_cli.dev_instance import keep_port_base
    from connector_sandbox.registry import free_port_base

    monkeypatch.setenv(SANDBOX_PORT_BASE_ENV, "unset")  # recorded, so the exports below are undone after
    home = tmp_path / "home"
    kept = free_port_base()
    keep_port_base(home, kept)
    _choose_ports("free", True, "127.0.0.1", _free_port(), home)
    assert os.environ[SANDBOX_PORT_BASE_ENV] == str(kept)
    with socket.socket() as holder:  # someone took the desk's port since
        holder.bind(("127.0.0.1", kept + 10))
        holder.listen()
        _choose_ports("free", True, "127.0.0.1", _free_port(), home)
    assert os.environ[SANDBOX_PORT_BASE_ENV] != str(kept)


def test_schedules_and_sensors_start_stopped_off_the_sandbox():
    """Outside ``ml-connector dev`` on the sandbox (ML_AUTOMATION_DEFAULT unset), the operator turns them
    on (``ml-connector live on``); only the write-pool sensor, which launches no run, is always on."""
    from dagster import DefaultScheduleStatus, DefaultSensorStatus

    from connector_assets.definitions import defs
    from connector_assets.flows.write_pool_sensor import WRITE_POOL_LIMITS_SENSOR

    assert os.environ.get("ML_AUTOMATION_DEFAULT") is None
    assert {s.default_status for s in defs.schedules or []} == {DefaultScheduleStatus.STOPPED}
    statuses = {s.name: s.default_status for s in defs.sensors or []}
    assert statuses.pop(WRITE_POOL_LIMITS_SENSOR) == DefaultSensorStatus.RUNNING
    assert set(statuses.values()) == {DefaultSensorStatus.STOPPED}


def test_dev_runs_automation_only_on_an_unconfigured_sandbox(monkeypatch, capsys):
    from connector_cli.dev import _automation_default

    monkeypatch.setenv("ML_AUTOMATION_DEFAULT", "unset")  # recorded, so the export below is undone after
    monkeypatch.delenv("ML_AUTOMATION_DEFAULT")
    monkeypatch.setenv("ML_COUPA_URL", "https://acme.coupahost.com")
    _automation_default(sandbox=True)
    assert "ML_AUTOMATION_DEFAULT" not in os.environ
    assert "stopped (coupa configured)" in capsys.readouterr().out
    monkeypatch.delenv("ML_COUPA_URL")
    _automation_default(sandbox=False)
    assert "ML_AUTOMATION_DEFAULT" not in os.environ
    _automation_default(sandbox=True)
    assert os.environ["ML_AUTOMATION_DEFAULT"] == "running"
