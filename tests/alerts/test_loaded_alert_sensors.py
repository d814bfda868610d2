"""The alert sensors of the loaded definitions tick against a fresh instance and ledger: with no channel
they skip saying so; with one they start their cursors; every `_written` asset carries the freshness
policy the stale-flow alert stands on."""

from __future__ import annotations

import pytest
from alert_channels import Received
from dagster import SkipReason, build_sensor_context
from instances import instance_for_test

from connector_assets.definitions import defs
from connector_resources.ledger import LedgerResource

SENSORS = ("alert_on_failed_records", "alert_on_stale_flow", "alert_on_held_records")


def _ticks(tmp_path) -> dict[str, object]:
    resources = {"ledger": LedgerResource(db_url=f"sqlite:///{tmp_path / 'ledger.sqlite'}")}
    out = {}
    with instance_for_test() as instance:
        for name in SENSORS:
            sensor = defs.resolve_sensor_def(name)
            with build_sensor_context(instance=instance, definitions=defs, resources=resources) as context:
                out[name] = sensor(context)
    return out


def test_without_a_channel_the_alert_sensors_skip(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    for env in ("ML_ALERT_SLACK_WEBHOOK_URL", "ML_ALERT_TEAMS_WEBHOOK_URL", "ML_ALERT_EMAIL_TO"):
        monkeypatch.delenv(env, raising=False)
    ticks = _ticks(tmp_path)
    for name in ("alert_on_failed_records", "alert_on_stale_flow"):
        assert isinstance(ticks[name], SkipReason) and "no alert channel" in ticks[name].skip_message
    # The held records are still recorded as operations/ledger_health's check, for the UI.
    assert ticks["alert_on_held_records"].asset_events[0].passed


def test_with_a_channel_they_start_from_now(received: Received, tmp_path) -> None:
    ticks = _ticks(tmp_path)
    assert all(not isinstance(tick, SkipReason) and tick.cursor for tick in ticks.values())
    assert not received.http.requests and not received.mails()


def test_every_written_asset_has_the_freshness_policy() -> None:
    graph = defs.get_repository_def().asset_graph
    written = [key for key in graph.get_all_asset_keys() if key.path[-1].endswith("_written")]
    assert written and all(graph.get(key).freshness_policy is not None for key in written)
