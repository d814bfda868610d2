"""What the alert tests point the three channels at, and read back: a webhook endpoint speaking Slack's and
Teams' incoming-webhook JSON (``http_server.ScriptedServer``) and an SMTP server (``smtp_sink``).

Its own module, not the alert tests' ``conftest``: a test that imported ``conftest`` by name got whichever
``conftest`` module Python had loaded first, which is another folder's when the alert tests run in one pytest
command with others.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from email.message import EmailMessage

from http_server import ScriptedServer
from smtp_sink import SmtpSink

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
