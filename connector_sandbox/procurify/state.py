"""Everything one running sandbox holds: data, tokens, live faults and variants, counters, clock."""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter
from dataclasses import dataclass, field

from connector_sandbox.clock import MovableClock
from connector_sandbox.seeding import SeedReport, continued, count_start, seeded

from .factory import Catalog, Clock, Counters, DataFactory
from .faults import FaultGate
from .seed import anchor_for, seed
from .settings import BehaviourVariants, ProcurifySandboxSettings, SandboxApplication
from .store import Store
from .tokens import TokenService


@dataclass
class SandboxState(MovableClock):
    settings: ProcurifySandboxSettings
    store: Store
    seed_report: SeedReport
    variants: BehaviourVariants
    tokens: TokenService
    gate: FaultGate
    # "GET /api/v3/vendors/" -> calls; "GET /api/v3/vendors/ 200" -> answers with that status.
    calls: Counter[str] = field(default_factory=Counter)
    statuses: Counter[str] = field(default_factory=Counter)
    clock_offset: dt.timedelta = dt.timedelta(0)
    _factory: DataFactory | None = None
    _activity_runs: int = 0
    # Starts served by this data (``count_start``): the activity's stream goes on after a restart.
    starts: int = 1
    lock: threading.RLock = field(default_factory=threading.RLock)

    @classmethod
    def build(cls, settings: ProcurifySandboxSettings) -> SandboxState:
        store, report = seeded(Store(settings.db_path), seed, settings)
        state = cls(
            settings=settings,
            store=store,
            seed_report=report,
            variants=settings.variants.model_copy(),
            tokens=TokenService(settings.token_signing_key, store),  # a restart honours them
            gate=FaultGate(settings.faults.model_copy(), settings.seed),
            starts=count_start(store),
        )
        state.restore_clock()  # where ``/sandbox/clock`` left it on kept data
        return state

    def application(self, client_id: str) -> SandboxApplication | None:
        return next((app for app in self.settings.applications if app.client_id == client_id), None)

    def factory(self) -> DataFactory:
        """The generator for live activity, built from the current data the first time it is needed."""
        with self.lock:
            if self._factory is None:
                self._activity_runs += 1
                rng = continued(f"{self.settings.seed}:activity:{self._activity_runs}", self.starts)
                self._factory = DataFactory(
                    rng,
                    Clock(anchor_for(self.settings)),
                    Catalog.load(self.store),
                    Counters.from_store(self.store),
                    planted_faults=self.settings.planted_faults,
                )
            return self._factory

    def master_data_changed(self) -> None:
        """Vendors, accounts or departments changed: the next activity reloads its catalog."""
        with self.lock:
            self._factory = None

    def reseed(self, settings: ProcurifySandboxSettings) -> SeedReport:
        """Fresh data, tokens, counters, faults and variants: a new customer from the given settings."""
        with self.lock:
            fresh, report = seeded(Store(), seed, settings)
            if self.store.kept:  # the kept file takes the new data: a restart then finds it
                with self.store.lock:
                    self.store.replace_with(fresh)
                old = fresh
                self.starts = count_start(self.store)
            else:
                old, self.store = self.store, fresh
            self.settings = settings
            self.seed_report = report
            self.variants = settings.variants.model_copy()
            self.tokens = TokenService(settings.token_signing_key, self.store)  # reseeded: none kept
            self.gate = FaultGate(settings.faults.model_copy(), settings.seed)
            self.calls.clear()
            self.statuses.clear()
            self.reset_clock()
            self._factory = None
            old.close()
            return report

    def close(self) -> None:
        self.store.close()
