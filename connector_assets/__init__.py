"""ml-connector flows as Dagster assets.

Beta / preview warnings (partitioned asset checks, backfill policies) are re-printed by every run and
step subprocess; silence them here, before any submodule is imported, so the logs stay readable.

Every run, step and ``dagster`` command process imports this package, so it is also where the process
gets a fast exit: see ``atexit.register(gc.freeze)`` below.
"""

import atexit
import gc
import warnings

from dagster import BetaWarning, PreviewWarning

warnings.filterwarnings("ignore", category=BetaWarning)
warnings.filterwarnings("ignore", category=PreviewWarning)

# At exit the interpreter's shutdown runs the cyclic garbage collector over every object Dagster and the
# definitions made (~170,000), again and again as modules are torn down: 0.7 s CPU at the end of every
# run and step process, for memory the OS takes back anyway (bench/no_change_poll.py shows it
# as "interpreter_exit"). Freezing them first (``gc.freeze``: out of the collector's reach) makes the
# exit take milliseconds. Only the exit changes: atexit handlers run first-registered last, so logging's
# (registered by the dagster import above) still flushes every handler after this; objects are still
# freed by reference counting, and nothing is frozen while the process works.
atexit.register(gc.freeze)
