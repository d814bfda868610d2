"""The retry queue as ``ml-connector replay`` lists it: counted by flow and by kind of reason unless
``--all``, and only for integrations and flows that exist.

Why: on a fresh sandbox a dry run printed 979 lines of one refusal with 979 vendor names, and an unknown
``--integration`` answered "the retry queue is empty". A person wants how many records wait, in which flow,
for which kind of reason, with one example each; ``--all`` still prints every record.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable

import click

from connector_resources.ledger import QueueItem
from connector_resources.reason_kinds import reason_kind

NO_HANDLER = "  [no handler yet: stays queued]"


def checked_scope(integration: str | None, flow: str | None, flows: dict[str, list[str]]) -> None:
    """Refuse an integration or flow no package declares (naming those that exist), so a typo never reads
    as an empty queue."""
    if integration is not None and integration not in flows:
        raise click.BadParameter(
            f"no integration {integration!r}; known: {', '.join(sorted(flows))}", param_hint="--integration"
        )
    known = sorted({f for name, fs in flows.items() for f in fs if integration in (None, name)})
    if flow is not None and flow not in known:
        where = f" in {integration}" if integration else ""
        raise click.BadParameter(f"no flow {flow!r}{where}; known: {', '.join(known)}", param_hint="--flow")


def item_line(item: QueueItem, handled: bool) -> str:
    """One queue item, as ``--all`` prints it."""
    note = "" if handled else NO_HANDLER
    where = f"{item.integration}/{item.flow} {item.source_key}"
    return f"#{item.id} {where} attempts={item.attempts}: {item.reason}{note}"


def summary_lines(items: Iterable[QueueItem], handled: Callable[[QueueItem], bool]) -> list[str]:
    """The items counted by flow and kind of reason, most first, each with one example record whose reason
    is shown whole (what a person reads names the record; only the grouping masks it)."""
    counts: Counter[tuple[str, str]] = Counter()
    example: dict[tuple[str, str], QueueItem] = {}
    for item in items:
        key = (f"{item.integration}/{item.flow}", reason_kind(item.reason))
        counts[key] += 1
        example.setdefault(key, item)
    lines = []
    for (flow, kind), count in sorted(counts.items(), key=lambda pair: (-pair[1], pair[0])):
        first = example[(flow, kind)]
        note = "" if handled(first) else NO_HANDLER
        lines.append(f"{count:>6} {flow}: {kind}{note}")
        lines.append(f"{'':>6}   e.g. #{first.id} {first.source_key}: {first.reason}")
    if lines:
        lines.append("(--all lists every record)")
    return lines
