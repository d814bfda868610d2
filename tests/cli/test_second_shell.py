"""A second shell finds the running ``make dev``; a second ``make dev`` on its home is refused.

A second shell in the project folder had nothing exported: ``ping`` failed "6 secret(s) are stored but
ML_CONNECTOR_VAULT_KEY is not set", warned that tokens were kept per process only, and retried into
"Connection refused" on the default ports while ``--sandbox-ports free`` had moved them. And a second
``make dev`` in the same folder shared the first one's daemon ("Another SENSOR daemon is still sending
heartbeats"). Here the instance record is written by the code ``ml-connector dev`` runs
(``connector_cli.dev``: ``_hold`` / ``_publish``), and the CLI runs as a separate process in a temporary
project folder, as a second shell would.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_process import ml_connector
from click.testing import CliRunner
from cryptography.fernet import Fernet
from dagster_server import free_port

from connector_cli.dev import _publish
from connector_cli.dev_discovery import adopt_running_dev
from connector_cli.dev_instance import RECORD_FILE, DevAlreadyRunning, DevClaim, claim, running, stale
from connector_cli.dev_vault import KEY_FILE, keep_sessions
from connector_cli.main import cli
from connector_resources.ledger import Ledger
from connector_resources.settings import SANDBOX_PORT_BASE_ENV
from connector_resources.vault import KEY_ENV, Vault
from connector_sandbox.registry import free_port_base
from connector_sandbox.registry import start as start_sandboxes

REPO = Path(__file__).resolve().parents[2]
# What a second shell has not got: make dev exported these in its own process only.
DISCOVERED = (KEY_ENV, "DAGSTER_HOME", SANDBOX_PORT_BASE_ENV, "ML_CONNECTOR_DB_URL", "ML_CONNECTOR_HOME")


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    """A project folder (workspace.yaml, dagster.yaml) with a subfolder; this process's environment as a
    fresh shell's: none of the settings make dev exports."""
    root = tmp_path / "project"
    (root / "sub").mkdir(parents=True)
    for name in ("workspace.yaml", "dagster.yaml"):
        shutil.copyfile(REPO / name, root / name)
    for name in DISCOVERED:
        monkeypatch.setenv(name, "")  # restored after the test
        monkeypatch.delenv(name)
    return root


def _second_shell(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess:
    """``ml-connector ARGS`` in a new process started in ``cwd``, with none of make dev's exports."""
    environ = {k: v for k, v in os.environ.items() if k not in DISCOVERED}
    environ["PYTHONPATH"] = str(REPO)
    environ.update(env)
    return ml_connector(args, env=environ, cwd=cwd, timeout=120)


@pytest.fixture
def dev_running(project, monkeypatch) -> Iterator[tuple[DevClaim, str]]:
    """What ``ml-connector dev --sandbox-ports free`` leaves for other shells, from the same code: the
    instance folder held, its vault key made, one secret stored with it, the record published with a
    free port block; and the Coupa sandbox started on that block."""
    home = project / ".dagster_home"
    monkeypatch.setenv(SANDBOX_PORT_BASE_ENV, str(free_port_base()))
    held = claim(home, "http://127.0.0.1:3999")
    monkeypatch.setenv(KEY_ENV, "")  # keep_sessions exports the key: restored after the test
    monkeypatch.delenv(KEY_ENV)
    keep_sessions(home)
    url = f"sqlite:///{home / 'ledger.sqlite'}"
    Vault(Ledger(url)).set("procurify.session", "s3cret-session")
    _publish(held, sandbox=True, key_file=home / KEY_FILE, ledger=url)
    monkeypatch.setenv("DAGSTER_HOME", str(home))  # the simulator keeps its data there, not in this checkout
    sandboxes = start_sandboxes(["coupa"])
    monkeypatch.delenv("DAGSTER_HOME")
    for name in (KEY_ENV, SANDBOX_PORT_BASE_ENV):  # what this test's "make dev" knows, a shell does not
        monkeypatch.delenv(name)
    try:
        yield held, url
    finally:
        for sandbox in sandboxes:
            sandbox.stop()
        held.release()


def test_ping_in_a_second_shell_finds_the_key_the_home_and_the_moved_ports(project, dev_running):
    held, _ = dev_running
    result = _second_shell(["ping", "--system", "vault", "--system", "coupa"], project / "sub")
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    assert "ok   vault" in out and "ok   coupa" in out
    assert "VaultKeyError" not in out and "per process only" not in out and "Connection refused" not in out

    coupa = _second_shell(["where", "coupa"], project / "sub")
    assert coupa.returncode == 0 and coupa.stdout.strip() == held.instance.sandboxes["coupa"]
    assert coupa.stdout.strip() != "http://127.0.0.1:8712"  # the moved block, not the default one
    ui = _second_shell(["where", "ui"], project)
    assert ui.stdout.strip() == "http://127.0.0.1:3999"
    listing = _second_shell(["where"], project)
    assert (
        f"pid {os.getpid()}" in listing.stdout and str(project / ".dagster_home" / KEY_FILE) in listing.stdout
    )
    assert (project / ".dagster_home" / KEY_FILE).read_text().strip() not in out + listing.stdout


def test_the_record_names_the_key_file_and_is_not_readable_by_others(project, dev_running):
    record = project / ".dagster_home" / RECORD_FILE
    assert record.stat().st_mode & 0o077 == 0
    key = (project / ".dagster_home" / KEY_FILE).read_text().strip()
    assert key not in record.read_text() and KEY_FILE in record.read_text()


def test_explicit_settings_win_over_the_running_instance(project, dev_running, monkeypatch):
    held, _ = dev_running
    monkeypatch.chdir(project / "sub")
    configured = Fernet.generate_key().decode()
    monkeypatch.setenv(KEY_ENV, configured)
    monkeypatch.setenv(SANDBOX_PORT_BASE_ENV, "30000")
    adopted, restore = adopt_running_dev()
    try:
        assert os.environ[KEY_ENV] == configured and os.environ[SANDBOX_PORT_BASE_ENV] == "30000"
        assert os.environ["DAGSTER_HOME"] == str(project / ".dagster_home")  # not given: taken
        assert set(adopted.taken) == {"DAGSTER_HOME", "ML_DAGSTER_URL"}
        assert any(f"{SANDBOX_PORT_BASE_ENV}=30000" in note and "unset it" in note for note in adopted.notes)
    finally:
        restore()
    assert "DAGSTER_HOME" not in os.environ  # put back as it was


def test_the_running_instances_key_is_not_used_for_another_ledger(project, dev_running, monkeypatch):
    monkeypatch.chdir(project)
    monkeypatch.setenv("ML_CONNECTOR_DB_URL", f"sqlite:///{project / 'elsewhere.sqlite'}")
    adopted, restore = adopt_running_dev()
    restore()
    assert KEY_ENV not in adopted.taken and set(adopted.taken) == {
        "DAGSTER_HOME",
        "ML_DAGSTER_URL",
        SANDBOX_PORT_BASE_ENV,
    }
    assert any("is not used" in note and "elsewhere.sqlite" in note for note in adopted.notes)


def test_a_record_left_when_dev_stops_is_removed(project, dev_running):
    held, _ = dev_running
    held.release()
    assert not (project / ".dagster_home" / RECORD_FILE).exists()
    assert running(project / ".dagster_home") is None


def test_nothing_running_the_make_dev_homes_key_is_still_found_for_its_ledger(project, monkeypatch):
    home = project / ".dagster_home"
    home.mkdir()
    monkeypatch.setenv(KEY_ENV, "")
    monkeypatch.delenv(KEY_ENV)
    key = Fernet.generate_key().decode()
    (home / KEY_FILE).write_text(key)
    (home / KEY_FILE).chmod(0o600)
    monkeypatch.chdir(project)
    adopted, restore = adopt_running_dev()
    try:
        assert adopted.instance is None and adopted.taken == {KEY_ENV: key}  # no home, no ports: as before
    finally:
        restore()
    assert KEY_ENV not in os.environ

    monkeypatch.chdir(project / "sub")  # below the project folder: its ledger, so its key too
    adopted, restore = adopt_running_dev()
    restore()
    assert adopted.taken == {KEY_ENV: key} and not (project / "sub" / ".dagster_home").exists()  # none made

    monkeypatch.chdir(project)
    monkeypatch.setenv("ML_CONNECTOR_DB_URL", f"sqlite:///{project / 'elsewhere.sqlite'}")
    adopted, restore = adopt_running_dev()
    restore()
    assert adopted.taken == {}  # that key belongs to another ledger's secrets


def _broken_key(home: Path) -> None:
    """A key file nobody may use: a ``dev`` that got past the lock stops at it at once (naming the file),
    so these tests never start Dagster, even on code that does not refuse a second start."""
    home.mkdir(parents=True, exist_ok=True)
    (home / KEY_FILE).write_text(Fernet.generate_key().decode())
    (home / KEY_FILE).chmod(0o644)


def _dev_args() -> list[str]:
    return ["dev", "--no-sandbox", "--sandbox-ports", "free", "--port", str(free_port())]


def test_a_second_dev_on_the_same_home_is_refused_naming_the_running_one(project):
    home = project / ".dagster_home"
    _broken_key(home)
    first = claim(home, "http://127.0.0.1:3999")
    try:
        result = _second_shell(_dev_args(), project)
    finally:
        first.release()
    out = result.stdout + result.stderr
    assert result.returncode == 1, out
    assert "another ml-connector dev is running" in out
    assert f"pid {os.getpid()}" in out and "http://127.0.0.1:3999" in out and "started 20" in out
    assert "readable by others" not in out and "Traceback" not in out  # refused before anything else
    assert not (home / "dagster.yaml").exists()  # nothing prepared, nothing started


def test_two_claims_on_one_home_the_second_is_refused_until_the_first_is_released(project):
    home = project / ".dagster_home"
    first = claim(home, "http://127.0.0.1:3999")
    with pytest.raises(DevAlreadyRunning, match=rf"pid {os.getpid()}, Dagster UI http://127\.0\.0\.1:3999"):
        claim(home, "http://127.0.0.1:3998")
    first.release()
    claim(home, "http://127.0.0.1:3998").release()


def test_a_stale_record_does_not_block_a_start(project):
    home = project / ".dagster_home"
    _broken_key(home)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(
                f"""
                import sys, time
                from pathlib import Path
                from connector_cli.dev_instance import claim
                claim(Path({str(home)!r}), "http://127.0.0.1:3998")
                print("held", flush=True)
                time.sleep(120)
                """
            ),
        ],
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        assert running(home) is not None and running(home).pid == holder.pid
        holder.send_signal(signal.SIGKILL)  # gone without cleaning up: its record stays
        holder.wait(timeout=30)
    finally:
        if holder.poll() is None:
            holder.kill()
    assert (home / RECORD_FILE).exists() and running(home) is None
    assert stale(home).pid == holder.pid

    where = _second_shell(["where"], project)
    assert where.returncode == 1 and f"pid {holder.pid}" in where.stderr and "stale" in where.stderr

    result = _second_shell(_dev_args(), project)
    out = result.stdout + result.stderr
    assert "another ml-connector dev is running" not in out
    assert result.returncode == 1 and "readable by others" in out  # past the lock: stopped by the key file


def test_where_with_no_dev_running_says_so_and_exits_1(project, monkeypatch):
    monkeypatch.chdir(project / "sub")
    result = CliRunner().invoke(cli, ["where", "ui"])
    assert (
        result.exit_code == 1
        and f"no ml-connector dev is running on {project / '.dagster_home'}" in result.output
    )
