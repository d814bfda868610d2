"""One webhook receiver process per SQLite ledger.

Several receiver processes on one SQLite file answer far slower than one: every writer waits on the file's
single write lock (two processes: p99 568 ms against 81 ms for one on the same 2-core machine;
docs/performance.md, "Webhook receiver"). PostgreSQL takes several. So a receiver on a SQLite ledger holds
an exclusive lock on a file beside it for as long as its process lives (``flock``: the kernel drops it when
the process ends, a kill -9 included), and a second one is refused, naming PostgreSQL.
"""

from __future__ import annotations

import fcntl
from pathlib import Path
from typing import IO

import sqlalchemy as sa

from connector_resources.ledger.engine import DB_URL_ENV


class SecondReceiver(RuntimeError):
    """Another live process already receives webhooks into this SQLite ledger."""


def sole_receiver(url: str) -> IO[str] | None:
    """This process's hold on the SQLite ledger at ``url`` as its one webhook receiver: the open lock file
    (keep it for the process's life), or None on PostgreSQL, which takes several receivers. Raises
    ``SecondReceiver`` when another live process holds it."""
    parsed = sa.make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    path = Path(f"{parsed.database}.receiver.lock")
    handle = path.open("a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise SecondReceiver(
            f"another webhook receiver already stores into the SQLite ledger {parsed.database} (it holds "
            f"{path}); several receiver processes on one SQLite file wait on its write lock. Run one "
            f"receiver on SQLite, or put the ledger on PostgreSQL ({DB_URL_ENV}=postgresql://...), which "
            "several receivers share."
        ) from None
    return handle
