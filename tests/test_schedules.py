"""Poll schedules: today's partition every tick, yesterday closed once after midnight."""

from datetime import UTC, datetime

from dagster import build_schedule_context

from connector_assets.definitions import defs


def _requests(name: str, at: datetime):
    with build_schedule_context(
        scheduled_execution_time=at, repository_def=defs.get_repository_def()
    ) as context:
        return defs.resolve_schedule_def(name).evaluate_tick(context).run_requests


def test_a_daytime_tick_polls_today_only():
    [request] = _requests("jde_poll_schedule", datetime(2026, 11, 21, 10, 0, tzinfo=UTC))
    assert request.partition_key == "2026-11-21"
    assert request.run_key == "poll-2026-11-21T10:00"


def test_the_first_tick_after_midnight_also_closes_yesterday():
    requests = _requests("jde_poll_schedule", datetime(2026, 11, 22, 0, 0, tzinfo=UTC))
    assert [(r.partition_key, r.run_key) for r in requests] == [
        ("2026-11-22", "poll-2026-11-22T00:00"),
        ("2026-11-21", "close-2026-11-21"),  # a fixed run key: Dagster launches it only once
    ]


def test_gl_accounts_refresh_daily():
    [request] = _requests("jde_gl_accounts_schedule", datetime(2026, 11, 21, 5, 0, tzinfo=UTC))
    assert request.run_key == "gl-2026-11-21" and request.partition_key is None
