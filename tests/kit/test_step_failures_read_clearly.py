"""A write step whose target refuses the login or is unreachable fails with a ``dagster.Failure`` saying so
in words (the token fetch failed after N attempts, the credentials were refused), not as an exception shown
with Dagster's "Error occurred while executing op" and the stack traces of every error in its chain."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import requests
from dagster import DagsterEventType, materialize
from instances import instance_for_test
from jde_coupa_parts import jde_coupa_assets
from jde_coupa_world import jde_coupa_world

from connector_assets.jde.assets import jde_assets

DAY = (date.today() - timedelta(days=21)).isoformat()  # the JDE sandbox's busy day
SOURCES = ("jde/suppliers", "jde/address_book", "jde_coupa/suppliers_mapped")
WRITTEN = "jde_coupa/suppliers_written"


def _assets(*names: str) -> list:
    return [a for a in [*jde_assets, *jde_coupa_assets] if a.key.to_user_string() in names]


@pytest.fixture
def world(tmp_path):
    with jde_coupa_world(tmp_path) as world:
        yield world


def _write_step_failure(world, resources, **faults: object):
    """The write step's failure event when Coupa answers its login with ``faults`` (none: as configured)."""
    with instance_for_test() as instance:
        staged = materialize(_assets(*SOURCES), resources=resources, instance=instance, partition_key=DAY)
        assert staged.success
        if faults:
            requests.post(f"{world.coupa_url}/sandbox/faults", json=faults, timeout=10).raise_for_status()
        result = materialize(
            _assets(WRITTEN), resources=resources, instance=instance, partition_key=DAY, raise_on_error=False
        )
        requests.post(f"{world.coupa_url}/sandbox/faults/reset", timeout=10)
    assert not result.success
    [failure] = [e for e in result.all_events if e.event_type == DagsterEventType.STEP_FAILURE]
    return failure.step_failure_data


def _reads_as_a_failure_in_words(data) -> str:
    """The failure is a ``dagster.Failure`` whose description is the message, with no error chained under it
    (no "Error occurred while executing op", no stack trace of the client's error or of its causes)."""
    assert data.user_failure_data is not None, data.error_display_string
    description = data.user_failure_data.description
    shown = data.error_display_string
    assert data.error.cls_name == "Failure" and data.error.cause is None and data.error.context is None
    assert "Error occurred while executing op" not in shown
    assert shown.count("Stack Trace:") == 1  # the Failure's own frames, which Dagster always records
    assert "connector_resources" not in shown  # none of the client's frames
    return description


def test_a_token_fetch_that_fails_after_its_attempts_is_a_failure_in_words(world) -> None:
    data = _write_step_failure(world, world.resources, fail_next=10_000, fail_next_status=503)
    description = _reads_as_a_failure_in_words(data)
    assert description.startswith("jde_coupa/suppliers_written failed with a transient")
    assert "could not get an access token (HTTP 503) after 8 attempt(s)" in description
    assert "Rerun it once the system is back." in description


def test_refused_credentials_are_a_failure_in_words(world) -> None:
    coupa = world.resources["coupa"]
    refused = {**world.resources, "coupa": type(coupa)(**{**coupa.model_dump(), "client_secret": "wrong"})}
    description = _reads_as_a_failure_in_words(_write_step_failure(world, refused))
    assert "jde_coupa/suppliers_written failed with a configuration error" in description
    assert "rejected client ml-connector-sandbox" in description
    assert "Check the client id and secret" in description
