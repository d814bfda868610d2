"""The Procore client's pure parts: paging headers, date ranges, error bodies, pacing, payloads.

No HTTP here; the pacer gets a hand-driven clock and a recording sleep so its arithmetic is exact.
"""

from __future__ import annotations

import pickle
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from pacer_clock import Clock, headers

from connector_resources.procore import (
    ProcoreConflictError,
    ProcoreRateLimitError,
    ProcoreValidationError,
    RateLimitPacer,
    describe_error_body,
    next_page,
    parse_link_header,
    parse_timestamp,
    read_budget,
    updated_range,
)
from connector_resources.procore.payloads import same_name, search_term, vendor_body

_PO = "https://api.procore.com/rest/v1.0/purchase_order_contracts"
LINK = (
    f'<{_PO}?page=1&per_page=100&project_id=55>; rel="first", '
    f'<{_PO}?page=3&per_page=100&project_id=55>; rel="next", '
    f'<{_PO}?page=4&per_page=100&project_id=55>; rel="last"'
)


def test_link_header_from_the_reference_gives_the_next_page():
    links = parse_link_header(LINK)
    assert set(links) == {"first", "next", "last"}
    assert next_page({"Link": LINK, "Total": "352"}, page=2, rows_on_page=100, rows_so_far=200) == 3


def test_the_last_page_a_total_only_answer_and_an_unpaginated_answer():
    last = (
        '<https://x/rest/v1.0/vendors?page=1>; rel="first", <https://x/rest/v1.0/vendors?page=3>; rel="prev"'
    )
    assert next_page({"Link": last, "Total": "352"}, page=4, rows_on_page=52, rows_so_far=352) is None
    assert next_page({"Total": "5"}, page=1, rows_on_page=2, rows_so_far=2) == 2
    assert next_page({"Total": "5"}, page=3, rows_on_page=1, rows_so_far=5) is None
    assert next_page({}, page=1, rows_on_page=40, rows_so_far=40) is None
    assert next_page({"Link": LINK}, page=2, rows_on_page=0, rows_so_far=200) is None  # empty page ends it


def test_a_next_link_pointing_backwards_cannot_loop():
    backwards = '<https://x/rest/v1.0/vendors?page=1&per_page=2>; rel="next"'
    assert next_page({"Link": backwards}, page=5, rows_on_page=2, rows_so_far=10) == 6
    no_page = '<https://x/rest/v1.0/vendors?cursor=abc>; rel="next"'
    assert next_page({"Link": no_page}, page=1, rows_on_page=2, rows_so_far=2) == 2


def test_updated_range_is_one_second_wider_and_never_uses_a_plus_sign():
    start = datetime(2025, 3, 1, tzinfo=UTC)
    end = datetime(2025, 3, 2, 0, 0, 0, 500_000, tzinfo=UTC)
    assert updated_range(start, end) == "2025-02-28T23:59:59Z...2025-03-02T00:00:01Z"
    berlin = timezone(timedelta(hours=1))
    assert "+" not in updated_range(start.astimezone(berlin), end.astimezone(berlin))


@pytest.mark.parametrize(
    "text",
    ["2025-03-04T18:22:10Z", "2025-03-04T18:22:10.000Z", "2025-03-04T19:22:10+01:00", "2025-03-04T18:22:10"],
)
def test_timestamps_in_every_iso_form_read_as_the_same_utc_instant(text):
    assert parse_timestamp(text) == datetime(2025, 3, 4, 18, 22, 10, tzinfo=UTC)


def test_bad_timestamps_are_refused():
    for value in (None, "", "yesterday", 1741112530):
        with pytest.raises(ValueError):
            parse_timestamp(value)


@pytest.mark.parametrize(
    ("body", "sentence", "fields"),
    [
        ({"errors": "The access token is invalid"}, "The access token is invalid", {}),
        ({"errors": {"name": ["can't be blank"]}}, "", {"name": ("can't be blank",)}),
        (
            {"message": "Validation failed", "errors": {"email_address": "is invalid"}},
            "Validation failed",
            {"email_address": ("is invalid",)},
        ),
        (
            {"errors": ["Bad row", {"field": "zip", "message": "is too long"}]},
            "Bad row",
            {"zip": ("is too long",)},
        ),
        (
            {
                "error": {
                    "code": "BAD_REQUEST",
                    "message": "Invalid",
                    "details": [
                        {"reason_code": "INVALID", "field": "country_code", "message": "is not valid"}
                    ],
                }
            },
            "Invalid",
            {"country_code": ("is not valid",)},
        ),
        (
            {"error": "invalid_client", "error_description": "Client authentication failed"},
            "invalid_client: Client authentication failed",
            {},
        ),
        ({"errors": {"vendor": {"name": ["can't be blank"]}}}, "", {"vendor.name": ("can't be blank",)}),
    ],
)
def test_error_bodies_of_every_documented_shape(body, sentence, fields):
    assert describe_error_body(body) == (sentence, fields)


def test_plain_text_and_html_error_bodies_become_one_short_line():
    said, fields = describe_error_body(None, "You have surpassed the max number\nof requests for an hour.")
    assert said == "You have surpassed the max number of requests for an hour." and fields == {}
    said, _ = describe_error_body(None, "<html><body><h1>503 Service Unavailable</h1></body></html>")
    assert said == "503 Service Unavailable"


def test_errors_survive_pickling_with_their_fields():
    error = ProcoreConflictError(
        "taken", status=409, record="vendor origin_id=X", fields={"origin_id": ["taken"]}
    )
    again = pickle.loads(pickle.dumps(error))
    assert type(again) is ProcoreConflictError
    assert (again.status, again.record, again.fields, str(again)) == (
        409,
        error.record,
        error.fields,
        str(error),
    )


# -- pacing ----------------------------------------------------------------------------------------


def test_the_pacer_does_nothing_with_plenty_left_and_spreads_the_last_fifth():
    clock = Clock(1_800_000_000.0)
    pacer = RateLimitPacer("k", clock=clock, sleep=clock.sleep)
    pacer.observe(headers(25, 20, clock.now + 10))
    assert pacer.before_call() == 0
    pacer.observe(headers(25, 4, clock.now + 10))  # 4 <= 5 (a fifth of 25): spread 10 s over 5 slots
    assert pacer.before_call() == pytest.approx(2.0)
    assert clock.slept == [pytest.approx(2.0)]


def test_the_pacer_waits_for_the_reset_when_nothing_is_left():
    clock = Clock(1_800_000_000.0)
    pacer = RateLimitPacer("k", clock=clock, sleep=clock.sleep)
    pacer.observe(headers(25, 0, clock.now + 3))
    assert pacer.before_call() == pytest.approx(3.5)  # until the reset, plus slack for whole seconds
    assert pacer.before_call() == 0  # the window has reset: go, and learn the new budget


def test_the_pacer_counts_its_own_calls_between_answers():
    clock = Clock(1_800_000_000.0)
    pacer = RateLimitPacer("k", clock=clock, sleep=lambda s: None)
    pacer.observe(headers(100, 21, clock.now + 10))
    waits = [pacer.before_call() for _ in range(3)]
    assert waits[0] == 0 and waits[1] > 0 and waits[2] > waits[1]  # 21 -> 20 (a fifth) -> 19


def test_a_spent_budget_far_from_its_reset_raises_instead_of_sleeping():
    clock = Clock(1_800_000_000.0)
    pacer = RateLimitPacer("app", max_wait=60, clock=clock, sleep=clock.sleep)
    pacer.observe(headers(3600, 0, clock.now + 1800))
    with pytest.raises(ProcoreRateLimitError, match="spent until") as spent:
        pacer.before_call()
    assert clock.slept == [] and spent.value.reset_at == clock.now + 1800
    pacer.reset()
    assert pacer.before_call() == 0


def test_budget_headers_as_unix_time_or_seconds_from_now():
    assert read_budget(headers(25, 3, 1_800_000_010), 1_800_000_000).reset_at == 1_800_000_010
    assert read_budget(headers(25, 3, 7), 1_800_000_000).reset_at == 1_800_000_007
    assert read_budget({"X-Rate-Limit-Remaining": "x", "X-Rate-Limit-Reset": "1"}, 0) is None
    assert read_budget({}, 0) is None


# -- payloads --------------------------------------------------------------------------------------


def test_vendor_bodies_send_exact_amounts_and_iso_dates():
    body = vendor_body(
        {"name": "Granite", "origin_id": 10442, "notes": Decimal("12.50"), "since": date(2025, 3, 1)}
    )
    assert body == {"name": "Granite", "origin_id": "10442", "notes": "12.50", "since": "2025-03-01"}


def test_vendor_bodies_refuse_what_cannot_be_right_naming_record_and_field():
    with pytest.raises(ProcoreValidationError) as bad:
        vendor_body({"name": "", "origin_id": "JDE-V-9", "country_code": "Germany"})
    assert set(bad.value.fields) == {"name", "country_code"}
    assert "origin_id=JDE-V-9" in str(bad.value)
    with pytest.raises(ProcoreValidationError, match="'trades\\[0\\].share'"):
        vendor_body({"name": "X", "trades": [{"share": 0.5}]})


def test_names_match_apart_from_case_spacing_and_unicode_form():
    assert same_name("Müller  Baustoffe GmbH", "müller baustoffe gmbh")
    assert same_name("Ｍüller Baustoffe", "Müller Baustoffe")  # full-width letter, NFKC
    assert not same_name("Müller Baustoffe", "Mueller Baustoffe")
    assert search_term("ООО «Строймонтаж» Ltd") == "«Строймонтаж»"
