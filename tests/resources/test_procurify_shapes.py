"""The Procurify client's readers for the answer shapes the reference leaves open, as plain functions.

The reference (§2.2, §3.7, §3.12) confirms the ``{metadata, data}`` envelope but not the error
body, the timestamp precision or whether every server pages the same way; the client must read
every plausible form the same. These are the pure readers; the end-to-end behaviour is in
``test_procurify_client.py``.
"""

from __future__ import annotations

import pickle
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from connector_resources.procurify import ProcurifyProtocolError, ProcurifyValidationError, parse_timestamp
from connector_resources.procurify.errors import describe_fields, field_messages, server_said
from connector_resources.procurify.paging import parse_page
from connector_resources.procurify.values import day_range, iso_z, json_body, query_value


def test_every_timestamp_form_reads_as_the_same_utc_instant():
    moment = datetime(2025, 3, 4, 18, 22, 10, 511000, tzinfo=UTC)
    for text in (
        "2025-03-04T18:22:10.511Z",
        "2025-03-04T18:22:10.511000Z",
        "2025-03-04T18:22:10.511+00:00",
        "2025-03-04T10:22:10.511-08:00",
        "2025-03-04T18:22:10.511",
    ):
        assert parse_timestamp(text) == moment, text
    assert parse_timestamp("2025-03-04") == datetime(2025, 3, 4, tzinfo=UTC)
    assert parse_timestamp(None) is None and parse_timestamp("") is None
    with pytest.raises(ValueError):
        parse_timestamp("04/03/2025 18:22")
    assert iso_z(moment) == "2025-03-04T18:22:10.511000Z"
    assert iso_z(moment.replace(microsecond=0)) == "2025-03-04T18:22:10Z"


def test_day_filters_cover_the_window_with_slack_for_an_unknown_server_time_zone():
    start = datetime(2025, 3, 4, tzinfo=UTC)
    assert day_range(start, datetime(2025, 3, 5, tzinfo=UTC), 0) == (date(2025, 3, 4), date(2025, 3, 4))
    assert day_range(start, datetime(2025, 3, 5, 0, 0, 1, tzinfo=UTC), 1) == (
        date(2025, 3, 3),
        date(2025, 3, 6),
    )


def test_lists_in_every_plausible_envelope_read_alike():
    rows = [{"id": 1}, {"id": 2}]
    procurify = {
        "metadata": {"pagination": {"count": 3, "next": "https://x/?page=2", "current_page": 1}},
        "data": rows,
    }
    drf = {"count": 3, "next": None, "previous": None, "results": rows}
    numbered = {"metadata": {"pagination": {"count": 3, "num_pages": 2, "current_page": 1}}, "data": rows}
    assert parse_page(procurify, "read x", 1).has_next is True
    assert parse_page(drf, "read x", 1).has_next is False
    assert parse_page(numbered, "read x", 1).has_next is True
    assert parse_page(rows, "read x", 1).count is None
    assert parse_page({"metadata": {"pagination": {"count": Decimal("3")}}, "data": []}, "x", 1).count == 3
    with pytest.raises(ProcurifyProtocolError, match="answered page 1 when asked for page 2"):
        parse_page(procurify, "read x", 2)
    with pytest.raises(ProcurifyProtocolError, match="no list of records"):
        parse_page({"metadata": {}, "data": {"id": 1}}, "read x", 1)
    with pytest.raises(ProcurifyProtocolError, match="non-object at row 1"):
        parse_page({"data": [{"id": 1}, 7]}, "read x", 1)


def test_error_bodies_flatten_to_field_paths_in_every_style():
    drf = {
        "email": {"1": ["Enter a valid email address."]},
        "line_items": [
            {},
            {"vendor_name": ["Vendor does not exist."], "unit_price": ["A valid number is required."]},
        ],
        "non_field_errors": ["The fields branch, name must make a unique set."],
    }
    expected = {
        "email[1]": ["Enter a valid email address."],
        "line_items[1].vendor_name": ["Vendor does not exist."],
        "line_items[1].unit_price": ["A valid number is required."],
        "non_field_errors": ["The fields branch, name must make a unique set."],
    }
    assert field_messages(drf) == expected
    assert field_messages({"metadata": {}, "errors": drf}) == expected
    assert field_messages(["Only a list."]) == {"non_field_errors": ["Only a list."]}
    assert (
        server_said({"error": "access_denied", "error_description": "Unauthorized"})
        == "access_denied: Unauthorized"
    )
    assert server_said({"metadata": {}, "errors": {"detail": "Invalid token."}}) == "Invalid token."
    assert (
        describe_fields({f"f{i}": ["bad"] for i in range(10)}, limit=2)
        == "f0: bad; f1: bad; (+8 more fields)"
    )


def test_amounts_go_out_as_exact_strings_and_floats_are_refused_by_name():
    body = json_body(
        {"unit_price": Decimal("24.50"), "quantity": 10, "required_date": date(2025, 4, 1), "tags": ["a"]},
        "line",
    )
    assert body == {"unit_price": "24.50", "quantity": 10, "required_date": "2025-04-01", "tags": ["a"]}
    with pytest.raises(ProcurifyValidationError) as caught:
        json_body({"line_items": [{"price": Decimal(1)}, {"price": 0.1}]}, "requisition 'JDE 1'")
    error = caught.value
    assert error.fields == {
        "line_items[1].price": ("0.1 is a binary float; pass amounts as Decimal, int or a decimal string",)
    }
    assert not error.from_server and error.record == "requisition 'JDE 1'"
    assert pickle.loads(pickle.dumps(error)).fields == error.fields
    with pytest.raises(ProcurifyValidationError, match="not a finite number"):
        json_body({"x": Decimal("NaN")}, "r")
    assert query_value(True, "active") == "true"
    assert query_value(datetime(2025, 3, 4, 1, tzinfo=UTC), "updated_at_after") == "2025-03-04T01:00:00Z"
    with pytest.raises(ProcurifyValidationError, match=r"filter: total_0: 1\.5 is a binary float"):
        query_value(1.5, "total_0")
