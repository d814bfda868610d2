"""Coupa's rate limit (25 requests/s, bursts of 20, 429 without Retry-After) against the simulator.

Each test prints one line with the achieved request rate and the 429 count (``pytest -s`` shows it;
it is also recorded as a test property). The simulator's limiter is on in this module, as in real
life; latency is added so that reaching the ceiling takes requests in flight, as it does on the wire.
"""

# Fixtures are imported from test_coupa_support by name, and pytest passes them back as parameters.
# ruff: noqa: F811

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from test_coupa_support import CoupaBox, _fresh_state, box, coupa  # noqa: F401  (fixtures by name)

from connector_resources.coupa import CoupaSession

EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
COUPA_LIMIT = 25.0


def timed_read(session: CoupaSession, entity: str, **kwargs) -> tuple[list[int], int, float]:
    """(ids read, HTTP calls, seconds) of one change-window read."""
    before = session.metrics.calls
    started = time.monotonic()
    ids = [
        row["id"]
        for row in session.iter_changed(entity, EPOCH, datetime.now(UTC) + timedelta(days=1), **kwargs)
    ]
    return ids, session.metrics.calls - before, time.monotonic() - started


def report(record_property, label: str, calls: int, seconds: float, throttled: int) -> float:
    rate = calls / seconds
    print(f"\n[coupa rate] {label}: {calls} calls in {seconds:.2f}s = {rate:.1f} req/s, {throttled} x 429")
    record_property(f"{label}_req_per_s", round(rate, 2))
    record_property(f"{label}_429s", throttled)
    return rate


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


def test_default_pacing_reaches_the_ceiling_within_10_percent_without_a_single_429(
    box, record_property, monkeypatch
):
    box.faults(rate_limit_enabled=True, rate_limit_per_second=25, rate_limit_burst=20, latency_ms=60)
    expected = {r["id"] for r in box.records("invoices")}
    # Pacing as shipped (24/s, burst 4); only the page is smaller, to make many calls from little data.
    page = 4
    resource = coupa(box, rate_per_second=24.0, rate_burst=4, page_size=page, read_workers=4)
    slices = _count_slices(monkeypatch)
    with resource.session() as session:
        ids, calls, seconds = timed_read(session, "invoices")
        throttled = session.metrics.statuses[429]
    rate = report(record_property, "default_pacing", calls, seconds, throttled)
    fewest = len(ids) // page + 1  # calls a sequential read needs
    print(
        f"[coupa rate] default_pacing: {len(ids) / seconds:.0f} rows/s, {calls} calls for {fewest} pages, "
        f"{slices[0]} slices"
    )
    assert sorted(ids) == sorted(expected)
    assert throttled == 0
    assert rate >= 0.9 * COUPA_LIMIT
    # Parallel slices cost one part-filled page each beyond a sequential read, and no more: how many
    # slices the work-stealing read makes depends on thread timing (idle workers split busy slices), so
    # the bound counts them rather than assuming a fixed share.
    assert calls <= fewest + slices[0]
    assert slices[0] <= 4 * 4  # few: at most four per worker


def test_a_server_stricter_than_the_pacing_is_learned_from_few_429s_and_the_read_finishes(
    box, record_property
):
    server_rate = 8  # a budget a third of the documented one, e.g. shared with another integration
    box.faults(rate_limit_enabled=True, rate_limit_per_second=server_rate, rate_limit_burst=4, latency_ms=20)
    expected = {r["id"] for r in box.records("invoices")}
    resource = coupa(box, rate_per_second=24.0, rate_burst=4, page_size=4, read_workers=4, backoff_cap=10.0)
    with resource.session() as session:
        ids, calls, seconds = timed_read(session, "invoices")
        throttled = session.metrics.statuses[429]
        errors = session.metrics.errors
    report(record_property, "stricter_server", calls, seconds, throttled)
    accepted = (calls - throttled) / seconds
    print(f"[coupa rate] stricter_server: {accepted:.1f} accepted req/s against a limit of {server_rate}/s")
    assert sorted(ids) == sorted(expected) and errors == 0
    assert 0 < throttled <= 0.25 * calls  # paced down after the first few, not tripping on every call
    assert box.state()["rate_limited"] >= throttled
    assert accepted >= 0.75 * server_rate  # while keeping most of the allowed rate


def test_creates_fanned_out_over_threads_survive_429s_and_none_is_doubled(box, record_property):
    box.faults(rate_limit_enabled=True, rate_limit_per_second=5, rate_limit_burst=2)
    before = box.state()["row_counts"]["suppliers"]
    # Shipped pacing and backoff: the pacer learns the stricter limit from the first 429s.
    resource = coupa(box, rate_per_second=24.0, rate_burst=4, backoff_base=0.25, backoff_cap=10.0)
    names = [f"Throttled Supplier {n:02d}" for n in range(12)]
    started = time.monotonic()
    with resource.session(flow="suppliers") as session, ThreadPoolExecutor(4) as pool:
        created = list(
            pool.map(lambda name: session.create_supplier({"name": name, "number": name[-2:] + "-T"}), names)
        )
        throttled = session.metrics.statuses[429]
        calls = session.metrics.calls
    report(record_property, "throttled_creates", calls, time.monotonic() - started, throttled)
    assert sorted(c["name"] for c in created) == names
    assert box.state()["row_counts"]["suppliers"] == before + len(names)
    assert throttled > 0  # a 429 proves nothing was done, so even a create is sent again


@pytest.mark.parametrize("status", [503, 502])
def test_a_storm_of_server_errors_is_retried_and_the_read_loses_nothing(box, status):
    box.faults(random_error_rate=0.3, random_error_status=status)
    expected = {r["id"] for r in box.records("purchase_orders")}
    with coupa(box, page_size=10, max_attempts=10).session() as session:
        ids, calls, _ = timed_read(session, "purchase_orders", workers=2)
        failures = session.metrics.statuses[status]
    assert sorted(ids) == sorted(expected)
    assert failures > 0 and session.metrics.retries >= failures
