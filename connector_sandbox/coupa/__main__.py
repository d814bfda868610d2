"""``python -m connector_sandbox.coupa --port 8712 --scale 1``: serve the Coupa sandbox standalone."""

from __future__ import annotations

from connector_sandbox.cli import serve

from .app import create_app
from .settings import CoupaSandboxSettings


def main(argv: list[str] | None = None) -> None:
    """Serve the simulator with ``argv``'s options (see ``CoupaSandboxSettings.standalone``)."""
    serve(CoupaSandboxSettings, create_app, argv)


if __name__ == "__main__":
    main()
