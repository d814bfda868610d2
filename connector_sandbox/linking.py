"""Which seeded records a start-up linking may still re-point: the first linking's leftovers only.

``make dev`` points seeded records at numbers an ERP sandbox really has, at every start (Coupa supplier
numbers, Procore vendor links, Procurify vendor ERP keys; each simulator's ``erp_*`` module). The first
linking re-points every seeded record whose number names none of the ERP's. With the data kept across a
restart, the next start's linking met records the flows had written or numbered since (a Coupa supplier a
flow created from JDE supplier 3118, beyond the numbers make dev reads) and re-pointed those as if they
were seeded ones: records already paired in the ledger changed counterpart, and the flows then refused
them ("Name has already been taken"). So a linking records in the store's meta which records it left
unmatched (too few numbers given), and a later one re-points only those: on a restart after a complete
linking, nothing. A reseed empties the meta, and the next linking starts over.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Generic, Protocol, TypeVar

T = TypeVar("T")


class MetaStore(Protocol):
    def get_meta(self, key: str) -> str | None: ...

    def set_meta(self, key: str, value: str) -> None: ...


def _key(name: str) -> str:
    return f"linking:{name}:left_unmatched"


def still_to_link(store: MetaStore, name: str) -> set[str] | None:
    """Ids (as text) of the records linking ``name`` may still re-point; None before its first run (every
    seeded record may be re-pointed then)."""
    kept = store.get_meta(_key(name))
    return None if kept is None else set(json.loads(kept))


def remember_left(store: MetaStore, name: str, ids: Iterable[object]) -> None:
    """What linking ``name`` left unmatched this time: the only records a later linking may re-point."""
    store.set_meta(_key(name), json.dumps(sorted(str(i) for i in ids)))


@dataclass
class Linking(Generic[T]):
    """One linking ``name``'s walk over the seeded records, in id order, handing out the ``free`` targets
    (numbers, keys, links no record holds yet): the rules above, for each simulator's ``erp_*`` module.
    Made inside the store's transaction that re-points; ``done`` remembers what was left unmatched."""

    store: MetaStore
    name: str
    free: Iterator[T]
    already: int = 0  # records that kept their own target
    unmatched: list[object] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._open = still_to_link(self.store, self.name)

    def target_for(self, record_id: object, *, keeps: bool) -> T | None:
        """The target record ``record_id`` is re-pointed to. None when it keeps its own (``keeps``: it names
        one of the targets already; or an earlier linking did not leave it: linked since, by that call or a
        flow), counted in ``already``; or when no target is left, counted in ``unmatched``."""
        if keeps or (self._open is not None and str(record_id) not in self._open):
            self.already += 1
            return None
        target = next(self.free, None)
        if target is None:
            self.unmatched.append(record_id)
        return target

    def done(self) -> None:
        """Remember the records left unmatched: the only ones a later linking may re-point."""
        remember_left(self.store, self.name, self.unmatched)
