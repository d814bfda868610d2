"""Newer wins between the two records of a pair synced both ways (``flows.pair_sync``), alone (no I/O)."""

from datetime import UTC, datetime, timedelta

from connector_assets.flows import pair_sync


def test_newer_wins_only_when_both_sides_changed_since_the_last_sync():
    since = datetime(2026, 1, 5, 12, 0, 0, 500_000, tzinfo=UTC)
    later, much_later = since + timedelta(minutes=1), since + timedelta(minutes=2)
    assert pair_sync.decide("Procore", later, "JDE", since - timedelta(hours=1), since).writes
    lost = pair_sync.decide("Procore", later, "JDE", much_later, since)
    assert not lost.writes
    assert lost.conflict == (
        "conflict: JDE edit at 2026-01-05 12:02:00 UTC is newer than the Procore edit at "
        "2026-01-05 12:01:00 UTC; JDE wins"
    )
    won = pair_sync.decide("JDE", much_later, "Procore", later, since)
    assert won.writes and won.conflict.endswith("JDE wins")
    # A stamp before the second of the last sync is our own write coming back.
    assert pair_sync.only_ours(since.replace(microsecond=0) - timedelta(seconds=1), since)
    assert not pair_sync.only_ours(since.replace(microsecond=0), since)
