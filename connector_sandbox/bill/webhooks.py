"""Webhook subscriptions and signed event delivery (reference 2.10).

An event is snapshotted when it happens and queued once per enabled subscription of its
organization that asked for its type. A background thread POSTs it to the subscription's
``notificationUrl`` with ``x-bill-sha-signature`` = base64(HMAC-SHA256(securityKey, raw body bytes)),
signed at send time with the key current then. Only HTTP 200 acknowledges (settings may accept any
2xx); a failure is retried with exponential backoff, and when ``max_attempts`` are used up the
subscription is disabled and stops receiving anything until it is re-enabled (documented).

Duplicates (same ``eventId``, same bytes) and out-of-order batches are settings, so a receiver's
dedupe and ordering logic can be proven. ``flush()`` delivers everything pending now and waits for
the outcome; tests and the operator route use it instead of sleeping.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import random
import secrets
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import requests

from .formats import now_ms, render_time
from .settings import BillSandboxSettings

log = logging.getLogger("connector_sandbox.bill.webhooks")


def _events(entity: str, *actions: str) -> tuple[str, ...]:
    return tuple(f"{entity}.{action}" for action in actions)


_LIFECYCLE = ("created", "updated", "archived", "restored")
# The event types the sandbox emits (``SandboxState.publish``), in catalog order.
EMITTED_EVENTS: tuple[str, ...] = (
    *_events("vendor", *_LIFECYCLE),
    *_events("bill", *_LIFECYCLE),
    *_events("payment", "updated", "failed"),
)
# Every type a subscription may name (reference: the event catalog); the rest are never emitted here.
EVENT_CATALOG: tuple[str, ...] = (
    *EMITTED_EVENTS,
    "autopay.failed",
    *_events("bank-account", "created", "updated"),
    *_events("card-account", "created", "updated"),
    *_events("invoice", *_LIFECYCLE),
    "risk-verification.updated",
)
EVENT_VERSION = "1"


def sign(key: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(key.encode("utf-8"), body, hashlib.sha256).digest()).decode("ascii")


@dataclass
class Subscription:
    id: str
    org_id: str
    name: str
    enabled: bool
    events: list[dict[str, str]]
    notification_url: str
    created_ms: int
    updated_ms: int
    security_key: str = field(repr=False)
    disabled_reason: str | None = None

    def body(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "organizationId": self.org_id,
            "status": {"enabled": self.enabled},
            "events": [dict(event) for event in self.events],
            "notificationUrl": self.notification_url,
            "createdTime": render_time(self.created_ms),
            "updatedTime": render_time(self.updated_ms),
        }

    def wants(self, event_type: str) -> bool:
        return any(event["type"] == event_type for event in self.events)


@dataclass
class PendingDelivery:
    event_id: str
    subscription_id: str
    event_type: str
    payload: dict[str, Any]
    created_ms: int
    due: float  # time.monotonic()
    duplicate: bool = False
    attempts: int = 0


@dataclass
class Outcome:
    """One delivery attempt, as the operator route reports it."""

    event_id: str
    subscription_id: str
    event_type: str
    attempt: int
    status_code: int | None
    ok: bool
    error: str | None
    duplicate: bool
    at: str
    seconds: float

    def body(self) -> dict[str, Any]:
        return {
            "eventId": self.event_id,
            "subscriptionId": self.subscription_id,
            "eventType": self.event_type,
            "attempt": self.attempt,
            "statusCode": self.status_code,
            "ok": self.ok,
            "error": self.error,
            "duplicate": self.duplicate,
            "at": self.at,
            "seconds": round(self.seconds, 3),
        }


class WebhookHub:
    """Subscriptions, the pending queue, the delivery thread and the delivery history."""

    def __init__(self, settings: Callable[[], BillSandboxSettings], seed: int) -> None:
        self._settings = settings
        self._rng = random.Random(seed ^ 0x0E7E)
        self._lock = threading.RLock()
        self._wake = threading.Condition(self._lock)
        self.subscriptions: dict[str, Subscription] = {}
        self.idempotency: dict[tuple[str, str], tuple[int, dict[str, Any]]] = {}
        self._pending: list[PendingDelivery] = []
        # subscriptionId -> eventId -> history entry (the /v3/events/subscription/{id} rows)
        self.history: dict[str, dict[str, dict[str, Any]]] = {}
        self.outcomes: list[Outcome] = []
        self._flush_requested = 0
        self._flush_done = 0
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._http = requests.Session()

    # -- lifecycle ----------------------------------------------------------------------------------

    def start(self) -> None:
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return
            self._stopping = False
            self._thread = threading.Thread(target=self._run, name="bill-sandbox-webhooks", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        with self._wake:
            self._stopping = True
            self._wake.notify_all()
            thread = self._thread
        if thread is not None:
            thread.join(timeout=self._settings().webhooks.timeout_seconds + 5)
        self._thread = None
        self._http.close()

    def clear(self) -> None:
        with self._lock:
            self.subscriptions.clear()
            self.idempotency.clear()
            self._pending.clear()
            self.history.clear()
            self.outcomes.clear()

    # -- subscriptions ------------------------------------------------------------------------------

    def new_key(self) -> str:
        fixed = self._settings().webhooks.fixed_security_key
        return fixed if fixed else base64.b64encode(secrets.token_bytes(32)).decode("ascii")

    def rotate_key(self, subscription: Subscription) -> str:
        """Always a fresh random key: rotation exists to replace a known one."""
        with self._lock:
            subscription.security_key = base64.b64encode(secrets.token_bytes(32)).decode("ascii")
            subscription.updated_ms = now_ms()
            return subscription.security_key

    def of_org(self, org_id: str) -> list[Subscription]:
        with self._lock:
            return sorted(
                (sub for sub in self.subscriptions.values() if sub.org_id == org_id),
                key=lambda sub: (sub.created_ms, sub.id),
            )

    def add(self, subscription: Subscription) -> None:
        with self._lock:
            self.subscriptions[subscription.id] = subscription
            self.history.setdefault(subscription.id, {})

    def kept(self) -> dict[str, Any]:
        """What a restart on kept data must find (``restore``): the subscriptions, keys included, and the
        answers to the creates' idempotency keys, so a create resent after the restart is answered again
        rather than making a second subscription. Deliveries pending and their history are not kept."""
        with self._lock:
            return {
                "subscriptions": [asdict(sub) for sub in self.subscriptions.values()],
                "idempotency": [[*key, status, body] for key, (status, body) in self.idempotency.items()],
            }

    def restore(self, kept: dict[str, Any]) -> None:
        """The subscriptions and idempotency answers ``kept`` saved at the last stop."""
        with self._lock:
            for fields in kept.get("subscriptions", []):
                self.add(Subscription(**fields))
            for org_id, key, status, body in kept.get("idempotency", []):
                self.idempotency[(org_id, key)] = (status, body)

    def remove(self, subscription_id: str) -> None:
        with self._lock:
            self.subscriptions.pop(subscription_id, None)
            self._pending = [d for d in self._pending if d.subscription_id != subscription_id]

    # -- events -------------------------------------------------------------------------------------

    def publish(self, org_id: str, event_type: str, entity_key: str, entity: dict[str, Any]) -> list[str]:
        """Queue one event for every interested enabled subscription; returns the event ids."""
        settings = self._settings().webhooks
        created = now_ms()
        event_ids = []
        with self._wake:
            for sub in self.of_org(org_id):
                if not sub.enabled or not sub.wants(event_type):
                    continue
                event_id = str(uuid.UUID(int=self._rng.getrandbits(128), version=4))
                payload = {
                    "metadata": {
                        "eventId": event_id,
                        "subscriptionId": sub.id,
                        "organizationId": org_id,
                        "eventType": event_type,
                        "version": EVENT_VERSION,
                    },
                    entity_key: entity,
                }
                due = time.monotonic() + settings.batch_delay_seconds
                self._pending.append(PendingDelivery(event_id, sub.id, event_type, payload, created, due))
                if settings.duplicate_rate and self._rng.random() < settings.duplicate_rate:
                    self._pending.append(
                        PendingDelivery(event_id, sub.id, event_type, payload, created, due, duplicate=True)
                    )
                self.history[sub.id][event_id] = {
                    "id": event_id,
                    "type": event_type,
                    "version": EVENT_VERSION,
                    "subscriptionId": sub.id,
                    "payload": json.dumps(payload, ensure_ascii=False, separators=(",", ":")),
                    "createdTime": render_time(created),
                    "statusCode": None,
                }
                event_ids.append(event_id)
            self._wake.notify_all()
        return event_ids

    def history_of(self, subscription_id: str) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(entry) for entry in self.history.get(subscription_id, {}).values()]

    def pending_count(self) -> int:
        with self._lock:
            return len(self._pending)

    def flush(self, timeout: float = 60.0) -> list[Outcome]:
        """Deliver everything pending now (retries included) and return this flush's attempts."""
        with self._wake:
            first = len(self.outcomes)
            alive = self._thread is not None and self._thread.is_alive()
            if alive:
                self._flush_requested += 1
                wanted = self._flush_requested
                self._wake.notify_all()
                self._wake.wait_for(lambda: self._flush_done >= wanted or self._stopping, timeout)
            else:
                batch = self._take(everything=True)
        if not alive:
            self._deliver_batch(batch)
        with self._lock:
            return self.outcomes[first:]

    def send_test(self, subscription: Subscription, event_type: str, entity: dict[str, Any]) -> Outcome:
        """POST .../test: one signed delivery now, outside the queue (no retries)."""
        event_id = str(uuid.uuid4())
        entity_key = event_type.split(".", 1)[0]
        payload = {
            "metadata": {
                "eventId": event_id,
                "subscriptionId": subscription.id,
                "organizationId": subscription.org_id,
                "eventType": event_type,
                "version": EVENT_VERSION,
            },
            entity_key: entity,
        }
        delivery = PendingDelivery(event_id, subscription.id, event_type, payload, now_ms(), time.monotonic())
        return self._attempt(delivery, retry=False)

    # -- delivery -----------------------------------------------------------------------------------

    def _take(self, *, everything: bool) -> list[PendingDelivery]:
        now = time.monotonic()
        ready = [d for d in self._pending if everything or d.due <= now]
        self._pending = [d for d in self._pending if not (everything or d.due <= now)]
        if self._settings().webhooks.out_of_order and len(ready) > 1:
            original = list(ready)
            self._rng.shuffle(ready)
            if ready == original:
                ready.reverse()
        return ready

    def _run(self) -> None:
        while True:
            with self._wake:
                if self._stopping:
                    return
                flushing = self._flush_requested > self._flush_done
                generation = self._flush_requested
                auto = self._settings().webhooks.auto_deliver
                batch = (
                    self._take(everything=True)
                    if flushing
                    else (self._take(everything=False) if auto else [])
                )
                if not batch and not flushing:
                    dues = [d.due for d in self._pending] if auto else []
                    wait = max(0.01, min(dues) - time.monotonic()) if dues else 1.0
                    self._wake.wait(timeout=min(wait, 1.0))
                    continue
            self._deliver_batch(batch)
            if flushing:
                with self._wake:
                    self._flush_done = max(self._flush_done, generation)
                    self._wake.notify_all()

    def _deliver_batch(self, batch: list[PendingDelivery]) -> None:
        for delivery in batch:
            try:
                self._attempt(delivery, retry=True)
            except Exception:  # a sandbox bug must not kill the delivery thread
                log.exception("webhook delivery %s failed unexpectedly", delivery.event_id)

    def _encode(self, payload: dict[str, Any]) -> bytes:
        text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
        if self._settings().variants.webhook_payload_as_string:
            text = json.dumps(text, ensure_ascii=False)  # the JSON, as one JSON string
        return text.encode("utf-8")

    def _attempt(self, delivery: PendingDelivery, *, retry: bool) -> Outcome:
        settings = self._settings()
        with self._lock:
            subscription = self.subscriptions.get(delivery.subscription_id)
            key = subscription.security_key if subscription else ""
            enabled = subscription is not None and subscription.enabled
        delivery.attempts += 1
        if subscription is None or not enabled:
            outcome = self._record(delivery, None, False, "subscription disabled or deleted", 0.0)
            return outcome
        body = self._encode(delivery.payload)
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "BILL-Webhooks-Sandbox/1.0",
            "x-bill-sha-signature": sign(key, body),
        }
        started = time.monotonic()
        status, problem = None, None
        try:
            response = self._http.post(
                subscription.notification_url,
                data=body,
                headers=headers,
                timeout=settings.webhooks.timeout_seconds,
                allow_redirects=False,
            )
            status = response.status_code
            response.close()
        except requests.RequestException as exc:
            problem = type(exc).__name__
        accepted = status == 200 or (
            settings.variants.webhook_accept_any_2xx and status is not None and 200 <= status < 300
        )
        if problem is None and not accepted:
            problem = f"HTTP {status} is not an acknowledgement"
        outcome = self._record(delivery, status, accepted, problem, time.monotonic() - started)
        if not accepted and retry:
            self._schedule_retry(delivery, subscription)
        return outcome

    def _record(
        self, delivery: PendingDelivery, status: int | None, ok: bool, problem: str | None, seconds: float
    ) -> Outcome:
        outcome = Outcome(
            delivery.event_id,
            delivery.subscription_id,
            delivery.event_type,
            delivery.attempts,
            status,
            ok,
            problem,
            delivery.duplicate,
            render_time(now_ms()),
            seconds,
        )
        with self._lock:
            self.outcomes.append(outcome)
            entry = self.history.get(delivery.subscription_id, {}).get(delivery.event_id)
            if entry is not None:
                entry["statusCode"] = status
        return outcome

    def _schedule_retry(self, delivery: PendingDelivery, subscription: Subscription) -> None:
        settings = self._settings().webhooks
        with self._wake:
            if delivery.attempts >= settings.max_attempts:
                # Retries exhausted: BILL disables the subscription and stops all its notifications.
                subscription.enabled = False
                subscription.disabled_reason = (
                    f"delivery of {delivery.event_id} failed {delivery.attempts} times"
                )
                subscription.updated_ms = now_ms()
                self._pending = [d for d in self._pending if d.subscription_id != subscription.id]
                return
            delivery.due = time.monotonic() + settings.retry_base_seconds * 2 ** (delivery.attempts - 1)
            self._pending.append(delivery)
            self._wake.notify_all()
