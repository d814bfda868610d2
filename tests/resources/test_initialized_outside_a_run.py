"""A resource initialised outside a Dagster run (CLI, replay, ``make dev`` set-up) closes the ephemeral
instance Dagster opens for it before handing it over. ``process_config_and_initialize`` kept that instance
open for as long as the resource lived, and the garbage collector later closed its in-memory SQLite
connections on another thread: "SQLite objects created in a thread can only be used in that same thread"
tracebacks on ``make dev``'s console."""

from __future__ import annotations

import pytest
from dagster import DagsterInstance

from connector_assets.flows.replay_resources import resources_from_settings
from connector_resources.jde import JdeAisResource


@pytest.fixture
def ephemeral_instances(monkeypatch) -> list[DagsterInstance]:
    """Every ephemeral instance Dagster opens while the test runs."""
    opened: list[DagsterInstance] = []
    real = DagsterInstance.ephemeral

    def ephemeral(*args, **kwargs) -> DagsterInstance:
        opened.append(instance := real(*args, **kwargs))
        return instance

    monkeypatch.setattr(DagsterInstance, "ephemeral", staticmethod(ephemeral))
    return opened


def _still_open(instances: list[DagsterInstance]) -> list[DagsterInstance]:
    return [i for i in instances if not i._run_storage._held_conn.closed]  # noqa: SLF001 - what leaked


def test_a_resource_initialised_from_settings_holds_no_open_instance(ephemeral_instances):
    resource = JdeAisResource.initialized_from_settings(base_url="http://127.0.0.1:9/jderest")
    assert resource.base_url == "http://127.0.0.1:9/jderest"  # alive, and usable
    assert ephemeral_instances and not _still_open(ephemeral_instances)


def test_a_replay_s_resources_hold_no_open_instance(ephemeral_instances):
    resources = resources_from_settings(("jde", "coupa", "staging"))
    assert set(resources) == {"jde", "coupa", "staging"}
    assert len(ephemeral_instances) == 3 and not _still_open(ephemeral_instances)


def test_dagster_s_own_call_keeps_its_instance_open_while_the_resource_lives(ephemeral_instances):
    """The defect guarded against, on Dagster's own call, so the checks above can fail."""
    resource = JdeAisResource.from_settings(
        base_url="http://127.0.0.1:9/jderest"
    ).process_config_and_initialize()
    assert resource.base_url and _still_open(ephemeral_instances)
