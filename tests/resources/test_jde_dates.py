"""JD Edwards date helpers: Julian CYYDDD, HHMMSS times, SimpleDateFormat patterns, lenient row dates.

Pure functions, so the edge cases are spelled out: the century digit, leap days and day 366, times
that lost their leading zeros, and the user date formats AIS hands out at login.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest

from connector_resources.jde.dates import (
    DatePattern,
    date_to_julian,
    hhmmss_to_time,
    jde_datetime,
    julian_to_date,
    parse_jde_date,
    parse_jde_time,
    pattern_from_jde_format,
    time_to_hhmmss,
)

# -- Julian CYYDDD ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("julian", "expected"),
    [
        (125032, date(2025, 2, 1)),  # the reference's example
        (99365, date(1999, 12, 31)),  # century digit 0, leading zero lost
        ("099365", date(1999, 12, 31)),  # the same as a zero-padded string
        (1, date(1900, 1, 1)),  # the first day JDE can express
        (100001, date(2000, 1, 1)),  # century digit 1
        (100060, date(2000, 2, 29)),  # 2000 is a leap year (divisible by 400)
        (100366, date(2000, 12, 31)),  # day 366 of a leap year
        (124366, date(2024, 12, 31)),
        (60, date(1900, 3, 1)),  # 1900 is not a leap year: day 60 is 1 March
        (200001, date(2100, 1, 1)),  # century digit 2
        (Decimal("125032"), date(2025, 2, 1)),
    ],
)
def test_julian_to_date(julian, expected):
    assert julian_to_date(julian) == expected


@pytest.mark.parametrize("blank", [0, "0", None, "", "   ", "000000"])
def test_julian_zero_and_blank_mean_no_date(blank):
    assert julian_to_date(blank) is None


@pytest.mark.parametrize(
    ("julian", "reason"),
    [
        (123366, "day 366 does not exist in 2023"),
        (366, "day 366 does not exist in 1900"),  # 1900: divisible by 100, not by 400
        (125000, "day 0"),
        (125400, "day 400"),
        (-125032, "must not be negative"),
        ("12a032", "must be digits"),
        (Decimal("125032.5"), "whole number"),
    ],
)
def test_julian_rejects_impossible_values(julian, reason):
    with pytest.raises(ValueError, match=reason):
        julian_to_date(julian)


def test_date_to_julian_examples_and_round_trip():
    assert date_to_julian(date(2025, 2, 1)) == 125032
    assert date_to_julian(date(1999, 12, 31)) == 99365
    assert date_to_julian(date(2000, 2, 29)) == 100060
    assert date_to_julian(datetime(2024, 12, 31, 23, 59)) == 124366
    # Every day across the 1999/2000 century change and two leap years survives the round trip.
    day = date(1999, 1, 1)
    while day < date(2001, 12, 31):
        assert julian_to_date(date_to_julian(day)) == day
        day += timedelta(days=1)


def test_date_before_1900_has_no_julian_form():
    with pytest.raises(ValueError, match="before 1900"):
        date_to_julian(date(1899, 12, 31))


# -- HHMMSS -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (93015, time(9, 30, 15)),  # leading zero lost, as AIS sends it
        ("093015", time(9, 30, 15)),
        ("93015", time(9, 30, 15)),
        (0, time(0, 0, 0)),
        (15, time(0, 0, 15)),
        (1500, time(0, 15, 0)),
        (235959, time(23, 59, 59)),
        (180000, time(18, 0, 0)),
        (Decimal("93015"), time(9, 30, 15)),
        ("09:30:15", time(9, 30, 15)),
        ("9:30", time(9, 30, 0)),
    ],
)
def test_hhmmss_to_time(value, expected):
    assert hhmmss_to_time(value) == expected


@pytest.mark.parametrize("value", [240000, 96000, 93060, 250000, -1, 1000000, "ab", "25:00:00", True])
def test_hhmmss_rejects_impossible_times(value):
    with pytest.raises(ValueError):
        hhmmss_to_time(value)


def test_time_to_hhmmss_round_trip():
    assert time_to_hhmmss(time(9, 30, 15)) == 93015
    assert time_to_hhmmss(datetime(2025, 2, 1, 18, 0, 0, 999)) == 180000
    for seconds in range(0, 86400, 997):
        moment = (datetime(2025, 1, 1) + timedelta(seconds=seconds)).time()
        assert hhmmss_to_time(time_to_hhmmss(moment)) == moment


def test_parse_jde_time_blanks_and_jde_datetime():
    assert parse_jde_time(None) is None
    assert parse_jde_time(" ") is None
    assert parse_jde_time(0) == time(0, 0, 0)
    assert jde_datetime(date(2025, 2, 1), 93015) == datetime(2025, 2, 1, 9, 30, 15)
    assert jde_datetime(date(2025, 2, 1), "180000") == datetime(2025, 2, 1, 18, 0, 0)
    assert jde_datetime(date(2025, 2, 1), time(7, 5, 3)) == datetime(2025, 2, 1, 7, 5, 3)
    assert jde_datetime(date(2025, 2, 1), None) == datetime(2025, 2, 1, 0, 0, 0)
    assert jde_datetime(None, 93015) is None


# -- SimpleDateFormat patterns -------------------------------------------------------------------------

FEB_1 = date(2025, 2, 1)


@pytest.mark.parametrize(
    ("pattern", "text"),
    [
        ("MM/dd/yyyy", "02/01/2025"),
        ("dd/MM/yyyy", "01/02/2025"),
        ("yyyy-MM-dd", "2025-02-01"),
        ("dd.MM.yy", "01.02.25"),
        ("yyyyMMdd", "20250201"),
        ("yyyy/MM/dd", "2025/02/01"),
        ("dd-MMM-yyyy", "01-Feb-2025"),
        ("d MMMM yyyy", "1 February 2025"),
        ("yyyyDDD", "2025032"),
        ("'Day' dd 'of' MM/yyyy", "Day 01 of 02/2025"),
        ("CYYDDD", "125032"),
    ],
)
def test_pattern_formats_and_parses_the_same_day(pattern, text):
    compiled = DatePattern(pattern)
    assert compiled.format(FEB_1) == text
    assert compiled.parse(text, today=date(2026, 6, 15)) == FEB_1


def test_us_and_european_patterns_read_the_same_text_differently():
    # The reason the user's own pattern must win: "01/02/2025" is 2 January in the US, 1 February in Europe.
    assert DatePattern("MM/dd/yyyy").parse("01/02/2025") == date(2025, 1, 2)
    assert DatePattern("dd/MM/yyyy").parse("01/02/2025") == date(2025, 2, 1)


def test_missing_leading_zeros_are_accepted_like_java():
    assert DatePattern("MM/dd/yyyy").parse("2/1/2025") == FEB_1
    assert DatePattern("dd.MM.yyyy").parse("1.2.2025") == FEB_1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("01.02.46", date(2046, 2, 1)),  # before 1946-06-15, the window start: next century
        ("01.07.46", date(1946, 7, 1)),  # inside the 80 years back
        ("15.06.46", date(1946, 6, 15)),  # the window's first day
        ("14.06.46", date(2046, 6, 14)),
        ("31.12.99", date(1999, 12, 31)),
        ("01.01.00", date(2000, 1, 1)),
        ("29.02.00", date(2000, 2, 29)),  # leap day in 2000, not the invalid 1900-02-29
        ("31.12.45", date(2045, 12, 31)),
    ],
)
def test_two_digit_years_follow_javas_80_20_window(text, expected):
    assert DatePattern("dd.MM.yy").parse(text, today=date(2026, 6, 15)) == expected


def test_two_digit_year_format_keeps_the_last_two_digits():
    assert DatePattern("dd.MM.yy").format(date(2005, 3, 9)) == "09.03.05"
    assert DatePattern("dd.MM.yy").format(date(1999, 12, 31)) == "31.12.99"


@pytest.mark.parametrize(
    ("pattern", "text"),
    [
        ("MM/dd/yyyy", "02/30/2025"),  # no 30 February
        ("MM/dd/yyyy", "13/01/2025"),  # no month 13
        ("MM/dd/yyyy", "2025-02-01"),  # another format entirely
        ("dd.MM.yy", "01/02/25"),  # wrong separator
        ("yyyyMMdd", "202502"),  # no day after the fixed-width year and month
        ("dd-MMM-yyyy", "01-Foo-2025"),
        ("yyyyDDD", "2023366"),
    ],
)
def test_pattern_refuses_text_that_is_not_a_date_in_it(pattern, text):
    with pytest.raises(ValueError):
        DatePattern(pattern).parse(text)


@pytest.mark.parametrize("pattern", ["", "HH:mm:ss", "MM/yyyy", "dd/MM", "yyyy-MM-dd HH:mm", "'unterminated"])
def test_unusable_patterns_are_refused_up_front(pattern):
    with pytest.raises(ValueError):
        DatePattern(pattern)


@pytest.mark.parametrize(
    ("code", "separator", "expected"),
    [
        ("MDE", "/", "MM/dd/yyyy"),  # the reference's pair: dateFormat MDE with simpleDateFormat MM/dd/yyyy
        ("DME", ".", "dd.MM.yyyy"),
        ("EMD", "-", "yyyy-MM-dd"),
        ("DMY", "/", "dd/MM/yy"),
        ("MDE", None, "MM/dd/yyyy"),
        ("mde", " ", "MM/dd/yyyy"),
    ],
)
def test_pattern_from_jde_format_codes(code, separator, expected):
    assert pattern_from_jde_format(code, separator) == expected
    DatePattern(expected)  # and the result is a usable pattern


@pytest.mark.parametrize("code", ["", "MD", "MDX", "MDEE"])
def test_unknown_jde_format_codes_are_refused(code):
    with pytest.raises(ValueError, match="date format code"):
        pattern_from_jde_format(code, "/")


# -- lenient row dates ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "pattern"),
    [
        ("02/01/2025", "MM/dd/yyyy"),  # the user's format (US)
        ("01/02/2025", "dd/MM/yyyy"),  # the user's format (Europe)
        ("01.02.25", "dd.MM.yy"),
        ("2025-02-01", "MM/dd/yyyy"),  # ISO, whatever the user's format
        ("2025-02-01T00:00:00.000+0000", "MM/dd/yyyy"),
        ("20250201", "dd/MM/yyyy"),  # compact
        (125032, "MM/dd/yyyy"),  # raw Julian number
        ("125032", "dd/MM/yyyy"),  # raw Julian string
        (" 02/01/2025 ", "MM/dd/yyyy"),
    ],
)
def test_row_dates_in_every_plausible_server_format_read_the_same(value, pattern):
    assert parse_jde_date(value, DatePattern(pattern), today=date(2026, 6, 15)) == FEB_1


@pytest.mark.parametrize("blank", [None, "", " ", "0", 0])
def test_blank_row_dates_are_none(blank):
    assert parse_jde_date(blank, DatePattern("MM/dd/yyyy")) is None


def test_unreadable_row_date_names_the_value_and_the_formats_tried():
    with pytest.raises(ValueError, match=r"'next Tuesday'.*MM/dd/yyyy.*yyyy-MM-dd.*yyyyMMdd.*CYYDDD"):
        parse_jde_date("next Tuesday", DatePattern("MM/dd/yyyy"))
    with pytest.raises(ValueError):
        parse_jde_date(True, DatePattern("MM/dd/yyyy"))
