"""The command line every simulator shares: ``python -m connector_sandbox.<name>`` serves one standalone.

The six ``__main__`` modules used to be copies of one another (argparse, the ``--settings`` file merge,
logging, the seed report line, uvicorn, the options); now each names its settings class and app and
calls ``serve``. The options beyond ``--settings --host --port --scale --seed`` are the settings' fields
declared with ``command_line`` (``--db-path`` sets db_path), and the description, the ``--scale`` help
and the start-up line come from the settings' ``standalone``. Nothing here knows a vendor: the
simulators stay independent of the connector's clients.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import typing
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Any

import uvicorn
from starlette.applications import Starlette

from connector_sandbox.settings import SimulatorSettings


@dataclass(frozen=True)
class Option:
    """An option that, when given, overrides the settings field of its name (``--db-path`` -> db_path)."""

    field: str
    help: str
    type: Callable[[str], Any] = str

    @property
    def flag(self) -> str:
        return "--" + self.field.replace("_", "-")


def _parse_as(annotation: Any) -> Callable[[str], Any]:
    """How an option's text becomes the field's value: a date, a path, else the text itself."""
    for candidate in (annotation, *typing.get_args(annotation)):
        if candidate is dt.date:
            return dt.date.fromisoformat
        if isinstance(candidate, type) and issubclass(candidate, PurePath):
            return Path
    return str


def options_of(settings_class: type[SimulatorSettings]) -> list[Option]:
    """The settings fields declared with ``command_line``, in the order of the fields."""
    return [
        Option(name, extra["command_line"], _parse_as(field.annotation))
        for name, field in settings_class.model_fields.items()
        if isinstance(extra := field.json_schema_extra, dict) and "command_line" in extra
    ]


def serve(
    settings_class: type[SimulatorSettings],
    create_app: Callable[[Any], Starlette],
    argv: list[str] | None = None,
) -> None:
    """Parse ``argv``, build the settings and the app (seeding its data), log where it answers, serve it.

    Command-line values override the ``--settings`` JSON file, which overrides the settings' defaults.
    """
    fields = settings_class.model_fields
    standalone = settings_class.standalone
    options = options_of(settings_class)
    parser = argparse.ArgumentParser(description=standalone.description)
    parser.add_argument("--settings", type=Path, help=f"JSON file with {settings_class.__name__} fields")
    parser.add_argument("--host", help=f"bind address (default {fields['host'].default})")
    parser.add_argument("--port", type=int, help=f"port (default {fields['port'].default})")
    parser.add_argument("--scale", type=float, help=standalone.scale)
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
    # Only the simulators that can reuse a kept data file (JDE, Coupa) ever report ``reused``.
    logging.getLogger(settings_class.__module__.rpartition(".")[0]).info(
        "data %s in %.1f s (scale %s): %s; %s, operator routes at /sandbox",
        "reused" if report.reused else "seeded", report.seconds, settings.scale,
        report.row_counts, standalone.where.format(base=f"http://{settings.host}:{settings.port}"),
    )  # fmt: skip
    uvicorn.run(app, host=settings.host, port=settings.port, log_level=args.log_level.lower())
