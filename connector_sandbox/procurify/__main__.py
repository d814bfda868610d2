"""``python -m connector_sandbox.procurify --port 8714 --scale 1``: serve the Procurify sandbox standalone."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
from pathlib import Path

import uvicorn

from .app import create_app
from .settings import ProcurifySandboxSettings


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Procurify API simulator")
    parser.add_argument("--settings", type=Path, help="JSON file with ProcurifySandboxSettings fields")
    parser.add_argument("--host", help="bind address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port (default 8714)")
    parser.add_argument("--scale", type=float, help="data volume; 1 = ~3,000 requisitions, 100 = ~300,000")
    parser.add_argument("--seed", type=int, help="random seed for the data")
    parser.add_argument("--domain", help="customer subdomain (default ml-sandbox)")
    parser.add_argument(
        "--anchor-date", type=dt.date.fromisoformat, help="day after the seeded history (yyyy-mm-dd)"
    )
    parser.add_argument("--log-level", default="info")
    args = parser.parse_args(argv)

    values = json.loads(args.settings.read_text(encoding="utf-8")) if args.settings else {}
    for name in ("host", "port", "scale", "seed", "domain", "anchor_date"):
        if getattr(args, name) is not None:
            values[name] = getattr(args, name)
    settings = ProcurifySandboxSettings.model_validate(values)
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    app = create_app(settings)
    report = app.state.sandbox.seed_report
    logging.getLogger("connector_sandbox.procurify").info(
        "seeded in %.1f s (scale %s): %s; Procurify at http://%s:%s (token /oauth/token), "
        "operator routes at /sandbox",
        report.seconds,
        settings.scale,
        report.row_counts,
        settings.host,
        settings.port,
    )
    uvicorn.run(app, host=settings.host, port=settings.port, log_level=args.log_level.lower())


if __name__ == "__main__":
    main()
