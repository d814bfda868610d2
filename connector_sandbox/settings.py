"""The settings fields every simulator has: where it listens and what data it seeds.

Each simulator's settings class subclasses ``SimulatorSettings`` and adds its vendor's own (users,
clients, variants, faults); the command line (``cli.serve``) and the seed (``seeding``) read these
common ones the same way everywhere.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


def listen_port(default: int) -> Any:
    """The ``port`` field with the simulator's own sandbox port as default (0 = any free port)."""
    return Field(default=default, ge=0, le=65535)


class SimulatorSettings(BaseModel):
    """Complete configuration of one simulator is a subclass of this; unknown fields are refused."""

    model_config = ConfigDict(extra="forbid")

    host: str = "127.0.0.1"
    port: int = listen_port(0)
    # How much data: 1 = a mid-sized customer; master data grows with the square root above 1.
    scale: float = Field(default=1.0, gt=0, le=1000)
    # The seeded data is the same for the same (seed, scale, anchor_date).
    seed: int = 20250301
    # The seeded history ends the day before this date (its records are all older); None means today (UTC).
    anchor_date: dt.date | None = None
