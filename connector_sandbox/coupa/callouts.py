"""Outbound call-outs: events about invoices and Coupa Pay payments POSTed to registered receivers.

A background thread does the sending, so an API call never waits on a receiver. Each event carries the
record as rendered at the moment it changed (so a late or reordered delivery really is an older
version). The body is signed with HMAC-SHA256 over the exact bytes sent; basic auth or an OAuth2
token fetched from the receiver (``Authorization: Basic base64url(id:secret)``, form body
``grant_type=client_credentials``, reply ``{"access_token", "token_type": "bearer", "expires_in"}``, as
Coupa documents for call-outs) can be added per subscription. Duplicates and out-of-order delivery
are settings. Every attempt is recorded with its outcome.
"""

from __future__ import annotations

import base64
import collections
import dataclasses
import hashlib
import hmac
import json
import logging
import queue
import random
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import requests

from .settings import CalloutSettings, CalloutSubscription

log = logging.getLogger("connector_sandbox.coupa.callouts")
_EVENT_NAMES = {"invoices": "invoice", "payments": "payment"}
_MAX_RECORDED = 10_000


@dataclasses.dataclass(frozen=True)
class Event:
    event_id: str
    resource: str
    record_id: int
    event_type: str  # created | updated | exported
    occurred_at: str  # as the API shows times
    record: dict[str, Any]  # the record as GET /api/<resource>/<id> renders it in JSON


def new_event(resource: str, record: dict[str, Any], event_type: str, occurred_at: str) -> Event:
    return Event(f"evt-{uuid.uuid4().hex}", resource, int(record["id"]), event_type, occurred_at, record)


def sign(body: bytes, settings: CalloutSettings) -> str:
    digest = hmac.new(settings.signing_secret.encode("utf-8"), body, hashlib.sha256).digest()
    encoded = (
        digest.hex() if settings.signature_encoding == "hex" else base64.b64encode(digest).decode("ascii")
    )
    return settings.signature_prefix + encoded


def payload(event: Event, settings: CalloutSettings) -> bytes:
    if settings.payload == "object":
        content: Any = event.record
    else:
        content = {
            "event-id": event.event_id,
            "event-type": f"{_EVENT_NAMES[event.resource]}.{event.event_type}",
            "occurred-at": event.occurred_at,
            "resource": event.resource,
            "id": event.record_id,
            "data": event.record,
        }
    return json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class CalloutDispatcher:
    """Subscriptions, the delivery queue and the thread that empties it."""

    def __init__(self, settings: Callable[[], CalloutSettings], seed: int) -> None:
        self._settings = settings
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._subscriptions: dict[int, CalloutSubscription] = {}
        self._next_subscription = 1
        self._queue: queue.Queue[list[Event]] = queue.Queue()
        self._in_flight = 0
        self._deliveries: collections.deque[dict[str, Any]] = collections.deque(maxlen=_MAX_RECORDED)
        self._delivery_counter = 0
        self._rng = random.Random(seed ^ 0xCA11)
        self._tokens: dict[int, tuple[str, float]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="coupa-sandbox-callouts", daemon=True)
        self._session = requests.Session()
        self._started = False

    # --- lifecycle -------------------------------------------------------------------------------

    def start(self) -> None:
        if not self._started:
            self._started = True
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._started:
            self._thread.join(timeout=10)
        self._session.close()

    # --- subscriptions ---------------------------------------------------------------------------

    def subscribe(self, subscription: CalloutSubscription, subscription_id: int | None = None) -> int:
        """Register ``subscription``: under ``subscription_id`` when given and free (a receiver kept across
        a restart keeps its id), else the next one. Returns its id."""
        with self._lock:
            if subscription_id is None or subscription_id in self._subscriptions:
                subscription_id = self._next_subscription
            self._next_subscription = max(self._next_subscription, subscription_id + 1)
            self._subscriptions[subscription_id] = subscription
            return subscription_id

    def unsubscribe(self, subscription_id: int) -> bool:
        with self._lock:
            self._tokens.pop(subscription_id, None)
            return self._subscriptions.pop(subscription_id, None) is not None

    def subscriptions(self) -> dict[int, CalloutSubscription]:
        with self._lock:
            return dict(self._subscriptions)

    def wants(self, resource: str) -> bool:
        with self._lock:
            return any(sub.resource == resource for sub in self._subscriptions.values())

    # --- events ----------------------------------------------------------------------------------

    def publish(self, events: list[Event]) -> None:
        """Queue events that were produced together (one request or one admin call) as one batch."""
        if not events:
            return
        with self._lock:
            self._in_flight += len(events)
        self._queue.put(list(events))

    def wait_idle(self, timeout: float) -> bool:
        """Block until every queued event has been delivered (or given up); False on timeout."""
        deadline = time.monotonic() + timeout
        with self._idle:
            while self._in_flight > 0:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._idle.wait(remaining)
            return True

    def deliveries(self, event_ids: set[str] | None = None) -> list[dict[str, Any]]:
        with self._lock:
            found = list(self._deliveries)
        if event_ids is not None:
            found = [item for item in found if item["event_id"] in event_ids]
        return found

    def clear_deliveries(self) -> None:
        with self._lock:
            self._deliveries.clear()

    def pending(self) -> int:
        with self._lock:
            return self._in_flight

    # --- the worker ------------------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                batch = self._queue.get(timeout=0.1)
            except queue.Empty:
                continue
            settings = self._settings()
            if settings.batch_window_seconds:
                # Gather what arrives meanwhile, so separate changes can overtake each other.
                deadline = time.monotonic() + settings.batch_window_seconds
                while (remaining := deadline - time.monotonic()) > 0:
                    try:
                        batch.extend(self._queue.get(timeout=remaining))
                    except queue.Empty:
                        break
            try:
                self._deliver_batch(batch, settings)
            except Exception:  # the worker must survive anything a receiver does
                log.exception("call-out batch failed")
            finally:
                with self._idle:
                    self._in_flight -= len(batch)
                    self._idle.notify_all()

    def _deliver_batch(self, batch: list[Event], settings: CalloutSettings) -> None:
        ordered = list(reversed(batch)) if settings.out_of_order else list(batch)
        duplicates: list[Event] = []
        for event in ordered:
            if self._stop.is_set():
                return
            self._deliver_event(event, settings, duplicate=False)
            if settings.duplicate_rate and self._rng.random() < settings.duplicate_rate:
                duplicates.append(event)
        # Duplicates come after the rest of the batch, so a stale copy can follow a newer event.
        for event in duplicates:
            self._deliver_event(event, settings, duplicate=True)

    def _deliver_event(self, event: Event, settings: CalloutSettings, *, duplicate: bool) -> None:
        for subscription_id, subscription in self.subscriptions().items():
            if subscription.resource != event.resource:
                continue
            attempts = settings.retry_attempts + 1
            for attempt in range(1, attempts + 1):
                if self._attempt(event, subscription_id, subscription, settings, attempt, duplicate):
                    break
                # Linear backoff between attempts; a stopping sandbox abandons the rest.
                if attempt < attempts and self._stop.wait(settings.retry_backoff_seconds * attempt):
                    return

    def _attempt(
        self,
        event: Event,
        subscription_id: int,
        subscription: CalloutSubscription,
        settings: CalloutSettings,
        attempt: int,
        duplicate: bool,
    ) -> bool:
        body = payload(event, settings)
        headers = {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "User-Agent": "Coupa-CallOut/sandbox",
        }
        if settings.sign:
            headers[settings.signature_header] = sign(body, settings)
        record: dict[str, Any] = {
            "event_id": event.event_id,
            "subscription_id": subscription_id,
            "url": subscription.url,
            "resource": event.resource,
            "record_id": event.record_id,
            "event_type": event.event_type,
            "updated_at": event.record.get("updated-at"),
            "attempt": attempt,
            "duplicate": duplicate,
            "signed": settings.sign,
            "body_sha256": hashlib.sha256(body).hexdigest(),
        }
        started = time.monotonic()
        try:
            auth_header = self._authorization(subscription_id, subscription, settings)
            if auth_header:
                headers["Authorization"] = auth_header
            response = self._session.post(
                subscription.url,
                data=body,
                headers=headers,
                timeout=settings.delivery_timeout_seconds,
                allow_redirects=False,
            )
            record.update(status_code=response.status_code, error=None, ok=200 <= response.status_code < 300)
            if response.status_code == 401 and subscription.auth == "oauth2":
                with self._lock:
                    self._tokens.pop(subscription_id, None)  # fetch a fresh token next time
        except (requests.RequestException, _TokenError) as exc:
            record.update(status_code=None, error=f"{type(exc).__name__}: {exc}", ok=False)
        record["duration_ms"] = round((time.monotonic() - started) * 1000, 1)
        record["delivered_at"] = time.time()
        with self._lock:
            self._delivery_counter += 1
            record["delivery_id"] = self._delivery_counter
            self._deliveries.append(record)
        return bool(record["ok"])

    def _authorization(
        self, subscription_id: int, subscription: CalloutSubscription, settings: CalloutSettings
    ) -> str | None:
        if subscription.auth == "basic":
            pair = f"{subscription.username}:{subscription.password}".encode()
            return "Basic " + base64.b64encode(pair).decode("ascii")
        if subscription.auth != "oauth2":
            return None
        with self._lock:
            cached = self._tokens.get(subscription_id)
        if cached and cached[1] > time.monotonic():
            return f"Bearer {cached[0]}"
        pair = f"{subscription.client_id}:{subscription.client_secret}".encode()
        form = {"grant_type": "client_credentials"}
        if subscription.scope:
            form["scope"] = subscription.scope
        assert subscription.token_url is not None
        try:
            response = self._session.post(
                subscription.token_url,
                data=form,
                headers={"Authorization": "Basic " + base64.urlsafe_b64encode(pair).decode("ascii")},
                timeout=settings.delivery_timeout_seconds,
            )
        except requests.RequestException as exc:
            raise _TokenError(f"token request to the call-out token URL failed: {exc}") from None
        try:
            reply = response.json()
        except ValueError:
            reply = None
        if (
            response.status_code != 200
            or not isinstance(reply, dict)
            or not reply.get("access_token")
            or str(reply.get("token_type", "")).lower() != "bearer"
        ):
            raise _TokenError(
                f"the call-out token URL answered {response.status_code} without "
                '{"access_token": ..., "token_type": "bearer", "expires_in": ...}'
            )
        lifetime = float(reply.get("expires_in") or 3600)
        with self._lock:
            self._tokens[subscription_id] = (
                str(reply["access_token"]),
                time.monotonic() + max(lifetime - 60, 1),
            )
        return f"Bearer {reply['access_token']}"


class _TokenError(Exception):
    pass
