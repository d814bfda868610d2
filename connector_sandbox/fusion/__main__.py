"""``python -m connector_sandbox.fusion --port 8716 --scale 1``: serve the Fusion sandbox pod standalone."""

from __future__ import annotations

from connector_sandbox.cli import serve

from .app import create_app
from .settings import FusionSandboxSettings


def main(argv: list[str] | None = None) -> None:
    """Serve the simulator with ``argv``'s options (see ``FusionSandboxSettings.standalone``)."""
    serve(FusionSandboxSettings, create_app, argv)


if __name__ == "__main__":
    main()
