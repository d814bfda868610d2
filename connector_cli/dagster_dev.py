"""``python -m connector_cli.dagster_dev -w workspace.yaml -h HOST -p PORT``: ``dg dev`` whose daemon is
``connector_cli.dagster_daemon`` (the backfill loop set by ``ML_BACKFILL_LOOP_SECONDS``).

Why a wrapper: ``dg dev`` (Dagster's ``dev_command_impl``) starts the webserver, a shared code server and
``python -m dagster._daemon run``, with no option to start another daemon command. This runs ``dg dev`` in
this process with that one command swapped; everything else (the code server proxy, shutdown pipes,
signals, logs) is Dagster's own. ``ml-connector dev`` and the end-to-end tests' server start it.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

from connector_assets.runtime import dagster_compat

DAGSTER_DAEMON = ("-m", "dagster._daemon")
OUR_DAEMON = ("-m", "connector_cli.dagster_daemon")


def with_our_daemon(command: Sequence[str]) -> list[str]:
    """``command`` with Dagster's daemon module replaced by ours; any other command unchanged."""
    parts = list(command)
    if tuple(parts[1:3]) == DAGSTER_DAEMON:
        parts[1:3] = OUR_DAEMON
    return parts


def install() -> None:
    """Make ``dev_command_impl`` start our daemon. On a Dagster whose dev command no longer starts its
    daemon through ``open_ipc_subprocess``, ``dg dev`` stays Dagster's own, with one warning."""
    dagster_dev = dagster_compat.dev_command_module()
    if dagster_dev is None:  # warned once by dagster_compat
        return
    start = getattr(dagster_dev, "open_ipc_subprocess", None)
    if start is None:
        dagster_compat.missing(
            "dagster._cli.dev.open_ipc_subprocess", "dg dev starts Dagster's own daemon, with its 30 s loop"
        )
        return

    def start_process(parts: Sequence[str], **kwargs: Any) -> Any:
        return start(with_our_daemon(parts), **kwargs)

    # Dagster's function, replaced on purpose in a module typed as a plain module (its attributes unknown).
    dagster_dev.open_ipc_subprocess = start_process  # pyright: ignore[reportAttributeAccessIssue]


def main(argv: Sequence[str] | None = None) -> None:
    install()
    from dagster_dg_cli.cli import cli

    cli(["dev", *(sys.argv[1:] if argv is None else argv)], prog_name="dg", auto_envvar_prefix="DAGSTER_DG")


if __name__ == "__main__":
    main()
