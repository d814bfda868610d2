"""BILL's simulator served for the ``bill-webhooks`` commands, as the CLI tests stand it up: at
``.../connect`` with deliveries kept until a test asks for them, a SQLite ledger with a vault key, and the
deployment's BILL settings pointing at both; and the signature BILL puts on a delivery (HMAC-SHA256 of the
body, base64)."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner, Result
from cryptography.fernet import Fernet

from connector_cli.main import cli
from connector_resources.ledger import Ledger
from connector_sandbox.bill import BillSandboxSettings, create_app
from connector_sandbox.serve import serve_in_thread

# Keys random per subscription (the simulator's real behaviour), nothing delivered until a test says so.
HELD_DELIVERIES = {"fixed_security_key": None, "auto_deliver": False, "max_attempts": 1}


@contextmanager
def bill_for_commands(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, settings: BillSandboxSettings, key_name: str
) -> Iterator[tuple[str, Ledger]]:
    """BILL's API base (``.../connect``) and the ledger, ``ML_BILL_WEBHOOK_KEY`` naming vault entry
    ``key_name``; the simulator stopped and the ledger closed after."""
    base, stop = serve_in_thread(create_app(settings), path="/connect")
    url = f"sqlite:///{tmp_path / 'ledger.sqlite'}"
    monkeypatch.setenv("ML_CONNECTOR_DB_URL", url)
    monkeypatch.setenv("ML_CONNECTOR_VAULT_KEY", Fernet.generate_key().decode())
    monkeypatch.setenv("ML_BILL_URL", base)
    monkeypatch.setenv("ML_BILL_WEBHOOK_KEY", f"vault:{key_name}")
    ledger = Ledger(url)
    try:
        yield base, ledger
    finally:
        stop()
        ledger.dispose()


@dataclass
class CommandsWorld:
    """What a ``bill-webhooks`` test drives: the command (every output kept, to prove no key is shown), and
    BILL's operator routes on the simulator's root (its subscriptions, its activity and deliveries)."""

    root: str  # the simulator's root (operator routes under /sandbox)
    receiver: str  # the receiver's endpoint, or root, the test subscribes
    ledger: Ledger
    outputs: list[str]

    def run(self, *args: str, ok: bool = True) -> Result:
        result = CliRunner().invoke(cli, ["bill-webhooks", *args])
        self.outputs.append(result.output)
        if ok:
            assert result.exit_code == 0, result.output
        return result

    def subscriptions(self) -> list[dict]:
        return requests.get(f"{self.root}/sandbox/webhooks", timeout=10).json()["subscriptions"]

    def admin(self, path: str, body: dict | None = None) -> dict:
        response = requests.post(f"{self.root}/sandbox/{path}", json=body or {}, timeout=30)
        response.raise_for_status()
        return response.json()


def bill_signature(key: str, body: bytes) -> str:
    """``X-Bill-Sha-Signature`` of ``body`` under ``key``."""
    return base64.b64encode(hmac.new(key.encode(), body, hashlib.sha256).digest()).decode()
