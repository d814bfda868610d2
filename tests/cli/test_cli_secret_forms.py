"""Every ``ml-connector`` command with every secret set each way the README allows: a literal value,
``env:VAR`` and ``vault:NAME`` (``xref set`` crashed whenever the Procurify client secret
was configured, because a resource holding an ``EnvVar`` was read outside a Dagster run).

The commands run against the Fusion, Procurify, BILL and Procore simulators on free ports, so those that
log in really resolve the secret. Each leaf command of the click group must be listed in ``RUN`` or in
``NOT_HERE`` (with the reason), so a new command is covered or the test fails naming it. Asserted for each:
no unhandled exception, no traceback, and no secret value in its output.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import click
import pytest
import requests
from click.testing import CliRunner
from cryptography.fernet import Fernet
from fusion_procurify_world import FusionProcurifyWorld, module_world  # noqa: F401  (a fixture, used by name)
from procore_jde_world import GENEROUS  # pacing is tested elsewhere; here it only costs time

from connector_cli.main import cli
from connector_resources.ledger import Ledger
from connector_resources.settings import SYSTEMS
from connector_resources.vault import Vault
from connector_sandbox.bill import BillSandboxSettings, create_app
from connector_sandbox.procore import run_in_thread as run_procore
from connector_sandbox.procore.settings import ProcoreSandboxSettings
from connector_sandbox.serve import serve_in_thread

FORMS = ("value", "env", "vault")
# The one form `bill-webhooks` accepts for its key (README): it stores the key in the vault itself.
BILL_WEBHOOK_KEY = "vault:cli_bill_webhook_key"
# Likewise `procore-webhooks` keeps the hook's token in the vault itself.
PROCORE_WEBHOOK_TOKEN = "vault:cli_procore_webhook_token"
# One key for the module: the forms share one ledger, and so one vault.
VAULT_KEY = Fernet.generate_key().decode()
# Commands not run here, and why: each is a long-running process tested on its own.
NOT_HERE = {
    "dev": "starts dagster dev, the sandboxes and the receiver; tests/project/test_dev.py runs it",
    "sandbox": "serves the simulators only and reads no connector secret",
    "where": "prints the running make dev's addresses, no secret; tests/cli/test_second_shell.py runs it",
    "periods roll": "moves the sandboxes' periods by admin routes, no secret; tests/cli/test_cli_periods.py",
    "abandon": "changes only the ledger's queue, reads no connector secret; tests/cli/test_cli_decisions.py",
    "reopen": "changes only the ledger's queue, reads no connector secret; tests/cli/test_cli_decisions.py",
    **dict.fromkeys(
        ("live on", "live off", "live status"),
        "switches and reads schedules and sensors through a running Dagster webserver (its ping reads the "
        "secrets as `ping` does, run here); tests/cli/test_live.py runs it against one",
    ),
    **dict.fromkeys(
        ("desk users add", "desk users list", "desk users remove"),
        "the desk's own accounts in the ledger, no connector secret; tests/cli/test_cli_desk_users.py",
    ),
}
SECRETS = {s.env: s.default_value() for system in SYSTEMS.values() for s in system.settings if s.secret}


def _leaf_commands(group: click.Group, prefix: tuple[str, ...] = ()) -> set[str]:
    names: set[str] = set()
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            names |= _leaf_commands(command, (*prefix, name))
        else:
            names.add(" ".join((*prefix, name)))
    return names


class Bill:
    def __init__(self) -> None:
        settings = BillSandboxSettings(
            scale=0.05, webhooks={"fixed_security_key": None, "auto_deliver": False, "max_attempts": 1}
        )
        self.base, self.stop = serve_in_thread(create_app(settings), path="/connect")

    def subscription_ids(self) -> list[str]:
        root = self.base.removesuffix("/connect")
        return [s["id"] for s in requests.get(f"{root}/sandbox/webhooks", timeout=10).json()["subscriptions"]]


@pytest.fixture(scope="module")
def bill() -> Iterator[Bill]:
    served = Bill()
    yield served
    served.stop()


@pytest.fixture(scope="module")
def procore() -> Iterator[str]:
    root, stop = run_procore(ProcoreSandboxSettings(scale=0.05, rate_limits=GENEROUS))
    yield root
    stop()


@pytest.fixture(params=FORMS)
def form(request, world, bill, procore, monkeypatch) -> str:
    """Every secret setting of every system given in one form, pointed at the simulators and the ledger."""
    monkeypatch.setenv("ML_FUSION_URL", world.fusion_url)
    monkeypatch.setenv("ML_FUSION_TOKEN_URL", f"{world.fusion_url}/oauth2/v1/token")
    monkeypatch.setenv("ML_PROCURIFY_URL", world.procurify_url)
    monkeypatch.setenv("ML_BILL_URL", bill.base)
    monkeypatch.setenv("ML_PROCORE_URL", procore)
    monkeypatch.setenv("ML_PROCORE_AUTH_URL", procore)
    monkeypatch.setenv("ML_CONNECTOR_DB_URL", world.db)
    monkeypatch.setenv("ML_CONNECTOR_VAULT_KEY", VAULT_KEY)
    vault = Vault(Ledger(world.db))
    for env, secret in SECRETS.items():
        if request.param == "value":
            monkeypatch.setenv(env, secret)
        elif request.param == "env":
            monkeypatch.setenv(f"CLI_TEST_{env}", secret)
            monkeypatch.setenv(env, f"env:CLI_TEST_{env}")
        else:
            vault.set(env.lower(), secret)
            monkeypatch.setenv(env, f"vault:{env.lower()}")
    monkeypatch.setenv("ML_BILL_WEBHOOK_KEY", BILL_WEBHOOK_KEY)
    monkeypatch.setenv("ML_PROCORE_WEBHOOK_TOKEN", PROCORE_WEBHOOK_TOKEN)
    return request.param


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _receiver_starts(tmp_path: Path) -> str:
    """``ml-connector webhooks`` as a process on a port chosen free: it must come up and answer."""
    port = _free_port()
    log = tmp_path / "receiver.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "connector_cli.main", "webhooks", "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and process.poll() is None:
            try:
                requests.get(f"http://127.0.0.1:{port}/webhooks/bill", timeout=2)
                break
            except requests.ConnectionError:
                time.sleep(0.2)
        assert process.poll() is None, f"the receiver stopped:\n{log.read_text()}"
    finally:
        process.terminate()
        process.wait(timeout=30)
    return log.read_text()


def test_every_command_is_run_here_or_named_with_why() -> None:
    assert _leaf_commands(cli) == set(RUN) | set(NOT_HERE)


RUN = (
    "xref set",
    "xref list",
    "xref delete",
    "credentials gen-key",
    "credentials set",
    "credentials list",
    "credentials status",
    "credentials rotate",
    "credentials delete",
    "audit",
    "replay",
    "ping",
    "bill-webhooks create",
    "bill-webhooks list",
    "bill-webhooks rotate",
    "bill-webhooks disable",
    "bill-webhooks enable",
    "bill-webhooks delete",
    "procore-webhooks create",
    "procore-webhooks list",
    "procore-webhooks rotate",
    "procore-webhooks delete",
    "webhooks",
    "fit",
    "periods show",
    "mappings list",
    "mappings show",
    "mappings export",
    "mappings import",
)


def test_every_command_runs_with_secrets_given_each_way(form, world, bill, tmp_path, monkeypatch) -> None:
    supplier = world.fusion_records("suppliers", limit=40)[FORMS.index(form)]
    vendor = sorted(world.in_procurify("vendors"), key=int)[FORMS.index(form)]
    outputs: list[str] = []

    def run(command: str, *args: str, ok: bool = True, stdin: str | None = None) -> str:
        result = CliRunner().invoke(cli, [*command.split(), *args], input=stdin)
        shown = result.output
        outputs.append(shown)
        assert result.exception is None or isinstance(result.exception, SystemExit), (
            f"{command} ({form}) crashed: {result.exception!r}\n{shown}"
        )
        if ok:
            assert result.exit_code == 0, f"{command} ({form}):\n{shown}"
        return shown

    ran: set[str] = set()

    def each(command: str, *args: str, **kwargs) -> str:
        ran.add(command)
        return run(command, *args, **kwargs)

    pairing = ("--integration", "fusion_procurify")
    assert "matched" in each("xref set", vendor, str(supplier["SupplierNumber"]), *pairing, "--note", "probe")
    assert vendor in each("xref list")
    each("xref delete", vendor, *pairing, "--note", "probe done")
    each("credentials gen-key")
    each("credentials set", "cli_probe", "--stdin", stdin="cli-probe-value")
    assert "cli_probe" in each("credentials list")
    each("credentials status")
    each("credentials rotate")
    each("credentials delete", "cli_probe")
    each("audit", vendor, ok=False)  # a record with or without events: it answers, it does not crash
    each("replay", "--dry-run")
    for system in ("fusion", "procurify", "bill"):
        each("ping", "--system", system)
    each("bill-webhooks create", "--url", f"http://127.0.0.1:9/webhooks/bill/{form}")
    each("bill-webhooks list")
    [subscription, *_] = [s for s in bill.subscription_ids()]
    each("bill-webhooks rotate", subscription)
    each("bill-webhooks disable", subscription)
    each("bill-webhooks enable", subscription)
    each("bill-webhooks delete", subscription)
    assert "created" in each(
        "procore-webhooks create", "--url", f"http://127.0.0.1:9/webhooks/procore/{form}"
    )
    assert "<- ml-connector" in each("procore-webhooks list")
    assert "rotated" in each("procore-webhooks rotate")
    assert "deleted" in each("procore-webhooks delete")
    today = date.today().isoformat()  # a preview logs in to Fusion and Procurify and writes nothing
    for table in ("ACCOUNT", "DEPARTMENT"):  # the sandbox tables, named as a deployment names its own
        csv = Path("mappings/sandbox") / f"fusion_procurify_{table.lower()}s.csv"
        monkeypatch.setenv(f"ML_FUSION_PROCURIFY_{table}_MAP", str(csv.resolve()))
    fitted = each(
        "fit",
        "--integration",
        "fusion_procurify",
        "--flow",
        "account_codes",
        "--from",
        today,
        "--to",
        today,
        "--out",
        str(tmp_path / "fit"),
    )
    assert "ok   account_codes" in fitted
    # The account map as the fit imported it, one row changed and imported back: the master-data check logs in
    # to Fusion to read the combination of the account the row names.
    table = "fusion_procurify/account_map"
    assert "fusion_procurify/account_map: " in each("mappings list")
    assert " -> " in each("mappings show", table)
    exported = tmp_path / f"accounts-{form}.csv"
    each("mappings export", table, str(exported))
    header, *rows = exported.read_text(encoding="utf-8").splitlines()
    code, account = rows[0].split(",")
    other = next(value for _, value in (row.split(",") for row in rows) if value != account)
    exported.write_text("\n".join([header, f"{code},{other}", *rows[1:]]) + "\n", encoding="utf-8")
    saved = each("mappings import", str(exported), "--table", table, "--note", "a code moved", "--yes")
    assert f"saved {table} version" in saved
    assert "Payables periods" in each("periods show", "--system", "fusion")
    ran.add("webhooks")
    outputs.append(_receiver_starts(tmp_path))

    assert ran == set(RUN)
    text = "\n".join(outputs)
    assert "Traceback" not in text and "Attempted to directly retrieve" not in text
    for env, secret in SECRETS.items():
        assert secret not in text, f"{env}'s value shown ({form})"
