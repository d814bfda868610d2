"""What the fit report keeps of a flow's verdicts while fit.csv takes the rows: counts and a few examples,
bounded whatever the number of records, so a preview of a tenant's year streams.

Every structure holding distinct things (kinds of reason, missing mapping values, natural-key field sets,
ambiguous records) keeps at most a fixed number of them, the first met; later records of kinds not kept are
still counted ("other"), so every total stays exact and only the breakdown is cut.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from connector_assets.flows.periods import meets_closed_period
from connector_assets.flows.reason_text import clipped
from connector_assets.preview.mapping_gaps import MappingGap, mapping_gaps
from connector_assets.preview.verdicts import VERDICTS, FitRow
from connector_resources.reason_kinds import ELLIPSIS, find_word, reason_kind
from connector_resources.redaction import redact

REASON_KINDS = 200  # per flow: a real tenant's refusals fall into dozens of kinds, not hundreds
GAP_VALUES = 200  # per flow: missing mapping values told apart
KEY_SETS = 50  # per flow: natural-key field sets an adopt matched by
AMBIGUOUS_LISTED = 50  # per flow: ambiguous records listed by name (all are counted)
EXAMPLE_CHARS = 300  # an example reason longer than this (an order naming 40 lines) is cut at a word

FLOWING = ("create", "adopt", "update", "unchanged")  # the verdicts whose records would reach the target
EXPLAINED = ("refuse", "hold")  # the verdicts whose reasons are counted by kind

K = TypeVar("K")


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
    """One flow's verdicts in counts: by verdict, refusals and holds by kind of reason (``reason_kind``),
    missing mapping values (``mapping_gaps``), adopts by the natural-key fields that matched, and the
    ambiguous records (the first ``AMBIGUOUS_LISTED`` by name)."""

    verdicts: Counter[str] = field(default_factory=Counter)
    reasons: Capped[tuple[str, str]] = field(default_factory=lambda: Capped(REASON_KINDS))
    gaps: Capped[MappingGap] = field(default_factory=lambda: Capped(GAP_VALUES))
    matched_by: Capped[str] = field(default_factory=lambda: Capped(KEY_SETS))
    ambiguous: list[Example] = field(default_factory=list)
    # Records dated in a closed accounting period of the ERP: held under the refuse policy, re-dated
    # (created, said in the reason) under first_open_day (``flows.periods.meets_closed_period``).
    closed_period: int = 0
    # Why the flow's preview run did not finish ("" when it did): its verdicts cover what it reached.
    error: str = ""

    def add(self, row: FitRow) -> None:
        if row.verdict not in VERDICTS:
            raise ValueError(f"{row.flow} {row.source_key}: verdict {row.verdict!r} is none of {VERDICTS}")
        self.verdicts[row.verdict] += 1
        if meets_closed_period(row.reason):
            self.closed_period += 1
        if row.verdict in EXPLAINED:
            named = Example(row.source_key, day=row.day)
            gaps = mapping_gaps(row.reason) if row.verdict == "refuse" else []
            for gap in gaps:
                self.gaps.add(gap, lambda: named)
            text = _one_line(row.reason)
            kind = kind_of(text, row.source_key, gaps)
            self.reasons.add(
                (row.verdict, kind), lambda: Example(row.source_key, shown_reason(text), row.day)
            )
        elif row.verdict == "adopt":
            self.matched_by.add(key_fields(row.matched_by), lambda: Example(row.source_key, day=row.day))
        elif row.verdict == "ambiguous" and len(self.ambiguous) < AMBIGUOUS_LISTED:
            self.ambiguous.append(Example(row.source_key, shown_reason(row.reason), row.day))

    def top_reasons(self, n: int | None = None) -> list[tuple[str, str, int, Example]]:
        """(verdict, kind as shown, count, example) of the ``n`` most common kinds of reason."""
        return [
            (verdict, redact(kind), count, ex) for (verdict, kind), count, ex in self.reasons.most_common(n)
        ]

    @property
    def total(self) -> int:
        return sum(self.verdicts.values())

    @property
    def flowing(self) -> int:
        """Records that would reach the target: created, adopted, updated or already equal there."""
        return sum(self.verdicts[verdict] for verdict in FLOWING)


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


def kind_of(text: str, source_key: str, gaps: list[MappingGap]) -> str:
    """The kind a reason (one line) is counted by: ``reason_kind``, with its missing mapping values
    masked too, since "payment terms NET" and "payment terms N45" are one refusal (the values are counted on
    their own) and a value without a digit is not masked by ``reason_kind``."""
    for value in {gap.value for gap in gaps if ELLIPSIS not in gap.value}:
        at = find_word(text, value)
        while at >= 0:
            text = f"{text[:at]}{ELLIPSIS}{text[at + len(value) :]}"
            at = find_word(text, value)
    return clipped(reason_kind(text, source_key), EXAMPLE_CHARS)


def shown_reason(reason: str) -> str:
    """A reason as the report shows it: one line, secrets masked, cut at a word past ``EXAMPLE_CHARS``."""
    return clipped(redact(_one_line(reason)), EXAMPLE_CHARS)


def _one_line(text: str) -> str:
    return " ".join((text or "").split())
