"""An integration's settings declared as data: ``settings.toml`` in its package, one table per setting.

``declared_settings`` builds the ``Setting``s from the file, registering nothing; the settings table reads
the file of every integration as the package holding them hands it in (``settings.integration_settings``),
so no module of the integration forwards them. Data rather than code: the integrations' declarations are
alike by nature.
How: docs/development.md, "Adding an integration".
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from connector_resources import setting_kinds
from connector_resources.setting_kinds import Kind
from connector_resources.setting_model import Setting
from connector_resources.settings import checked_settings

DECLARATIONS = "settings.toml"


def integration_variable(integration: str, name: str) -> str:
    """The variable of ``integration``'s setting ``name``: ``ML_<INTEGRATION>_<NAME>``, the one spelling
    every integration setting has (its close calendar, its reconciliation's cron, its G/L date policy)."""
    return f"ML_{integration.upper()}_{name.upper()}"


@dataclass(frozen=True)
class SettingsOf:
    """The settings of ``integration``: ``SETTINGS(name, default, help, kind)`` declares one."""

    integration: str

    def __call__(self, name: str, default: str, help: str, kind: Kind | None = None) -> Setting:
        """``<integration>_<name>`` read from ``ML_<INTEGRATION>_<NAME>``; text unless ``kind`` says."""
        typed: dict[str, Any] = {} if kind is None else {"kind": kind}
        field = f"{self.integration}_{name}"
        return Setting(field, integration_variable(self.integration, name), default, help, **typed)


def kind_of(declared: str | dict[str, dict[str, Any]] | None, where: str) -> Kind | None:
    """The kind a declaration names: a constant of ``setting_kinds`` by name, or ``{Class = {fields}}``
    (lists become tuples, as the kinds' fields are); a clear error naming the setting otherwise."""
    if declared is None:
        return None
    if isinstance(declared, str):
        kind = getattr(setting_kinds, declared, None)
        if kind is None or isinstance(kind, type):
            raise ValueError(
                f"{where}: kind {declared!r} is not a constant of connector_resources.setting_kinds"
            )
        return kind
    if len(declared) != 1:
        raise ValueError(
            f"{where}: kind names one class, e.g. {{ Number = {{ minimum = 1 }} }}; got {declared}"
        )
    [(name, fields)] = declared.items()
    cls = getattr(setting_kinds, name, None)
    if not isinstance(cls, type):
        raise ValueError(f"{where}: kind {name!r} is not a class of setting_kinds")
    return cls(**{key: tuple(v) if isinstance(v, list) else v for key, v in fields.items()})


def declared_settings(integration: str, path: Path | Traversable) -> tuple[Setting, ...]:
    """The settings ``integration`` declares in ``path`` (its package's ``settings.toml``), in the file's
    order; checked (``checked_settings``), never registered."""
    with path.open("rb") as handle:
        tables = tomllib.load(handle)
    for name, table in tables.items():
        if (
            not isinstance(table, dict)
            or {"default", "help"} - set(table)
            or set(table) - {"default", "help", "kind"}
        ):
            raise ValueError(f"{path}: [{name}] takes default and help, and kind if not text; got {table!r}")
    setting = SettingsOf(integration)
    return checked_settings(
        integration,
        tuple(
            setting(name, t["default"], t["help"], kind_of(t.get("kind"), f"{path}: [{name}]"))
            for name, t in tables.items()
        ),
    )
