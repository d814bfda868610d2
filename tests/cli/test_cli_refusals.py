"""Every CLI command that talks to a system, against simulators refusing its credentials: one clear line,
never a Python traceback in front of it.

The commands run as an operator runs them (the console script's module in a process of its own, so what
the interpreter prints for an uncaught exception would be in the output), pointed at the simulators on
free ports, with a wrong secret for each system.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from cli_process import ml_connector
from cryptography.fernet import Fernet

from connector_resources.settings import SANDBOX_PORT_BASE_ENV
from connector_sandbox.registry import free_port_base, start

SYSTEMS = ["procurify", "fusion", "bill", "procore"]
WRONG = {
    "ML_PROCURIFY_CLIENT_SECRET": "not-the-secret",
    "ML_FUSION_CLIENT_SECRET": "not-the-secret",
    "ML_BILL_PASSWORD": "not-the-password",
    "ML_PROCORE_CLIENT_SECRET": "not-the-secret",
}
HOOK = "https://receiver.example/webhooks"

XREF_SET = ["xref", "set", "1", "number:1", "--integration", "fusion_procurify", "--note", "probe"]
# (command, the wrong secrets, what the refusal must say)
COMMANDS = [
    (XREF_SET, WRONG, "Procurify refused the API credentials"),
    (
        XREF_SET,
        {"ML_FUSION_CLIENT_SECRET": "not-the-secret"},
        "credentials refused (HTTP 401)",
    ),
    (["bill-webhooks", "list"], WRONG, "BILL"),
    (["bill-webhooks", "create", "--url", f"{HOOK}/bill"], WRONG, "BILL"),
    (["bill-webhooks", "rotate", "--url", f"{HOOK}/bill"], WRONG, "BILL"),
    (["bill-webhooks", "enable", "--url", f"{HOOK}/bill"], WRONG, "BILL"),
    (["bill-webhooks", "disable", "--url", f"{HOOK}/bill"], WRONG, "BILL"),
    (["bill-webhooks", "delete", "sub-1"], WRONG, "BILL"),
    (["procore-webhooks", "list"], WRONG, "Procore"),
    (["procore-webhooks", "create", "--url", f"{HOOK}/procore"], WRONG, "Procore"),
    (["procore-webhooks", "rotate"], WRONG, "Procore"),
    (["procore-webhooks", "delete"], WRONG, "Procore"),
    (["ping", *(arg for system in SYSTEMS for arg in ("--system", system))], WRONG, "FAIL"),
]


@pytest.fixture(scope="module")
def simulators(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """The four simulators these commands talk to, on a free port block, their data in a folder of their
    own (never the project's ``.dagster_home``, which make dev keeps); the environment pointing at them."""
    base = str(free_port_base())
    values = {SANDBOX_PORT_BASE_ENV: base, "DAGSTER_HOME": str(tmp_path_factory.mktemp("simulators"))}
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)  # ``start`` places them by the same settings as the clients
    try:
        running = start(SYSTEMS, scale=0.02)
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name)
            else:
                os.environ[name] = value
    try:
        yield {SANDBOX_PORT_BASE_ENV: base}
    finally:
        for sandbox in running:
            sandbox.stop()


@pytest.mark.parametrize(
    ("args", "wrong", "said"), COMMANDS, ids=[" ".join(c[0][:2]) + f" #{n}" for n, c in enumerate(COMMANDS)]
)
def test_a_refused_command_says_why_in_one_line_without_a_traceback(simulators, tmp_path, args, wrong, said):
    env = {
        **os.environ,
        **simulators,
        **wrong,
        "ML_CONNECTOR_DB_URL": f"sqlite:///{tmp_path / 'ledger.sqlite'}",
        "ML_CONNECTOR_VAULT_KEY": Fernet.generate_key().decode(),
        "DAGSTER_HOME": str(tmp_path),
        # where a hook token made by ``procore-webhooks`` goes, so the command gets as far as Procore
        "ML_PROCORE_WEBHOOK_TOKEN": "vault:procore_webhook_token",
    }
    done = ml_connector(args, env=env, cwd=tmp_path, timeout=180)
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    assert "Traceback" not in output, output
    assert said in output, output
    assert not any(secret in output for secret in wrong.values()), output
