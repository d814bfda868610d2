"""``python -m connector_cli.dagster_daemon run``: Dagster's daemon with a shorter backfill loop.

Why: Dagster's backfill daemon looks for work every 30 s, a module constant no ``dagster.yaml`` key or
environment variable sets (docs/backfill_mechanisms.md, section 1a). A backfill waits for that loop before
its run is submitted and again before it is marked done, which is most of what a short backfill costs. This
entry point sets the loop to ``ML_BACKFILL_LOOP_SECONDS`` and then runs Dagster's own daemon command,
unchanged otherwise. ``ml-connector dev`` (``connector_cli.dagster_dev``) starts it in place of
``dagster-daemon``; a deployment runs it the same way (docs/deployment.md). The asset daemon's own minimum
interval, which defaults to the same constant, is set in dagster.yaml (``auto_materialize:
minimum_interval_seconds``), so it is not shortened with it.
"""

from __future__ import annotations

import sys

from connector_assets.runtime import dagster_compat
from connector_resources import settings

LOOP_ENV = "ML_BACKFILL_LOOP_SECONDS"


def shorten_backfill_loop() -> int | None:
    """Set Dagster's daemon loop constant (read by the backfill loop when it starts); answers the
    seconds set. On a Dagster without the constant the loop stays Dagster's (None; ``dagster_compat``
    warns once)."""
    seconds = int(float(settings.read(LOOP_ENV)))
    controller = dagster_compat.daemon_controller()
    if controller is None:
        return None
    controller.DEFAULT_DAEMON_INTERVAL_SECONDS = seconds
    return seconds


def main() -> None:
    shorten_backfill_loop()
    dagster_daemon = dagster_compat.daemon_command()
    sys.argv[0] = "dagster-daemon"
    dagster_daemon()


if __name__ == "__main__":
    main()
