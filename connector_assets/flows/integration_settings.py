"""An integration's settings declared with each name said once.

Every setting of an integration is ``Setting("<integration>_<name>", "ML_<INTEGRATION>_<NAME>", ...)``: the
field and the variable spell the same name twice, and ``register_settings`` refuses a variable outside the
prefix. ``SettingsOf(integration)`` says the prefix once, so a declaration is its name, default, help and
kind (``connector_resources.setting_kinds``), and registers them in the one table (the generated settings
docs and ``ml-connector ping`` read that table).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from connector_resources.setting_kinds import Kind
from connector_resources.settings import Setting, register_settings


@dataclass(frozen=True)
class SettingsOf:
    """The settings of ``integration``: ``SETTINGS(name, default, help, kind)`` declares one,
    ``register`` puts them in the table (``connector_resources.settings.register_settings``)."""

    integration: str

    def __call__(self, name: str, default: str, help: str, kind: Kind | None = None) -> Setting:
        """``<integration>_<name>`` read from ``ML_<INTEGRATION>_<NAME>``; text unless ``kind`` says."""
        typed: dict[str, Any] = {} if kind is None else {"kind": kind}
        field = f"{self.integration}_{name}"
        return Setting(field, f"ML_{field.upper()}", default, help, **typed)

    def register(self, *declared: Setting) -> tuple[Setting, ...]:
        return register_settings(self.integration, *declared)
