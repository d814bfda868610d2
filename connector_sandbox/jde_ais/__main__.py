"""``python -m connector_sandbox.jde_ais --port 8711 --scale 1``: serve the AIS sandbox standalone."""

from __future__ import annotations

from connector_sandbox.cli import Option, anchor_date, db_path, serve

from .app import create_app
from .settings import JdeSandboxSettings


def main(argv: list[str] | None = None) -> None:
    serve(
        description="JD Edwards AIS server simulator",
        settings_class=JdeSandboxSettings,
        create_app=create_app,
        scale_help="data volume; 1 = thousands of records, 100 = ~1M PO lines",
        options=[
            anchor_date(),
            db_path("keep the data in this SQLite file and reuse it"),
            Option("--row-date-format", "force one date format in rows, e.g. yyyyMMdd"),
        ],
        where="AIS at {base}/jderest",
        argv=argv,
    )


if __name__ == "__main__":
    main()
