"""What the fit report keeps of a flow's verdicts while fit.csv takes the rows: counts and a few examples,
bounded whatever the number of records (docs/operations.md, "2. Fit"). Refusals and holds are counted by
their kind as the code said it (``FitRow.kind``, ``Refusal.group``), never by their sentence; each
breakdown keeps the first groups met, later ones counted as "other", so totals stay exact.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Generic, TypeVar

from connector_assets.flows.reason_text import clipped
from connector_resources.mapping_gaps import MappingGap, mapping_gaps
from connector_resources.needs_person import person_kind
from connector_resources.redaction import redact
from connector_resources.refusal_actions import explained
from connector_resources.refusal_rules import RULES
from connector_resources.refusals import KINDS, code_of, group_title

REASON_KINDS = 200  # per flow: groups of refusals (a kind and its grouping values: a table, an error code)
GAP_VALUES = 200  # per flow: missing mapping values told apart
KEY_SETS = 50  # per flow: natural-key field sets an adopt matched by
AMBIGUOUS_LISTED = 50  # per flow: ambiguous records listed by name (all are counted)
EXAMPLE_CHARS = 300  # an example reason longer than this (an order naming 40 lines) is cut at a word

FLOWING = ("create", "adopt", "update", "unchanged")  # the verdicts whose records would reach the target
# A record the integration leaves alone on purpose, outside its scope (a BILL payment of a bill that did not
# come from JDE): the flow's skip by a rule (``flows.out_of_scope``), never a person's, never queued.
OUT_OF_SCOPE = "out_of_scope"
EXPLAINED = ("refuse", "hold")  # the verdicts whose reasons are counted by kind
KINDED = (*EXPLAINED, "ambiguous")  # the verdicts whose kinds the report explains
UNKINDED = ""  # the group of a row that carries no refusal kind (a report of rows from elsewhere)
PERIOD_CLOSED = "period_closed"  # the kind of a hold on a closed accounting period (``refusals.KINDS``)

K = TypeVar("K")


# -- one previewed record's verdict: a row of fit.csv (``FIT_COLUMNS``)

# What each verdict means and what ``changes`` holds for it: docs/operations.md, "2. Fit".
VERDICTS = ("create", "adopt", "update", "unchanged", "refuse", "hold", "ambiguous", OUT_OF_SCOPE)


@dataclass(frozen=True, slots=True)
class FitRow:
    integration: str
    flow: str
    day: str  # the partition day, "" for a flow read whole
    source_key: str
    verdict: str  # one of ``VERDICTS``
    target_id: str = ""
    matched_by: str = ""  # adopt: the natural key that matched, as JSON
    reason: str = ""  # the sentence a person reads
    changes: str = ""  # create: the body; update / adopt: {field: [theirs, ours]}; as JSON
    # refuse / hold / ambiguous: the refusal as data (``connector_resources.refusals``): its group (kind
    # code and grouping values, ``Refusal.group``) and its parameters as JSON; what the report groups by
    kind: str = ""
    params: str = ""
    # A parent the ledger never synced, pulled by another flow's write step for its held records
    # ("parent", ``flows.parent_pull``), a record written once its parent was pulled ("child"), or one held
    # on a parent that needs a person ("blocked", ``blocked_records``); "" else.
    pull: str = ""

    def refusal_params(self) -> dict[str, object]:
        """``params`` read back ({} when none)."""
        if not self.params:
            return {}
        value = json.loads(self.params)
        return value if isinstance(value, dict) else {}


FIT_COLUMNS = tuple(f.name for f in fields(FitRow))


@dataclass(frozen=True, slots=True)
class Example:
    """One record standing for a group: its source key and its reason as shown (redacted, cut)."""

    source_key: str
    reason: str = ""
    day: str = ""


@dataclass
class Capped(Generic[K]):
    """Records counted by key, at most ``limit`` keys each with its first record as the example; a record
    whose key is not among them counts in ``other``. ``make`` makes that example, called only for a key met
    the first time: showing a reason (redacted, cut) costs more than counting it."""

    limit: int
    counts: Counter[K] = field(default_factory=Counter)
    examples: dict[K, Example] = field(default_factory=dict)
    other: int = 0

    def add(self, key: K, make: Callable[[], Example]) -> None:
        if key in self.counts:
            self.counts[key] += 1
        elif len(self.counts) < self.limit:
            self.counts[key], self.examples[key] = 1, make()
        else:
            self.other += 1

    def most_common(self, n: int | None = None) -> list[tuple[K, int, Example]]:
        return [(key, count, self.examples[key]) for key, count in self.counts.most_common(n)]

    def beyond(self, n: int) -> int:
        """Records not among the ``n`` most common keys (those in ``other`` too)."""
        return sum(count for _, count in self.counts.most_common()[n:]) + self.other

    def __len__(self) -> int:
        return len(self.counts)


@dataclass
class FlowTally:
    """One flow's verdicts in counts: by verdict, refusals and holds by ``Refusal.group``, the kinds met with
    an example each, missing mapping values (``refusals.mapping_gaps``), adopts by the natural-key fields that
    matched, and the first ``AMBIGUOUS_LISTED`` ambiguous records."""

    verdicts: Counter[str] = field(default_factory=Counter)
    reasons: Capped[tuple[str, str]] = field(default_factory=lambda: Capped(REASON_KINDS))
    kinds: Capped[str] = field(default_factory=lambda: Capped(len(KINDS) + len(RULES) + 1))
    gaps: Capped[MappingGap] = field(default_factory=lambda: Capped(GAP_VALUES))
    matched_by: Capped[str] = field(default_factory=lambda: Capped(KEY_SETS))
    ambiguous: list[Example] = field(default_factory=list)
    # Records out of the integration's scope, by the rule that puts them outside (``FitRow.kind``).
    outside: Capped[str] = field(default_factory=lambda: Capped(REASON_KINDS))
    # Records held on a closed accounting period of the ERP (kind ``period_closed``).
    closed_period: int = 0
    # Why the flow's preview run did not finish ("" when it did): its verdicts cover what it reached.
    error: str = ""
    # Records by the one part of the fit's figures each counts in (``part_of``), the parents pulled that
    # would be written, and the records held on a parent that needs a person (that person's).
    parts: Counter[str] = field(default_factory=Counter)
    parents_flowing: int = 0
    blocked: int = 0

    def add(self, row: FitRow) -> None:
        if row.verdict not in VERDICTS:
            raise ValueError(f"{row.flow} {row.source_key}: verdict {row.verdict!r} is none of {VERDICTS}")
        self.verdicts[row.verdict] += 1
        part = part_of(row)
        self.parts[part] += 1
        self.parents_flowing += part == PARENT and row.verdict in FLOWING
        self.blocked += row.pull == "blocked"
        if row.verdict in KINDED:
            self._kind(row)
        elif row.verdict == "adopt":
            self.matched_by.add(key_fields(row.matched_by), lambda: Example(row.source_key, day=row.day))
        elif row.verdict == OUT_OF_SCOPE:
            self.outside.add(row.kind or UNKINDED, _example(row))

    def _kind(self, row: FitRow) -> None:
        """Count a refused, held or ambiguous row by its kind (never by its words); a refusal by a rule of
        the catalog by its rule, which says its own action (``refusal_actions.explained``)."""
        group = row.kind or UNKINDED
        code = code_of(group)
        example = _example(row)
        self.kinds.add(explained(group), example)
        if code == PERIOD_CLOSED:
            self.closed_period += 1
        if row.verdict == "ambiguous":
            if len(self.ambiguous) < AMBIGUOUS_LISTED:
                self.ambiguous.append(example())
            return
        named = Example(row.source_key, day=row.day)
        for gap in mapping_gaps(group, row.refusal_params()) if row.verdict == "refuse" else []:
            self.gaps.add(gap, lambda: named)
        self.reasons.add((row.verdict, group), example)

    @property
    def total(self) -> int:
        return sum(self.verdicts.values())

    @property
    def flowing(self) -> int:
        """Records that would reach the target: created, adopted, updated or already equal there."""
        return sum(self.verdicts[verdict] for verdict in FLOWING)

    @property
    def in_scope(self) -> int:
        """What the share that would flow is of: every record but those out of the integration's scope."""
        return self.total - self.verdicts[OUT_OF_SCOPE]


PARENT = "parent"  # a parent pulled from outside the days (``FitRow.pull``)
# The parts of the days' own records, in the order the fit's Day one line says them.
OWN_PARTS = ("at_once", "after_pull", "person", "waiting", OUT_OF_SCOPE)


def part_of(row: FitRow) -> str:
    """The one part of the fit's figures ``row`` counts in (``preview.figures``): ``PARENT``, else one of
    ``OWN_PARTS``. A record held on a parent that needs a person carries that parent's kind (``pull``
    "blocked"): a person's."""
    if row.pull == PARENT:
        return PARENT
    if row.verdict in FLOWING:
        return "after_pull" if row.pull == "child" else "at_once"
    if row.verdict == OUT_OF_SCOPE:
        return OUT_OF_SCOPE
    return "person" if person_kind(row.kind) else "waiting"


def key_fields(matched_by: str) -> str:
    """The natural-key fields an adopt matched by, as "name+tax_id" (sorted, those with a value); the text
    itself when it is not a JSON object, "(not said)" when empty."""
    try:
        key = json.loads(matched_by) if matched_by else None
    except json.JSONDecodeError:
        return clipped(matched_by, 60)
    if not isinstance(key, dict):
        return clipped(matched_by, 60) if matched_by else "(not said)"
    named = sorted(name for name, value in key.items() if value not in (None, "", [], {}))
    return "+".join(named) or "(not said)"


def shown_group(group: str) -> str:
    """A group as the report names it (``refusals.group_title``), its values' secrets masked."""
    return redact(group_title(group)) if group else "kind not recorded"


def _example(row: FitRow) -> Callable[[], Example]:
    """The row as an example, made when asked: its reason on one line, secrets masked, cut at a word past
    ``EXAMPLE_CHARS``."""

    def make() -> Example:
        reason = " ".join((row.reason or "").split())
        return Example(row.source_key, clipped(redact(reason), EXAMPLE_CHARS), row.day)

    return make


# -- what a fit report says of its own run: when it ran (UTC), how long it took, and what it read. A report
# read a week later must say which run it is and what it covered; a flow whose preview read nothing for a
# day reads differently from one that was not asked.


@dataclass
class FlowRead:
    """One flow of the run: the systems it reads and writes, and the partition days it covered (``[None]``
    for a flow read whole)."""

    source_system: str = ""
    target_system: str = ""
    days: list[str | None] = field(default_factory=list)

    def days_said(self) -> str:
        """The days in words: "read whole", one day, or the first to the last with how many."""
        if self.days == [None]:
            return "read whole"
        if not self.days:
            return "no day in the range"
        first, last = self.days[0], self.days[-1]
        return str(first) if len(self.days) == 1 else f"{first} to {last} ({len(self.days)} days)"


@dataclass
class RunFacts:
    """When the run started (UTC), how many seconds it took (None while it runs), and each flow's read."""

    started: datetime
    seconds: float | None = None
    flows: dict[str, FlowRead] = field(default_factory=dict)

    @property
    def systems(self) -> list[str]:
        """The systems read and written, each once, in the flows' order."""
        named = [s for read in self.flows.values() for s in (read.source_system, read.target_system) if s]
        return list(dict.fromkeys(named))

    def started_said(self) -> str:
        return f"{self.started:%Y-%m-%d %H:%M:%S} UTC"

    def took_said(self) -> str:
        return "still running" if self.seconds is None else duration(self.seconds)


def duration(seconds: float) -> str:
    """``seconds`` as a person reads a run's length: "4.2 s", "3 min 05 s", "1 h 02 min"."""
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {rest:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"
