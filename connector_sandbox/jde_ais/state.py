"""Everything one running sandbox holds: data, sessions, open result sets, live faults, call counts."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from dataclasses import dataclass, field

from connector_sandbox.seeding import SeedReport, anchor_day, continued, count_start, seeded

from .auth import SessionRegistry
from .contracts import Contract, load_contracts
from .dataservice import ResultSets
from .factory import DataFactory
from .periods import seed_periods, seeded_years
from .seed import seed
from .settings import FaultSettings, JdeSandboxSettings
from .store import Store


@dataclass
class SandboxState:
    settings: JdeSandboxSettings
    store: Store
    contracts: dict[str, Contract]
    seed_report: SeedReport
    faults: FaultSettings
    sessions: SessionRegistry = field(init=False)
    result_sets: ResultSets = field(init=False)
    calls: Counter[str] = field(default_factory=Counter)
    # Its own generator so fault decisions are reproducible for a seed and independent of the data.
    fault_rng: random.Random = field(init=False)
    _factory: DataFactory | None = None
    _activity_runs: int = 0
    # Starts served by this data (``count_start``): the activity's stream goes on after a restart.
    starts: int = 1

    def __post_init__(self) -> None:
        # A restart of make dev honours the sessions it opened (``kept_credentials``).
        self.sessions = SessionRegistry(self.settings, lambda: self.faults, store=self.store)
        self.result_sets = ResultSets(self.settings, lambda: self.faults)
        self.fault_rng = random.Random(self.settings.seed ^ 0x5EED)

    @classmethod
    def build(cls, settings: JdeSandboxSettings) -> SandboxState:
        contracts = load_contracts(settings.contracts_dir)  # fail before the (possibly long) seed
        store, report = seeded(Store(settings.db_path), seed, settings)
        # The calendar comes from the clock, not the seed: a kept file keeps its periods (as rolled since),
        # one that predates F0010 gets them now.
        now = cls.now()
        years = seeded_years(anchor_day(settings), now.date())
        seed_periods(store, settings.periods, years, now.date(), now)
        return cls(
            settings, store, contracts, report, settings.faults.model_copy(), starts=count_start(store)
        )

    @staticmethod
    def now() -> dt.datetime:
        """The sandbox clock: UTC, which tokenrequest reports as the user's timeZoneOffset."""
        return dt.datetime.now(dt.UTC)

    def factory(self) -> DataFactory:
        """The generator for new activity, rebuilt from the database the first time it is needed."""
        if self._factory is None:
            self._activity_runs += 1
            rng = continued(self.settings.seed * 7919 + self._activity_runs, self.starts)
            self._factory = DataFactory.from_store(self.store, rng, anchor_day(self.settings))
        return self._factory

    def restart(self) -> int:
        """An AIS/HTML server restart: every session and every open result set disappears."""
        self.result_sets.clear()
        return self.sessions.invalidate_all()

    def close(self) -> None:
        self.result_sets.clear()
        self.sessions.keep()  # with every session's idle timer as it is now
        self.store.close()
