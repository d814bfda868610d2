"""A record refused by a flow's own rule (or for an invalid source field) is not tried again by the replay
sweep's timer: the same record would be refused again, attempt after attempt. It is mapped again when its
record changes (the run refusing or writing it anew), or when a person replays it; a failure that may pass
by itself (an outage) keeps its timer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from connector_resources.ledger import Ledger, QueueItem
from connector_resources.refusals import Refusal, Refused, refused, source_invalid
from connector_resources.replay import ReplayOutcome, replay_items
from connector_resources.replay_report import NO_TIMER, queue_report
from tests.given_replays import replays_of

LATER = datetime.now(UTC) + timedelta(days=30)  # long after any backoff
NO_ITEMS = "bill B-1: it has no items"


def _queue(ledger: Ledger, refusal: Refusal, key: str = "B-1") -> QueueItem:
    return ledger.enqueue(
        integration="jde_procurify", flow="bills", entity="bill", source_key=key, payload={"key": key},
        reason=refusal.sentence, refusal=refusal,
    )  # fmt: skip


class Handler:
    """A bills replay handler that refuses the record by the rule as long as it is unchanged."""

    def __init__(self) -> None:
        self.calls = 0
        self.fixed = False

    def __call__(self, item: QueueItem, ledger: Ledger) -> ReplayOutcome:
        self.calls += 1
        if not self.fixed:
            raise Refused(refused(NO_ITEMS, rule="no items"))
        return ReplayOutcome("JDE-1", action="create")


def test_a_rule_refusal_waits_for_its_record_or_a_person_never_for_a_timer(ledger):
    item = _queue(ledger, refused(NO_ITEMS, rule="no items"))
    assert item.next_attempt_at is None
    assert ledger.due(now=LATER) == []
    overview = ledger.queue_overview(now=LATER)
    assert (overview.due, overview.not_yet_due, overview.on_change) == (0, 0, 1)
    assert f"1 refused until {NO_TIMER}" in queue_report(overview)[0]

    handler = Handler()
    replays = replays_of({("jde_procurify", "bills"): handler})
    sweep = replay_items(ledger, ledger.due(now=LATER), replays)  # what the schedule replays
    assert handler.calls == 0 and not sweep.failed

    # A person replays it unchanged: refused again, and still no timer takes it up.
    asked = replay_items(ledger, ledger.open_items(status="failed"), replays, by="desk:ann")
    after = ledger.queue_item_by_id(item.id)
    assert handler.calls == 1 and asked.failed == [item.id]
    assert (after.status, after.attempts, after.next_attempt_at) == ("failed", 2, None)
    assert ledger.due(now=LATER) == []

    # The run that reads the record again (changed, still without items) refuses it anew: no timer either.
    again = _queue(ledger, refused(NO_ITEMS, rule="no items"))
    assert again.id == item.id and again.next_attempt_at is None

    # Corrected in the source: the person's replay writes it.
    handler.fixed = True
    replay_items(ledger, ledger.open_items(status="failed"), replays, by="desk:ann")
    assert ledger.queue_status(item.id) == "resolved"


def test_an_invalid_source_field_waits_for_the_record_and_an_outage_keeps_its_timer(ledger):
    invalid = _queue(ledger, source_invalid("bill B-2: it names no vendor", field="vendor"), "B-2")
    down = Refusal("target_unavailable", "JDE answered HTTP 503", {"system": "JDE", "status": "503"})
    outage = _queue(ledger, down, "B-3")
    assert invalid.next_attempt_at is None and outage.next_attempt_at is not None
    assert [i.id for i in ledger.due(now=LATER)] == [outage.id]
    failed = ledger.record_attempt_failure(outage.id, "still down", retry_in=timedelta(hours=1), refusal=down)
    assert failed.next_attempt_at is not None  # backing off, then due again


def test_an_error_no_code_classified_is_still_tried_on_the_timer(ledger):
    # A rule the catalog does not have is an exception's class name: it may pass, so the sweep tries it.
    item = _queue(ledger, refused("replay failed: 'vendor'", rule="KeyError"), "B-4")
    assert [i.id for i in ledger.due(now=LATER)] == [item.id]
