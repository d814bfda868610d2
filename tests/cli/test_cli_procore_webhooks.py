"""``ml-connector procore-webhooks`` against the Procore simulator on a free port, over real HTTP.

The token is the vault entry ``ML_PROCORE_WEBHOOK_TOKEN`` references: made by ``create`` when the vault
holds none, sent as the hook's destination header, replaced by ``rotate``; a second ``create`` adopts the
hook instead of making another; ``delete`` removes it. No output ever shows the token."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import requests
from click.testing import CliRunner
from cryptography.fernet import Fernet
from procore_jde_world import GENEROUS  # pacing is tested elsewhere; here it only costs time

from connector_cli.main import cli
from connector_resources.ledger import Ledger
from connector_resources.vault import SecretNotFound, Vault
from connector_resources.webhooks.configured import configured_sources
from connector_resources.webhooks.sources import WebhookRejected
from connector_sandbox.procore import run_in_thread
from connector_sandbox.procore.settings import ProcoreSandboxSettings

TOKEN_NAME = "procore_webhook_token"
URL = "https://receiver.example/webhooks/procore"


@dataclass
class World:
    root: str
    ledger: Ledger
    outputs: list[str]

    def run(self, *args: str, ok: bool = True) -> str:
        result = CliRunner().invoke(cli, ["procore-webhooks", *args])
        self.outputs.append(result.output)
        assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
        if ok:
            assert result.exit_code == 0, result.output
        return result.output

    def token(self) -> str | None:
        try:
            return Vault(self.ledger).get(TOKEN_NAME)
        except SecretNotFound:
            return None

    def hooks(self) -> list[dict]:
        answer = requests.get(f"{self.root}/sandbox/records/hooks", params={"limit": 100}, timeout=10)
        answer.raise_for_status()
        return [h for h in answer.json()["rows"] if h.get("deleted_at") is None]


@pytest.fixture
def world(tmp_path, monkeypatch) -> Iterator[World]:
    root, stop = run_in_thread(ProcoreSandboxSettings(scale=0.05, rate_limits=GENEROUS))
    db = f"sqlite:///{tmp_path / 'ledger.sqlite'}"
    for name, value in {
        "ML_PROCORE_URL": root,
        "ML_PROCORE_AUTH_URL": root,
        "ML_CONNECTOR_DB_URL": db,
        "ML_CONNECTOR_VAULT_KEY": Fernet.generate_key().decode(),
        "ML_PROCORE_WEBHOOK_TOKEN": f"vault:{TOKEN_NAME}",
    }.items():
        monkeypatch.setenv(name, value)
    ledger = Ledger(db)
    try:
        yield World(root, ledger, [])
    finally:
        ledger.dispose()
        stop()


def _sent_token(hook: dict) -> str:
    headers = hook["destination_headers"]
    headers = json.loads(headers) if isinstance(headers, str) else headers
    return headers["Authorization"].removeprefix("Bearer ")


def test_create_adopt_list_rotate_delete_with_the_token_only_in_the_vault(world: World):
    receiver = configured_sources()["procore"]  # started before any token exists, as an operator may

    def delivered(token: str) -> bool:
        try:
            receiver.verify({"Authorization": f"Bearer {token}"}, b"{}")
        except WebhookRejected:
            return False
        return True

    assert "created" in world.run("create", "--url", URL)
    token = world.token()
    assert token and len(token) >= 32
    [hook] = world.hooks()
    assert (hook["destination_url"], hook["namespace"], _sent_token(hook)) == (URL, "ml-connector", token)
    assert delivered(token)  # the running receiver verifies with the new token, no restart

    assert "adopted" in world.run("create", "--url", URL)  # a rerun: the same hook, the same token
    assert [h["id"] for h in world.hooks()] == [hook["id"]] and world.token() == token

    listed = world.run("list")
    assert URL in listed and "<- ml-connector" in listed and "trigger(s)" in listed

    world.run("rotate")
    new = world.token()
    assert new and new != token
    [rotated] = world.hooks()
    assert rotated["id"] == hook["id"] and _sent_token(rotated) == new
    assert delivered(new) and not delivered(token)  # the old token stops working at once

    assert "deleted" in world.run("delete")
    assert world.hooks() == []
    assert "nothing to delete" in world.run("delete")
    assert "run `procore-webhooks create`" in world.run("rotate", ok=False)

    text = "\n".join(world.outputs)
    assert token not in text and new not in text


def test_create_refuses_a_token_setting_that_is_not_a_vault_reference(world: World, monkeypatch):
    monkeypatch.setenv("ML_PROCORE_WEBHOOK_TOKEN", "a-literal-token")
    shown = world.run("create", "--url", URL, ok=False)
    assert "ML_PROCORE_WEBHOOK_TOKEN is not a vault reference" in shown
    assert world.hooks() == []
