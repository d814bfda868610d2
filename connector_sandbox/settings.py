"""The settings fields every simulator has: where it listens and what data it seeds.

Each simulator's settings class subclasses ``SimulatorSettings`` and adds its vendor's own (users,
clients, variants, faults); the command line (``cli.serve``) and the seed (``seeding``) read these
common ones the same way everywhere. A field declared with ``command_line`` is also an option of
``python -m connector_sandbox.<name>``, and ``standalone`` says how that command introduces itself.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

T = TypeVar("T")


@dataclass(frozen=True)
class Standalone:
    """How a simulator served on its own (``python -m connector_sandbox.<name>``) introduces itself."""

    description: str
    scale: str  # the --scale help: what a scale of 1 (and more) makes
    where: str  # its entry points for the start-up line; ``{base}`` stands for http://host:port


def command_line(help: str, default: Any = None, **constraints: Any) -> Any:
    """A settings field that is also the command-line option ``--its-name`` (``help`` says what it does)."""
    return Field(default=default, json_schema_extra={"command_line": help}, **constraints)


def matching(pattern: re.Pattern[str] | str, label: str, shape: str) -> AfterValidator:
    """A text field's check (``Annotated[str, matching(...)]``): a value ``pattern`` does not match is
    refused as ``"<label> '<value>' must be <shape>"``, the way the simulators word a malformed id."""

    def check(value: str) -> str:
        if not re.match(pattern, value):
            raise ValueError(f"{label} {value!r} must be {shape}")
        return value

    return AfterValidator(check)


def listen_port(default: int) -> Any:
    """The ``port`` field with the simulator's own sandbox port as default (0 = any free port)."""
    return Field(default=default, ge=0, le=65535)


class SimulatorSettings(BaseModel):
    """Complete configuration of one simulator is a subclass of this; unknown fields are refused."""

    model_config = ConfigDict(extra="forbid")
    standalone: ClassVar[Standalone]

    host: str = "127.0.0.1"
    port: int = listen_port(0)
    # How much data: 1 = a mid-sized customer; master data grows with the square root above 1.
    scale: float = Field(default=1.0, gt=0, le=1000)
    # The seeded data is the same for the same (seed, scale, anchor_date).
    seed: int = 20250301
    # The seeded history ends the day before this date (its records are all older); None means today (UTC).
    anchor_date: dt.date | None = command_line("last day of history + 1 (yyyy-mm-dd)")
    # None: a private temporary file (or memory), gone when the server stops. A path keeps the data there,
    # every record written since included, and the next start on it reuses it when seed and scale match
    # (``seeding.seed_kept``); ``make dev`` keeps every simulator's under ``$DAGSTER_HOME/sandbox``.
    db_path: Path | None = command_line("keep the data in this SQLite file and reuse it at the next start")

    @staticmethod
    def require_unique(keys: Iterable[Hashable], message: str, *, at_least_one: bool = False) -> None:
        """Refuse settings whose list repeats a key (two clients with one id): ``ValueError(message)``.

        With ``at_least_one`` an empty list is refused too.
        """
        seen = list(keys)
        if len(seen) != len(set(seen)) or (at_least_one and not seen):
            raise ValueError(message)

    @staticmethod
    def find_by(items: Iterable[T], key: Callable[[T], Hashable], wanted: Hashable) -> T | None:
        """The configured item (user, client, organization) whose ``key`` is ``wanted``; None when none is."""
        return next((item for item in items if key(item) == wanted), None)

    @staticmethod
    def user_key(username: str) -> str:
        """How the vendor tells its user names apart: as written, unless a simulator's vendor ignores case."""
        return username

    def user(self, username: str) -> Any:
        """The configured user named ``username`` (trimmed; both names compared by ``user_key``), for the
        simulators whose settings list ``users`` (Fusion, JDE); None when there is none."""
        wanted = self.user_key(username.strip())
        return self.find_by(getattr(self, "users", ()), lambda user: self.user_key(user.username), wanted)

    def client(self, client_id: str) -> Any:
        """The registered OAuth client ``client_id`` (None when there is none), for the simulators whose
        settings list ``clients`` (Coupa, Fusion, Procore); every other simulator has none."""
        return self.find_by(getattr(self, "clients", ()), lambda client: client.client_id, client_id)
