"""``python -m connector_sandbox.fusion --port 8716 --scale 1``: serve the Fusion sandbox pod standalone."""

from __future__ import annotations

from connector_sandbox.cli import anchor_date, serve

from .app import create_app
from .settings import FusionSandboxSettings


def main(argv: list[str] | None = None) -> None:
    serve(
        description="Oracle Fusion Cloud ERP REST API simulator",
        settings_class=FusionSandboxSettings,
        create_app=create_app,
        scale_help="data volume; 1 = thousands of documents",
        options=[anchor_date()],
        where="pod at {base} (REST /fscmRestApi/resources/11.13.18.05, token /oauth2/v1/token)",
        argv=argv,
    )


if __name__ == "__main__":
    main()
