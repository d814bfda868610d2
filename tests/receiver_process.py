"""A real webhook receiver under uvicorn in a process of its own, for the tests that kill it or run several.

The child binds port 0, listens, and prints the port the OS chose as its first line of output, so a test
never assumes a port; ``start_receiver`` returns the process at once and the test reads that line when it
is ready (``receiver_port``), inside its own ``try`` so a child that dies early is still cleaned up. A
connection made before uvicorn serves waits in the listen backlog instead of being refused.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

SERVE_RECEIVER = textwrap.dedent(
    """
    import socket, sys, uvicorn
    from connector_resources.ledger import Ledger
    from connector_resources.webhooks import coupa_source, create_receiver

    sources = {sys.argv[1]: coupa_source(sys.argv[1], "invoices", secret=sys.argv[2])}
    app = create_receiver(sources, Ledger(sys.argv[3]))
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(1024)
    print(sock.getsockname()[1], flush=True)
    uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on")).run(sockets=[sock])
    """
)


def start_receiver(source: str, secret: str, db_url: str) -> subprocess.Popen:
    """A Coupa-invoices receiver for ``source`` on the ledger at ``db_url`` (migrated beforehand)."""
    return subprocess.Popen(
        [sys.executable, "-c", SERVE_RECEIVER, source, secret, db_url], stdout=subprocess.PIPE, text=True
    )


def receiver_port(child: subprocess.Popen) -> int:
    """The port the child's receiver listens on (its first line of output)."""
    return int(child.stdout.readline())  # type: ignore[union-attr]
