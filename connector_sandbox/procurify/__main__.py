"""``python -m connector_sandbox.procurify --port 8714 --scale 1``: serve the Procurify sandbox standalone."""

from __future__ import annotations

from connector_sandbox.cli import serve

from .app import create_app
from .settings import ProcurifySandboxSettings


def main(argv: list[str] | None = None) -> None:
    """Serve the simulator with ``argv``'s options (see ``ProcurifySandboxSettings.standalone``)."""
    serve(ProcurifySandboxSettings, create_app, argv)


if __name__ == "__main__":
    main()
