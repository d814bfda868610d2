"""The Procore pacer's own end of a spike window: a window that opened on our call ends ``window_seconds``
after its first answer (our clock), which can be up to a second and a half before the whole-second
``X-Rate-Limit-Reset`` plus slack. No HTTP: a hand-driven clock makes the waits exact."""

import pytest
from pacer_clock import Clock, headers

from connector_resources.procore.errors import ProcoreRateLimitError
from connector_resources.procore.ratelimit import RateLimitPacer

START = 1_800_000_000.3  # a fraction of a second past a whole second, as a real first call is


def test_a_window_opened_on_our_call_ends_ten_seconds_after_its_first_answer():
    clock = Clock(START)
    pacer = RateLimitPacer("k", clock=clock, sleep=clock.sleep)
    reset = 1_800_000_011  # whole seconds, rounded up from the window's real end (START + 10)
    pacer.observe(headers(25, 24, reset))  # our call opened the window
    clock.now += 2.0
    pacer.observe(headers(25, 0, reset))  # ... and the budget is spent 2 s later
    # Not until the reset plus slack (11.2 s): until the window's own end, 10 s after its first answer.
    assert pacer.before_call() == pytest.approx(8.0)
    assert pacer.before_call() == 0  # the window is over: go, and learn the new one


def test_the_last_fifth_is_spread_up_to_the_windows_own_end():
    clock = Clock(START)
    pacer = RateLimitPacer("k", clock=clock, sleep=clock.sleep)
    reset = 1_800_000_011
    pacer.observe(headers(25, 24, reset))
    clock.now += 5.0
    pacer.observe(headers(25, 4, reset))  # 5 s of the window left by our clock, 5.7 by the header
    assert pacer.before_call() == pytest.approx(1.0)  # 5 s over 5 slots


def test_a_window_another_client_opened_keeps_the_header_reset():
    clock = Clock(START)
    pacer = RateLimitPacer("k", clock=clock, sleep=clock.sleep)
    reset = 1_800_000_011
    pacer.observe(headers(25, 20, reset))  # calls we did not make came first: its start is unknown
    pacer.observe(headers(25, 0, reset))
    assert pacer.before_call() == pytest.approx(reset - START + 0.5)


def test_the_hourly_window_is_never_ended_early():
    clock = Clock(START)
    pacer = RateLimitPacer("app", max_wait=60, clock=clock, sleep=clock.sleep)
    reset = START + 3600
    pacer.observe(headers(3600, 3599, reset))  # a fresh hourly window: its reset is an hour away
    clock.now += 20.0
    pacer.observe(headers(3600, 0, reset))
    with pytest.raises(ProcoreRateLimitError, match="spent until"):
        pacer.before_call()
    assert clock.slept == []


def test_without_a_window_length_only_the_header_counts():
    clock = Clock(START)
    pacer = RateLimitPacer("k", window_seconds=None, clock=clock, sleep=clock.sleep)
    reset = 1_800_000_011
    pacer.observe(headers(25, 24, reset))
    pacer.observe(headers(25, 0, reset))
    assert pacer.before_call() == pytest.approx(reset - START + 0.5)


def test_the_last_calls_of_an_hourly_window_go_at_once_then_the_spent_budget_is_refused():
    clock = Clock(START)
    pacer = RateLimitPacer("app", max_wait=60, clock=clock, sleep=clock.sleep)
    pacer.observe(headers(3600, 3, START + 1800))  # 3 left, the reset half an hour away
    assert [pacer.before_call() for _ in range(3)] == [0, 0, 0]  # not one a minute: the end is the same
    with pytest.raises(ProcoreRateLimitError, match="spent until"):
        pacer.before_call()
    assert clock.slept == []


def test_a_window_resetting_within_max_wait_is_still_spread():
    clock = Clock(START)
    pacer = RateLimitPacer("app", max_wait=60, clock=clock, sleep=clock.sleep)
    pacer.observe(headers(3600, 3, START + 40))  # the hourly window too, once its reset is near
    assert pacer.before_call() == pytest.approx(10.0)  # 40 s over 4 slots
