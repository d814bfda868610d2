"""Records held on a state of another system, not on a record of the ledger.

Most held records wait for another record a flow writes (a payment for its invoice): the ledger sees that
record sync and releases them. Some wait for work another system does on its own schedule: a payment on a
JDE voucher batch can only be recorded once JDE's Batch Voucher Processor (R04110ZA) has made the batch a
voucher, which no cross-reference records. Such a record is held (``replay.WaitsFor``, a ``held`` queue
item) on a key of that state, ``<system>:<what>:<where>:<id>`` (``JDE:voucher_batch:F0411Z1:MLCOUPA/CP7/
COUPA-INV-7``): no cross-reference ever has that key, so nothing syncs it, and it is never counted failed
while it waits. The side that knows the system registers a check for the kind (``register_outside_check``:
asked which of the held ids are ready now); ``ready_outside`` asks it, and ``replay.release_synced`` (run
before and after every replay, by the CLI and the replay job) releases the ready ones, due for that replay.
A check that cannot answer (the system down) leaves its records held, logged; the next sweep asks again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from connector_resources.redaction import get_logger, redact

log = get_logger(__name__)

Kind = tuple[str, str, str]  # system, what, where: the first three parts of the key
# ids of one kind -> {id: why it is ready now, in words a finance user reads}; ids still waiting are left out.
OutsideCheck = Callable[[list[str]], Mapping[str, str]]
_CHECKS: dict[Kind, OutsideCheck] = {}
_SAID: dict[Kind, str] = {}  # what records held on a kind wait for, in words (``replay`` prints it)


def outside_key(kind: Kind, ident: str) -> str:
    """The dependency key a record held on state ``ident`` of ``kind`` names."""
    return ":".join((*kind, ident))


def register_outside_check(kind: Kind, check: OutsideCheck, said: str = "") -> None:
    """Let ``check`` say which held ids of ``kind`` are ready (the last registration wins: a flow registers
    it with its replays, on their resources); ``said``: what its records wait for, in words."""
    _CHECKS[kind] = check
    if said:
        _SAID[kind] = said


def register_outside_words(kind: Kind, said: str) -> None:
    """Say what records held on ``kind`` wait for, before (or without) a check: a kind declared where its
    system's side loads (``missing_records.missing_kind``) is reported in words even by a process that
    registered no check for it."""
    _SAID[kind] = said


def outside_said(key: str) -> str:
    """What a record held on ``key`` waits for, in words, when its kind says it ("" otherwise)."""
    parts = key.split(":", 3)
    return _SAID.get((parts[0], parts[1], parts[2]), "") if len(parts) == 4 else ""


def ready_outside(keys: Iterable[str]) -> dict[str, str]:
    """The keys among ``keys`` (dependency keys of held records) whose outside state is ready now, with why:
    each registered kind's check asked once about its ids; keys of no registered kind are left out."""
    return ask_checks(_CHECKS, keys)


def ask_checks(checks: Mapping[Kind, OutsideCheck], keys: Iterable[str]) -> dict[str, str]:
    """The keys among ``keys`` whose kind's check in ``checks`` says they are ready now, with why; each kind's
    check asked once about all its ids. A check that fails leaves its keys held (logged): the next look asks
    again. Shared by the replay sweeps (every registered check) and a target's session (its side's checks)."""
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
