"""Everything one running Coupa sandbox holds: live settings, data, tokens, rate buckets, call counts,
call-out subscriptions and deliveries."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import random
from collections import Counter
from typing import Any

from connector_sandbox.clock import MovableClock
from connector_sandbox.seeding import SeedReport, anchor_day, continued, count_start, seeded

from .auth import TokenRegistry
from .callouts import CalloutDispatcher, new_event
from .factory import DataFactory, StoreIds, load_masters
from .faults import RateLimiter
from .render import Renderer
from .schema import CALLOUT_RESOURCES, RESOURCES
from .seed import seed
from .settings import CalloutSubscription, CoupaSandboxSettings, FaultSettings
from .store import Store
from .timefmt import render_datetime, utc_stamp

_ERP_NUMBERS = "erp_numbers"  # the store's meta key of ``SandboxState.erp_numbers``
_CALLOUTS = "callouts_registered"  # and of ``SandboxState.registered_callouts``


@dataclasses.dataclass
class SandboxState(MovableClock):
    settings: CoupaSandboxSettings
    store: Store
    seed_report: SeedReport
    tokens: TokenRegistry = dataclasses.field(default_factory=TokenRegistry)
    limiter: RateLimiter = dataclasses.field(default_factory=RateLimiter)
    calls: Counter[str] = dataclasses.field(default_factory=Counter)
    statuses: Counter[str] = dataclasses.field(default_factory=Counter)
    calls_by_status: Counter[str] = dataclasses.field(default_factory=Counter)
    callouts: CalloutDispatcher = dataclasses.field(init=False)
    # Its own generator, so fault decisions are reproducible and independent of the data.
    fault_rng: random.Random = dataclasses.field(init=False)
    _factory: DataFactory | None = None
    # The ERP numbers the seeded suppliers were pointed at (``erp_numbers``; empty until an operator gives
    # some): a supplier the activity adds takes one of them, so it names a supplier the ERP has. Kept in
    # the store's meta (``point_at_erp``).
    erp_numbers: list[str] = dataclasses.field(default_factory=list)
    _activity_runs: int = 0
    # Starts served by this data (``count_start``): the activity's stream goes on after a restart.
    starts: int = 1
    # What ``/sandbox/clock`` moved the clock by: every stamp the sandbox writes (created-at, updated-at)
    # follows it, so a test can make a day's records on that day. Kept with the data (``restore_clock``).
    clock_offset: dt.timedelta = dt.timedelta(0)
    # The settings it started with: what ``/sandbox/settings/reset`` and ``/sandbox/faults/reset`` restore.
    initial_settings: CoupaSandboxSettings = dataclasses.field(init=False)
    # The call-out receivers registered through ``/sandbox/callouts`` (Coupa's Setup -> Call Outs), by id:
    # Coupa's configuration, kept in the store's meta like its records (the settings' ones are applied
    # at every start).
    registered_callouts: dict[int, CalloutSubscription] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        self.initial_settings = self.settings.model_copy(deep=True)
        self.fault_rng = random.Random(self.settings.seed ^ 0x5EED)
        self.callouts = CalloutDispatcher(lambda: self.settings.callouts, self.settings.seed)
        for subscription in self.settings.callouts.subscriptions:
            self.callouts.subscribe(subscription)
        for subscription_id, fields in json.loads(self.store.get_meta(_CALLOUTS) or "[]"):
            subscription = CalloutSubscription.model_validate(fields)
            self.registered_callouts[self.callouts.subscribe(subscription, subscription_id)] = subscription
        self._keep_callouts()  # an id taken by the settings' receivers since moved on

    @classmethod
    def build(cls, settings: CoupaSandboxSettings) -> SandboxState:
        store, report = seeded(Store(settings.db_path), seed, settings)
        # The tokens it issued before a restart are honoured (``kept_credentials``).
        state = cls(settings, store, report, tokens=TokenRegistry(store), starts=count_start(store))
        state.restore_clock()
        state.erp_numbers = json.loads(store.get_meta(_ERP_NUMBERS) or "[]")
        return state

    def point_at_erp(self, numbers: list[str]) -> None:
        """The ERP numbers the operator pointed the seeded suppliers at (``erp_numbers``), kept with the
        data: after a restart the activity still numbers the suppliers it adds from the ERP's."""
        self.erp_numbers = numbers
        self.store.set_meta(_ERP_NUMBERS, json.dumps(numbers))
        self.forget_factory()  # its supplier list holds the old numbers

    # --- live settings ---------------------------------------------------------------------------

    @property
    def faults(self) -> FaultSettings:
        return self.settings.faults

    @faults.setter
    def faults(self, value: FaultSettings) -> None:
        self.settings = self.settings.model_copy(update={"faults": value})

    def update_settings(self, changes: dict[str, Any]) -> CoupaSandboxSettings:
        """Merge ``changes`` (validated as a whole); nested models merge field by field."""
        current = self.settings.model_dump()
        for key, value in changes.items():
            if (
                isinstance(value, dict)
                and isinstance(current.get(key), dict)
                and key
                not in (
                    "resource_scopes",
                    "api_filters",
                    "custom_fields",
                )
            ):
                current[key] = {**current[key], **value}
            else:
                current[key] = value
        self.settings = CoupaSandboxSettings.model_validate(current)
        return self.settings

    def register_callout(self, subscription: CalloutSubscription) -> int:
        """A receiver registered by the operator; its id."""
        subscription_id = self.callouts.subscribe(subscription)
        self.registered_callouts[subscription_id] = subscription
        self._keep_callouts()
        return subscription_id

    def unregister_callout(self, subscription_id: int) -> bool:
        """Whether a receiver ``subscription_id`` was there to remove."""
        removed = self.callouts.unsubscribe(subscription_id)
        if self.registered_callouts.pop(subscription_id, None) is not None:
            self._keep_callouts()
        return removed

    def _keep_callouts(self) -> None:
        kept = [[sid, sub.model_dump(mode="json")] for sid, sub in self.registered_callouts.items()]
        self.store.set_meta(_CALLOUTS, json.dumps(kept))

    # --- time and rendering ----------------------------------------------------------------------

    def now(self) -> dt.datetime:
        """The sandbox clock: UTC moved by ``/sandbox/clock``, whole seconds (what Coupa stores)."""
        return super().now().replace(microsecond=0)

    def renderer(self, *, show_deleted_lines: bool = False) -> Renderer:
        renderer = Renderer(
            self.store,
            self.settings.time_zone,
            self.settings.decimals_as,
            show_deleted_lines=show_deleted_lines,
        )
        if self.settings.po_default_filter_includes_invoice_total:
            renderer.extra_fields["purchase_orders"] = {"invoice-total"}
        return renderer

    # --- call-outs -------------------------------------------------------------------------------

    def announce(
        self, resource_key: str, docs: list[dict[str, Any]], event_type: str, *, automatic: bool = True
    ) -> list[str]:
        """Queue call-out events for changed records (one batch); returns the event ids."""
        callouts = self.settings.callouts
        if resource_key not in CALLOUT_RESOURCES or not self.callouts.wants(resource_key):
            return []
        if automatic and (
            not callouts.auto_deliver or (event_type == "exported" and not callouts.on_export_mark)
        ):
            return []
        renderer = self.renderer()
        resource = RESOURCES[resource_key]
        events = [
            new_event(
                resource_key,
                renderer.full(resource, doc),
                event_type,
                render_datetime(doc.get("updated-at") or utc_stamp(self.now()), self.settings.time_zone),
            )
            for doc in docs
        ]
        self.callouts.publish(events)
        return [event.event_id for event in events]

    # --- activity and reset ----------------------------------------------------------------------

    def factory(self) -> DataFactory:
        """The generator for new activity, rebuilt from the database the first time it is needed."""
        if self._factory is None:
            self._activity_runs += 1
            rng = continued(self.settings.seed * 7919 + self._activity_runs, self.starts)
            factory = DataFactory(rng, StoreIds(self.store), anchor_day(self.settings))
            factory.masters = load_masters(self.store)
            invoices = RESOURCES["invoices"]
            factory.invoice_number_taken = lambda supplier_id, number: (
                self.store.find_one(
                    invoices, 't."ix_supplier" = ? AND t."ix_invoice_number" = ?', [supplier_id, number]
                )
                is not None
            )
            self._factory = factory
        return self._factory

    def forget_factory(self) -> None:
        """Master data changed through the API or a reseed: rebuild the generator's lists next time."""
        self._factory = None

    def reset(self, changes: dict[str, Any] | None = None, *, revoke_tokens: bool = False) -> SeedReport:
        if changes:
            self.update_settings(changes)
        self.seed_report = seed(self.store, self.settings, force=True)
        # The reseed emptied the meta, not the operator's numbers nor the receivers (Coupa's set-up).
        self.point_at_erp(self.erp_numbers)
        self._keep_callouts()
        self.reset_clock()
        self.calls.clear()
        self.statuses.clear()
        self.calls_by_status.clear()
        self.limiter.reset()
        self.callouts.clear_deliveries()
        if revoke_tokens:
            self.tokens.revoke_all()
        else:
            self.tokens.keep()  # the reseed emptied the meta, not the tokens it issued
        return self.seed_report

    def close(self) -> None:
        self.callouts.stop()
        self.store.close()
