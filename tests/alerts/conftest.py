"""The three alert channels pointed at local servers: a webhook endpoint speaking Slack's and Teams'
incoming-webhook JSON (``http_server.ScriptedServer``) and an SMTP server (``smtp_sink``), on free ports.

``SECRET`` is registered for redaction as the project registers every credential it resolves; each test
puts it where a real failure would carry it (an error message, a queue reason) and checks no alert shows it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage

import pytest
from http_server import CannedResponse, ScriptedServer
from smtp_sink import SmtpSink

from connector_resources.redaction import register_secret

SECRET = "s3cr3t-9f8e7d6c5b4a"
SLACK_PATH = "/services/T0001/B0001/hooktoken0123456789"
TEAMS_PATH = "/workflows/teams/triggers/manual/paths/invoke"


@dataclass
class Received:
    http: ScriptedServer
    smtp: SmtpSink

    def slack(self) -> list[dict]:
        return [request.json() for request in self.http.hits(SLACK_PATH)]

    def teams(self) -> list[dict]:
        return [request.json() for request in self.http.hits(TEAMS_PATH)]

    def mails(self) -> list[EmailMessage]:
        return self.smtp.messages

    def everything(self) -> str:
        """Every body any channel received, as text: where a secret must never appear."""
        bodies = [request.body.decode() for request in self.http.requests]
        mails = [message.as_string() for message in self.mails()]
        return "\n".join(bodies + mails)

    def texts(self) -> list[tuple[str, str, str]]:
        """Each alert as (Slack text, Teams card as text, e-mail subject + body), in arrival order."""
        mails = [f"{m['Subject']}\n{m.get_content()}" for m in self.mails()]
        slack = [body["text"] for body in self.slack()]
        return list(zip(slack, [json.dumps(body) for body in self.teams()], mails, strict=True))


@pytest.fixture
def received(monkeypatch: pytest.MonkeyPatch) -> Iterator[Received]:
    """All three channels configured (settings ``ML_ALERT_*``) and listening; what they received."""
    register_secret(SECRET)
    with ScriptedServer(CannedResponse(200, "ok")) as http, SmtpSink() as smtp:
        monkeypatch.setenv("ML_ALERT_SLACK_WEBHOOK_URL", http.url_for(SLACK_PATH))
        monkeypatch.setenv("ML_ALERT_TEAMS_WEBHOOK_URL", http.url_for(TEAMS_PATH))
        monkeypatch.setenv("ML_ALERT_EMAIL_TO", "ap-ops@acme.example, it-ops@acme.example")
        monkeypatch.setenv("ML_ALERT_SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("ML_ALERT_SMTP_PORT", str(smtp.port))
        monkeypatch.setenv("ML_ALERT_SMTP_STARTTLS", "off")
        monkeypatch.setenv("ML_ALERT_UI_URL", "http://dagster.acme.example")
        yield Received(http, smtp)
