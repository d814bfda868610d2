"""Every setting the project reads, and the one way to read them.

One table drives three things: the values resources are built with, the configuration table in
docs/configuration.md (a test keeps the two in step) and ``ml-connector ping``. Every setting can be
given by an environment variable so a deployment can point any integration at any host; with none set,
the sandbox defaults apply, which is the embedded default ``make dev`` starts.

The table is made of declarations kept where they belong: each system's settings in its own package
(``connector_resources/<system>/system.py``, found by ``connector_resources.systems``), the project's
(``project_settings``), and each integration's ``settings.toml``, which the package holding the
integrations hands in through the entry point group ``ml_connector.integration_settings`` (this package
never looks for a higher one on disk). What one setting is and how its value is read is
``setting_model``; what its value may look like, ``setting_kinds``.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Callable, Iterable, Mapping
from importlib.metadata import entry_points
from typing import Any

from connector_resources.project_settings import PROJECT_SETTINGS, saas_base_urls
from connector_resources.setting_kinds import OnOff, Refused
from connector_resources.setting_model import (
    DEFAULT_SANDBOX_PORT_BASE,
    SANDBOX_HOST,
    SANDBOX_PORT_BASE_ENV,
    SANDBOX_PORT_SPAN,
    SERVER_PORTS,
    Setting,
    SettingError,
    moved_port,
    sandbox_port_base,
)
from connector_resources.system_declaration import System
from connector_resources.systems import declared_systems, sandbox_ports, system, systems_by_key

__all__ = [
    "DEFAULT_SANDBOX_PORT_BASE",
    "INTEGRATION_SETTINGS_GROUP",
    "PROJECT_SETTINGS",
    "SANDBOX_HOST",
    "SANDBOX_PORT_BASE_ENV",
    "SANDBOX_PORT_SPAN",
    "SERVER_PORT_KEYS",
    "Setting",
    "SettingError",
    "System",
    "all_settings",
    "checked_settings",
    "export",
    "export_for_now",
    "given",
    "integration_of",
    "integration_settings",
    "markdown_table",
    "on_off",
    "read",
    "referenced",
    "registered",
    "sandbox_port",
    "sandbox_port_base",
    "system",
    "value",
]

# The two servers of ours in the sandbox block; the rest are the simulators.
SERVER_PORT_KEYS = tuple(SERVER_PORTS)

# Computed from the declared systems when first asked (``__getattr__``), for the callers that name them:
# ``SYSTEMS`` (key -> System), ``SANDBOX_PORTS`` (key -> default port, the servers' too) and
# ``SAAS_BASE_URLS`` (the base URL settings of the systems with a SaaS change feed).
_FOUND_LATER: dict[str, Callable[[], Any]] = {
    "SYSTEMS": systems_by_key,
    "SANDBOX_PORTS": sandbox_ports,
    "SAAS_BASE_URLS": saas_base_urls,
}


def __getattr__(name: str) -> Any:
    if name in _FOUND_LATER:
        return _FOUND_LATER[name]()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def sandbox_port(key: str, environ: Mapping[str, str] | None = None) -> int:
    """Where the sandbox ``key`` (a system, ``webhooks`` or ``desk``) listens, with the base in force."""
    return moved_port(sandbox_ports()[key], environ)


def _system_settings() -> list[Setting]:
    return [s for declared in declared_systems() for s in declared.settings]


@functools.cache
def _by_env() -> dict[str, Setting]:
    """Every setting of the project and the systems by its variable: ``registered`` runs on hot paths (a
    lease's length per record). Reversed, so the first declaration of a variable wins, as a scan would."""
    return {s.env: s for s in reversed((*PROJECT_SETTINGS, *_system_settings()))}


# Each integration declares its own settings next to its flows (``settings.toml`` in its package, variables
# ``ML_<NAME>_...``). The package that holds the integrations names, in this entry point group, a function
# answering {integration: its settings}; read once per process when an integration's setting is first asked
# for, so importing a module changes no table.
INTEGRATION_SETTINGS_GROUP = "ml_connector.integration_settings"


def checked_settings(integration: str, declared: tuple[Setting, ...]) -> tuple[Setting, ...]:
    """``integration``'s ``declared`` settings, each under its ``ML_<INTEGRATION>_`` prefix and none declared
    here or twice: a variable declared twice is a programming error, refused naming it."""
    prefix = f"ML_{integration.upper()}_"
    seen: set[str] = set()
    for setting in declared:
        if not setting.env.startswith(prefix):
            raise ValueError(f"{integration}: setting {setting.env} must start with {prefix}")
        if setting.env in _by_env() or setting.env in seen:
            raise ValueError(f"{setting.env} is declared twice")
        seen.add(setting.env)
    return declared


@functools.cache
def integration_settings() -> dict[str, tuple[Setting, ...]]:
    """Every integration's settings, by integration name (sorted), as the packages of the entry point group
    ``ml_connector.integration_settings`` hand them in, each checked (``checked_settings``)."""
    found: dict[str, tuple[Setting, ...]] = {}
    for point in entry_points(group=INTEGRATION_SETTINGS_GROUP):
        for name, declared in point.load()().items():
            if name in found:
                raise ValueError(f"integration {name!r} declares its settings twice ({point.value})")
            found[name] = checked_settings(name, tuple(declared))
    return dict(sorted(found.items()))


@functools.cache
def _integration_by_env() -> dict[str, tuple[str, Setting]]:
    return {s.env: (name, s) for name, declared in integration_settings().items() for s in declared}


def integration_of(env: str) -> str | None:
    """The integration (or instance) whose ``settings.toml`` declares ``env`` (None: no integration's)."""
    found = _integration_by_env().get(env) or _INSTANCE_SETTINGS.get(env)
    return None if found is None else found[0]


# The settings of the deployment's further instances of an integration (``ML_<INSTANCE>_*``: the package's
# ``settings.toml`` declared under the instance's name), registered as Dagster's loader builds them.
_INSTANCE_SETTINGS: dict[str, tuple[str, Setting]] = {}


def declare_instance(instance: str, declared: Iterable[Setting]) -> None:
    """Register ``instance``'s settings; a variable another integration or instance declares is refused."""
    declared = tuple(declared)
    for setting in declared:
        owner = integration_of(setting.env)
        if owner is not None and owner != instance or setting.env in _by_env():
            raise ValueError(f"{setting.env} of instance {instance!r} is already {owner or 'a system'}'s")
    _INSTANCE_SETTINGS.update({setting.env: (instance, setting) for setting in declared})


def all_settings() -> list[Setting]:
    """Every declared setting: the systems', the project's, then each integration's."""
    return [
        *_system_settings(),
        *PROJECT_SETTINGS,
        *(s for declared in integration_settings().values() for s in declared),
    ]


def registered(env: str) -> Setting:
    """The setting read from environment variable ``env``; every variable the project reads is declared by a
    system, the project or its integration's ``settings.toml`` (so docs/configuration.md lists it), and
    reading an undeclared one is a programming error.

    ``ML_<SYSTEM>_POLL_CRON`` is one declaration for each SaaS system's poll cadence.
    """
    setting = _by_env().get(env)
    if setting is not None:
        return setting
    found = _integration_by_env().get(env) or _INSTANCE_SETTINGS.get(env)
    if found is not None:
        return found[1]
    match = re.fullmatch(r"ML_([A-Z]+)_POLL_CRON", env)
    if match and match.group(1).lower() in systems_by_key():
        return next(s for s in PROJECT_SETTINGS if s.env == "ML_<SYSTEM>_POLL_CRON")
    hint = ""
    if not integration_settings():
        hint = (
            f" (no integration's settings were found: the entry point group {INTEGRATION_SETTINGS_GROUP} is "
            "empty; reinstall the project: make venv)"
        )
    raise KeyError(
        f"{env} is not a declared setting; declare it in its system's connector_resources/<system>/"
        f"system.py, in connector_resources/project_settings.py or in its integration's settings.toml{hint}"
    )


def given(env: str, environ: Mapping[str, str] | None = None) -> str:
    """What the environment (else a component instance's YAML) says for the declared setting ``env``
    (stripped), or "" when unset: for
    settings whose default is computed where it is used (the ledger URL from DAGSTER_HOME, ...)."""
    return registered(env).given(environ)


def value(env: str, environ: Mapping[str, str] | None = None) -> str:
    """The declared setting ``env``: its environment variable when set and non-blank, else its default."""
    return given(env, environ) or registered(env).default_value(environ)


def read(env: str, environ: Mapping[str, str] | None = None) -> Any:
    """The declared setting ``env`` typed by its kind (``Setting.read``): the one way to read a setting whose
    value is not free text."""
    return registered(env).read(environ)


def on_off(env: str, text: str) -> bool:
    """An on / off ``text`` for the setting ``env`` (on, true, yes, 1 or their opposites): for a value read
    under another variable's name (a renamed setting's old variable)."""
    try:
        return OnOff().parse(text)
    except Refused as refused:
        raise SettingError(f"{env}={text.strip().lower()!r}: say {refused}") from None


def export(env: str, text: str) -> None:
    """Set the declared setting ``env`` for this process and the processes it starts (``ml-connector dev``
    passes the sandbox port base and the automation default to Dagster this way)."""
    registered(env)
    os.environ[env] = text


def export_for_now(env: str, text: str) -> Callable[[], None]:
    """``export`` the declared setting ``env``, returning what puts its previous value back (unset if it was
    unset): for a command that sets a value for its own run only (``connector_cli.dev_discovery``)."""
    registered(env)
    before = os.environ.get(env)
    os.environ[env] = text

    def put_back() -> None:
        if before is None:
            os.environ.pop(env, None)
        else:
            os.environ[env] = before

    return put_back


def referenced(variable: str) -> str:
    """The variable a secret's ``env:VARIABLE`` reference names: any name the operator chose, so it is not
    a declared setting; "" when unset."""
    return os.environ.get(variable, "")


def markdown_table() -> str:
    """The configuration table of docs/configuration.md, generated so it cannot drift from the code."""
    lines = ["| variable | system | default (sandbox) | meaning |", "|---|---|---|---|"]
    for sys_ in declared_systems():
        for s in sys_.settings:
            default = "(sandbox value)" if s.secret else (f"`{s.default}`" if s.default else "(blank)")
            note = " (secret reference)" if s.secret else ""
            lines.append(f"| `{s.env}` | {sys_.key} | {default} | {s.meaning}{note} |")
    for s in PROJECT_SETTINGS:
        default = f"`{s.default}`" if s.default else "(blank)"
        lines.append(f"| `{s.env}` | project | {default} | {s.meaning} |")
    for integration, declared in integration_settings().items():
        for s in declared:
            default = f"`{s.default}`" if s.default else "(blank)"
            lines.append(f"| `{s.env}` | {integration} | {default} | {s.help} |")
    return "\n".join(lines)
