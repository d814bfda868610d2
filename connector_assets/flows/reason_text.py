"""Reasons as a person reads them: whole, or cut at a word with an ellipsis where a channel has a real limit
(a fixed cut, "... Rerun the partit", reads as broken); and open records counted by their kind of refusal
(data stored with each item, never read back from the sentence), each shown by its title and one example.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from connector_resources.redaction import redact
from connector_resources.refusals import Refusal, group_title, unclassified

ELLIPSIS = "…"
UNCLASSIFIED = unclassified("").group  # an item queued before kinds were kept


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


def group_and_sentence(found: Any) -> tuple[str, str]:
    """The kind group and the sentence of a queue item (``QueueItem``), a ``Rejected`` or a ``Refusal``."""
    if isinstance(found, Refusal):
        return found.group, found.sentence
    refusal = getattr(found, "refusal", None)
    if isinstance(refusal, Refusal):
        return refusal.group, str(getattr(found, "reason", "") or refusal.sentence)
    if hasattr(found, "reason"):
        return str(getattr(found, "kind", "") or UNCLASSIFIED), str(found.reason)
    raise TypeError(f"cannot count {found!r}: expected a queue item, a Rejected or a Refusal")


@dataclass
class ReasonCounts:
    """Open records counted by kind group (``Refusal.group``), each shown by its title (``group_title``)
    and a real record's sentence, never masked: a kind met once reads "<title>: <sentence>", one met more
    often "<title>, e.g. <sentence>". ``label`` (``add``) goes before a kind and is part of it ("held over
    24 h: ")."""

    counts: Counter[str] = field(default_factory=Counter)
    first: dict[str, str] = field(default_factory=dict)  # key -> the first sentence counted
    groups: dict[str, str] = field(default_factory=dict)  # key -> its kind group
    labels: dict[str, str] = field(default_factory=dict)

    def add(self, group: str, sentence: str, times: int = 1, label: str = "") -> None:
        """Count ``times`` records of kind ``group``, ``sentence`` one of theirs (the first kept)."""
        key = label + group
        self.counts[key] += times
        if key not in self.first:
            self.first[key], self.groups[key], self.labels[key] = sentence, group, label

    def add_found(self, found: object, label: str = "", sentence: str = "") -> None:
        """Count one queue item, ``Rejected`` or ``Refusal`` by its kind; ``sentence`` replaces its own
        (why a wait did not clear)."""
        group, own = group_and_sentence(found)
        self.add(group, sentence or own, label=label)

    def update(self, found: Iterable[Any]) -> ReasonCounts:
        """Count each of ``found`` (queue items, ``Rejected``, ``Refusal``) by its kind."""
        for one in found:
            self.add_found(one)
        return self

    def extend(self, other: ReasonCounts) -> ReasonCounts:
        """Add ``other``'s counts (a kind both have keeps this one's example)."""
        for key, count in other.counts.items():
            self.counts[key] += count
            if key not in self.first:
                self.first[key], self.groups[key] = other.first[key], other.groups[key]
                self.labels[key] = other.labels[key]
        return self

    def shown(self, key: str) -> str:
        title = self.labels[key] + group_title(self.groups[key])
        sentence = redact(self.first[key]).strip()
        return f"{title}: {sentence}" if self.counts[key] == 1 else f"{title}, e.g. {sentence}"

    def most_common(self, n: int | None = None) -> list[tuple[str, int]]:
        """(shown words, count) of the ``n`` most common kinds, most common first."""
        return [(self.shown(key), count) for key, count in self.counts.most_common(n)]

    def markdown(self, n: int | None = None) -> str:
        """One "- <count> x <kind>" line per kind (``n`` at most, then how many other kinds), or "none"."""
        lines = [f"- {count} x {words}" for words, count in self.most_common(n)]
        if n is not None and len(self.counts) > n:
            lines.append(f"- and {len(self.counts) - n} other kind(s) of reason")
        return "\n".join(lines) or "none"

    def __len__(self) -> int:
        return len(self.counts)
