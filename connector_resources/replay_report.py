"""The retry queue in words, as ``ml-connector replay`` and ``replay --dry-run`` print it, and what one
replay did (``ReplaySummary``: the items by outcome and its line).

Kept apart from the replay itself (``connector_resources.replay``): the report reads a queue overview and
a replay's summary and formats them; it writes nothing and drives no handler.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime

from connector_resources.held_outside import Kind, OutsideCheck, outside_said
from connector_resources.ledger import QueueItem, QueueOverview
from connector_resources.parent_verdicts import GoneParent

# Why a replay leaves a record queued without trying it: its flow is not among the deployment's (an
# integration this deployment does not run) or declares no replay (``build_replays``).
NO_HANDLER_SAID = "no replay handler for their flow in this deployment"
# A failed item's next attempt when no timer tries it again (``refusal_actions.timed``).
NO_TIMER = "when the record changes, or a person replays it"


def when_text(moment: datetime | None) -> str:
    """A failed item's next attempt time as the queue's lines say it."""
    return NO_TIMER if moment is None else f"{moment:%Y-%m-%d %H:%M:%S} UTC"


@dataclass
class ReplaySummary:
    replayed: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    no_handler: list[int] = field(default_factory=list)
    held: list[int] = field(default_factory=list)
    # The items as they are after this replay failed them again (attempts counted, next attempt time).
    failed_items: list[QueueItem] = field(default_factory=list)
    # Held records released because what they waited for synced (in this replay or before): due now.
    released: int = 0
    # Items another replay or a run took or failed again since this replay read them: left to it.
    elsewhere: list[int] = field(default_factory=list)
    # Items whose record was already written (by a run or another replay): resolved, nothing sent.
    already: list[int] = field(default_factory=list)
    # Items whose parent another process took (a bill exported elsewhere): closed with a skip, nothing sent.
    skipped: list[int] = field(default_factory=list)
    # The days whose open items this replay changed (integration, flow, partition): their
    # ``no_failed_records`` check is evaluated again (``connector_assets.flows.day_checks``), so a day
    # whose last failed record was written turns green.
    days: set[tuple[str, str, str | None]] = field(default_factory=set)

    def add(self, other: ReplaySummary) -> None:
        """Count ``other`` (a later chunk of the same replay: the desk's background task) in this one."""
        for name in (f.name for f in fields(self)):
            mine, theirs = getattr(self, name), getattr(other, name)
            if isinstance(mine, list):
                mine.extend(theirs)
            elif isinstance(mine, set):
                mine.update(theirs)
            else:
                setattr(self, name, mine + theirs)

    def line(self) -> str:
        line = f"{len(self.replayed)} replayed, {len(self.failed)} failed again"
        if self.no_handler:
            line += f", {len(self.no_handler)} left queued ({NO_HANDLER_SAID})"
        line += f", {len(self.held)} held until what they wait for syncs" if self.held else ""
        if self.released:
            line += f", {self.released} held record(s) released (what they waited for has synced)"
        if self.already:
            line += f", {len(self.already)} already written (resolved, nothing sent)"
        if self.skipped:
            line += f", {len(self.skipped)} skipped (what they belong to was taken by another process)"
        if self.elsewhere:
            line += f", {len(self.elsewhere)} left to another replay or run that has them"
        return line

    def failure_lines(self) -> list[str]:
        """One line per record that failed again, with its attempt count and next attempt time."""
        return [
            f"#{item.id} {item.integration}/{item.flow} {item.source_key} failed again: "
            f"attempts={item.attempts}, next attempt {when_text(item.next_attempt_at)}: {item.reason}"
            for item in self.failed_items
        ]


def queue_report(
    overview: QueueOverview,
    *,
    top: int = 10,
    gone: Iterable[tuple[GoneParent, int]] = (),
    outside: Mapping[Kind, OutsideCheck] | None = None,
    under_exceptions: int = 0,
) -> list[str]:
    """The retry queue in words: due, failed and not yet due, held (by kind of record waited for, and
    the ``top`` most waited-for records). What ``replay`` and ``replay --dry-run`` print. ``gone``
    (``held_parents.held_on_gone``) adds the held records whose dependency will never be written;
    ``outside`` (the deployment's ``Replays.outside``) says in words what records held on another
    system's state wait for; ``under_exceptions`` how many held records wait on a record that needs a
    person, so that they are counted with it, in its exception (``exception_causes``), not twice."""
    lines = [
        f"retry queue: {overview.due} due now, {overview.not_yet_due} failed and not yet due"
        + (f" (next attempt {when_text(overview.next_attempt_at)})" if overview.not_yet_due else "")
        + (f", {overview.on_change} refused until {NO_TIMER}" if overview.on_change else "")
        + f", {overview.held} held"
    ]
    if not overview.held:
        return lines
    kinds: dict[str, list[int]] = {}
    for key, count in overview.held_by:
        kind = ":".join(key.split(":", 3)[:3])  # integration:entity:system (a source key may hold ":")
        kinds.setdefault(kind, []).append(count)
    by_kind = ", ".join(
        f"{sum(counts)} on {len(counts)} {kind.replace(':', ' ')} record(s)"
        for kind, counts in sorted(kinds.items(), key=lambda pair: -sum(pair[1]))
    )
    lines.append(f"held records wait for {len(overview.held_by)} record(s): {by_kind}")
    if under_exceptions:
        lines.append(
            f"{under_exceptions} held record(s) wait on records that need a person: each is counted once, "
            "in that record's exception under needs a person"
        )
    said: dict[str, int] = {}
    for key, count in overview.held_by:
        if words := outside_said(key, outside or {}):
            said[words] = said.get(words, 0) + count
    lines += [f"{count} held record(s) {words}" for words, count in sorted(said.items())]
    if overview.synced:
        lines.append(
            f"{overview.held_on_synced} held record(s) wait for {len(overview.synced)} record(s) that have "
            "already synced: a replay releases and writes them"
        )
    lines.append(f"most waited for (top {min(top, len(overview.held_by))}):")
    for key, count in overview.held_by[:top]:
        synced = " (already synced)" if key in overview.synced else ""
        lines.append(f"  {key}: {count} held{synced}")
    return lines + _gone_lines(list(gone), top)


def _gone_lines(gone: list[tuple[GoneParent, int]], top: int) -> list[str]:
    """The held records whose dependency cannot come, by dependency, with why (``queue_report``)."""
    if not gone:
        return []
    lines = [
        f"{sum(n for _, n in gone)} held record(s) wait for {len(gone)} record(s) that will never be "
        "written: a replay refuses them (failed, naming the record and why) instead of holding them, or "
        "skips them for good when another process took that record"
    ]
    for parent, count in gone[:top]:
        lines.append(f"  {parent.key}: {count} held; {parent.cause_text}: {parent.why}")
    return lines
