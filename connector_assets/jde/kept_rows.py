"""JDE rows read by key (``lookup.browse_in``) kept for a run: a step reads once for all its days instead of a
few keys a call per day. Only reads inside ``keeping`` use them; outside, every read goes to JDE.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from connector_assets.flows.flow_run import run_partitions
from connector_assets.runtime.run_reads import RunReads

Where = tuple[str, str, tuple[str, ...]]  # table, the column looked up by, the columns read


def key_text(value: object) -> str:
    """A looked-up value as a key: a whole number as its digits, anything else as its trimmed text."""
    if isinstance(value, int | Decimal) and not isinstance(value, bool) and value == int(value):
        return str(int(value))
    return str(value).strip()


@dataclass
class KeptRows:
    """Each value's rows, by the read they came from (``Where``); ``warmed`` once a run's step read ahead."""

    rows: dict[Where, dict[str, list[dict[str, Any]]]] = field(default_factory=dict)
    warmed: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def known(self, where: Where, values: Sequence[object]) -> tuple[list[dict[str, Any]], list[Any]]:
        """The kept rows (copies) of the values read before, and the values not read yet."""
        with self.lock:
            kept = self.rows.get(where, {})
            found = [dict(row) for value in values for row in kept.get(key_text(value), ())]
            return found, [value for value in values if key_text(value) not in kept]

    def keep(self, where: Where, values: Sequence[object], rows: Sequence[Mapping[str, object]]) -> None:
        """Keep what one read of ``values`` answered; not at all if a row lacks the column or names no
        value asked (not understood)."""
        by_value: dict[str, list[dict[str, object]]] = {key_text(value): [] for value in values}
        for row in rows:
            if where[1] not in row or key_text(row[where[1]]) not in by_value:
                return
            by_value[key_text(row[where[1]])].append(dict(row))
        with self.lock:
            self.rows.setdefault(where, {}).update(by_value)


_kept: ContextVar[KeptRows | None] = ContextVar("jde_kept_rows", default=None)
kept_rows = _kept.get  # the rows reads go through here (``keeping``), None outside


@contextmanager
def keeping(kept: KeptRows | None) -> Iterator[None]:
    """Reads by key in the block answered from ``kept`` and kept there (None: no change). A generator must
    leave the block before it yields (a context variable set in it leaks out)."""
    token = _kept.set(kept) if kept is not None else None
    try:
        yield
    finally:
        if token is not None:
            _kept.reset(token)


_RUNS: RunReads[dict[str, KeptRows]] = RunReads(dict)
_LOCK = threading.Lock()


def run_rows(context: object, name: str) -> KeptRows | None:
    """The rows kept for ``name`` (a flow) in the run of ``context``; None for a context naming no run."""
    kept = _RUNS.of(context)
    if kept is None:
        return None
    with _LOCK:
        return kept.setdefault(name, KeptRows())


def read_ahead_once(kept: KeptRows | None, read: Callable[[], object]) -> None:
    """``read`` (a step's reads for all its days) run inside ``keeping(kept)``, once per run."""
    if kept is None or kept.warmed:
        return
    with keeping(kept):
        read()
    kept.warmed = True


@contextmanager
def read_for_run(context: Any, name: str, read_all: Callable[[list[str | None]], Any]) -> Iterator[None]:
    """``keeping`` the rows kept for flow ``name`` in ``context``'s run, which a range's first day reads for
    all its days at once (``read_all(days)``); a one-day run reads as it goes."""
    days = run_partitions(context)
    kept = run_rows(context, name) if len(days) > 1 else None
    with keeping(kept):
        read_ahead_once(kept, lambda: read_all(days))
        yield
