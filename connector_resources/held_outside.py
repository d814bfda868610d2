"""Records held on a state of another system, not on a record of the ledger.

Most held records wait for another record a flow writes (a payment for its invoice): the ledger sees that
record sync and releases them. Some wait for work another system does on its own schedule: a payment on a
JDE voucher batch can only be recorded once JDE's Batch Voucher Processor (R04110ZA) has made the batch a
voucher, which no cross-reference records. Such a record is held (``replay.WaitsFor``, a ``held`` queue
item) on a key of that state, ``<system>:<what>:<where>:<id>`` (``JDE:voucher_batch:F0411Z1:MLCOUPA/CP7/
COUPA-INV-7``): no cross-reference ever has that key, so nothing syncs it, and it is never counted failed
while it waits. The side that knows the system builds a check for the kind (asked which of the held ids
are ready now), which a flow lists in its replay (``connector_assets.flows.replays.Replay.outside``);
``ready_outside`` asks the checks it is handed, and ``replay.release_synced`` (run before and after every
replay, by the CLI and the replay job) releases the ready ones, due for that replay. A check that cannot
answer (the system down) leaves its records held, logged; the next sweep asks again. What records held on
a kind wait for, in words, travels with its check (``Said``), not through a table filled at import.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from connector_resources.redaction import get_logger, redact

log = get_logger(__name__)

Kind = tuple[str, str, str]  # system, what, where: the first three parts of the key
# ids of one kind -> {id: why it is ready now, in words a finance user reads}; ids still waiting are left out.
OutsideCheck = Callable[[list[str]], Mapping[str, str]]


@dataclass(frozen=True)
class Said:
    """An outside check with what the records held on its kind wait for, in words (``replay`` prints it):
    the words are data on the check a flow hands over, so a report says them for exactly the kinds its
    deployment replays."""

    check: OutsideCheck
    said: str = ""

    def __call__(self, ids: list[str]) -> Mapping[str, str]:
        return self.check(ids)


def outside_key(kind: Kind, ident: str) -> str:
    """The dependency key a record held on state ``ident`` of ``kind`` names."""
    return ":".join((*kind, ident))


def kind_of(key: str | None) -> tuple[Kind, str] | None:
    """The kind and id a dependency key of a record held outside names, or None for another key."""
    parts = (key or "").split(":", 3)
    return ((parts[0], parts[1], parts[2]), parts[3]) if len(parts) == 4 and parts[3] else None


def outside_said(key: str, checks: Mapping[Kind, OutsideCheck]) -> str:
    """What a record held on ``key`` waits for, in words, when the check of its kind in ``checks`` says
    it (``Said``; "" otherwise)."""
    found = kind_of(key)
    return str(getattr(checks.get(found[0]), "said", "") or "") if found is not None else ""


def ready_outside(keys: Iterable[str], checks: Mapping[Kind, OutsideCheck]) -> dict[str, str]:
    """The keys among ``keys`` (dependency keys of held records) whose outside state is ready now, with why:
    each kind's check in ``checks`` asked once about its ids; keys of no kind there are left out."""
    return ask_checks(checks, keys)


def ask_checks(checks: Mapping[Kind, OutsideCheck], keys: Iterable[str]) -> dict[str, str]:
    """The keys among ``keys`` whose kind's check in ``checks`` says they are ready now, with why; each
    kind's check asked once about all its ids. A check that fails leaves its keys held (logged): the next
    look asks again. Shared by the replay sweeps (every check of the deployment's replays) and a target's
    session (its side's checks)."""
    wanted: dict[Kind, dict[str, str]] = {}
    for key in keys:
        parts = key.split(":", 3)
        if len(parts) == 4 and parts[3] and (kind := (parts[0], parts[1], parts[2])) in checks:
            wanted.setdefault(kind, {})[parts[3]] = key
    ready: dict[str, str] = {}
    for kind, by_id in wanted.items():
        try:
            answered = checks[kind](sorted(by_id))
        except Exception as exc:  # the system is down or refuses: they stay held, the next sweep asks again
            log.warning("%d record(s) held on %s: could not check them: %s", len(by_id), ":".join(kind), exc)
            continue
        ready.update({by_id[ident]: redact(why) for ident, why in answered.items() if ident in by_id})
    return ready
