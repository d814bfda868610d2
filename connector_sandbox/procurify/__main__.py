"""``python -m connector_sandbox.procurify --port 8714 --scale 1``: serve the Procurify sandbox standalone."""

from __future__ import annotations

from connector_sandbox.cli import Option, anchor_date, serve

from .app import create_app
from .settings import ProcurifySandboxSettings


def main(argv: list[str] | None = None) -> None:
    serve(
        description="Procurify API simulator",
        settings_class=ProcurifySandboxSettings,
        create_app=create_app,
        scale_help="data volume; 1 = ~3,000 requisitions, 100 = ~300,000",
        options=[
            Option("--domain", "customer subdomain (default ml-sandbox)"),
            anchor_date("day after the seeded history (yyyy-mm-dd)"),
        ],
        where="Procurify at {base} (token /oauth/token)",
        argv=argv,
    )


if __name__ == "__main__":
    main()
