"""Everything one running sandbox pod holds: data, tokens, live behaviour and faults, counters, clock."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

from connector_sandbox.clock import MovableClock
from connector_sandbox.seeding import SeedReport, seeded

from .auth import TokenRegistry
from .faults import FaultInjector, RateLimiter
from .keys import KeyCodec
from .periods import open_calendar
from .seed import seed
from .settings import BehaviourSettings, FaultSettings, FusionSandboxSettings, PeriodSettings
from .store import Store


@dataclass
class SandboxState(MovableClock):
    settings: FusionSandboxSettings
    store: Store
    seed_report: SeedReport
    behaviour: BehaviourSettings
    faults: FaultSettings
    tokens: TokenRegistry = field(default_factory=TokenRegistry)
    limiter: RateLimiter = field(default_factory=RateLimiter)
    calls: Counter[str] = field(default_factory=Counter)
    statuses: Counter[str] = field(default_factory=Counter)
    clock_offset: dt.timedelta = dt.timedelta(0)
    keys: KeyCodec = field(init=False)
    injector: FaultInjector = field(init=False)

    def __post_init__(self) -> None:
        self.keys = KeyCodec.of_seed(self.settings.seed)
        self.injector = FaultInjector(self.settings.seed)

    @classmethod
    def build(cls, settings: FusionSandboxSettings) -> SandboxState:
        store, report = seeded(Store(settings.db_path), seed, settings)
        state = cls(
            settings,
            store,
            report,
            settings.behaviour.model_copy(deep=True),
            settings.faults.model_copy(),
            tokens=TokenRegistry(store),  # a restart honours the tokens it issued
        )
        state.restore_clock()
        return state

    def open_calendar(self, periods: PeriodSettings | None = None) -> int:
        """The accounting periods built anew as ``periods`` (default: the settings') start them around the
        pod's today: ``POST /sandbox/periods/reset`` only. The seed builds them once; a restart keeps them
        as people moved them since (a month-end rehearsal stays closed)."""
        return open_calendar(self.store, self.keys, periods or self.settings.periods, self.now().date())

    def reseed(self, settings: FusionSandboxSettings) -> None:
        """Fresh data (and fresh tokens, counters, live settings) for ``settings``."""
        fresh, report = seeded(Store(), seed, settings)
        if self.store.kept:  # the kept file takes the new data: a restart then finds it
            self.store.replace_with(fresh)
            old = fresh
        else:
            old, self.store = self.store, fresh
        self.settings, self.seed_report = settings, report
        self.behaviour = settings.behaviour.model_copy(deep=True)
        self.faults = settings.faults.model_copy()
        self.tokens = TokenRegistry(self.store)  # the reseeded store keeps none
        self.limiter = RateLimiter()
        self.calls.clear()
        self.statuses.clear()
        self.reset_clock()
        self.__post_init__()
        old.close()

    def close(self) -> None:
        self.store.close()
