"""The simulators as ``make dev`` starts them on a kept folder, stopped and started again: what the restart
tests share."""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests

from connector_sandbox.registry import SANDBOXES
from connector_sandbox.serve import serve_in_thread

SCALE = 0.02
FIRST_DAY = dt.date(2026, 3, 2)
NEXT_DAY = FIRST_DAY + dt.timedelta(days=1)  # make dev restarted the next morning


@contextmanager
def simulator(
    key: str, folder: Path, anchor: dt.date, *, port: int = 0, **changes: Any
) -> Iterator[tuple[Any, str]]:
    """The simulator ``key`` as make dev configures it (``registry``), kept in ``folder``, with the seeded
    history ending before ``anchor``, on ``port`` (0: a free one; make dev's restart keeps its port): yields
    (its state, its root URL) and stops it (closing its store)."""
    spec = SANDBOXES[key]
    package = importlib.import_module(f"connector_sandbox.{key}")
    values = {"scale": SCALE, **dict(spec.world), "db_path": folder / f"{key}-{SCALE:g}.sqlite"}
    settings = getattr(package, spec.settings)(**{**values, "anchor_date": anchor, **changes})
    app = package.create_app(settings)
    url, stop = serve_in_thread(app, path=spec.path, port=port)
    try:
        yield app.state.sandbox, url[: len(url) - len(spec.path)] if spec.path else url
    finally:
        stop()


def activity(key: str, root: str) -> None:
    """One round of make dev's business activity in the simulator (it creates records)."""
    response = requests.post(f"{root}/sandbox/activity", json=SANDBOXES[key].activity, timeout=60)
    assert response.status_code == 200, response.text
