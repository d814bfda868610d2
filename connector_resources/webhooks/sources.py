"""What a webhook source is: how a system's webhook deliveries are authenticated and identified.

A ``WebhookSource`` answers three questions about a delivery: is it genuine (``verify`` raises
``WebhookRejected`` otherwise), what is its event ID (the dedupe key in the inbox: a redelivery or a
replay of the same event stores nothing new), and when did it happen (``occurred_at``, read from the
field the source's reference documents and checked against the source's ``freshness`` window, so a
delivery without its event time, from the future or older than the sender's retry span is refused).
Verification always compares in constant time.

Each system that sends webhooks builds its sources in its own package (``connector_resources/<system>/
webhook_source.py``, from its settings in its ``system.py``): Coupa's call-outs, BILL's notifications,
Procore's hooks.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from connector_resources.webhooks.freshness import Freshness


class WebhookRejected(Exception):
    """The delivery is not authentic (or not acceptable); the receiver answers 401 and stores nothing."""


Headers = Mapping[str, str]
# The delivery headers kept with every event (``headers_of_interest``); a signed source adds its signature's.
KEPT_HEADERS = ("content-type", "user-agent")


@dataclass(frozen=True, slots=True)
class TokenAnswer:
    """What a source's token URL answers (status and JSON body), for a sender that fetches a bearer token
    from the receiver before it delivers (Coupa's OAuth 2.0 call-outs)."""

    status: int
    content: dict[str, Any]


@dataclass(frozen=True)
class WebhookSource:
    name: str
    verify: Callable[[Headers, bytes], None]
    event_id: Callable[[Headers, Any], str]
    # When the event happened, from the field the source documents; raises ``EventTimeMissing`` when the
    # delivery lacks it. No default: every source must say where its time is. None only for a source
    # whose reference documents no event time at all (its README row must then say it is not age-checked).
    occurred_at: Callable[[Headers, Any], datetime] | None
    freshness: Freshness
    headers_of_interest: tuple[str, ...] = field(default=KEPT_HEADERS)
    # The token URL the receiver serves for this source at ``POST /webhooks/<name>/token`` (headers, raw
    # body -> answer); None: the source's sender fetches no token.
    token: Callable[[Headers, bytes], TokenAnswer] | None = None


def hmac_matches(
    secret: str, body: bytes, presented: str, *, encoding: str = "hex", prefix: str = ""
) -> bool:
    """True when ``presented`` is ``prefix`` + HMAC-SHA256(secret, body) in ``encoding`` (hex or base64)."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    expected = digest.hex() if encoding == "hex" else base64.b64encode(digest).decode()
    value = presented.strip()
    if prefix:
        if not value.startswith(prefix):
            return False
        value = value[len(prefix) :]
    if encoding == "hex":
        value = value.lower()
    return hmac.compare_digest(value.encode(), expected.encode())


def parse_json(body: bytes) -> Any:
    return json.loads(body.decode("utf-8"))
