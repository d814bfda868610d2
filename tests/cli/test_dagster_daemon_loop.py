"""``ml-connector dev`` runs Dagster's daemon with a backfill loop of ``ML_BACKFILL_LOOP_SECONDS``.

The end-to-end proof is ``tests/project/test_backfill_graphql.py`` (a backfill picked up in seconds, not
after Dagster's 30 s loop); these check the two seams cheaply: the dev command swaps only the daemon's
command, and our daemon entry sets the loop before Dagster's daemon reads it.
"""

import subprocess
import sys

import dagster._cli.dev as dagster_dev
import pytest
from dagster._daemon import controller

from connector_cli import dagster_daemon
from connector_cli.dagster_dev import install, with_our_daemon
from connector_cli.dev import dagster_dev_command


def test_only_the_daemons_command_is_swapped():
    daemon = [sys.executable, "-m", "dagster._daemon", "run", "--log-level", "info"]
    webserver = [sys.executable, "-m", "dagster_webserver", "-h", "127.0.0.1"]
    assert with_our_daemon(daemon) == [sys.executable, "-m", "connector_cli.dagster_daemon", *daemon[3:]]
    assert with_our_daemon(webserver) == webserver


def test_the_dev_command_starts_our_daemon_through_dagsters_own_launch(monkeypatch):
    started: list[list[str]] = []
    monkeypatch.setattr(dagster_dev, "open_ipc_subprocess", lambda parts, **_kw: started.append(parts))
    install()
    dagster_dev.open_ipc_subprocess([sys.executable, "-m", "dagster._daemon", "run"], pass_fds=[])
    assert started == [[sys.executable, "-m", "connector_cli.dagster_daemon", "run"]]


def test_the_make_dev_command_is_the_wrapper(tmp_path):
    command = dagster_dev_command(tmp_path, "127.0.0.1", 3001)
    assert command[:3] == [sys.executable, "-m", "connector_cli.dagster_dev"]
    assert command[3:] == ["-w", str(tmp_path / "workspace.yaml"), "-h", "127.0.0.1", "-p", "3001"]


def test_our_daemon_sets_the_loop_from_the_setting(monkeypatch):
    monkeypatch.setattr(
        controller, "DEFAULT_DAEMON_INTERVAL_SECONDS", controller.DEFAULT_DAEMON_INTERVAL_SECONDS
    )
    monkeypatch.setenv(dagster_daemon.LOOP_ENV, "7")
    assert dagster_daemon.shorten_backfill_loop() == 7
    assert controller.DEFAULT_DAEMON_INTERVAL_SECONDS == 7


def test_a_loop_below_one_second_is_refused(monkeypatch):
    from connector_resources.settings import SettingError

    monkeypatch.setenv(dagster_daemon.LOOP_ENV, "0")
    with pytest.raises(SettingError, match=dagster_daemon.LOOP_ENV):
        dagster_daemon.shorten_backfill_loop()


def test_our_daemon_is_dagsters_daemon_command():
    """What a deployment runs: the same options as ``dagster-daemon run``."""
    answer = subprocess.run(
        [sys.executable, "-m", "connector_cli.dagster_daemon", "run", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert answer.returncode == 0, answer.stderr
    assert "--workspace" in answer.stdout or "-w" in answer.stdout
