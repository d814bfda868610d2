"""The webhook sender: a background thread that POSTs queued events to each hook's destination.

Procore's delivery rules (reference section 2.10), as simulated:

* ``POST`` with ``Content-Type: application/json``, one event per request, plus exactly the hook's
  registered ``destination_headers``: they are the only authentication. There is **no signature**.
* A 2xx within ``timeout_seconds`` (5 s) is success. Anything else (other status, timeout, refused or
  reset connection) fails the attempt.
* Each hook is a queue. After a failure the hook waits, with exponential backoff starting at
  ``retry_initial_seconds`` (1 s) and capped at ``retry_max_seconds`` (1 h), before the head is retried.
  A success resets the backoff. After ``discard_after_seconds`` (12 h) of continuous failure the queue
  is flushed: every undelivered event of the hook is marked ``discarded``.
* Duplicates (``duplicate_rate`` / ``duplicate_next``) send the same payload, same ``id`` and ``ulid``,
  twice; ``out_of_order`` delivers each round newest first.

A round runs every ``poll_interval_seconds`` when ``auto_deliver`` is on, and whenever an operator
calls ``POST /sandbox/webhooks/deliver`` (which may wait for the round and report what happened). The
database lock is never held across an HTTP call.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests

from .events import render_payload
from .settings import WebhookSettings
from .store import Store

log = logging.getLogger("connector_sandbox.procore.delivery")


@dataclass
class _Round:
    number: int
    force: bool
    done: threading.Event = field(default_factory=threading.Event)
    attempts: list[dict[str, Any]] = field(default_factory=list)


def _stamp(moment: float) -> str:
    return dt.datetime.fromtimestamp(moment, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class WebhookSender:
    def __init__(
        self,
        store: Store,
        settings: Callable[[], WebhookSettings],
        consume_duplicate: Callable[[], None],
        seed: int,
    ) -> None:
        self.store = store
        self._settings = settings
        # The live settings belong to the sandbox state; this counts duplicate_next down there.
        self._consume_duplicate = consume_duplicate
        self._rng = random.Random(seed ^ 0x40B)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._queue: list[_Round] = []
        self._rounds = 0
        self._thread: threading.Thread | None = None
        self._session = requests.Session()
        self._session.trust_env = False  # loopback receivers: never through an environment proxy

    # -- lifecycle -------------------------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="procore-webhooks", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=timeout)
        self._session.close()

    def poke(self) -> None:
        """New work may be due (an event was queued): run a round soon if auto delivery is on."""
        if self._settings().auto_deliver:
            self._wake.set()

    def request_round(self, *, force: bool) -> _Round:
        """Ask for a round now; ``force`` ignores the backoff wait (a "deliver now" button)."""
        with self._lock:
            self._rounds += 1
            wanted = _Round(self._rounds, force)
            self._queue.append(wanted)
        self._wake.set()
        return wanted

    # -- the thread ------------------------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stop.is_set():
            settings = self._settings()
            self._wake.wait(timeout=settings.poll_interval_seconds if settings.auto_deliver else 1.0)
            self._wake.clear()
            if self._stop.is_set():
                break
            with self._lock:
                asked, self._queue = self._queue, []
            force = any(item.force for item in asked)
            # Read the settings again: auto delivery may have been switched off while we waited.
            if asked or self._settings().auto_deliver:
                try:
                    attempts = self._round(force=force)
                except Exception:  # the sender must survive anything a round meets
                    log.exception("webhook delivery round failed")
                    attempts = []
                for item in asked:
                    item.attempts = attempts
                    item.done.set()

    def _round(self, *, force: bool) -> list[dict[str, Any]]:
        settings = self._settings()
        attempts: list[dict[str, Any]] = []
        hooks = self.store.all(
            "SELECT * FROM hooks WHERE id IN (SELECT DISTINCT hook_id FROM deliveries "
            "WHERE status IN ('pending', 'failing')) ORDER BY id"
        )
        for hook in hooks:
            now = time.time()
            if (
                hook["failing_since"] is not None
                and now - hook["failing_since"] >= settings.discard_after_seconds
            ):
                self._discard(hook["id"])
                continue
            if not force and hook["next_attempt_at"] is not None and now < hook["next_attempt_at"]:
                continue
            order = "DESC" if settings.out_of_order else "ASC"
            queue = self.store.all(
                "SELECT d.id AS delivery_id, d.attempts, e.* FROM deliveries d "
                "JOIN events e ON e.id = d.event_id "
                f"WHERE d.hook_id = ? AND d.status IN ('pending', 'failing') ORDER BY d.id {order}",
                (hook["id"],),
            )
            for item in queue:
                ok = self._deliver(hook, item, settings, attempts)
                if not ok:
                    break  # the hook's queue waits for its backoff
        return attempts

    def _discard(self, hook_id: int) -> None:
        now = _stamp(time.time())
        with self.store.transaction() as conn:
            conn.execute(
                "UPDATE deliveries SET status = 'discarded', outcome = 'discarded', completed_at = ? "
                "WHERE hook_id = ? AND status IN ('pending', 'failing')",
                (now, hook_id),
            )
            conn.execute(
                "UPDATE hooks SET consecutive_failures = 0, failing_since = NULL, next_attempt_at = NULL "
                "WHERE id = ?",
                (hook_id,),
            )

    def _duplicate(self) -> bool:
        settings = self._settings()  # live: duplicate_next counts down during a round
        if settings.duplicate_next > 0:
            return True
        return bool(settings.duplicate_rate) and self._rng.random() < settings.duplicate_rate

    def _send(self, hook: dict[str, Any], body: bytes, timeout: float) -> tuple[int | None, str | None, int]:
        headers = {**json.loads(hook["destination_headers"]), "Content-Type": "application/json"}
        started = time.monotonic()
        try:
            response = self._session.post(
                hook["destination_url"],
                data=body,
                headers=headers,
                timeout=(timeout, timeout),
                allow_redirects=False,
            )
            response.close()
        except requests.Timeout:
            return None, "timeout", int((time.monotonic() - started) * 1000)
        except requests.RequestException as exc:
            return None, f"connection error ({type(exc).__name__})", int((time.monotonic() - started) * 1000)
        elapsed = time.monotonic() - started
        if elapsed > timeout:
            return response.status_code, "timeout", int(elapsed * 1000)
        error = None if 200 <= response.status_code < 300 else f"HTTP {response.status_code}"
        return response.status_code, error, int(elapsed * 1000)

    def _deliver(
        self,
        hook: dict[str, Any],
        item: dict[str, Any],
        settings: WebhookSettings,
        log_: list[dict[str, Any]],
    ) -> bool:
        body = json.dumps(render_payload(item, hook["api_version"]), ensure_ascii=False).encode("utf-8")
        sends = 2 if self._duplicate() else 1
        if sends == 2 and self._settings().duplicate_next > 0:
            self._consume_duplicate()
        delivered = False
        for copy in range(sends):
            started = time.time()
            status, error, elapsed_ms = self._send(hook, body, settings.timeout_seconds)
            attempt = {
                "delivery_id": item["delivery_id"],
                "hook_id": hook["id"],
                "event_id": item["id"],
                "duplicate": bool(copy),
                "response_status": status,
                "error": error,
                "elapsed_ms": elapsed_ms,
            }
            self.store.insert("delivery_attempts", {**attempt, "at": _stamp(started), "duplicate": copy})
            log_.append(attempt)
            if copy == 0:
                delivered = error is None
                self._record(hook, item, started, status, error, settings)
                if not delivered:
                    break
        return delivered

    def _record(
        self,
        hook: dict[str, Any],
        item: dict[str, Any],
        started: float,
        status: int | None,
        error: str | None,
        settings: WebhookSettings,
    ) -> None:
        now = time.time()
        attempts = item["attempts"] + 1
        with self.store.transaction() as conn:
            if error is None:
                conn.execute(
                    "UPDATE deliveries SET status = 'successful', outcome = ?, attempts = ?, "
                    "first_attempt_at = COALESCE(first_attempt_at, ?), last_attempt_at = ?, "
                    "completed_at = ?, response_status = ?, response_error = NULL WHERE id = ?",
                    (
                        "ok" if attempts == 1 else "retried",
                        attempts,
                        _stamp(started),
                        _stamp(started),
                        _stamp(now),
                        status,
                        item["delivery_id"],
                    ),
                )
                conn.execute(
                    "UPDATE hooks SET consecutive_failures = 0, failing_since = NULL, next_attempt_at = NULL "
                    "WHERE id = ?",
                    (hook["id"],),
                )
                return
            conn.execute(
                "UPDATE deliveries SET status = 'failing', outcome = 'failed', attempts = ?, "
                "first_attempt_at = COALESCE(first_attempt_at, ?), last_attempt_at = ?, response_status = ?, "
                "response_error = ? WHERE id = ?",
                (attempts, _stamp(started), _stamp(started), status, error, item["delivery_id"]),
            )
            current = conn.execute(
                "SELECT consecutive_failures, failing_since FROM hooks WHERE id = ?", (hook["id"],)
            ).fetchone()
            failures = (current[0] if current else 0) + 1
            backoff = min(settings.retry_initial_seconds * 2 ** (failures - 1), settings.retry_max_seconds)
            conn.execute(
                "UPDATE hooks SET consecutive_failures = ?, failing_since = COALESCE(failing_since, ?), "
                "next_attempt_at = ? WHERE id = ?",
                (failures, started, now + backoff, hook["id"]),
            )
