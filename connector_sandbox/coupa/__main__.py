"""``python -m connector_sandbox.coupa --port 8712 --scale 1``: serve the Coupa sandbox standalone."""

from __future__ import annotations

from connector_sandbox.cli import anchor_date, db_path, serve

from .app import create_app
from .settings import CoupaSandboxSettings


def main(argv: list[str] | None = None) -> None:
    serve(
        description="Coupa Core API simulator",
        settings_class=CoupaSandboxSettings,
        create_app=create_app,
        scale_help="data volume; 1 = thousands of records",
        options=[anchor_date(), db_path("keep the data in this SQLite file and reuse it")],
        where="Coupa at {base} (API /api, token /oauth2/token)",
        argv=argv,
    )


if __name__ == "__main__":
    main()
