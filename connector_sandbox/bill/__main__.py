"""``python -m connector_sandbox.bill --port 8713 --scale 1``: serve the BILL sandbox standalone."""

from __future__ import annotations

from connector_sandbox.cli import serve

from .app import create_app
from .settings import BillSandboxSettings


def main(argv: list[str] | None = None) -> None:
    """Serve the simulator with ``argv``'s options (see ``BillSandboxSettings.standalone``)."""
    serve(BillSandboxSettings, create_app, argv)


if __name__ == "__main__":
    main()
