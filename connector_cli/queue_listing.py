"""The retry queue as ``ml-connector replay`` lists it: counted by flow and by kind in two views (needs a
person / clears by itself) unless ``--all``, and only for integrations and flows that exist.

Why: on a fresh sandbox a dry run printed 979 lines of one refusal with 979 vendor names, and an unknown
``--integration`` answered "the retry queue is empty". A person wants how many records wait, in which flow,
for which kind (the kind and parameters the code that queued them gave, ``connector_resources.refusals``;
never read back from the sentence), with one example sentence each, what to do about those that need
someone, and when those that wait clear by themselves. Which view a record is in is the one rule of every
surface (``connector_resources.needs_person``, whose ``Outlived`` judges the waits): a wait that outlived
what it waits for is a person's, said with why it did not clear. The records one fix unblocks (a missing
mapping row, a refused parent) are one exception, counted as every surface counts them
(``connector_resources.exception_causes``). ``--all`` still prints every record.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

import click

from connector_resources.exception_causes import Cause
from connector_resources.ledger import QueueItem
from connector_resources.needs_person import Outlived, needs_person, person_kind
from connector_resources.refusal_actions import action_for
from connector_resources.refusals import group_title, kind_of_group
from connector_resources.replay_report import NO_HANDLER_SAID

NO_HANDLER = f"  [stays queued: {NO_HANDLER_SAID}]"
PERSON_VIEW = "needs a person"
FLOWS_VIEW = "clears by itself"


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


def item_line(item: QueueItem, handled: bool, outlived: Outlived | None = None) -> str:
    """One queue item, as ``--all`` prints it: its view and kind, then its sentence."""
    outlived = outlived or Outlived()
    note = "" if handled else NO_HANDLER
    where = f"{item.integration}/{item.flow} {item.source_key}"
    view = PERSON_VIEW if needs_person(item, outlived) else FLOWS_VIEW
    return f"#{item.id} {where} attempts={item.attempts} [{view}: {_title(item.kind)}]: {item.reason}{note}"


@dataclass
class _Group:
    """Items of one flow and kind group in one view: how many, the first as the example, the earliest
    next attempt of those failed-but-waiting."""

    first: QueueItem
    count: int = 0
    outlived: str = ""
    next_attempt: datetime | None = None


def summary_lines(
    items: Iterable[QueueItem],
    handled: Callable[[QueueItem], bool],
    outlived: Outlived | None = None,
    causes: Iterable[Cause] = (),
) -> list[str]:
    """The items in two views, "needs a person" first. That view opens with its exceptions, one per cause
    (``exception_causes``: a missing row, a refused parent), each with the records it holds, counted as the
    desk counts them, and what fixes it. Then the other items, each counted by flow and kind (most first)
    with one example whose sentence is shown whole, and what to do (a person's kind), why it did not clear
    (a wait that outlived itself) or when it is expected to clear (a wait)."""
    outlived = outlived or Outlived()
    causes = list(causes)
    folded = frozenset().union(*(cause.ids for cause in causes))
    views: dict[bool, dict[tuple[str, str, str], _Group]] = {True: {}, False: {}}
    for item in items:
        if item.id in folded:
            continue
        how = outlived.how(item)
        person = needs_person(item, outlived)
        key = (f"{item.integration}/{item.flow}", item.kind or "", how)
        group = views[person].setdefault(key, _Group(item, outlived=outlived.why(item)))
        group.count += 1
        if item.status == "failed" and item.next_attempt_at is not None:
            group.next_attempt = min(group.next_attempt or item.next_attempt_at, item.next_attempt_at)
    lines: list[str] = []
    for person, title in ((True, PERSON_VIEW), (False, FLOWS_VIEW)):
        groups = sorted(views[person].items(), key=lambda pair: (-pair[1].count, pair[0]))
        exceptions = causes if person else []
        if not groups and not exceptions:
            continue
        others = sum(group.count for _, group in groups)
        if exceptions:
            head = f"{len(exceptions)} exception(s) holding {len(folded)} record(s)"
            lines.append(f"{title}: {head}" + (f", and {others} other record(s)" if others else ""))
        else:
            lines.append(f"{title}: {others} record(s)")
        for cause in exceptions:
            first = cause.refused[0]
            lines.append(f"{cause.count:>6} {cause.said()}")
            lines.append(f"{'':>6}   e.g. #{first.id} {first.source_key}: {first.reason}")
            lines.append(f"{'':>6}   to do: {cause.fix}")
        for (flow, kind, _), group in groups:
            first = group.first
            note = "" if handled(first) else NO_HANDLER
            lines.append(f"{group.count:>6} {flow}: {_title(kind)}{note}")
            lines.append(f"{'':>6}   e.g. #{first.id} {first.source_key}: {first.reason}")
            lines.append(f"{'':>6}   {_next_step(kind, group)}")
    if lines:
        lines.append("(--all lists every record)")
    return lines


def _title(kind: str | None) -> str:
    return group_title(kind) if kind else "kind not recorded"


def _next_step(kind: str, group: _Group) -> str:
    """What the group's line ends with: why a wait did not clear, when it clears, or what to do."""
    if group.outlived:
        return f"did not clear by itself: {group.outlived}"
    info = kind_of_group(kind)
    if info is None:
        return "to do: read the sentence (the code that queued these gave no kind)"
    if not person_kind(kind):
        at = f" (next attempt {group.next_attempt:%Y-%m-%d %H:%M} UTC)" if group.next_attempt else ""
        return f"clears by itself {info.clears or 'when what it waits for happens'}{at}"
    return f"to do: {action_for(kind)}"
