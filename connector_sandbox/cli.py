"""The command line every simulator shares: ``python -m connector_sandbox.<name>`` serves one standalone.

The six ``__main__`` modules used to be copies of one another (argparse, the ``--settings`` file merge,
logging, the seed report line, uvicorn); now each says only what is its own (its settings class and app,
its scale, the options its settings have beyond the common ones, where its API answers) and calls
``serve``. Nothing here knows a vendor: the simulators stay independent of the connector's clients.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvicorn
from pydantic import BaseModel
from starlette.applications import Starlette


@dataclass(frozen=True)
class Option:
    """An option that, when given, overrides the settings field of its name (``--db-path`` -> db_path)."""

    flag: str
    help: str
    type: Callable[[str], Any] = str

    @property
    def field(self) -> str:
        return self.flag.removeprefix("--").replace("-", "_")


def anchor_date(help: str = "last day of history + 1 (yyyy-mm-dd)") -> Option:
    """``--anchor-date``: the day the seeded history ends before."""
    return Option("--anchor-date", help, dt.date.fromisoformat)


def db_path(help: str) -> Option:
    """``--db-path``; the help says what the simulator does with an existing file (reuse or re-seed)."""
    return Option("--db-path", help, Path)


def serve(
    *,
    description: str,
    settings_class: type[BaseModel],
    create_app: Callable[[Any], Starlette],
    scale_help: str,
    options: Sequence[Option],
    where: str,
    argv: list[str] | None = None,
) -> None:
    """Parse ``argv``, build the settings and the app (seeding its data), log where it answers, serve it.

    ``options`` come after ``--settings --host --port --scale --seed``, in the order given. ``where`` names
    the simulator's entry points for the start-up line, with ``{base}`` standing for ``http://host:port``.
    Command-line values override the ``--settings`` JSON file, which overrides the settings' defaults.
    """
    fields = settings_class.model_fields
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--settings", type=Path, help=f"JSON file with {settings_class.__name__} fields")
    parser.add_argument("--host", help=f"bind address (default {fields['host'].default})")
    parser.add_argument("--port", type=int, help=f"port (default {fields['port'].default})")
    parser.add_argument("--scale", type=float, help=scale_help)
    parser.add_argument("--seed", type=int, help="random seed for the data")
    for option in options:
        parser.add_argument(option.flag, type=option.type, help=option.help)
    parser.add_argument("--log-level", default="info")
    args = parser.parse_args(argv)

    values = json.loads(args.settings.read_text(encoding="utf-8")) if args.settings else {}
    for name in ("host", "port", "scale", "seed", *(option.field for option in options)):
        if getattr(args, name) is not None:
            values[name] = getattr(args, name)
    settings = settings_class.model_validate(values)
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    app = create_app(settings)
    report = app.state.sandbox.seed_report
    # Only the simulators that can reuse a kept data file (JDE, Coupa) have ``reused`` on their report.
    logging.getLogger(settings_class.__module__.rpartition(".")[0]).info(
        "data %s in %.1f s (scale %s): %s; %s, operator routes at /sandbox",
        "reused" if getattr(report, "reused", False) else "seeded", report.seconds, settings.scale,
        report.row_counts, where.format(base=f"http://{settings.host}:{settings.port}"),
    )  # fmt: skip
    uvicorn.run(app, host=settings.host, port=settings.port, log_level=args.log_level.lower())
