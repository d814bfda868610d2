"""One alert as every channel renders it: a title, the facts an operator acts on, and a link to the UI.

Why one shape: Slack, Teams and e-mail say the same thing in their own markup, and the one place a body
is assembled is the one place it is redacted (``redaction.redact``), so no channel can leak a secret a
failure message happened to carry (a token in a URL, a password echoed by a server).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from connector_resources import settings
from connector_resources.redaction import redact

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
