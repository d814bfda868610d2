"""The retry queue in words, as ``ml-connector replay`` and ``replay --dry-run`` print it.

Kept apart from the replay itself (``connector_resources.replay``): the report reads a queue overview and
formats it; it writes nothing and drives no handler.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from connector_resources.held_outside import Kind, OutsideCheck, outside_said
from connector_resources.held_parents import GoneParent
from connector_resources.ledger import QueueOverview


def when_text(moment: datetime | None) -> str:
    """A next attempt's time as the queue's lines say it."""
    return "-" if moment is None else f"{moment:%Y-%m-%d %H:%M:%S} UTC"


def queue_report(
    overview: QueueOverview,
    *,
    top: int = 10,
    gone: Iterable[tuple[GoneParent, int]] = (),
    outside: Mapping[Kind, OutsideCheck] | None = None,
) -> list[str]:
    """The retry queue in words: due, failed and not yet due, held (by kind of record waited for, and
    the ``top`` most waited-for records). What ``replay`` and ``replay --dry-run`` print. ``gone``
    (``held_parents.held_on_gone``) adds the held records whose dependency will never be written;
    ``outside`` (the deployment's ``Replays.outside``) says in words what records held on another
    system's state wait for."""
    lines = [
        f"retry queue: {overview.due} due now, {overview.not_yet_due} failed and not yet due"
        + (f" (next attempt {when_text(overview.next_attempt_at)})" if overview.not_yet_due else "")
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
    said: dict[str, int] = {}
    for key, count in overview.held_by:
        if words := outside_said(key, outside):
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
