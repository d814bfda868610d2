"""The queue's two views as the desk shows them: what each open record waits for and when that is expected
("Clears by itself"), or the one action that unblocks it ("Needs a person").

Why here: which view an item is in is decided by the one rule (``connector_resources.needs_person``: in
SQL for a page, ``queue_browse.QueueFilter.view``; in Python for each item shown); this module says, for
the items of one page, the words and the link beside each, from the refusal's kind and parameters
(``connector_resources.refusals``), never from its sentence. A wait that outlived what it waits for says
why it did not clear, in one function (``why_not_cleared``). An item an exception holds (a missing mapping
row, a refused parent: ``connector_resources.exception_causes``) is unblocked by that exception's fix.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from connector_resources.exception_causes import Cause
from connector_resources.ledger.records import QueueItem
from connector_resources.needs_person import Outlived, needs_person, person_kind
from connector_resources.refusal_actions import action_for
from connector_resources.refusals import KINDS, Kind, group_title

__all__ = ["Shown", "shown_items", "wait_hours", "why_not_cleared"]

# Kinds a person pairs by hand: the flows found none, or more than one, target record for it.
MATCHED_BY_HAND = ("ambiguous", "conflict")


def wait_hours() -> float:
    """How long a wait is normal (``ML_HELD_ALERT_HOURS``, read where the day's check reads it)."""
    from connector_assets.flows.written_check import held_alert_hours

    return held_alert_hours()


@dataclass(frozen=True)
class Shown:
    """One open item as its view shows it: the kind's title, what it waits for and when it is expected to
    clear (clears by itself), or why a wait did not clear and the action that unblocks it (a person's)."""

    item: QueueItem
    view: str  # "person" or "flows"
    title: str
    waits_for: str  # "" for a refusal: it waits for nothing, a person acts (``refused_by`` says what)
    refused_by: str  # what refused it, in words ("Refused by rule bill not approved"); "" for a wait
    expected: str
    outlived: str  # why a wait did not clear by itself, "" for any other item
    action: str
    link: str
    cause: Cause | None = None  # the exception it is one record of (a missing row, a refused parent)


def why_not_cleared(
    item: QueueItem, *, synced: bool, hours: float, blocker: QueueItem | None, now: datetime | None = None
) -> str:
    """Why a wait outlived what it waits for, in words (``needs_person.Outlived.why``, the one rule of every
    surface), or "" when it has not; when the record it waits for is itself queued (``blocker``), the
    sentence says so. ``hours`` 0: age alone never makes it a person's."""
    said = _outlived(item, synced=synced, hours=hours, blocker=blocker, now=now).why(item)
    return _naming_blocker(said, blocker, synced)


def _naming_blocker(said: str, blocker: QueueItem | None, synced: bool) -> str:
    """``said``, and that the record it waits for is itself queued when it is, waiting on the flows."""
    if said and blocker is not None and not synced and not person_kind(blocker.kind):
        state = "held" if blocker.status == "held" else "refused"
        said += f" (that {blocker.entity}, {blocker.source_key}, is itself {state}: see it)"
    return said


def _outlived(
    item: QueueItem, *, synced: bool, hours: float, blocker: QueueItem | None, now: datetime | None
) -> Outlived:
    """What judges ``item``'s wait: its dependency synced or not, the hours a wait is normal, and the record
    it waits on (a blocker when that one needs a person by its kind)."""
    key = item.depends_on or ""
    return Outlived(
        synced=frozenset({key}) if synced and key else frozenset(),
        after=timedelta(hours=hours) if hours > 0 else timedelta.max,
        now=now or datetime.now(UTC),
        parents={key: blocker} if blocker is not None and key and person_kind(blocker.kind) else {},
    )


def _waits(item: QueueItem, info: Kind | None) -> bool:
    """Whether the item waits (held, or of a kind the flows end) rather than stands refused."""
    if info is None:
        return bool(item.depends_on)
    return item.status == "held" or not person_kind(item.kind)


def _waits_for(item: QueueItem, info: Kind | None) -> str:
    """What the item waits for, from its refusal's parameters (the kind's own, in its order); "" for a
    refusal, which waits for nothing (a rule's name is not something to wait for)."""
    if not _waits(item, info):
        return ""
    params: Mapping[str, Any] = item.params or {}
    if info is None:
        return item.depends_on or ""
    if "waits_for" in params:
        return str(params["waits_for"])
    return _params_said(params, info) or (item.depends_on or "")


def _refused_by(item: QueueItem, info: Kind | None) -> str:
    """What refused a record that does not wait, in words: the flow's rule by name ("Refused by rule bill
    not approved"), else the kind's own title with its parameters; "" for a wait."""
    if info is None or _waits(item, info):
        return ""
    params: Mapping[str, Any] = item.params or {}
    if params.get("rule"):
        return f"Refused by rule {_text(params['rule'])}"
    said = _params_said(params, info)
    return f"{info.title} ({said})" if said else info.title


def _params_said(params: Mapping[str, Any], info: Kind) -> str:
    return ", ".join(f"{name} {_text(params[name])}" for name in info.params if params.get(name))


def _text(value: Any) -> str:
    return ", ".join(str(v) for v in value) if isinstance(value, list) else str(value)


def _expected(item: QueueItem, info: Kind | None) -> str:
    said = info.clears if info is not None else ""
    if item.status == "failed" and item.next_attempt_at is not None:
        said += f"{'; ' if said else ''}next attempt {item.next_attempt_at:%Y-%m-%d %H:%M} UTC"
    return said


def _action(
    item: QueueItem,
    info: Kind | None,
    outlived: str,
    blocker: QueueItem | None,
    mapping_link: Callable[[QueueItem], str],
    match_link: Callable[[QueueItem], str],
) -> tuple[str, str]:
    """The action that unblocks a person's item and where it is done."""
    if outlived:
        if blocker is not None and blocker.id != item.id:
            return f"fix the {blocker.entity} it waits for ({blocker.source_key})", f"/items/{blocker.id}"
        return "replay it, or see why it did not clear", f"/items/{item.id}"
    words = action_for(item.kind, item.params) or "read the reason, then replay or abandon it"
    code = item.refusal_kind
    if code == "mapping_missing":
        return words, mapping_link(item) or f"/items/{item.id}"
    paired = match_link(item)
    if code in MATCHED_BY_HAND:
        return words, paired or "/matches"
    if paired:  # refused for want of a pair no flow can make (a supplier with no JDE number)
        return "Match it by hand to its counterpart (the desk's Match page).", paired
    return words, f"/items/{item.id}"


def shown_items(
    items: list[QueueItem],
    *,
    hours: float,
    synced: frozenset[str],
    blockers: Mapping[str, QueueItem],
    mapping_link: Callable[[QueueItem], str],
    match_link: Callable[[QueueItem], str],
    causes: Mapping[int, Cause] | None = None,
    cause_link: Callable[[Cause], str] = lambda cause: "",
) -> list[Shown]:
    """The page's items with their view's words and links, the view by ``needs_person`` (the rule the page's
    SQL applied): ``synced`` the dependencies that synced, ``blockers`` the queued records others wait for,
    by dependency key. An item one of ``causes`` holds (by item id) is unblocked by that cause's fix, done
    where ``cause_link`` leads."""
    now, shown = datetime.now(UTC), []
    for item in items:
        info = KINDS.get(item.refusal_kind)
        is_synced = (item.depends_on or "") in synced
        blocker = None if is_synced else blockers.get(item.depends_on or "")
        judged = _outlived(item, synced=is_synced, hours=hours, blocker=blocker, now=now)
        outlived = _naming_blocker(judged.why(item), blocker, is_synced)
        flows = not needs_person(item, judged)
        cause = None if flows else (causes or {}).get(item.id)
        if cause is not None:
            action, link = cause.fix, cause_link(cause) or f"/items/{item.id}"
        elif flows:
            action, link = "", ""
        else:
            action, link = _action(item, info, outlived, blocker, mapping_link, match_link)
        shown.append(
            Shown(
                item=item,
                view="flows" if flows else "person",
                title=group_title(item.kind or ""),
                waits_for=_waits_for(item, info),
                refused_by=_refused_by(item, info),
                expected=_expected(item, info) if flows else "",
                outlived=outlived,
                action=action,
                link=link,
                cause=cause,
            )
        )
    return shown
