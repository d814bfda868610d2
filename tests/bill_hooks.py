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
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

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


def bill_signature(key: str, body: bytes) -> str:
    """``X-Bill-Sha-Signature`` of ``body`` under ``key``."""
    return base64.b64encode(hmac.new(key.encode(), body, hashlib.sha256).digest()).decode()
