"""``ml-connector bill-webhooks`` against the BILL simulator over real HTTP, with the real receiver.

The receiver is built from the settings (``configured_sources``) before any key exists, as an operator
would start it, so the tests prove that a key created or rotated by the CLI verifies deliveries without
a restart. Keys are random per subscription here (the simulator's real behaviour), read back only from
the vault, and never found in any output or log line.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import requests
from bill_hooks import HELD_DELIVERIES, CommandsWorld, bill_for_commands, bill_signature
from click.testing import CliRunner

from connector_cli.main import cli
from connector_cli.subscriptions import KeyStore, PendingCreate
from connector_resources.bill import BillResource
from connector_resources.vault import SecretNotFound, Vault
from connector_resources.webhooks import create_receiver
from connector_resources.webhooks.configured import configured_sources
from connector_sandbox.bill import BillSandboxSettings
from connector_sandbox.serve import serve_in_thread
from tests.sandbox_logins import on_simulator

KEY_NAME = "bill_webhook_key"


@dataclass
class World(CommandsWorld):
    base: str  # BILL's API base (.../connect); ``receiver`` is its BILL endpoint, subscribed by `create`

    def vault_key(self) -> str:
        return Vault(self.ledger).get(KEY_NAME)

    def bill_events_delivered(self) -> list[dict]:
        """Make a bill change in BILL, deliver what is pending now, and return the attempts."""
        self.admin("activity", {"updated_bills": 1})
        return self.admin("webhooks/deliver")["outcomes"]

    def inbox_ids(self) -> set[str]:
        return {event.event_id for event in self.ledger.inbox_pending(source="bill", limit=1000)}

    def calls(self, endpoint: str) -> int:
        state = requests.get(f"{self.root}/sandbox/state", timeout=10).json()
        return state["calls"].get(endpoint, 0)


@pytest.fixture
def world(tmp_path, monkeypatch, caplog) -> Iterator[World]:
    settings = BillSandboxSettings(scale=0.05, webhooks=HELD_DELIVERIES)
    with bill_for_commands(tmp_path, monkeypatch, settings, KEY_NAME) as (base, ledger):
        # The receiver as `ml-connector webhooks` builds it, started before any key is stored.
        receiver, stop_receiver = serve_in_thread(create_receiver(configured_sources(), ledger))
        monkeypatch.setenv("ML_BILL_WEBHOOK_URL", f"{receiver}/webhooks/bill")
        caplog.set_level(logging.DEBUG)
        try:
            yield World(base.removesuffix("/connect"), f"{receiver}/webhooks/bill", ledger, [], base)
        finally:
            stop_receiver()


def _assert_never_shown(world: World, caplog, *keys: str) -> None:
    """No key appears in any command's output or in any log record of the test."""
    text = "\n".join(world.outputs) + "\n" + caplog.text
    for key in keys:
        assert key and key not in text


def test_create_stores_the_key_and_a_second_create_adopts(world, caplog):
    created = world.run("create")
    assert "created:" in created.output and "bill_webhook_key" in created.output
    [subscription] = world.subscriptions()
    assert subscription["notificationUrl"] == world.receiver
    assert {e["type"] for e in subscription["events"]} == {
        "bill.created",
        "bill.updated",
        "payment.updated",
        "payment.failed",
    }
    key = world.vault_key()

    # The receiver started before the key existed; BILL's signed delivery verifies with the vault's key.
    outcomes = world.bill_events_delivered()
    assert outcomes and all(o["statusCode"] == 200 for o in outcomes), outcomes
    assert {o["eventId"] for o in outcomes} <= world.inbox_ids()

    again = world.run("create")
    assert "adopted (not created again)" in again.output and "already in the vault" in again.output
    assert len(world.subscriptions()) == 1 and world.vault_key() == key  # not rotated, not duplicated

    listed = world.run("list")
    assert subscription["id"] in listed.output and "enabled" in listed.output
    assert "<- this receiver" in listed.output and "bill.updated" in listed.output
    audit = CliRunner().invoke(cli, ["audit", subscription["id"]])
    assert "create" in audit.output and "adopt" in audit.output, audit.output
    _assert_never_shown(world, caplog, key)


def test_rotate_new_deliveries_verify_without_restart_old_signatures_refused(world, caplog):
    world.run("create")
    old_key = world.vault_key()
    assert all(o["statusCode"] == 200 for o in world.bill_events_delivered())

    rotated = world.run("rotate")
    assert "rotated the key" in rotated.output
    new_key = world.vault_key()
    assert new_key != old_key

    # BILL now signs with the new key; the running receiver re-reads the vault and accepts it.
    outcomes = world.bill_events_delivered()
    assert outcomes and all(o["statusCode"] == 200 for o in outcomes), outcomes
    assert {o["eventId"] for o in outcomes} <= world.inbox_ids()

    # A delivery signed with the old key (sent before the rotation) is refused, not stored.
    body = json.dumps(
        {
            "metadata": {"eventId": "signed-with-old-key", "eventType": "bill.updated", "version": "1"},
            "bill": {"id": "00n0OLD", "updatedTime": "2030-01-01T00:00:00.000+00:00"},
        }
    ).encode()
    late = requests.post(
        world.receiver,
        data=body,
        headers={"x-bill-sha-signature": bill_signature(old_key, body), "Content-Type": "application/json"},
        timeout=10,
    )
    assert late.status_code == 401 and "signed-with-old-key" not in world.inbox_ids()
    _assert_never_shown(world, caplog, old_key, new_key)


def test_at_the_ten_subscription_limit_nothing_is_sent_and_the_list_is_shown(world, caplog):
    bill = on_simulator(BillResource, world.base)
    with bill.session() as session:
        for n in range(10):
            session.create_subscription(
                name=f"partner feed {n}",
                events=["vendor.updated"],
                notification_url=f"https://feeds.invalid/{n}",
            )
    creates_before = world.calls("POST /connect-events/v3/subscriptions")

    refused = world.run("create", ok=False)
    assert refused.exit_code == 1
    assert "at most" not in refused.output  # our own words, not BILL's refusal: nothing was sent
    assert "10 subscriptions" in refused.output and "delete" in refused.output
    for n in range(10):
        assert f"partner feed {n}" in refused.output and f"https://feeds.invalid/{n}" in refused.output
    assert refused.output.count("enabled") >= 10 and "vendor.updated" in refused.output
    assert world.calls("POST /connect-events/v3/subscriptions") == creates_before
    with pytest.raises(SecretNotFound):
        world.vault_key()

    # Deleting one makes room; create then succeeds.
    doomed = world.subscriptions()[0]["id"]
    deleted = world.run("delete", doomed)
    assert f"deleted subscription {doomed}" in deleted.output
    world.run("create")
    assert len(world.subscriptions()) == 10
    _assert_never_shown(world, caplog, world.vault_key())


def test_a_create_whose_answer_was_lost_is_resent_with_the_same_key(world, caplog):
    # What a create that crashed after sending leaves: the pending key in the vault, and the
    # subscription made in BILL, whose one-time key the lost answer carried.
    store = KeyStore(Vault(world.ledger), KEY_NAME)
    events = ["bill.created", "bill.updated", "payment.failed", "payment.updated"]
    pending = PendingCreate(str(uuid.uuid4()), world.receiver, events, "ml-connector", "2030-01-01T00:00:00Z")
    store.begin(pending)
    bill = on_simulator(BillResource, world.base)
    with bill.session() as session:
        session.create_subscription(
            name=pending.name,
            events=events,
            notification_url=pending.notification_url,
            idempotency_key=pending.idempotency_key,
        )  # the answer is "lost": dropped here

    resent = world.run("create")
    assert "resending the create" in resent.output and "created (the lost answer" in resent.output
    assert len(world.subscriptions()) == 1 and store.pending() is None
    outcomes = world.bill_events_delivered()  # the key BILL replayed is the one it signs with
    assert outcomes and all(o["statusCode"] == 200 for o in outcomes), outcomes
    _assert_never_shown(world, caplog, world.vault_key())


def test_a_subscription_bill_disabled_is_listed_and_create_re_enables_it(world, caplog):
    # A receiver path that answers 404: BILL's only attempt (max_attempts=1) fails and BILL disables it.
    world.run("create", "--url", world.receiver.replace("/webhooks/bill", "/webhooks/nowhere"))
    world.bill_events_delivered()
    [subscription] = world.subscriptions()
    assert subscription["status"]["enabled"] is False and subscription["disabledReason"]

    listed = world.run("list")
    assert "DISABLED" in listed.output and "bill-webhooks enable" in listed.output
    readopted = world.run("create", "--url", subscription["notificationUrl"])
    assert "re-enabled" in readopted.output
    assert world.subscriptions()[0]["status"]["enabled"] is True

    disabled = world.run("disable", subscription["id"])
    assert "disabled:" in disabled.output and "DISABLED" in disabled.output
    enabled = world.run("enable", subscription["id"])
    assert "enabled:" in enabled.output
    _assert_never_shown(world, caplog, world.vault_key())


def test_create_refuses_when_the_key_setting_is_not_a_vault_reference(world, monkeypatch):
    monkeypatch.setenv("ML_BILL_WEBHOOK_KEY", "a-literal-key-value")
    refused = world.run("create", ok=False)
    assert refused.exit_code == 1 and "ML_BILL_WEBHOOK_KEY=vault:bill_webhook_key" in refused.output
    assert world.subscriptions() == []


def test_the_receiver_key_is_re_read_once_per_quiet_time_under_forged_deliveries():
    """LiveSecret: a changed key is picked up by the first failing delivery; a flood of failures that
    find nothing new costs one read per quiet time, not one per request."""
    from connector_resources.webhooks.live_secret import LiveSecret

    stored, reads, now = {"value": "key-one-0123456789"}, [], [100.0]

    def resolve(_ref: str) -> str:
        reads.append(now[0])
        return stored["value"]

    secret = LiveSecret("vault:x", min_interval=1.0, resolve=resolve, clock=lambda: now[0])
    assert secret.prime() == "key-one-0123456789" and secret.current() == "key-one-0123456789"
    stored["value"] = "key-two-0123456789"  # rotated
    assert secret.refreshed() == "key-two-0123456789"  # the first failure reads and finds it
    for _ in range(50):  # forged deliveries: the first finds nothing new, the rest are quiet
        assert secret.refreshed() is None
    assert len(reads) == 3
    now[0] += 1.5
    assert secret.refreshed() is None and len(reads) == 4


@pytest.mark.parametrize("command", ["create", "list", "rotate", "enable", "disable", "delete"])
def test_every_bill_webhooks_command_has_help(command):
    result = CliRunner().invoke(cli, ["bill-webhooks", command, "--help"])
    assert result.exit_code == 0 and "Usage:" in result.output


def test_when_bill_does_not_replay_a_lost_create_the_subscription_is_adopted_with_a_new_key(world, caplog):
    """BILL's replay of an X-Idempotent-Key is not documented: when the resent create is refused as a
    duplicate, the subscription it made is adopted and, its key being unknown, given a new one."""
    world.admin("settings", {"variants": {"idempotent_key_replay": False}})
    store = KeyStore(Vault(world.ledger), KEY_NAME)
    events = ["bill.created", "bill.updated", "payment.failed", "payment.updated"]
    pending = PendingCreate(str(uuid.uuid4()), world.receiver, events, "ml-connector", "2030-01-01T00:00:00Z")
    store.begin(pending)
    with on_simulator(BillResource, world.base).session() as session:
        session.create_subscription(
            name=pending.name,
            events=events,
            notification_url=world.receiver,
            idempotency_key=pending.idempotency_key,
        )

    result = world.run("create")
    assert "BILL refused the resent create" in result.output and "adopted" in result.output
    assert "a new key was requested" in result.output
    assert len(world.subscriptions()) == 1 and store.pending() is None
    outcomes = world.bill_events_delivered()
    assert outcomes and all(o["statusCode"] == 200 for o in outcomes), outcomes
    _assert_never_shown(world, caplog, world.vault_key())
