"""What a person reads is whole: no reason cut mid-word, no digit masked into the text, and a ranged run's
failure saying each day's reason once.

The counts group reasons by their kind (data kept with each record), and what is shown is a real reason's
words; a text is cut only where a channel has a real limit, at a word, with an ellipsis; a day not sent
because an earlier day stopped the run names that day instead of repeating its reason.
"""

from __future__ import annotations

from datetime import UTC, datetime

from dagster import AssetKey
from jde_coupa_parts import SUPPLIERS_FLOW

from connector_assets.flows.range_days import DayWrite, failed_day_check, failure_message
from connector_assets.flows.refused_share import judge
from connector_assets.flows.written_check import PartitionQueue, check_result, queue_of
from connector_resources.ledger import QueueItem
from connector_resources.refusals import Refusal, mapping_missing, master_missing, target_refused

DOWN = (
    "TargetUnreachable: jde_coupa/suppliers: Coupa answered none of the 13 writes of 2026-11-12 (Coupa did "
    "not answer: CoupaUnavailableError: coupa: POST /api/suppliers answered HTTP 503 after 8 attempt(s) "
    "over 94 s; the server said: Service Unavailable, maintenance window); every record is in the retry "
    "queue. Rerun the partition (or replay) once it is back."
)


def _queue(refusals: list[Refusal]) -> PartitionQueue:
    """A day's failed records refused with ``refusals``, counted as the write step counts them."""
    now = datetime.now(UTC)
    items = [
        QueueItem(
            n, "toy", "toy", "bill", str(n), {}, r.sentence, "failed", 1, None, None, None, now, now, None,
            kind=r.group, params=dict(r.params), attention=r.attention,
        )
        for n, r in enumerate(refusals)
    ]  # fmt: skip
    return queue_of(items, now=now)


def test_a_long_reason_is_whole_in_a_ranged_runs_failure_and_its_days_check() -> None:
    days = [DayWrite(f"2026-11-{n}", {}) for n in (11, 12, 13)]
    days[1].error = DOWN
    message = failure_message("jde_coupa/suppliers", days)
    assert "2026-11-12: " + DOWN in message  # cut at 300 characters before: "... Rerun the partit"
    check = failed_day_check(check_result(AssetKey(["jde_coupa", "suppliers_written"]), _queue([])), DOWN)
    assert check.description == DOWN and check.metadata["error"].value == DOWN


def test_a_day_not_sent_names_the_day_that_stopped_the_run() -> None:
    from connector_assets.flows.range_days import unsent_error

    days = [DayWrite(f"2026-11-{n}", {}) for n in (12, 13, 14)]
    days[0].error = DOWN
    days[1].error = days[2].error = unsent_error("Coupa", "2026-11-12")
    message = failure_message("jde_coupa/suppliers", days)
    assert message.count("answered none of the 13 writes") == 1  # said once, on the day it happened
    for day in ("2026-11-13", "2026-11-14"):
        stopped = "not sent: Coupa stopped the run on 2026-11-12 (its reason is given for that day)"
        assert f"{day}: {stopped}" in message


def test_reasons_are_counted_by_kind_and_shown_with_their_digits() -> None:
    outage = "coupa did not answer: HTTP 503 after 8 attempts"
    duplicate = "BILL refused it [BDC_1322]: Invoice number already exists"
    refusals = [
        Refusal("target_unavailable", f"supplier 4411: {outage}", {"system": "coupa", "status": "503"}),
        Refusal("target_unavailable", f"supplier 4412: {outage}", {"system": "coupa", "status": "503"}),
        target_refused(f"bill 8c0e2b5f-b1bf-4e7a: {duplicate}", system="BILL", code="BDC_1322"),
        target_refused(f"bill 9d1f3c6a-c2ca-4f8b: {duplicate}", system="BILL", code="BDC_1322"),
        master_missing("supplier 4413: account 4000-0-0-0 not found in F0901", system="JDE", what="account",
                       value="4000-0-0-0"),
        master_missing("supplier 4414: account 4000-0-0-1 not found in F0901", system="JDE", what="account",
                       value="4000-0-0-1"),
    ]  # fmt: skip
    queue = _queue(refusals)
    shown = dict(queue.reasons.most_common())
    assert len(shown) == 3 and set(shown.values()) == {2}  # by kind, whichever record the sentence names
    # an outage is retried by itself: counted apart from the failures, with its kind
    assert shown[f"retried by itself: The target did not answer: coupa, e.g. supplier 4411: {outage}"] == 2
    assert (queue.failed, queue.retrying) == (4, 2)
    assert shown[f"The target refused the record: BILL, BDC_1322, e.g. {refusals[2].sentence}"] == 2
    account = "A master record is missing in the target: JDE, account, e.g. " + refusals[4].sentence
    assert shown[account] == 2  # one example, whole, digits and all
    markdown = check_result(AssetKey(["jde_bill", "bills_written"]), queue).metadata["reasons"].value
    assert (
        f"- 2 x retried by itself: The target did not answer: coupa, e.g. supplier 4411: {outage}" in markdown
    )
    assert "#" not in markdown and "…" not in markdown  # nothing masked


def test_a_single_reason_names_its_record() -> None:
    from connector_assets.flows.reason_text import ReasonCounts

    sentence = "bill 8c0e2b5f-b1bf-4e7a: BILL refused it [BDC_1322]"
    counts = ReasonCounts().update([target_refused(sentence, system="BILL", code="BDC_1322")])
    assert counts.markdown() == f"- 1 x The target refused the record: BILL, BDC_1322: {sentence}"


def test_a_text_past_a_real_limit_is_cut_at_a_word_with_an_ellipsis() -> None:
    from connector_assets.flows.reason_text import ELLIPSIS, clipped

    assert clipped("short enough", 40) == "short enough"
    cut = clipped(DOWN, 200, " (more on the run's page)")
    assert len(cut) <= 200 and cut.endswith(f"{ELLIPSIS} (more on the run's page)")
    head = cut.removesuffix(f"{ELLIPSIS} (more on the run's page)").rstrip()
    assert DOWN.startswith(head) and DOWN[len(head)] in " ;."  # ends where a word ends


def test_a_systemic_refusal_quotes_its_examples_whole() -> None:
    why = (
        "payment terms 'N45' have no Coupa mapping in mappings/jde_coupa/payment_terms.csv (its rows map "
        "N30, N60, DUE and 2/10N30 only): add the row the JDE code needs (Coupa's payment term code, as "
        "Setup > Payment Terms lists it), then replay the refused suppliers"
    )
    reasons = [
        f"supplier {4400 + n}: supplier {4400 + n} (Cascade Lumber Company of Oregon): {why}"
        for n in range(9)
    ]
    refusals = [
        mapping_missing(r, table="jde_coupa/payment_terms", what="payment terms", value="N45")
        for r in reasons
    ]
    share = judge(SUPPLIERS_FLOW, "2026-11-12", 10, refusals)
    assert share.systemic
    assert len(reasons[0]) > 300 and f"e.g. {reasons[0]}" in share.message()  # cut at 300 before, mid-word
