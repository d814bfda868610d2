"""The webhook sources of a deployment, built from the connection settings (secrets resolved here): the
endpoints of every declared system that takes webhooks (``System.webhooks`` in its
``connector_resources/<system>/system.py``), each at ``/webhooks/<name>``."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

from connector_resources import settings
from connector_resources.system_declaration import max_age as declared_max_age
from connector_resources.systems import declared_systems, system
from connector_resources.webhooks.sources import WebhookSource


def future_skew(environ: Mapping[str, str] | None = None) -> timedelta:
    """How far in the future an event time may lie (``ML_WEBHOOK_FUTURE_SKEW_SECONDS``): clock skew."""
    return timedelta(seconds=settings.read("ML_WEBHOOK_FUTURE_SKEW_SECONDS", environ))


def max_age(system_key: str, environ: Mapping[str, str] | None = None) -> timedelta:
    """The oldest event time a source accepts (``ML_<SYSTEM>_WEBHOOK_MAX_AGE_MINUTES``)."""
    return declared_max_age(system(system_key), environ)


def configured_sources(environ: Mapping[str, str] | None = None) -> dict[str, WebhookSource]:
    """One source per webhook endpoint: ``/webhooks/<name>``; a name two systems claim is refused."""
    skew = future_skew(environ)
    sources: dict[str, WebhookSource] = {}
    for declared in declared_systems():
        if declared.webhooks is None:
            continue
        for name, source in declared.webhooks(environ, skew).items():
            if name in sources:
                raise ValueError(f"webhook endpoint /webhooks/{name} is declared twice ({declared.key})")
            sources[name] = source
    return sources
