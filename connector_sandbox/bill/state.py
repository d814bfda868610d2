"""Everything one running sandbox holds: live settings, data, sessions, limits, webhooks, counters."""

from __future__ import annotations

import json
import threading
from collections import Counter
from typing import Any

from connector_sandbox.seeding import SeedReport, continued, count_start, seeded

from .documents import webhook_entity
from .faults import FaultInjector
from .limits import RateLimiter
from .seed import seed
from .sessions import SessionRegistry
from .settings import BillSandboxSettings
from .store import Store
from .webhooks import WebhookHub

_ENTITY_KEYS = {"vendors": "vendor", "bills": "bill", "payments": "payment"}
_WEBHOOKS = "webhook_subscriptions"  # the store's meta key of the hub's kept subscriptions


class Stats:
    """Calls per endpoint, answers per HTTP status and per BDC code (operator inspection)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.calls: Counter[str] = Counter()
        self.statuses: Counter[int] = Counter()
        self.codes: Counter[str] = Counter()

    def count_call(self, endpoint: str) -> None:
        with self._lock:
            self.calls[endpoint] += 1

    def count_answer(self, status: int, codes: list[str]) -> None:
        with self._lock:
            self.statuses[status] += 1
            self.codes.update(codes)

    def clear(self) -> None:
        with self._lock:
            self.calls.clear()
            self.statuses.clear()
            self.codes.clear()

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "calls": dict(self.calls),
                "statuses": {str(status): count for status, count in sorted(self.statuses.items())},
                "error_codes": dict(self.codes),
            }


class SandboxState:
    def __init__(self, settings: BillSandboxSettings) -> None:
        # The live copy: operator calls change it; the original is what /sandbox/settings/reset restores.
        self.initial_settings = settings
        self.settings = settings.model_copy(deep=True)
        self.store, self.seed_report = seeded(Store(settings.db_path), seed, self.settings)
        self.sessions = SessionRegistry(
            lambda: self.settings.limits.session_idle_timeout_seconds,
            lambda: self.settings.limits.remember_me_days,
            self.store,  # a restart honours the sessions it opened
        )
        self.limits = RateLimiter(lambda: self.settings)
        self.faults = FaultInjector(settings.seed)
        self.hub = WebhookHub(lambda: self.settings, settings.seed)
        kept_webhooks = self.store.get_meta(_WEBHOOKS)
        if kept_webhooks:  # a kept file: the subscriptions clients made before the restart
            self.hub.restore(json.loads(kept_webhooks))
        self.stats = Stats()
        # Ids of records created at run time: seeded, so a scripted run creates the same ids each time;
        # after a restart on a kept file the stream goes on (``continued``), never repeating an id.
        self.starts = count_start(self.store)
        self.rng = continued(settings.seed * 7919, self.starts)
        self.activity_runs = 0

    def publish(self, org_id: str, kind: str, action: str, doc: dict[str, Any]) -> list[str]:
        """Queue the webhook event ``<entity>.<action>`` for a stored object (snapshot taken now)."""
        entity = _ENTITY_KEYS[kind]
        return self.hub.publish(
            org_id, f"{entity}.{action}", entity, webhook_entity(kind, doc, self.settings)
        )

    def reset(self, changes: dict[str, Any]) -> SeedReport:
        """Re-seed from the live settings (with ``changes`` merged), dropping sessions and webhooks."""
        merged = BillSandboxSettings.model_validate({**self.settings.model_dump(), **changes})
        store, report = seeded(Store(), seed, merged)
        if self.store.kept:  # the kept file takes the new data: a restart then finds it
            self.store.replace_with(store)
            store.close()
        else:
            old, self.store = self.store, store
            old.close()
        self.settings = merged
        self.seed_report = report
        self.sessions.keeper.store = self.store  # the reseeded data's (a store of its own when not kept)
        self.sessions.expire_all()
        self.sessions.forget_devices()
        self.limits.reset()
        self.hub.clear()
        self.stats.clear()
        self.starts = count_start(self.store)
        self.rng = continued(merged.seed * 7919, self.starts)
        return report

    def keep_webhooks(self) -> None:
        """Write the subscriptions (made through BILL's API, so part of the data a restart keeps) to the
        store now: called at every change, so a server killed without its stop loses none of them, nor
        the key the vault holds; and at the stop, for a subscription the deliveries disabled since."""
        self.store.set_meta(_WEBHOOKS, json.dumps(self.hub.kept()))

    def close(self) -> None:
        self.hub.stop()
        self.keep_webhooks()
        self.sessions.keep()  # with every session's idle timer as it is now
        self.store.close()
