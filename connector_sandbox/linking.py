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
from collections.abc import Iterable
from typing import Protocol


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
