"""``make dev``'s console keeps our lines, Dagster's warnings and errors (with their tracebacks) and the
records saying where the UI is and what runs; every line, daemon chatter included, is in the log file."""

from __future__ import annotations

import io
import subprocess
import sys

from connector_cli.dev_console import LOG_FILE, ConsoleFilter, start_pump

ESC = "\x1b"
LINES = [
    "Dagster UI: http://127.0.0.1:3000\n",
    f"{ESC}[32m2026-11-25 14:44:11 +0000{ESC}[0m - dagster-webserver - {ESC}[34mINFO{ESC}[0m - Serving "
    "dagster-webserver on http://127.0.0.1:3000 in process 2705\n",
    "2026-11-25 14:44:27 +0000 - dagster.daemon.SensorDaemon - INFO - Checking for new runs for sensor: x\n",
    "2026-11-25 14:44:27 +0000 - dagster.daemon.EventLogConsumerDaemon - WARNING - No cursor for event\n",
    "2026-11-25 14:44:28 +0000 - dagster.daemon.AssetDaemon - INFO - Prefetching asset records for 14.\n",
    "2026-11-25 14:44:48 +0000 - dagster.daemon.SensorDaemon - INFO - Launching run for inbox_sensor\n",
    "2026-11-25 14:44:49 +0000 - dagster.daemon.SchedulerDaemon - ERROR - Scheduler caught an error\n",
    "Traceback (most recent call last):\n",
    '  File "x.py", line 1, in <module>\n',
    "ValueError: boom\n",
    "2026-11-25 14:44:50 +0000 - dagster.daemon.MonitoringDaemon - DEBUG - heartbeat\n",
    "  continued debug detail\n",
    "2026-11-25 14:44:59 +0000 - dagster - INFO - Shutting down Dagster services...\n",
    # Dagster's interrupt landing in a GC callback of the stopping daemon (seen in CI): Python ignored it.
    "Exception ignored in: <function _collection_gced at 0x7f54db2f3100>\n",
    "Traceback (most recent call last):\n",
    '  File "registry.py", line 109, in _collection_gced\n',
    "KeyboardInterrupt: \n",
    "2026-11-25 14:45:00 +0000 - dagster - INFO - Dagster services shut down.\n",
    # A run still going when make dev was stopped: its worker was interrupted (seen by bench/first_day.py).
    "2026-11-25 14:45:01 +0000 - dagster - ERROR - fusion_procurify_suppliers - e712f11a - 19849 - "
    'RUN_FAILURE - Execution of run for "fusion_procurify_suppliers" failed. Execution was interrupted '
    "unexpectedly. No user initiated termination request was found, treating as failure.\n",
    "\n",
    "dagster._core.errors.DagsterExecutionInterruptedError\n",
    "\n",
    "Stack Trace:\n",
    '  File "limits.py", line 92, in acquire\n',
]


def test_the_console_gets_what_matters_and_the_log_gets_everything():
    log, console = io.StringIO(), io.StringIO()
    routed = ConsoleFilter(log, console)
    for line in LINES:
        routed.write(line)
    assert log.getvalue() == "".join(LINES)
    shown = console.getvalue()
    for kept in (
        "Dagster UI",
        "Serving dagster-webserver",
        "Launching run",
        "Scheduler caught an error",
        "Traceback",
        "ValueError: boom",
        "Dagster services shut down",
        'Execution of run for "fusion_procurify_suppliers" failed',
    ):
        assert kept in shown, kept
    for quiet in (
        "Checking for new runs",
        "No cursor",
        "Prefetching",
        "heartbeat",
        "continued debug detail",
        "Exception ignored",
        "_collection_gced",
        "KeyboardInterrupt",
        "Stack Trace",
        "DagsterExecutionInterruptedError",
        "limits.py",
    ):
        assert quiet not in shown, quiet
    assert shown.count("Traceback") == 1  # the scheduler's error keeps its traceback; the ignored one goes


def test_a_child_s_output_is_pumped_until_it_exits(tmp_path, capsys):
    script = "import sys; print('ours'); print('2026-11-25 14:44:27 +0000 - dagster.daemon - INFO - tick')"
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    thread, path, _daemon_stopped = start_pump(child.stdout, tmp_path)
    child.wait()
    thread.join(timeout=10)
    assert path == tmp_path / LOG_FILE and "tick" in path.read_text() and "ours" in path.read_text()
    shown = capsys.readouterr().out
    assert "ours" in shown and "tick" not in shown


def test_a_failure_of_ours_shows_its_message_and_leaves_its_frames_to_the_log_file():
    """A step that failed on purpose (``dagster.Failure``: a mostly refused day) keeps its record and message
    on the console, its frames (where the step raised it) in the log file; an error that is not ours keeps
    its stack trace on the console, since a developer needs it."""
    ours = [
        "2026-11-26 09:08:10 +0000 - dagster - ERROR - fusion_procurify_purchase_orders - 3c76 - 19612 - "
        'fusion_procurify__purchase_orders_written - STEP_FAILURE - Execution of step "w" failed.\n',
        "\n",
        "dagster._core.definitions.events.Failure: 19 of 34 purchase_order records for 2026-11-26 were "
        "refused (1 x Procurify account code M30.7110.01150 has no row in the account map)\n",
        "\n",
        "Stack Trace:\n",
        '  File "/x/dagster/_core/execution/plan/execute_plan.py", line 243, in dagster_event_sequence\n',
        "    yield from check.generator(step_events)\n",
        '  File "/x/connector_assets/flows/assets.py", line 437, in _written\n',
        "    raise Failure(share.message(), metadata=metadata, allow_retries=False)\n",
        "\n",
    ]
    not_ours = [
        "2026-11-26 09:09:10 +0000 - dagster - ERROR - jde_coupa_suppliers - 4d87 - 19613 - "
        'jde_coupa__suppliers_written - STEP_FAILURE - Execution of step "s" failed.\n',
        "\n",
        "KeyError: 'supplier'\n",
        "\n",
        "Stack Trace:\n",
        '  File "/x/connector_assets/flows/writer.py", line 12, in write\n',
    ]
    log, console = io.StringIO(), io.StringIO()
    routed = ConsoleFilter(log, console)
    for line in [*ours, *not_ours]:
        routed.write(line)
    assert log.getvalue() == "".join([*ours, *not_ours])
    shown = console.getvalue()
    assert 'Execution of step "w" failed' in shown
    assert "19 of 34 purchase_order records for 2026-11-26 were refused" in shown
    assert "execute_plan.py" not in shown and "raise Failure" not in shown
    assert shown.count("Stack Trace:") == 1  # the KeyError's, with its frame
    assert "KeyError: 'supplier'" in shown and "writer.py" in shown
