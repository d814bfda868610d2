"""Channel failures: one channel's refusal does not silence the others, none answering fails the sensor
tick (so the UI shows it), and neither an error nor a log line carries a webhook's token."""

from __future__ import annotations

import logging

import pytest
from alert_channels import SLACK_PATH, Received
from http_server import CannedResponse, closed_port

from connector_assets.alerts.channels import (
    Alert,
    AlertNotDelivered,
    configured_channels,
    deliver,
    slack_body,
    teams_body,
)
from connector_resources.settings import SettingError

ALERT = Alert(
    kind="run_failed", title="Run failed: jde_bill_bills for 2026-11-20", facts=(("Day", "2026-11-20"),)
)


def test_a_refusing_channel_does_not_silence_the_others(received: Received, caplog) -> None:
    received.http.route(SLACK_PATH, CannedResponse(404, "no_service"))
    with caplog.at_level(logging.INFO):
        sent = deliver(ALERT, logging.getLogger("alerts-test"))
    assert sent == ["teams", "e-mail"]
    assert len(received.teams()) == 1 and len(received.mails()) == 1
    assert "not sent to slack" in caplog.text and "hooktoken0123456789" not in caplog.text


def test_no_channel_answering_fails_with_the_reasons_and_no_token(
    received: Received, monkeypatch: pytest.MonkeyPatch
) -> None:
    received.http.route(SLACK_PATH, CannedResponse(404, "no_service"))
    monkeypatch.delenv("ML_ALERT_TEAMS_WEBHOOK_URL")
    monkeypatch.setenv("ML_ALERT_SMTP_PORT", str(closed_port()))
    with pytest.raises(AlertNotDelivered) as refused:
        deliver(ALERT, logging.getLogger("alerts-test"))
    assert "slack:" in str(refused.value) and "e-mail:" in str(refused.value)
    assert "hooktoken0123456789" not in str(refused.value)


def test_e_mail_needs_a_server(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ML_ALERT_EMAIL_TO", "ap-ops@acme.example")
    monkeypatch.delenv("ML_ALERT_SMTP_HOST", raising=False)
    with pytest.raises(SettingError, match="ML_ALERT_SMTP_HOST"):
        configured_channels()


def test_no_channel_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    for env in ("ML_ALERT_SLACK_WEBHOOK_URL", "ML_ALERT_TEAMS_WEBHOOK_URL", "ML_ALERT_EMAIL_TO"):
        monkeypatch.delenv(env, raising=False)
    assert configured_channels() == []


def test_the_webhook_bodies_speak_slack_and_teams() -> None:
    slack = slack_body(ALERT)
    assert slack["text"].startswith("Run failed") and slack["blocks"][0]["type"] == "header"
    card = teams_body(ALERT)["attachments"][0]
    assert card["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert card["content"]["body"][1]["facts"] == [{"title": "Day", "value": "2026-11-20"}]
