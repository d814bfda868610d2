"""``python -m connector_sandbox.procore --port 8715 --scale 1``: serve the Procore sandbox standalone."""

from __future__ import annotations

from connector_sandbox.cli import serve

from .app import create_app
from .settings import ProcoreSandboxSettings


def main(argv: list[str] | None = None) -> None:
    """Serve the simulator with ``argv``'s options (see ``ProcoreSandboxSettings.standalone``)."""
    serve(ProcoreSandboxSettings, create_app, argv)


if __name__ == "__main__":
    main()
