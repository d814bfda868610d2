"""The base every API resource extends: settings from the registry, secrets resolved only at use time.

Why secrets are references: a Dagster resource's config is stored with each run and shown in the UI.
A secret setting therefore holds either a ``dagster.EnvVar`` (the UI shows the variable's name, never
its value) or a ``vault:NAME`` reference; ``secret()`` turns it into the value inside the process, at the
moment of login, and registers it for redaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from dagster import ConfigurableResource, EnvVar

from connector_resources import settings
from connector_resources.settings import System, system
from connector_resources.vault import resolve_secret


class ApiConnectionResource(ConfigurableResource):
    """Common behaviour of the six API resources; subclasses set ``system_key`` and declare fields."""

    system_key: ClassVar[str] = ""

    @classmethod
    def system(cls) -> System:
        return system(cls.system_key)

    @classmethod
    def from_settings(cls, environ: Mapping[str, str] | None = None, **overrides: Any):
        """Build the resource from environment variables, falling back to the sandbox defaults.

        A secret setting whose variable is set becomes ``EnvVar(name)`` so only the name enters run
        config; an unset one keeps its sandbox default (sandbox credentials are not secrets).
        """
        sys_ = cls.system()
        values: dict[str, Any] = sys_.values(environ)
        for setting in sys_.settings:
            if setting.secret and settings.given(setting.env, environ):
                values[setting.field] = EnvVar(setting.env)
        fields = set(cls.model_fields)
        values = {k: v for k, v in values.items() if k in fields}
        values.update(overrides)
        return cls(**values)

    def secret(self, value: str) -> str:
        """The secret behind a setting value (``vault:NAME``, ``env:VAR`` or a literal sandbox value)."""
        return resolve_secret(value)
