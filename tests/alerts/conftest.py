"""The three alert channels pointed at local servers on free ports (``alert_channels``): the ``received``
fixture.

``SECRET`` is registered for redaction as the project registers every credential it resolves; each test
puts it where a real failure would carry it (an error message, a queue reason) and checks no alert shows it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alert_channels import SECRET, SLACK_PATH, TEAMS_PATH, Received
from http_server import CannedResponse, ScriptedServer
from smtp_sink import SmtpSink

from connector_resources.redaction import register_secret


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
