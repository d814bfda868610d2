"""``python -m connector_cli.dagster_daemon run``: Dagster's daemon with a shorter backfill loop.

Why: Dagster's backfill daemon looks for work every 30 s, a module constant no ``dagster.yaml`` key or
environment variable sets (docs/backfill_mechanisms.md, section 1a). A backfill waits for that loop before
its run is submitted and again before it is marked done, which is most of what a short backfill costs. This
entry point sets the loop to ``ML_BACKFILL_LOOP_SECONDS`` and then runs Dagster's own daemon command,
unchanged otherwise. ``ml-connector dev`` (``connector_cli.dagster_dev``) starts it in place of
``dagster-daemon``; a deployment runs it the same way (docs/deployment.md). The asset daemon's own minimum
interval, which defaults to the same constant, is set in dagster.yaml (``auto_materialize:
minimum_interval_seconds``), so it is not shortened with it.

It also says when its loops have stopped (``say_when_stopped``), which ``make dev``'s Ctrl-C waits for
(``connector_cli.dev_shutdown``).
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

from connector_assets.runtime import dagster_compat
from connector_cli.dev_shutdown import DAEMON_STOPPED
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
    # A module constant of Dagster's, set on purpose (dagster_compat checked it is there): typed as a plain
    # module, whose attributes a checker cannot know.
    controller.DEFAULT_DAEMON_INTERVAL_SECONDS = seconds  # pyright: ignore[reportAttributeAccessIssue]
    return seconds


def say_when_stopped() -> bool:
    """Make the daemon say on its output when its loops have stopped; whether it could be set.

    Why: ``make dev``'s Ctrl-C stops the daemon first and waits until it launches nothing more
    (``connector_cli.dev_shutdown``). Under ``dg dev`` the daemon, its loops stopped, stays alive until
    ``dg dev`` says shutdown on a pipe (``dg dev`` takes a daemon that exits before that for a crash and
    stops everything at once), so its exit cannot be what ``make dev`` waits for. The pipe's watcher here is
    Dagster's (``dagster_shared.ipc``: interrupt on the word), and on the way out, before waiting for
    ``dg dev``'s word as Dagster's does, it prints ``DAEMON_STOPPED``, which ``make dev`` reads.
    """
    lost = "make dev's Ctrl-C waits its full time for the daemon to stop"
    cli = dagster_compat.private_module("dagster._daemon.cli", lost)
    word = dagster_compat.private("dagster_shared.ipc", "_PIPE_SHUTDOWN_INDICATOR", None, lost)
    interrupt = dagster_compat.private("dagster_shared.ipc", "send_interrupt", None, lost)
    if (
        cli is None
        or word is None
        or interrupt is None
        or not hasattr(cli, "interrupt_on_ipc_shutdown_message")
    ):
        return False

    def interrupt_on_shutdown(pipe_fd: int) -> AbstractContextManager[None]:
        return watching_shutdown_pipe(pipe_fd, word, interrupt)

    # Dagster's function, replaced on purpose (checked present above) in a module typed as a plain module.
    cli.interrupt_on_ipc_shutdown_message = interrupt_on_shutdown  # pyright: ignore[reportAttributeAccessIssue]
    return True


@contextmanager
def watching_shutdown_pipe(pipe_fd: int, word: str, interrupt: Callable[[], None]) -> Iterator[None]:
    """Interrupt this process when ``word`` comes down the pipe; on the way out, say ``DAEMON_STOPPED`` and
    wait until the pipe has said ``word`` or closed (``dg dev`` stopping)."""
    ended = threading.Event()

    def watch() -> None:
        with open(pipe_fd, encoding="utf-8") as pipe:
            for line in pipe:
                if word in line.strip():
                    ended.set()
                    interrupt()
                    return
        ended.set()  # closed: dg dev is gone

    threading.Thread(target=watch, name="dg-dev-shutdown-pipe", daemon=True).start()
    try:
        yield
    finally:
        print(DAEMON_STOPPED, flush=True)
        ended.wait()


def main() -> None:
    shorten_backfill_loop()
    say_when_stopped()
    dagster_daemon = dagster_compat.daemon_command()
    sys.argv[0] = "dagster-daemon"
    dagster_daemon()


if __name__ == "__main__":
    main()
