"""The six sandboxes start on exactly the addresses the connection settings default to."""

import pytest
import requests

from connector_resources.settings import SANDBOX_PORTS, SYSTEMS
from connector_sandbox.registry import SANDBOXES, make_activity, port_in_use, start


def test_every_system_has_a_sandbox_on_its_default_address():
    assert set(SANDBOXES) == set(SYSTEMS) == set(SANDBOX_PORTS)
    for key, spec in SANDBOXES.items():
        assert SYSTEMS[key].values(environ={})["base_url"] == f"http://127.0.0.1:{spec.port}{spec.path}"
        assert SANDBOX_PORTS[key] == spec.port


def test_all_six_start_and_answer(tmp_path, monkeypatch):
    busy = [s.port for s in SANDBOXES.values() if port_in_use(s.port)]
    if busy:
        pytest.skip(f"sandbox ports {busy} are in use on this machine (a running make dev?)")
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    running, skipped = start(scale=0.02)
    try:
        assert skipped == [] and len(running) == 6
        for sandbox in running:
            root = (
                sandbox.url[: len(sandbox.url) - len(sandbox.spec.path)] if sandbox.spec.path else sandbox.url
            )
            assert requests.get(f"{root}/sandbox/state", timeout=10).status_code == 200, sandbox.spec.key
        # What make dev does every few minutes: a little business activity in every system.
        assert make_activity(running) == {s.spec.key: 200 for s in running}
    finally:
        for sandbox in running:
            sandbox.stop()
