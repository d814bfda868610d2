"""``python -m connector_sandbox.procore --port 8715 --scale 1``: serve the Procore sandbox standalone."""

from __future__ import annotations

from connector_sandbox.cli import anchor_date, db_path, serve

from .app import create_app
from .settings import ProcoreSandboxSettings


def main(argv: list[str] | None = None) -> None:
    serve(
        description="Procore REST API simulator",
        settings_class=ProcoreSandboxSettings,
        create_app=create_app,
        scale_help="data volume; 1 = ~1,500 commitments, 100 = ~150,000",
        options=[anchor_date(), db_path("keep the data in this SQLite file (re-seeded at start)")],
        where="OAuth and API at {base}",
        argv=argv,
    )


if __name__ == "__main__":
    main()
