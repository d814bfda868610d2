"""Reasons as a person reads them: whole, or cut at a word with an ellipsis where a channel has a real limit;
and counted by cause (``connector_resources.reason_kinds.reason_kind``, the one place a reason's record is
masked) while each cause is shown in a real reason's own words.

Why: a reason cut at a fixed character ("... Rerun the partit") reads as broken, and a count keyed by a
reason with its digits masked ("HTTP # after # attempts", "[BDC_#]", a bill id as "#c-b#bf-...") reads as
mangled. Masking what names one record is right for counting; what is shown keeps every digit.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from connector_resources.reason_kinds import ELLIPSIS


def clipped(text: str, limit: int, more: str = "") -> str:
    """``text`` whole when it fits in ``limit`` characters. Otherwise cut before the limit at the last
    sentence end (when one lies in the last third) or else the last space, with an ellipsis and ``more``
    (where the whole text is, e.g. " (whole message in the run's log)")."""
    if len(text) <= limit:
        return text
    room = max(limit - len(ELLIPSIS) - len(more), 1)
    head = text[:room]
    sentence = max(head.rfind(". "), head.rfind("; "))
    if sentence >= room * 2 // 3:
        return head[: sentence + 1] + " " + ELLIPSIS + more
    space = head.rfind(" ")
    cut = head[:space] if space > room // 2 else head
    return cut.rstrip(" ,:;") + ELLIPSIS + more


@dataclass
class ReasonCounts:
    """Reasons counted by ``key`` (the reason with what names one record masked), each kind shown in a real
    reason's words, never masked: a kind met once is shown whole (``whole``: the record it names and why),
    one whose reasons all say the same thing (``why``: without the record) by that, and one whose reasons
    differ (other records' numbers inside) by its first reason as an example ("e.g. ...")."""

    key: Callable[[str], str]
    why: Callable[[str], str] = str
    whole: Callable[[str], str] = str
    counts: Counter[str] = field(default_factory=Counter)
    first: dict[str, str] = field(default_factory=dict)
    alike: dict[str, bool] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)

    def add(self, reason: str, times: int = 1, label: str = "") -> None:
        """Count ``reason`` (``times``); ``label`` goes before it, part of its kind ("held over 24 h: ")."""
        kind = label + self.key(reason)
        self.counts[kind] += times
        if kind not in self.first:
            self.first[kind], self.alike[kind], self.labels[kind] = reason, True, label
        elif self.why(reason) != self.why(self.first[kind]):
            self.alike[kind] = False

    def update(self, reasons: Iterable[str]) -> ReasonCounts:
        for reason in reasons:
            self.add(reason)
        return self

    def extend(self, other: ReasonCounts) -> ReasonCounts:
        """Add ``other``'s counts (a kind both have keeps this one's first reason)."""
        for kind, count in other.counts.items():
            self.counts[kind] += count
            if kind not in self.first:
                self.first[kind], self.labels[kind] = other.first[kind], other.labels[kind]
                self.alike[kind] = other.alike[kind]
            elif not other.alike[kind] or self.why(other.first[kind]) != self.why(self.first[kind]):
                self.alike[kind] = False
        return self

    def shown(self, kind: str) -> str:
        first, label = self.first[kind], self.labels[kind]
        if self.counts[kind] == 1:
            return label + self.whole(first)
        return label + (self.why(first) if self.alike[kind] else f"e.g. {self.whole(first)}")

    def most_common(self, n: int | None = None) -> list[tuple[str, int]]:
        """(shown words, count) of the ``n`` most common kinds, most common first."""
        return [(self.shown(kind), count) for kind, count in self.counts.most_common(n)]

    def markdown(self, n: int | None = None) -> str:
        """One "- <count> x <reason>" line per kind (``n`` at most, then how many other kinds), or "none"."""
        lines = [f"- {count} x {words}" for words, count in self.most_common(n)]
        if n is not None and len(self.counts) > n:
            lines.append(f"- and {len(self.counts) - n} other kind(s) of reason")
        return "\n".join(lines) or "none"

    def __len__(self) -> int:
        return len(self.counts)
