"""Seeding pieces the simulators share: the report, the anchor day, how master data grows with the
scale, and building a freshly seeded store without leaking it when the seed fails.

Each simulator keeps what its data is (plans, factories, tables); these are the rules every one of
them follows, so they are stated once.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, make_dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar


@dataclass(frozen=True)
class SeedReport:
    """What a seed produced: how long it took, the day its history ends before, rows per table.

    ``reused`` is true when a kept data file already held this data (JDE, Coupa), so nothing was
    generated; ``scale`` and ``seed`` are the settings the data was made with.
    """

    seconds: float
    anchor_date: str
    row_counts: dict[str, int]
    scale: float
    seed: int
    reused: bool = False


class SeedSettings(Protocol):
    """The settings fields every simulator's seed reads."""

    @property
    def scale(self) -> float: ...

    @property
    def seed(self) -> int: ...

    @property
    def anchor_date(self) -> dt.date | None: ...


def fit(text: str, length: int, filler: str | None = None) -> str:
    """``text`` padded with ``filler`` (``text`` itself when None), repeated, and cut to exactly
    ``length`` characters, for maximum-length values; a cut that ends on a space ends on "." instead."""
    filler = text if filler is None else filler
    fitted = (text + filler * (1 + length // max(len(filler), 1)))[:length]
    return fitted[:-1] + "." if fitted.endswith(" ") else fitted


def anchor_day(settings: SeedSettings) -> dt.date:
    """The day the seeded history ends before: the configured one, else today (UTC)."""
    return settings.anchor_date or dt.datetime.now(dt.UTC).date()


def master_scale(scale: float) -> float:
    """How master data (suppliers, accounts, people) grows: with the scale up to 1, then its square root.

    A customer ten times larger has more suppliers, not ten times as many; transactions grow linearly.
    """
    return scale if scale <= 1 else math.sqrt(scale)


@dataclass(frozen=True)
class Growth:
    """How many records of one kind a seed makes: ``at_scale_1`` at scale 1, never fewer than ``at_least``
    (the named and edge-case records must fit) nor, when given, more than ``at_most``."""

    at_scale_1: int
    at_least: int = 0
    at_most: int | None = None
    master: bool = False  # master data grows with ``master_scale``, transactions linearly

    def count(self, scale: float) -> int:
        grown = round(self.at_scale_1 * (master_scale(scale) if self.master else scale))
        if self.at_most is not None:
            grown = min(self.at_most, grown)
        return max(self.at_least, grown)


def master_data(at_scale_1: int, *, at_least: int = 0, at_most: int | None = None) -> Growth:
    """Suppliers, accounts, people: grow with the square root of scales above 1."""
    return Growth(at_scale_1, at_least, at_most, master=True)


def transactions(at_scale_1: int, *, at_least: int = 0) -> Growth:
    """Orders, invoices, payments: grow linearly with the scale."""
    return Growth(at_scale_1, at_least)


def seed_plan(**kinds: Growth) -> Any:
    """``SeedPlan``: a frozen dataclass with a count per kind, and ``SeedPlan.for_scale(scale)``.

    A simulator states how each kind grows; the arithmetic is this one rule for all of them.
    """

    def for_scale(cls: type, scale: float) -> Any:
        return cls(**{name: growth.count(scale) for name, growth in kinds.items()})

    return make_dataclass(
        "SeedPlan",
        [(name, int) for name in kinds],
        frozen=True,
        namespace={"for_scale": classmethod(for_scale), "__doc__": "Record counts for a scale."},
    )


class Stopwatch:
    """Times one seed from construction and writes its report."""

    def __init__(self, settings: SeedSettings, anchor: dt.date | str) -> None:
        self.started = time.perf_counter()
        self.settings = settings
        self.anchor = anchor if isinstance(anchor, str) else anchor.isoformat()

    def report(self, row_counts: dict[str, int], *, reused: bool = False) -> SeedReport:
        return SeedReport(
            seconds=time.perf_counter() - self.started,
            anchor_date=self.anchor,
            row_counts=row_counts,
            scale=self.settings.scale,
            seed=self.settings.seed,
            reused=reused,
        )

    def logged(self, log: logging.Logger, row_counts: dict[str, int]) -> SeedReport:
        """The report of a seed that generated data, with the log line that says so."""
        report = self.report(row_counts)
        log.info("seeded scale %s in %.2f s: %s", report.scale, report.seconds, report.row_counts)
        return report


class Closable(Protocol):
    def close(self) -> None: ...


StoreT = TypeVar("StoreT", bound=Closable)
SettingsT = TypeVar("SettingsT")


def seeded(
    store: StoreT, seed: Callable[[StoreT, SettingsT], SeedReport], settings: SettingsT
) -> tuple[StoreT, SeedReport]:
    """A new ``store`` filled by ``seed``; when the seed fails (or is interrupted) the store is closed.

    Used at start and by every reseed, which swaps the new store in only once it is complete, so no
    request ever reads a half-seeded one.
    """
    try:
        return store, seed(store, settings)
    except BaseException:
        store.close()
        raise


class KeptDataError(ValueError):
    """A kept data file this simulator cannot use as it is: seeded with other settings, or by an older
    version (another table layout, or no signature at all). Raised before anything is written to it."""


class KeptStore(Protocol):
    """A store whose data may live in a kept file (``db_path``): what ``seed_kept`` reads and writes."""

    path: Path | None

    def get_meta(self, key: str) -> str | None: ...

    def set_meta(self, key: str, value: str) -> None: ...

    def row_counts(self) -> dict[str, int]: ...


def seed_signature(settings: SeedSettings, layout: int) -> str:
    """What a kept file must have been seeded with to be reused: seed, scale and the table layout.

    The anchor day is not part of it: a file seeded yesterday (``make dev`` keeps it under
    ``.dagster_home/sandbox``) is reused today, history and every record written since included.
    """
    return json.dumps({"seed": settings.seed, "scale": settings.scale, "layout": layout})


def seed_kept(
    store: KeptStore, settings: SeedSettings, layout: int, generate: Callable[[], SeedReport]
) -> SeedReport:
    """The data of ``store``: reused when its signature is this one (``reused=True``), generated by
    ``generate`` into an empty store (then signed), refused (``KeptDataError``) otherwise.

    Why refuse rather than seed over it: the file holds records a connector already paired (the ledger
    keeps those pairings); re-seeding one simulator while the ledger and the others keep theirs leaves a
    world that is half old, half new. The caller decides how the whole world starts over.
    """
    signature = seed_signature(settings, layout)
    previous = store.get_meta("seed_signature")
    if previous == signature:
        seeded_on = store.get_meta("seed_anchor") or anchor_day(settings).isoformat()
        return Stopwatch(settings, seeded_on).report(store.row_counts(), reused=True)
    if previous is not None or any(store.row_counts().values()):
        raise KeptDataError(
            f"{store.path} holds data seeded "
            + (f"with {previous}, not {signature}" if previous else "by an older version (no seed signature)")
            + "; it is not seeded over (records in it may be paired in the ledger)"
        )
    report = generate()
    store.set_meta("seed_signature", signature)
    store.set_meta("seed_anchor", report.anchor_date)
    return report


def seed_kept_anchored(
    store: KeptStore,
    settings: SeedSettings,
    layout: int,
    fill: Callable[[Any, Any, dt.date], None],
    *,
    log: logging.Logger | None = None,
) -> SeedReport:
    """``seed_kept`` for a seed whose history ends before the anchor day: ``fill(store, settings, anchor)``
    writes the data into the empty store, timed from the anchor's reading on, and the report counts the rows
    it made (said in ``log`` when given; a seed without one stays quiet)."""

    def generate() -> SeedReport:
        anchor = anchor_day(settings)
        stopwatch = Stopwatch(settings, anchor)
        fill(store, settings, anchor)
        row_counts = store.row_counts()
        return stopwatch.report(row_counts) if log is None else stopwatch.logged(log, row_counts)

    return seed_kept(store, settings, layout, generate)


def count_start(store: KeptStore) -> int:
    """How many starts this data has served, this one included (1 for fresh data), kept in its meta.

    Why: a simulator's activity and created ids come from random streams derived from the seed; after a
    restart on kept data they must go on, not replay the first start's (the same ids again, overwriting
    the records made then, the same new supplier names again).
    """
    starts = int(store.get_meta("starts") or 0) + 1
    store.set_meta("starts", str(starts))
    return starts


def continued(base: int | str, starts: int) -> random.Random:
    """The random stream ``base`` for this start: the seed's own on fresh data, another after a restart."""
    return random.Random(base if starts == 1 else f"{base}:start:{starts}")
