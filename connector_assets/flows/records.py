"""What a flow is and what it moves: ``FlowSpec`` (a flow declared as data), the ``Mapped`` / ``Rejected`` /
``Skipped`` / ``Created`` records its steps pass, the ``Target`` protocol, and the pandera validation of a
mapped batch with the record and field named. Split from ``flows.core`` (the facade every flow imports)
so each concern reads on its own: these types, writing once (``write_once``), and what follows a write
(``after_write``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from dagster import AssetKey

from connector_assets.asset_keys import flow_asset_key
from connector_resources.refusals import Refusal, source_invalid

if TYPE_CHECKING:  # pandas and pandera load when a step validates, not with the definitions
    from connector_assets.flows.lazy_model import LazyModel


# A body of only this key holds no record: mapped while its dependency had not synced, mapped again when
# released (``Mapped.waiting``).
WAITS_FOR = "waits_for"


@dataclass(frozen=True)
class Mapped:
    """One source record mapped for the target, ready to validate and write."""

    source_key: str
    body: dict[str, Any]  # what the target receives
    fields: dict[str, Any]  # flat values the pandera schema checks (names a finance user recognises)
    natural_key: dict[str, Any] = field(default_factory=dict)  # how to find it in the target (adopt)
    depends_on: str | None = None  # ledger dependency key, e.g. "jde_coupa:supplier:JDE:4343"

    @property
    def waiting(self) -> bool:
        """Whether the body is only a placeholder (``{"waits_for": dependency}``): the mapper saw the
        dependency unsynced, so there is nothing to send yet, even if it synced since (a concurrent run of
        the flow that makes it); the record is held and mapped again when released."""
        return set(self.body) == {WAITS_FOR}

    def content_hash(self) -> str:
        text = json.dumps(self.body, sort_keys=True, default=str, ensure_ascii=False)
        return hashlib.sha256(text.encode()).hexdigest()

    def to_payload(self) -> dict[str, object]:
        return json.loads(
            json.dumps(
                {
                    "source_key": self.source_key,
                    "body": self.body,
                    "fields": self.fields,
                    "natural_key": self.natural_key,
                    "depends_on": self.depends_on,
                },
                default=str,
            )
        )

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> Mapped:
        return cls(
            payload["source_key"],
            payload["body"],
            payload["fields"],
            payload.get("natural_key") or {},
            payload.get("depends_on"),
        )


@dataclass(frozen=True)
class Rejected:
    """A source record that cannot be written as it is, and why (in a finance user's words).

    ``held_on``: the mapper found that a record this one names does not exist on the target yet (a supplier
    with no JDE number, an account of JDE's chart not yet in F0901, a Fusion supplier with no pay site in the
    business unit): the record is not refused but *held* on that record's key (``missing_records``), queued
    ``held`` by the mapped step, never counted as refused, released once the record appears. A record the
    mapping itself refuses (a code nobody mapped) has none: the operator must fix the mapping."""

    source_key: str
    reason: str
    payload: dict[str, Any] = field(default_factory=dict)
    held_on: str | None = None
    # Why, as data (``connector_resources.refusals``): the kind and its parameters the desk, the fit report
    # and the checks group by. None: a hold waits for the record it names, a refusal is the flow's own rule.
    refusal: Refusal | None = None

    @classmethod
    def held_for(
        cls, source_key: str, depends_on: str, reason: str, refusal: Refusal | None = None
    ) -> Rejected:
        """``source_key`` held on ``depends_on`` (a record the target lacks), with why."""
        return cls(source_key, reason, held_on=depends_on, refusal=refusal)

    @classmethod
    def waiting(cls, source_key: str, waits: Any, payload: dict[str, Any] | None = None) -> Rejected:
        """``source_key`` held on what ``waits`` (a ``replay.WaitsFor``: a ``MissingRecord``, a closed
        period ...) waits for, keeping its kind (``waits.refusal``)."""
        return cls(source_key, waits.reason, payload or {}, held_on=waits.depends_on, refusal=waits.refusal)

    @classmethod
    def of(cls, source_key: str, refusal: Refusal, payload: dict[str, Any] | None = None) -> Rejected:
        """``source_key`` refused with ``refusal`` (its sentence is the reason)."""
        return cls(source_key, refusal.sentence, payload or {}, refusal=refusal)

    @property
    def queued(self) -> dict[str, Any]:
        """What the retry queue keeps of the record (``Ledger.enqueue``'s fields of the same names)."""
        return {
            "source_key": self.source_key,
            "payload": self.payload,
            "reason": self.reason,
            "refusal": self.refusal,
        }


@dataclass(frozen=True)
class Skipped:
    """A source record a flow leaves alone on purpose (nothing to write, exported elsewhere, nothing
    payable yet), and why: audited by ``skips_audited``, never queued, never written."""

    source_key: str
    reason: str


@dataclass(frozen=True)
class Created:
    """What ``Target.create`` returns when it did not simply create: e.g. it found, on the target's own
    duplicate-key refusal, that an earlier attempt had written the record, and adopted it."""

    target_id: str
    action: str = "create"
    reason: str = "created"
    # What the day's figures count beside the action: "redated" (posted on another G/L date than the
    # source's, ``flows.periods``), "warned" (the target accepted it with a warning, kept in ``reason``).
    marks: tuple[str, ...] = ()


@dataclass(frozen=True)
class Unchanged:
    """What ``Target.update`` returns when the target already holds what the record now says and it wrote
    nothing (a change order added one way, mapped the other way since): the write is a skip, not an
    update, and the ledger keeps the record's new hash so the next run skips it without asking."""

    reason: str


class Target(Protocol):
    """The target system's side of a flow (wraps one API client session)."""

    def find(self, record: Mapped) -> str | None:
        """The ID of an existing target record matching ``record.natural_key``, if any."""

    def create(self, record: Mapped) -> str | Created:
        """Create the record; return its new ID (or a ``Created`` saying it was adopted instead)."""

    def update(self, target_id: str, record: Mapped) -> Unchanged | None:
        """Bring the existing target record up to date (``Unchanged``: it was already)."""


class BatchFinder(Protocol):
    """What a target may add to ``Target`` when its API searches many natural keys in one call (Coupa's
    ``[in]`` operator): a write step then searches each chunk of records it has just claimed at once
    (``flows.found_ahead``) instead of calling ``find`` once per record."""

    def find_many(self, records: Sequence[Mapped]) -> Mapping[str, str | None]:
        """By source key, what ``find`` would answer for each record (an ID, or None: no match); a record
        the batch cannot settle as ``find`` would (an ambiguous match, a key shared in the batch) is left
        out, and its write calls ``find`` for it alone."""


@dataclass(frozen=True)
class FlowSpec:
    integration: str  # "jde_coupa"
    name: str  # "suppliers"
    entity: str  # "supplier"
    source_system: str  # "JDE"
    target_system: str  # "coupa"
    schema: LazyModel  # the pandera model a writable record satisfies (``@lazy_model``)
    # Everything the flow reads for a partition -> Mapped / Rejected records. Gets the Dagster context.
    map_records: Callable[[Any, str | None], Iterator[Mapped | Rejected]]
    open_target: Callable[[Any], AbstractContextManager[Target]]  # Dagster context -> target session
    # The named source records read again from the source and mapped with today's mapping tables: what a
    # replay writes, so a record refused for a missing mapping is written once the table is fixed. Gets a
    # context whose ``resources`` are the run's (or, outside Dagster, built from today's settings).
    remap: Callable[[Any, list[str]], Iterator[Mapped | Rejected]] | None = None
    systemic_share: float = 0.5  # more than this share rejected (of at least ``systemic_min``) = systemic
    systemic_min: int = 10
    # What the flow reaches in each system beyond its upstream assets: system (as in ``source_system`` /
    # ``target_system``) -> tables, entities or orchestrations, for ``ml-connector ping`` (``flows.access``).
    reads: Mapping[str, tuple[str, ...]] = field(default_factory=dict, hash=False)
    writes: Mapping[str, tuple[str, ...]] = field(default_factory=dict, hash=False)
    # Records the write step writes at once, on its one target session (``flows.writer``): 1 = one after
    # the other (JDE, Coupa); BILL 6 (``targets.resource_write_options``), never more than twice the cap its
    # client states (``max_in_flight``). ``write_one`` is safe across threads: own lease, own connection.
    write_concurrency: int = 1
    # The write step's Dagster concurrency pool; None = ``write_<target system>`` (``assets.write_pool``).
    write_pool: str | None = None
    # The mapped step's pool, for a flow whose mapping calls an API with a cap on calls in flight (the JDE ->
    # BILL payments flow reads its own day of BILL payments: BILL's organization pool); None = no pool.
    mapped_pool: str | None = None

    def __post_init__(self) -> None:
        if self.write_concurrency < 1:
            raise ValueError(
                f"{self.flow}: write_concurrency must be at least 1, got {self.write_concurrency}"
            )

    @property
    def flow(self) -> str:
        return f"{self.integration}_{self.name}"

    def key(self, step: str) -> AssetKey:
        """The flow's asset ``step`` (``mapped``, ``written``, ``in_coupa``...) in its integration's group:
        ``["jde_coupa", "suppliers_written"]`` (``connector_assets.asset_keys``)."""
        return flow_asset_key(self.integration, self.name, step)

    @property
    def ledger_keys(self) -> dict[str, str]:
        """How the retry queue and the audit trail name this flow's records: integration, flow, entity."""
        return {"integration": self.integration, "flow": self.name, "entity": self.entity}

    def dependency_key(self, source_key: str) -> str:
        """What dependents of this flow's record wait for (``Mapped.depends_on`` of e.g. a PO)."""
        return f"{self.integration}:{self.entity}:{self.source_system}:{source_key}"


@dataclass
class Validation:
    valid: list[Mapped]
    rejected: list[Rejected]


def validate(spec: FlowSpec, records: list[Mapped]) -> Validation:
    """Split ``records`` by ``spec.schema``; each failure names the record and the field."""
    problems, schema_wide = _problems(spec, records)
    if schema_wide:  # a missing column, a wrong dtype for everyone: the mapping itself is broken
        return Validation(
            [], [Rejected.of(r.source_key, _invalid(schema_wide), r.to_payload()) for r in records]
        )
    return _split(spec, records, problems)


# How many records one pandera pass may take in ``validate_days`` (several days' worth, not a whole range:
# a million-record backfill is validated in passes of this size, in bounded memory).
RECORDS_PER_PASS = 5_000


def validate_days(spec: FlowSpec, days: Sequence[list[Mapped]]) -> list[Validation]:
    """``validate`` of each day's records, in one pandera pass over all of them.

    Why: a pass costs about 10 ms whatever its size, and a backfill's one run validates hundreds of days,
    each holding a few records. The models check rows, not the frame, so each day's result is what a pass
    over it alone gives, with two exceptions judged day by day instead, as each day alone would be: days
    whose records name different fields (together, a field one day lacks would read as empty), and a
    failure that names no record (a column's dtype over the mixed days)."""
    records = [record for day in days for record in day]
    if len({frozenset(record.fields) for record in records}) <= 1:
        problems, schema_wide = _problems(spec, records)
        if not schema_wide:
            checked, start = [], 0
            for day in days:
                end = start + len(day)
                mine = {at - start: why for at, why in problems.items() if start <= at < end}
                checked.append(_split(spec, day, mine))
                start = end
            return checked
    return [validate(spec, day) for day in days]


@dataclass(frozen=True)
class Problem:
    """One failure pandera found: the field (column) it names, its words, and the value that failed."""

    field: str
    text: str
    value: Any = None


def _invalid(problems: list[Problem], head: str = "") -> Refusal:
    """A record's validation failures as one ``source_invalid`` refusal naming the first field (and its
    value), the sentence listing them all, each once."""
    texts = list(dict.fromkeys(p.text for p in problems))
    first = problems[0]
    return source_invalid(
        head + "; ".join(texts if head else sorted(texts)), field=first.field, value=first.value
    )


def _problems(spec: FlowSpec, records: list[Mapped]) -> tuple[dict[int, list[Problem]], list[Problem]]:
    """pandera's failures of ``records`` (``Problem``): by record position, and those naming no record."""
    if not records:
        return {}, []
    import pandas as pd
    import pandera.pandas as pa

    frame = pd.DataFrame([r.fields for r in records])
    try:
        spec.schema.validate(frame, lazy=True)
        return {}, []
    except pa.errors.SchemaErrors as errors:
        cases = errors.failure_cases
    problems: dict[int, list[Problem]] = {}
    schema_wide: list[Problem] = []
    for case in cases.itertuples(index=False):
        column = getattr(case, "column", None) or "record"
        check = str(getattr(case, "check", ""))
        value = getattr(case, "failure_case", None)
        index = getattr(case, "index", None)
        problem = Problem(str(column), f"field {column} {_plain(check)} (value {value!r})", value)
        if index is None or pd.isna(index):
            schema_wide.append(problem)
        else:
            problems.setdefault(int(index), []).append(problem)
    return problems, schema_wide


def _split(spec: FlowSpec, records: list[Mapped], problems: dict[int, list[Problem]]) -> Validation:
    valid, rejected = [], []
    for position, record in enumerate(records):
        if position in problems:
            refusal = _invalid(problems[position], f"{spec.entity} {record.source_key}: ")
            rejected.append(Rejected.of(record.source_key, refusal, record.to_payload()))
        else:
            valid.append(record)
    return Validation(valid, rejected)


def _plain(check: str) -> str:
    """pandera's check names in words (``str_length(None, 40)`` -> ``is longer than 40 characters``)."""
    if check.startswith("not_nullable"):
        return "is empty"
    if check.startswith("str_length"):
        return f"has the wrong length ({check})"
    if check.startswith("str_matches"):
        return f"has the wrong format ({check})"
    if check.startswith("isin"):
        return f"is not an allowed value ({check})"
    if check.startswith(("greater_than", "in_range", "less_than")):
        return f"is out of range ({check})"
    return f"fails {check}"
