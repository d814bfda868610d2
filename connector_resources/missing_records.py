"""Records refused because a record they name does not exist in the target: held on that record.

An invoice whose supplier JDE lacks (JDE 59A1), a voucher line on an account not in F0901 (59A2), a voucher
against an order JDE does not have (59A6), a foreign document whose rate F0015 lacks (59AD), a Fusion
invoice of a supplier site not set up: sending it again is refused again, every run and every replay,
until someone sets that record up. So it is not *failed* (a failure is retried on a backoff, and counted
as one by the day's check) but *held on the missing record*, like a record dated in a closed period
(``held_outside``): a queue item ``held`` on the key ``<system>:<what>:<where>:<id>``
(``JDE:supplier:F0401:4411``, ``JDE:account:F0901:20.8199``, ``JDE:order:F4301:00001/4711/OP``). The key is
the reason's kind and parameters as data: ``missing_of`` reads them back. The words say what is missing,
where, and what a person does.

Nothing is sent for it while the record is missing: a run of its flow leaves it held without calling the
target (``connector_assets.flows.missing_holds``, once per target session), and a replay never takes a
held item. It is released once, when the record appears: the side that knows the target builds a check
per kind (``MissingCheck``: the kind and a read of the target for the held ids) that its flows list in
their replays (``held_outside``'s sweeps: run before and after every replay), and a run of the flow asks
the same on its own session before its first write. A record whose mapped content changed (a supplier
number corrected in the source, a match by hand naming another supplier) is sent again at once: the
change may be the fix.

Why in the resources layer: the replay report, the desk and the fit report group held records by kind
(``kind_words``) without knowing any integration; each target's side declares its kinds as constants
(``missing_kind``) and hands them, or the checks carrying them, to whoever reads a held record's kind.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

from connector_resources.held_outside import (
    Kind,
    OutsideCheck,
    ask_checks,
    kind_of,
    outside_key,
)
from connector_resources.refusals import master_missing
from connector_resources.replay import WaitsFor

HELD_UNTIL = "Held until"  # every hold's reason says it, so a person and the fit report read it alike


@dataclass(frozen=True)
class MissingKind:
    """A kind of record a target may lack: its system, what it is, where the target keeps it, and words.

    ``label``: the record in a finance user's words ("supplier", "account"); ``master``: where it lives
    ("JDE's supplier master (F0401)"); ``todo``: what a person does about it."""

    system: str
    what: str
    where: str
    label: str
    master: str
    todo: str

    @property
    def parts(self) -> Kind:
        return (self.system, self.what, self.where)

    def key(self, ident: str) -> str:
        """The dependency key of a record held for want of ``ident`` of this kind."""
        return outside_key(self.parts, ident)

    @property
    def said(self) -> str:
        """What records held on this kind wait for, in words (``replay``'s report prints it)."""
        return (
            f"wait for a {self.label} missing from {self.master}: {self.todo}; a replay or run after that "
            "sends them once"
        )


def missing_kind(system: str, what: str, where: str, *, label: str, master: str, todo: str) -> MissingKind:
    """A kind of missing record, as its side declares it (a constant of the side, handed to the sweeps
    and readers it builds; nothing is registered)."""
    return MissingKind(system, what, where, label, master, todo)


Kinds = Mapping[Kind, object] | Iterable[MissingKind]


def missing_of(depends_on: str | None, kinds: Kinds) -> tuple[MissingKind, str] | None:
    """The kind and id of the missing record a held record names (``depends_on``), or None when it is
    held on something else (another record of a flow, a period, a voucher batch). ``kinds``: the missing
    kinds known, as the sides declare them, or the checks carrying them (``MissingCheck``, by kind)."""
    found = kind_of(depends_on)
    if found is None:
        return None
    by_parts = kinds if isinstance(kinds, Mapping) else {kind.parts: kind for kind in kinds}
    value = by_parts.get(found[0])
    kind = value if isinstance(value, MissingKind) else getattr(value, "kind", None)
    return (kind, found[1]) if isinstance(kind, MissingKind) else None


def is_missing_hold(depends_on: str | None, kinds: Kinds) -> bool:
    """Whether a held record waits for a record its target lacks (``kinds``: as ``missing_of``)."""
    return missing_of(depends_on, kinds) is not None


def kind_words(depends_on: str | None, kinds: Kinds) -> str:
    """A held record's kind in words, for grouping ("missing in JDE: supplier (F0401)"); "" when it is not
    held on a missing record (``kinds``: as ``missing_of``)."""
    found = missing_of(depends_on, kinds)
    if found is None:
        return ""
    kind = found[0]
    return f"missing in {kind.system}: {kind.label} ({kind.where})"


def held_reason(kind: MissingKind, ident: str, document: str, refusal: str) -> str:
    """Why ``document`` is held for want of ``ident``: the target's own refusal (``refusal``), what is
    missing and where, what to do, and that nothing is sent meanwhile."""
    return (
        f"{document}: {refusal}. {HELD_UNTIL} {kind.label} {ident} exists in {kind.master}: {kind.todo}. "
        "Not sent again until it does (or until the record changes in the source); then sent once"
    )


class MissingRecord(WaitsFor):  # noqa: N818 - a state: the record waits for the record it names
    """A record the target refused (or would refuse) because ``ident`` of ``kind`` does not exist there:
    held on it (``kind.key(ident)``), not failed. ``refused_now``: the target refused it in this attempt
    (a call was made), as opposed to a record left held without a call."""

    def __init__(self, kind: MissingKind, ident: str, reason: str, *, refused_now: bool = True) -> None:
        refusal = master_missing(reason, system=kind.system, what=kind.label, value=ident)
        super().__init__(kind.key(ident), reason, refusal)
        self.kind, self.ident, self.refused_now = kind, ident, refused_now


# ids of one kind -> {id: why it exists now, in words}; ids still missing left out.
AppearedCheck = OutsideCheck


@dataclass(frozen=True)
class MissingCheck:
    """A kind's check for the held ids whose missing record exists now, carrying the kind: the sweeps
    ask it (``held_outside``), the report says its words (``said``), and ``missing_of`` reads the kind
    of a held record from it."""

    kind: MissingKind
    read: AppearedCheck

    @property
    def said(self) -> str:
        return self.kind.said

    def __call__(self, ids: list[str]) -> Mapping[str, str]:
        return self.read(ids)


def missing_checks(
    reads: Mapping[MissingKind, Callable[[Any, list[str]], Mapping[str, str]]],
    session: Callable[[], AbstractContextManager[Any]],
) -> dict[Kind, MissingCheck]:
    """Each kind's check (``MissingCheck``) by the kind's parts, what a flow's ``Replay.outside`` gives:
    ``read(target, ids)`` on a target session ``session()`` opens when a sweep asks, not before."""

    def on_session(read: Callable[[Any, list[str]], Mapping[str, str]]) -> AppearedCheck:
        def check(ids: list[str]) -> Mapping[str, str]:
            with session() as target:
                return read(target, ids)

        return check

    return {kind.parts: MissingCheck(kind, on_session(read)) for kind, read in reads.items()}


def appeared_in(checks: Mapping[Kind, AppearedCheck], keys: list[str]) -> dict[str, str]:
    """Of ``keys`` (held records' dependency keys), those whose missing record ``checks`` (by kind) find
    now, with why; a kind without a check, or whose check fails, stays held."""
    return ask_checks(checks, keys)
