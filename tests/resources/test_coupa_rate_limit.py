"""Coupa's rate limit (25 requests/s, bursts of 20, 429 without Retry-After) against the simulator.

The simulator's limiter is on in this module, as in real life; latency is added so that reaching the
ceiling takes requests in flight, as it does on the wire. What is asserted is what the client decided and
what happened, never how fast: every call the client sent was planned by its pacer (``planned_calls``:
the instant the pacer gave each one, on the pacer's own clock), and that plan, replayed through the
simulator's own limiter on those instants (``refused_by_coupa``), draws no 429; every record is read once,
every GET answered once. Whether the calls also *arrive* on that plan depends on the machine (a thread
waiting for the CPU sends late, and a late call can land beside the next one), as does the rate reached:
both are figures of ``bench/coupa_rate_limit.py`` (docs/performance.md, "Coupa's rate limit"), not asserts.
How the pacer learns a stricter limit from 429s is checked on a simulated clock
(``test_a_pacer_facing_a_stricter_server_learns_its_rate_from_few_429s``).
"""

# Fixtures are imported from test_coupa_support by name, and pytest passes them back as parameters.
# ruff: noqa: F811

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
import requests
from coupa_support import CoupaBox, _fresh_state, box, coupa  # noqa: F401  (fixtures by name)

from connector_resources.coupa import CoupaSession
from connector_resources.coupa import resource as coupa_resource
from connector_resources.coupa.pacing import DOCUMENTED_BURST, RATE_BURST, RATE_LIMIT, AdaptivePacer
from connector_sandbox.coupa.faults import RateLimiter

EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
INVOICE_GET = "GET /api/invoices/{id}"  # as the simulator counts it


def read_all(session: CoupaSession, entity: str, **kwargs) -> tuple[list[int], int]:
    """(ids read, HTTP calls) of one change-window read."""
    before = session.metrics.calls
    ids = [
        row["id"]
        for row in session.iter_changed(entity, EPOCH, datetime.now(UTC) + timedelta(days=1), **kwargs)
    ]
    return ids, session.metrics.calls - before


@dataclass
class PlannedCalls:
    """The instants the pacer gave the calls it let out (its clock: ``time.monotonic`` plus ``shift``),
    in the order it gave them; ``pacers``: the pacers made for the test, by key."""

    instants: list[float] = field(default_factory=list)
    pacers: dict[str, AdaptivePacer] = field(default_factory=dict)
    shift: float = 0.0

    def idle(self, seconds: float) -> None:
        """Let ``seconds`` pass on the pacers' clock (their buckets refill) without waiting for them."""
        self.shift += seconds


@pytest.fixture
def planned_calls(monkeypatch) -> PlannedCalls:
    """Every Coupa resource of the test paces with a pacer of its own (not the process's shared one, so
    nothing another test taught it carries over) whose every ``reserve`` (the first attempt's ``acquire``
    and each paced retry's) records the instant it planned the call for: the pacer's clock when asked,
    plus the wait it gave."""
    planned = PlannedCalls()
    now = threading.local()

    def clock() -> float:
        now.value = time.monotonic() + planned.shift
        return now.value

    def recording_pacer(key: str, ceiling: float, burst: int) -> AdaptivePacer:
        if key in planned.pacers:
            return planned.pacers[key]
        pacer = planned.pacers[key] = AdaptivePacer(key, ceiling, burst, clock=clock)
        reserve = pacer.reserve

        def recorded() -> float:
            wait = reserve()
            with lock:  # the clock was read in this thread, inside ``reserve``
                planned.instants.append(now.value + wait)
            return wait

        pacer.reserve = recorded  # type: ignore[method-assign]
        return pacer

    lock = threading.Lock()
    monkeypatch.setattr(coupa_resource, "shared_pacer", recording_pacer)
    return planned


def refused_by_coupa(instants: list[float], rate: float = RATE_LIMIT, burst: int = DOCUMENTED_BURST) -> int:
    """The calls of a plan the simulator's own limiter (a full bucket of ``burst`` at the first call,
    refilled at ``rate``; Coupa's documented 25/s and 20 unless told) would refuse, were each to arrive at
    its planned instant. (The rate is read a billionth higher: a plan at exactly a bucket's rate lands on
    its refill instants, where float rounding may leave 0.999... of a call.)"""
    limiter, rate = RateLimiter(), rate * (1 + 1e-9)
    return sum(not limiter.take("client", rate, burst, now=at).allowed for at in sorted(instants))


def sent_to_the_api(box: CoupaBox) -> int:
    """Calls the simulator received on its API routes (the token route is not rate limited)."""
    return sum(n for route, n in box.state()["calls"].items() if " /api/" in route)


def _count_slices(monkeypatch) -> list[int]:
    """``[n]``: the slices a read pages (its first one, plus every piece a split hands out)."""
    from connector_resources.coupa import paging

    made = [1]
    split = paging.SlicePager.split

    def counting(self, parts: int = 2):
        pieces = split(self, parts)
        made[0] += len(pieces)
        return pieces

    monkeypatch.setattr(paging.SlicePager, "split", counting)
    return made


def test_a_read_on_20_threads_sends_every_call_on_the_pacers_plan_which_coupa_admits_whole(
    box, monkeypatch, planned_calls
):
    """The shipped pacing (24/s, burst 18 of the documented 20, 20 threads) on a read of many pages: every
    call the read sent was planned by the pacer, and the plan fits Coupa's limit. The rate it reaches (the
    goal: within 10 % of 25/s) is ``bench/coupa_rate_limit.py``'s."""
    box.faults(rate_limit_enabled=True, rate_limit_per_second=25, rate_limit_burst=20, latency_ms=60)
    expected = {r["id"] for r in box.records("invoices")}
    page = 4  # only the page is smaller than shipped, to make many calls from little data
    resource = coupa(box, rate_per_second=24.0, page_size=page)
    assert (resource.rate_burst, resource.read_workers) == (18, 20)
    slices = _count_slices(monkeypatch)
    with resource.session() as session:
        box.admin("POST", "calls/reset")
        ids, calls = read_all(session, "invoices")
        throttled = session.metrics.statuses[429]
    fewest = len(ids) // page + 1  # calls a sequential read needs
    print(f"\n[coupa rate] read: {calls} calls for {fewest} pages, {slices[0]} id ranges, {throttled} x 429")
    assert ids == sorted(expected)  # every record once, in id order
    assert len(planned_calls.instants) == sent_to_the_api(box) == calls  # each call paced, retries too
    assert refused_by_coupa(planned_calls.instants) == 0
    assert box.state()["rate_limited"] == throttled  # every 429 Coupa sent reached the pacer
    # Id ranges cost at most one part-filled page each beyond a sequential read (a range that ends on
    # its last id costs none); how many ranges the read cuts depends on thread timing, so the bound
    # counts them, and the extra calls stay a small share of the read.
    assert calls <= fewest + slices[0]
    assert calls - fewest <= max(6, fewest // 5)


def test_a_server_stricter_than_the_pacing_is_learned_from_its_429s_and_the_read_finishes(box, planned_calls):
    """A budget a third of the documented one (e.g. shared with another integration): the read loses
    nothing, each 429 is retried through the pacer and teaches it. How few 429s it takes and how much of
    the allowed rate is kept: on a simulated clock below (and ``bench/coupa_rate_limit.py``)."""
    server_rate = 8
    box.faults(rate_limit_enabled=True, rate_limit_per_second=server_rate, rate_limit_burst=4, latency_ms=20)
    expected = {r["id"] for r in box.records("invoices")}
    resource = coupa(box, rate_per_second=24.0, rate_burst=4, page_size=4, read_workers=4, backoff_cap=10.0)
    with resource.session() as session:
        box.admin("POST", "calls/reset")
        ids, calls = read_all(session, "invoices")
        throttled = session.metrics.statuses[429]
        errors = session.metrics.errors
    (pacer,) = planned_calls.pacers.values()
    print(f"\n[coupa rate] stricter server: {calls} calls, {throttled} x 429")
    assert sorted(ids) == sorted(expected) and errors == 0
    assert box.state()["rate_limited"] == throttled == pacer.throttled  # each 429 reached the pacer
    assert len(planned_calls.instants) == sent_to_the_api(box) == calls  # retries paced too
    assert session.metrics.retries >= throttled  # each refused call was sent again


def _answer(status: int) -> requests.Response:
    answer = requests.Response()
    answer.status_code = status
    return answer


def test_a_pacer_facing_a_stricter_server_learns_its_rate_from_few_429s():
    """The pacer as shipped (24/s, here with a burst of 4) against a server admitting 8/s (burst 4), on a
    simulated clock: four callers, each sending its next call as soon as the pacer lets it and its
    answer is back (20 ms), a refused call sent again through the pacer (``PacedBackoff``, its jittered
    backoff left out). The pacer learns the server's rate from a few 429s, not one per call, and keeps
    most of it."""
    now = [0.0]
    pacer = AdaptivePacer("stricter", 24.0, 4, clock=lambda: now[0], sleep=lambda _: None)
    server, server_rate, latency = RateLimiter(), 8.0, 0.02
    free_at = [0.0] * 4  # when each caller has its answer and may ask again
    answered = throttled = sent = 0
    while answered < 400:
        caller = min(range(4), key=free_at.__getitem__)
        now[0] = max(now[0], free_at[caller])  # the clock never goes back: calls are planned in order
        at = now[0] + pacer.reserve()
        sent += 1
        if server.take("client", server_rate, 4, now=at).allowed:
            answered += 1
        else:
            throttled += 1
            now[0] = max(now[0], at)
            pacer.observe(_answer(429))
        free_at[caller] = at + latency
    kept = answered / max(free_at)
    assert 0 < throttled <= 0.25 * sent, (throttled, sent)  # paced down after the first few
    assert kept >= 0.75 * server_rate, kept  # while keeping most of the allowed rate (simulated seconds)
    assert pacer.throttled == throttled and pacer.rate < pacer.ceiling


def test_creates_fanned_out_over_threads_survive_429s_and_none_is_doubled(box):
    box.faults(rate_limit_enabled=True, rate_limit_per_second=5, rate_limit_burst=2)
    before = box.state()["row_counts"]["suppliers"]
    # Shipped pacing and backoff: the pacer learns the stricter limit from the first 429s.
    resource = coupa(box, rate_per_second=24.0, rate_burst=4, backoff_base=0.25, backoff_cap=10.0)
    names = [f"Throttled Supplier {n:02d}" for n in range(12)]
    with resource.session(flow="suppliers") as session, ThreadPoolExecutor(4) as pool:
        created = list(
            pool.map(lambda name: session.create_supplier({"name": name, "number": name[-2:] + "-T"}), names)
        )
        throttled = session.metrics.statuses[429]
    assert sorted(c["name"] for c in created) == names
    assert box.state()["row_counts"]["suppliers"] == before + len(names)
    assert throttled > 0  # a 429 proves nothing was done, so even a create is sent again


@pytest.mark.parametrize("status", [503, 502])
def test_a_storm_of_server_errors_is_retried_and_the_read_loses_nothing(box, status):
    box.faults(random_error_rate=0.3, random_error_status=status)
    expected = {r["id"] for r in box.records("purchase_orders")}
    with coupa(box, page_size=10, max_attempts=10).session() as session:
        ids, _ = read_all(session, "purchase_orders", workers=2)
        failures = session.metrics.statuses[status]
    assert sorted(ids) == sorted(expected)
    assert failures > 0 and session.metrics.retries >= failures


def _gets_at_once(session: CoupaSession, ids: list[int], threads: int) -> list[float]:
    """GET each invoice id from ``threads`` threads released together; the seconds the pacer held
    each call back (``AdaptivePacer.acquire`` returns it), in call order."""
    pacer = session._pacer
    assert pacer is not None
    acquire = pacer.acquire
    waits: list[float] = []
    lock = threading.Lock()

    def timed_acquire() -> float:
        waited = acquire()
        with lock:
            waits.append(waited)
        return waited

    gate = threading.Barrier(min(threads, len(ids)))

    def one(index: int) -> None:
        if index < threads:
            gate.wait()
        session.get("invoices", ids[index])

    pacer.acquire = timed_acquire  # type: ignore[method-assign]
    try:
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(one, range(len(ids))))
    finally:
        del pacer.acquire
    return waits


@pytest.mark.parametrize("burst", [None, 20])
def test_the_burst_goes_out_at_once_and_the_next_call_is_paced_on_a_plan_coupa_admits(
    box, burst, planned_calls
):
    """Shipped (None): 18 of Coupa's 20 (two kept for timing spread, ``pacing``); 20 when configured."""
    box.faults(rate_limit_enabled=True, rate_limit_per_second=25, rate_limit_burst=20, latency_ms=200)
    fields = {"rate_per_second": 24.0} | ({"rate_burst": burst} if burst else {})
    resource = coupa(box, **fields)
    size = resource.rate_burst
    assert size == (burst or 18)
    ids = [r["id"] for r in box.records("invoices")][: size + 1]
    with resource.session() as session:
        box.admin("POST", "calls/reset")  # a full bucket on the simulator's side
        planned_calls.idle(1.0)  # and on ours
        planned_calls.instants.clear()
        waits = sorted(_gets_at_once(session, ids, size + 1))
        throttled = session.metrics.statuses[429]
    state = box.state()
    paced = [round(w, 3) for w in waits if w]
    print(f"\n[coupa rate] burst {size}: {size + 1} GETs at once, pacer waits {paced}, {throttled} x 429")
    assert state["calls_by_status"][f"{INVOICE_GET} 200"] == size + 1  # each GET answered, once
    # The whole burst goes at once (the former burst of 4 at 24/s held the 18th back 0.58 s); whether
    # the next call waits depends on how long the threads took to line up (the pacing itself is
    # checked on a frozen clock below), never longer than one interval.
    assert waits[:size] == [0.0] * size
    assert waits[size] <= 1 / 24 + 1e-9
    # What Coupa sees of it: the plan (the first ``size + 1`` instants; a call Coupa refused, arriving off
    # plan on a busy machine, is planned again after them) never passes its limit.
    assert refused_by_coupa(planned_calls.instants[: size + 1]) == 0


def test_the_pacer_admits_its_burst_at_one_instant_then_one_call_per_interval():
    now = [100.0]
    pacer = AdaptivePacer("test", 24.0, RATE_BURST, clock=lambda: now[0], sleep=lambda _: None)
    assert RATE_BURST == 18 and DOCUMENTED_BURST == 20
    assert [pacer.reserve() for _ in range(RATE_BURST)] == [0.0] * RATE_BURST
    assert pacer.reserve() == pytest.approx(1 / 24)
    assert pacer.reserve() == pytest.approx(2 / 24)
    now[0] += 10.0  # idle: the bucket refills to the burst, not beyond
    assert [pacer.reserve() for _ in range(RATE_BURST)] == [0.0] * RATE_BURST
    assert pacer.reserve() > 0


def test_a_sustained_load_is_planned_at_the_burst_then_24_per_second_which_coupa_admits_whole(
    box, planned_calls
):
    """120 GETs from 20 threads: every call sent was planned by the pacer, the plan is its bucket (18 at
    once, then one every 1/24 s) and Coupa's limit admits all of it. The rate and 429s of the same load on
    the wire: ``bench/coupa_rate_limit.py`` (0 429s, 24/s after the burst, on the quiet machine)."""
    box.faults(rate_limit_enabled=True, rate_limit_per_second=25, rate_limit_burst=20, latency_ms=20)
    ids = [r["id"] for r in box.records("invoices")]
    calls = 120
    wanted = [ids[n % len(ids)] for n in range(calls)]
    resource = coupa(box, rate_per_second=24.0)
    with resource.session() as session:
        box.admin("POST", "calls/reset")
        planned_calls.idle(1.0)  # a full bucket on our side too
        planned_calls.instants.clear()
        _gets_at_once(session, wanted, 20)
        throttled = session.metrics.statuses[429]
    state = box.state()
    print(f"\n[coupa rate] sustained: {calls} GETs from 20 threads, {throttled} x 429")
    assert state["calls_by_status"][f"{INVOICE_GET} 200"] == calls  # each GET answered, once
    assert len(planned_calls.instants) == state["calls"][INVOICE_GET]  # each call sent was paced
    assert refused_by_coupa(planned_calls.instants, 24.0, RATE_BURST) == 0  # the pacer's own bucket
    assert refused_by_coupa(planned_calls.instants) == 0  # within Coupa's: never above what it admits
