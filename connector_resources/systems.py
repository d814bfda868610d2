"""The external systems: every package of ``connector_resources`` with a ``system`` module declares one
(``SYSTEM``), found by iterating the packages, in the order of their sandbox ports (JD Edwards, Coupa,
BILL, Procurify, Procore, Oracle Fusion).

Why iterate rather than register: a registry filled by imports holds whatever happened to be imported,
in whatever order; here the list is the packages themselves, the same in every process, and adding a
system is adding its package. Found on first use, not at import: a system's package imports its resource,
which reads the settings module, so the settings module must load without them.
"""

from __future__ import annotations

import importlib
import pkgutil
import threading
from pathlib import Path

from connector_resources.setting_model import (
    DEFAULT_SANDBOX_PORT_BASE,
    SANDBOX_PORT_SPAN,
    SERVER_PORTS,
    in_sandbox_block,
)
from connector_resources.system_declaration import System

DECLARATION = "system"  # the module of a system's package that declares it: ``SYSTEM = System(...)``

# What was found, once per process. The lock makes a second thread asking meanwhile wait for the first; the
# flag (per thread) refuses a settings read made by a system package's own import, which would ask again.
_found_once: list[tuple[tuple[str, System], ...]] = []
_lock = threading.RLock()
_finding = threading.local()


def _declaring_packages() -> list[str]:
    """The packages of ``connector_resources`` that hold a ``system`` module, listed without importing any."""
    import connector_resources

    names = []
    for package in pkgutil.iter_modules(connector_resources.__path__):
        if not package.ispkg:
            continue
        folders = [str(Path(root) / package.name) for root in connector_resources.__path__]
        if any(module.name == DECLARATION for module in pkgutil.iter_modules(folders)):
            names.append(package.name)
    return sorted(names)


def declared_systems() -> tuple[System, ...]:
    """Every declared system, in the order of its sandbox port (one without a simulator last, by key);
    a clear error for a key, a flow name or a port declared twice, or a port outside the sandbox block."""
    return tuple(declared for _package, declared in _found())


def package_of(key: str) -> str:
    """The package of ``connector_resources`` that declares the system ``key`` (``jde`` for ``jde_ais``): the
    name its side has in ``connector_assets`` too."""
    return next(package for package, declared in _found() if declared.key == key)


def _found() -> tuple[tuple[str, System], ...]:
    """(package, system) of every declaration, in order: imported and checked on the first call."""
    if _found_once:
        return _found_once[0]
    with _lock:
        if _found_once:
            return _found_once[0]
        if getattr(_finding, "now", False):
            raise RuntimeError(
                "a system's settings were read while the system packages were being imported: read "
                "settings when they are used, not at import"
            )
        _finding.now = True
        try:
            found = [
                (name, importlib.import_module(f"connector_resources.{name}.{DECLARATION}").SYSTEM)
                for name in _declaring_packages()
            ]
        finally:
            _finding.now = False
        _check([declared for _name, declared in found])
        _found_once.append(tuple(sorted(found, key=lambda pair: _order(pair[1]))))
        return _found_once[0]


def forget_found() -> None:
    """Look for the declarations again at the next question (a test that adds a package of its own)."""
    with _lock:
        _found_once.clear()


def _order(declared: System) -> tuple[bool, int, str]:
    return declared.sandbox is None, declared.sandbox.port if declared.sandbox else 0, declared.key


def _check(found: list[System]) -> None:
    for attribute in ("key", "name_in_flows"):
        names = [getattr(s, attribute) for s in found]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"systems declared twice ({attribute}): {', '.join(twice)}")
    ports = {**SERVER_PORTS}
    for s in found:
        if s.sandbox is None:
            continue
        if not in_sandbox_block(s.sandbox.port):
            last = DEFAULT_SANDBOX_PORT_BASE + SANDBOX_PORT_SPAN - 1
            raise ValueError(
                f"{s.key}: sandbox port {s.sandbox.port} is outside the sandbox block "
                f"{DEFAULT_SANDBOX_PORT_BASE}-{last}"
            )
        taken = [key for key, port in ports.items() if port == s.sandbox.port]
        if taken:
            raise ValueError(f"{s.key}: sandbox port {s.sandbox.port} is {taken[0]}'s")
        ports[s.key] = s.sandbox.port


def systems_by_key() -> dict[str, System]:
    """The declared systems by key, in their order."""
    return {s.key: s for s in declared_systems()}


def system(key: str) -> System:
    """The system ``key``; a ``KeyError`` naming the known ones."""
    found = systems_by_key()
    try:
        return found[key]
    except KeyError:
        raise KeyError(f"unknown system {key!r}; known: {', '.join(found)}") from None


def own_systems(instance: str) -> tuple[System, ...]:
    """The declared systems ``instance`` reaches through a connection of its own (its ``connections``,
    ``configured_settings.connect``); none when it uses the deployment's."""
    from connector_resources import configured_settings

    variables = configured_settings.connection(instance)
    return tuple(s for s in declared_systems() if any(setting.env in variables for setting in s.settings))


def system_named_in_flows(name: str) -> System | None:
    """The system a flow spec or the ledger names ``name`` (``JDE``, ``coupa``, ...), None if none."""
    return next((s for s in declared_systems() if s.name_in_flows == name), None)


def sandbox_ports() -> dict[str, int]:
    """Every port of the sandbox block with the default base, by key: each simulator's (by its system's key),
    then the webhook receiver's and the desk's (``SERVER_PORTS``)."""
    return {**{s.key: s.sandbox.port for s in declared_systems() if s.sandbox}, **SERVER_PORTS}
