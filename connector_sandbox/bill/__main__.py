"""``python -m connector_sandbox.bill --port 8713 --scale 1``: serve the BILL sandbox standalone."""

from __future__ import annotations

from connector_sandbox.cli import anchor_date, db_path, serve

from .app import create_app
from .settings import BillSandboxSettings


def main(argv: list[str] | None = None) -> None:
    serve(
        description="BILL v3 API simulator",
        settings_class=BillSandboxSettings,
        create_app=create_app,
        scale_help="data volume; 1 = ~400 vendors and ~3,000 bills per org",
        options=[anchor_date(), db_path("keep the SQLite data in this file")],
        where="API at {base}/connect, webhooks API at /connect-events",
        argv=argv,
    )


if __name__ == "__main__":
    main()
