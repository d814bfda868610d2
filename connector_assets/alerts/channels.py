"""Where alerts go: a Slack or Teams incoming webhook, e-mail through SMTP, configured by ``ML_ALERT_*``
(docs/alerts.md); none by default, and then nothing is sent (the sensors say ``NO_CHANNEL``). Webhook URLs
and the SMTP password are secrets, registered for redaction so an HTTP error never shows a token.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any, Protocol

from dagster import DefaultSensorStatus, SensorDefinition, SensorEvaluationContext, SkipReason, sensor

from connector_assets.flows.reason_text import clipped
from connector_assets.runtime.automation import sensor_status
from connector_resources import settings
from connector_resources.http import HttpClient
from connector_resources.http.policy import HttpPolicy
from connector_resources.redaction import redact, register_secret
from connector_resources.vault import resolve_secret

NO_CHANNEL = (
    "no alert channel is configured (ML_ALERT_SLACK_WEBHOOK_URL, ML_ALERT_TEAMS_WEBHOOK_URL, "
    "ML_ALERT_EMAIL_TO): nothing is sent, the Dagster UI shows the same facts"
)
# An alert is worth a few retries, not a stuck sensor tick: the tick has its own time limit.
WEBHOOK_POLICY = HttpPolicy(connect_timeout=5, read_timeout=15, max_attempts=3, backoff_cap=5, deadline=30)
SMTP_TIMEOUT_SECONDS = 20
# Slack's own limits: a header block's plain text, a section block's text. The message's ``text`` (the
# notification and the fallback) takes far more, so it carries the alert whole.
SLACK_HEADER_CHARS = 150
SLACK_SECTION_CHARS = 3000


# One alert as every channel renders it. One shape because Slack, Teams and e-mail say the same thing in
# their own markup, and the one place a body is assembled is the one place it is redacted, so no channel can
# leak a secret a failure message happened to carry (a token in a URL, a password echoed by a server).
UI_URL_ENV = "ML_ALERT_UI_URL"


@dataclass(frozen=True)
class Alert:
    """``kind`` names the trigger (run_failed, failed_records, closed_period, held_records, not_fresh), or
    all_clear for a red day that passed again; ``facts`` are label -> value lines in the order shown;
    ``ui_path`` is the UI page (``/runs/<id>``) the link opens."""

    kind: str
    title: str
    facts: tuple[tuple[str, str], ...] = field(default_factory=tuple)
    ui_path: str = ""

    @property
    def link(self) -> str:
        base = settings.value(UI_URL_ENV).rstrip("/")
        return f"{base}{self.ui_path}" if base and self.ui_path else ""

    def safe_title(self) -> str:
        return redact(self.title)

    def safe_facts(self) -> list[tuple[str, str]]:
        """The facts with every registered secret and credential shape masked."""
        return [(redact(label), redact(value)) for label, value in self.facts]

    def text(self) -> str:
        """Plain text: the e-mail body and Slack's fallback ``text``."""
        lines = [self.safe_title(), *(f"{label}: {value}" for label, value in self.safe_facts())]
        if self.link:
            lines.append(f"Open in Dagster: {self.link}")
        return "\n".join(lines)


class Channel(Protocol):
    name: str

    def send(self, alert: Alert) -> None: ...


def _secret(env: str) -> str:
    reference = settings.value(env)
    if not reference:
        return ""
    value = resolve_secret(reference)
    register_secret(value)
    return value


@dataclass(frozen=True)
class _Webhook:
    """A JSON POST to an incoming-webhook URL through the project's HTTP client (retries, timeouts)."""

    name: str
    url: str

    def post(self, body: Mapping[str, Any]) -> None:
        with HttpClient(f"{self.name} alerts", self.url, policy=WEBHOOK_POLICY) as client:
            # A 429 / 503 proves the message was not taken, so retrying cannot post it twice.
            client.post(self.url, json=dict(body), authenticate=False)


@dataclass(frozen=True)
class SlackChannel(_Webhook):
    """Slack's incoming-webhook JSON: ``text`` (notifications, fallback) and blocks for the message."""

    def send(self, alert: Alert) -> None:
        self.post(slack_body(alert))


@dataclass(frozen=True)
class TeamsChannel(_Webhook):
    """A Teams incoming webhook (a Workflows "post to a channel when a webhook request is received"): a
    message with one Adaptive Card attachment."""

    def send(self, alert: Alert) -> None:
        self.post(teams_body(alert))


def slack_body(alert: Alert) -> dict[str, Any]:
    facts = "\n".join(f"*{label}:* {value}" for label, value in alert.safe_facts())
    if alert.link:
        facts += f"\n<{alert.link}|Open in Dagster>"
    facts = facts or " "  # Slack refuses an empty section
    return {
        "text": alert.text(),
        "blocks": [
            {
                "type": "header",
                "text": {"type": "plain_text", "text": clipped(alert.safe_title(), SLACK_HEADER_CHARS)},
            },
            {"type": "section", "text": {"type": "mrkdwn", "text": clipped(facts, SLACK_SECTION_CHARS)}},
        ],
    }


def teams_body(alert: Alert) -> dict[str, Any]:
    card: dict[str, object] = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": [
            {
                "type": "TextBlock",
                "text": alert.safe_title(),
                "weight": "Bolder",
                "size": "Medium",
                "wrap": True,
            },
            {
                "type": "FactSet",
                "facts": [{"title": label, "value": value} for label, value in alert.safe_facts()],
            },
        ],
    }
    if alert.link:
        card["actions"] = [{"type": "Action.OpenUrl", "title": "Open in Dagster", "url": alert.link}]
    return {
        "type": "message",
        "summary": alert.safe_title(),
        "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive", "content": card}],
    }


@dataclass(frozen=True)
class EmailChannel:
    """A plain-text e-mail through SMTP (STARTTLS and login when configured)."""

    to: tuple[str, ...]
    sender: str
    host: str
    port: int
    starttls: bool
    username: str
    password: str
    name: str = "e-mail"

    def send(self, alert: Alert) -> None:
        message = EmailMessage()
        message["Subject"] = f"[ml-connector] {alert.safe_title()}"
        message["From"] = self.sender
        message["To"] = ", ".join(self.to)
        message.set_content(alert.text())
        with smtplib.SMTP(self.host, self.port, timeout=SMTP_TIMEOUT_SECONDS) as smtp:
            if self.starttls:
                smtp.starttls()
            if self.username:
                smtp.login(self.username, self.password)
            smtp.send_message(message)


def configured_channels() -> list[Channel]:
    """The channels the settings configure, in a fixed order (Slack, Teams, e-mail); empty by default."""
    channels: list[Channel] = []
    slack = _secret("ML_ALERT_SLACK_WEBHOOK_URL")
    if slack:
        channels.append(SlackChannel("slack", slack))
    teams = _secret("ML_ALERT_TEAMS_WEBHOOK_URL")
    if teams:
        channels.append(TeamsChannel("teams", teams))
    to = settings.read("ML_ALERT_EMAIL_TO")
    if to:
        host = settings.value("ML_ALERT_SMTP_HOST")
        if not host:
            raise settings.SettingError("ML_ALERT_EMAIL_TO is set but ML_ALERT_SMTP_HOST is blank")
        channels.append(
            EmailChannel(
                to=tuple(to),
                sender=settings.read("ML_ALERT_EMAIL_FROM"),
                host=host,
                port=int(settings.read("ML_ALERT_SMTP_PORT")),
                starttls=bool(settings.read("ML_ALERT_SMTP_STARTTLS")),
                username=settings.value("ML_ALERT_SMTP_USERNAME"),
                password=_secret("ML_ALERT_SMTP_PASSWORD"),
            )
        )
    return channels


def any_channel() -> bool:
    """Whether a channel is configured, without resolving any secret (a vault read) to find out."""
    return any(
        settings.given(env)
        for env in ("ML_ALERT_SLACK_WEBHOOK_URL", "ML_ALERT_TEAMS_WEBHOOK_URL", "ML_ALERT_EMAIL_TO")
    )


# -- delivery: one channel's outage does not silence the others -------------------------------------------


class AlertNotDelivered(RuntimeError):
    """No configured channel took the alert; the sensor tick fails, so the UI shows it and the next tick
    tries again (its cursor did not move)."""


def deliver(
    alert: Alert, log: logging.Logger | logging.LoggerAdapter, channels: list[Channel] | None = None
) -> list[str]:
    """Send ``alert`` to ``channels`` (the configured ones by default); the names of those that took it.

    A channel that fails is logged and skipped; when every one fails, ``AlertNotDelivered``."""
    channels = configured_channels() if channels is None else channels
    sent: list[str] = []
    errors: list[str] = []
    for channel in channels:
        try:
            channel.send(alert)
        except Exception as exc:  # any channel error: the others must still be tried
            errors.append(f"{channel.name}: {redact(exc)}")
            log.error(redact(f"alert {alert.kind} not sent to {channel.name}: {exc}"))
        else:
            sent.append(channel.name)
    if channels and not sent:
        raise AlertNotDelivered(f"alert {alert.kind} reached no channel: " + "; ".join(errors))
    if sent:
        log.info(f"alert {alert.kind} sent to {', '.join(sent)}: {alert.safe_title()}")
    return sent


class TickAlerts:
    """A sensor tick's alerts, sent in order until one reaches no channel: then the tick fails (the UI shows
    why, the cursor stays) when nothing went out yet; else ``send`` answers False, logged, the caller stops
    there and keeps what went out, and the next tick resends the rest."""

    def __init__(self, log: logging.Logger | logging.LoggerAdapter) -> None:
        self.log, self.sent_any = log, False

    def send(self, alert: Alert, what: str) -> bool:
        """Whether ``alert`` (``what``, as the log names it) went out."""
        try:
            deliver(alert, self.log)
        except AlertNotDelivered:
            if not self.sent_any:
                raise
            self.log.error(f"{what} not sent; the next tick resends it")
            return False
        self.sent_any = True
        return True


# -- the alert sensors: running when a channel is configured (they only read Dagster's event log and the
# ledger and post messages, so turning them on needs no operator step); without one they follow the
# project's running / stopped default (``automation.sensor_status``) and skip, saying why, when running.


def alert_sensor_status() -> DefaultSensorStatus:
    return DefaultSensorStatus.RUNNING if any_channel() else sensor_status()


def alert_sensor(
    name: str, description: str, minimum_interval_seconds: int = 60
) -> Callable[[Callable[[SensorEvaluationContext], object]], SensorDefinition]:
    """``@alert_sensor(name, description)`` over ``evaluate(context)``: a sensor that skips with
    ``NO_CHANNEL`` while no channel is configured, and else evaluates."""

    def declare(evaluate: Callable[[SensorEvaluationContext], object]) -> SensorDefinition:
        def tick(context: SensorEvaluationContext) -> Any:
            return evaluate(context) if any_channel() else SkipReason(NO_CHANNEL)

        return sensor(
            name=name,
            default_status=alert_sensor_status(),
            minimum_interval_seconds=minimum_interval_seconds,
            description=description,
        )(tick)

    return declare
