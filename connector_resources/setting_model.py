"""What one setting is (``Setting``), how its value is read, and the block of sandbox ports defaults live in.

The core every declaration stands on: a system's settings (``connector_resources/<system>/system.py``),
the project's (``project_settings``) and each integration's ``settings.toml`` are all ``Setting``s, read
the one way (``Setting.read``: the environment variable, else the default). It knows no system, so a
system's package can declare its settings without importing the table that lists them all
(``connector_resources.settings``).

Secret settings hold a *reference*, not necessarily the value: ``vault:NAME`` (read from the credential
vault at use time), ``env:VAR`` (another environment variable) or, for the sandbox defaults only, the
literal value. Resources resolve them with ``connector_resources.vault.resolve_secret`` when they log in,
so no secret is ever part of Dagster run config.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from connector_resources.configured_settings import scoped
from connector_resources.first_day import RecentOnRealSystems
from connector_resources.setting_kinds import Kind, Refused, Text

SANDBOX_HOST = "127.0.0.1"

# The sandbox ports with the default base: one block, 8711-8721. Each system that has a simulator declares
# its port in the block (8711-8719: JD Edwards 8711 ... Oracle Fusion 8716, 8717-8719 free), so every base
# URL keeps the real API's path layout; the webhook receiver and the exceptions desk ml-connector dev runs
# beside them take the last two. ``ML_SANDBOX_PORT_BASE`` moves the whole block together, so a second
# ``make dev`` or a test runs its own set beside one already running.
DEFAULT_SANDBOX_PORT_BASE = 8711
SANDBOX_PORT_BASE_ENV = "ML_SANDBOX_PORT_BASE"
SERVER_PORTS = {"webhooks": 8720, "desk": 8721}  # the two servers of ours in the block
SANDBOX_PORT_SPAN = max(SERVER_PORTS.values()) - DEFAULT_SANDBOX_PORT_BASE + 1


class SettingError(ValueError):
    """A setting has a value that cannot work; the message names the variable."""


def environment(environ: Mapping[str, str] | None = None) -> Mapping[str, str]:
    """``environ``, or the process's environment when None: where every setting is read from."""
    return os.environ if environ is None else environ


def in_sandbox_block(port: int | None) -> bool:
    """Whether ``port`` is a default port of the block (so a default address on it moves with the base)."""
    first = DEFAULT_SANDBOX_PORT_BASE
    return port is not None and first <= port < first + SANDBOX_PORT_SPAN


def sandbox_port_base(environ: Mapping[str, str] | None = None) -> int:
    """The first sandbox port: ``ML_SANDBOX_PORT_BASE``, else 8711."""
    raw = environment(environ).get(SANDBOX_PORT_BASE_ENV, "").strip()
    if not raw:
        return DEFAULT_SANDBOX_PORT_BASE
    if not raw.isdigit() or not 1024 <= int(raw) <= 65535 - SANDBOX_PORT_SPAN:
        raise SettingError(
            f"{SANDBOX_PORT_BASE_ENV}={raw!r} is not a port between 1024 and {65535 - SANDBOX_PORT_SPAN}; "
            f"expected e.g. {DEFAULT_SANDBOX_PORT_BASE}"
        )
    return int(raw)


def moved_port(default_port: int, environ: Mapping[str, str] | None = None) -> int:
    """``default_port`` (a port of the block) with the base in force."""
    return default_port - DEFAULT_SANDBOX_PORT_BASE + sandbox_port_base(environ)


def sandbox_url(port: int, path: str = "") -> str:
    """The default address of a sandbox on ``port`` (its default port) under ``path``."""
    return f"http://{SANDBOX_HOST}:{port}{path}"


@dataclass(frozen=True)
class Setting:
    """One setting: the field a resource takes, its env var, its sandbox default and its ``kind`` (what
    its value must look like: ``connector_resources.setting_kinds``; text unless declared)."""

    field: str
    env: str
    default: str
    help: str
    secret: bool = False
    is_url: bool = False
    kind: Kind = Text()
    real_default: RecentOnRealSystems | None = None  # a first day's default against real systems
    # Part of which account a connection reaches (BILL's organization, a Coupa tenant's address): two
    # integration instances alike in every such setting reach one account (``components.apartness``).
    account: bool = False

    @property
    def meaning(self) -> str:
        """What the configuration table says the setting is (its help, and its default on real systems)."""
        return self.help + (self.real_default.note() if self.real_default is not None else "")

    def given(self, environ: Mapping[str, str] | None = None) -> str:
        """What is set for the setting: for this process (not an explicit ``environ``), the instance in
        scope's own connection first (``configured_settings``); then its variable when set and non-blank;
        "". An integration instance's own settings are read from its component object, not here."""
        if environ is None and (own := scoped(self.env)):
            return own  # an instance's own connection, in its scope, over the deployment's
        return environment(environ).get(self.env, "").strip()

    def read(self, environ: Mapping[str, str] | None = None) -> Any:
        """The effective value as its kind types it; a ``SettingError`` naming the variable, what it holds,
        what is expected and the default, when the kind refuses it."""
        raw = self.given(environ) or self.default_value(environ)
        try:
            return self.kind.parse(raw)
        except Refused as refused:
            raise SettingError(f"{self.env}={raw!r}: expected {refused}; default {self.default!r}") from None

    def text(self, environ: Mapping[str, str] | None = None) -> str:
        """The effective value as text: the variable when set and non-blank, else the default in force; a URL
        is checked and loses its trailing slash."""
        value = self.given(environ) or self.default_value(environ)
        if not self.is_url:
            return value
        check_url(self, value)
        return value.rstrip("/")

    def default_value(self, environ: Mapping[str, str] | None = None) -> str:
        """The default in force: a sandbox address moves with ``ML_SANDBOX_PORT_BASE`` (``moved_port``), so
        every system's default follows the simulators when they move together; a first day partition is a
        recent day against real systems (``first_day``)."""
        if self.real_default is not None and self.real_default.applies(environment(environ)):
            return self.real_default.day()
        if not self.is_url:
            return self.default
        parsed = urlparse(self.default)
        if parsed.hostname != SANDBOX_HOST or not in_sandbox_block(parsed.port):
            return self.default
        assert parsed.port is not None
        return parsed._replace(netloc=f"{SANDBOX_HOST}:{moved_port(parsed.port, environ)}").geturl()


def check_url(setting: Setting, value: str) -> None:
    """Refuse a value of a URL setting that is not an http(s) address, naming the variable."""
    parsed = urlparse(value)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise SettingError(
            f"{setting.env}={value!r} is not an http(s) URL; expected e.g. {setting.default!r}"
        )
