"""Everything one running sandbox holds: data, tokens, rate windows, live settings, counters, webhooks."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from connector_sandbox.seeding import SeedReport, anchor_day, continued, count_start

from .clock import utc_now
from .delivery import WebhookSender
from .erp_links import link_at_startup
from .events import PROJECT_DIRECTORY, EventLog, Origin
from .faults import FaultInjector
from .ratelimit import RateLimiter
from .seed import FIRST_IDS, seed
from .settings import (
    FaultSettings,
    ProcoreSandboxSettings,
    RateLimitSettings,
    VariantSettings,
    WebhookSettings,
)
from .store import Store
from .tokens import TokenRegistry

# Settings groups an operator may change on a running server, and their models.
LIVE_GROUPS: dict[str, type] = {
    "faults": FaultSettings,
    "rate_limits": RateLimitSettings,
    "webhooks": WebhookSettings,
    "variants": VariantSettings,
}


class SandboxState:
    def __init__(self, settings: ProcoreSandboxSettings) -> None:
        self.settings = settings
        self.faults: FaultSettings = settings.faults.model_copy()
        self.rate_limits: RateLimitSettings = settings.rate_limits.model_copy()
        self.webhooks: WebhookSettings = settings.webhooks.model_copy()
        self.variants: VariantSettings = settings.variants.model_copy()
        self.store = Store(settings.db_path)
        self.store.materials_moved = lambda: self.variants.move_materials_to_previous_work_completed
        self.seed_report: SeedReport = seed(self.store, settings)
        if not self.seed_report.reused:  # kept data was linked at its first start, and since by the API
            link_at_startup(self.store, settings)
        # Starts served by this data (``count_start``): the activity's stream goes on after a restart.
        self.starts = count_start(self.store)
        self.tokens = TokenRegistry(self.store)  # a restart honours the tokens it issued
        self.limiter = RateLimiter()
        self.injector = FaultInjector(settings.seed)
        self.events = EventLog(self.store, settings.seed)
        self.sender = WebhookSender(self.store, lambda: self.webhooks, self._duplicate_used, settings.seed)
        self.calls: Counter[str] = Counter()
        # (Procore-Company-Id header value, endpoint label) -> calls: what each company was asked.
        self.company_calls: Counter[tuple[str, str]] = Counter()
        self.statuses: Counter[str] = Counter()
        self.activity_rng = continued(settings.seed * 7919, self.starts)

    # -- live settings ---------------------------------------------------------------------------------

    def live_settings(self) -> dict[str, Any]:
        return {name: getattr(self, name).model_dump(mode="json") for name in LIVE_GROUPS}

    def update_live(self, changes: dict[str, Any]) -> None:
        """Merge changes into the live groups; all validated before any is applied."""
        unknown = sorted(set(changes) - set(LIVE_GROUPS))
        if unknown:
            raise ValueError(f"unknown settings group(s) {unknown}; one of {sorted(LIVE_GROUPS)}")
        updated = {}
        for name, values in changes.items():
            if not isinstance(values, dict):
                raise ValueError(f"{name}: must be an object of fields to change")
            current = getattr(self, name).model_dump()
            updated[name] = LIVE_GROUPS[name].model_validate({**current, **values})
        for name, model in updated.items():
            setattr(self, name, model)
        if "webhooks" in updated:
            self.sender.poke()

    def reset_live(self) -> None:
        for name in LIVE_GROUPS:
            setattr(self, name, getattr(self.settings, name).model_copy())

    def _duplicate_used(self) -> None:
        if self.webhooks.duplicate_next > 0:
            self.webhooks = self.webhooks.model_copy(
                update={"duplicate_next": self.webhooks.duplicate_next - 1}
            )

    # -- data ------------------------------------------------------------------------------------------

    def reseed(self, *, scale: float | None = None, seed_value: int | None = None) -> SeedReport:
        """Fresh data (optionally another scale / seed); hooks, events and counters go with the old data."""
        changes: dict[str, Any] = {}
        if scale is not None:
            changes["scale"] = scale
        if seed_value is not None:
            changes["seed"] = seed_value
        if changes:
            self.settings = ProcoreSandboxSettings.model_validate({**self.settings.model_dump(), **changes})
        with self.store.lock:
            self.store.create_schema()
            self.seed_report = seed(self.store, self.settings)
            link_at_startup(self.store, self.settings)
        self.limiter.reset()
        self.calls.clear()
        self.company_calls.clear()
        self.statuses.clear()
        return self.seed_report

    def calls_by_company(self) -> dict[str, dict[str, int]]:
        """``{company header value: {endpoint label: calls}}``."""
        out: dict[str, dict[str, int]] = {}
        for (company, label), n in sorted(self.company_calls.items()):
            out.setdefault(company, {})[label] = n
        return out

    def anchor(self) -> dt.date:
        return anchor_day(self.settings)

    # -- webhooks --------------------------------------------------------------------------------------

    def emit(
        self,
        resource_key: str,
        event_type: str,
        resource_id: int,
        *,
        company_id: int | None = None,
        **event: Any,
    ) -> int:
        """Record a change for webhooks, under the live resource names and deprecations (in the first
        company unless ``company_id`` says otherwise); ``event``: ``EventLog.record``'s ``project_id``,
        ``origin`` and ``related``."""
        name = self.variants.resource_names[resource_key]
        if (
            name in PROJECT_DIRECTORY
            and event_type == "update"
            and utc_now().date() > self.variants.project_directory_updates_until
        ):
            return 0  # Procore stops these update events after the announced date
        queued = self.events.record(
            company_id=self.settings.company_id if company_id is None else company_id,
            resource_name=name,
            event_type=event_type,
            resource_id=resource_id,
            **event,
        )
        if queued:
            self.sender.poke()
        return queued

    def human_origin(self) -> Origin:
        """A person working in the Procore UI (sandbox activity): no application id."""
        return Origin(FIRST_IDS["users"] + self.activity_rng.randrange(4), None)

    def close(self) -> None:
        self.sender.stop()
        self.store.close()
