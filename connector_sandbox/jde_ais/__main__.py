"""``python -m connector_sandbox.jde_ais --port 8711 --scale 1``: serve the AIS sandbox standalone."""

from __future__ import annotations

from connector_sandbox.cli import serve

from .app import create_app
from .settings import JdeSandboxSettings


def main(argv: list[str] | None = None) -> None:
    """Serve the simulator with ``argv``'s options (see ``JdeSandboxSettings.standalone``)."""
    serve(JdeSandboxSettings, create_app, argv)


if __name__ == "__main__":
    main()
