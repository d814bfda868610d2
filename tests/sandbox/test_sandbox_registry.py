"""The six sandboxes start on exactly the addresses the connection settings default to."""

import pytest
import requests

from connector_resources.settings import (
    SANDBOX_PORT_BASE_ENV,
    SANDBOX_PORTS,
    SYSTEMS,
    SettingError,
    sandbox_port,
)
from connector_sandbox.registry import SANDBOXES, free_port_base, make_activity, start


def test_every_system_has_a_sandbox_on_its_default_address(monkeypatch):
    monkeypatch.delenv(SANDBOX_PORT_BASE_ENV, raising=False)
    assert set(SANDBOXES) == set(SYSTEMS) == set(SANDBOX_PORTS) - {"webhooks", "desk"}
    for key, spec in SANDBOXES.items():
        assert SYSTEMS[key].values(environ={})["base_url"] == f"http://127.0.0.1:{spec.port}{spec.path}"
        assert SANDBOX_PORTS[key] == spec.port


def test_a_moved_base_moves_every_sandbox_address_together(monkeypatch):
    """``ML_SANDBOX_PORT_BASE`` moves the simulators, every system's default URLs (token and login hosts
    included) and the receiver by the same offset; an address set explicitly stays where it is."""
    monkeypatch.setenv(SANDBOX_PORT_BASE_ENV, "20000")
    env = {SANDBOX_PORT_BASE_ENV: "20000"}
    for key, spec in SANDBOXES.items():
        assert spec.port == sandbox_port(key) == SANDBOX_PORTS[key] - 8711 + 20000
        assert SYSTEMS[key].values(environ=env)["base_url"] == f"http://127.0.0.1:{spec.port}{spec.path}"
    assert sandbox_port("webhooks") == 20009
    procore = SYSTEMS["procore"].values(environ=env)
    assert procore["auth_url"] == "http://127.0.0.1:20004"
    fusion = SYSTEMS["fusion"].values(environ=env)
    assert fusion["token_url"] == "http://127.0.0.1:20005/oauth2/v1/token"
    pointed = {**env, "ML_COUPA_URL": "https://acme.coupahost.com"}
    assert SYSTEMS["coupa"].values(environ=pointed)["base_url"] == "https://acme.coupahost.com"
    for bad in ("80", "port", "65530"):
        with pytest.raises(SettingError, match=SANDBOX_PORT_BASE_ENV):
            sandbox_port("coupa", {SANDBOX_PORT_BASE_ENV: bad})


def test_all_six_start_and_answer(tmp_path, monkeypatch):
    monkeypatch.setenv(SANDBOX_PORT_BASE_ENV, str(free_port_base()))  # never the default ports
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    running = start(scale=0.02)
    try:
        assert len(running) == 6
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


def test_one_taken_port_starts_none(tmp_path, monkeypatch):
    """All or none: a taken port (someone else's server) stops every simulator from starting, and
    ``ml-connector sandbox`` says which port and how to move them."""
    import socket

    from click.testing import CliRunner

    from connector_cli.main import cli
    from connector_sandbox.registry import PortsTaken, port_in_use

    base = free_port_base()
    monkeypatch.setenv(SANDBOX_PORT_BASE_ENV, str(base))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", base + 5))  # the Fusion port
        holder.listen()
        with pytest.raises(PortsTaken, match=f"fusion on 127.0.0.1:{base + 5}"):
            start(scale=0.02)
        assert not any(port_in_use(base + offset) for offset in range(5))
        refused = CliRunner().invoke(cli, ["sandbox", "--scale", "0.02"])
    assert refused.exit_code == 1
    assert f"not starting: fusion on 127.0.0.1:{base + 5} already in use" in refused.output
    assert SANDBOX_PORT_BASE_ENV in refused.output
