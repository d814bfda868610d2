"""Send one alert to every configured channel: one channel's outage does not silence the others."""

from __future__ import annotations

import logging

from connector_assets.alerts.alert import Alert
from connector_assets.alerts.channels import Channel, configured_channels
from connector_resources.redaction import redact


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
