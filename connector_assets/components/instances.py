"""A further instance of an integration: its package loaded again under the instance's name.

Why load the package again: an integration's flows, jobs, schedules, tables and asset keys are module-level
objects named after ``INTEGRATION`` (``jde_bill_vendors``, ``jde_bill/bills_written``), so a second instance
(``jde_bill_west``: another JD Edwards company to another BILL organization) needs its own. The package's
modules import each other relatively and take the name from ``__package__``, so the same files imported as
``connector_assets.integrations.jde_bill_west`` make every object the instance's: its own keys, jobs,
ledger rows, retry queue and settings (``ML_JDE_BILL_WEST_*``), nothing shared by accident.
"""

from __future__ import annotations

import importlib
import importlib.util
import re
import sys
from pathlib import Path

NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_LOADED: dict[str, str] = {}  # module name of an instance's copy -> the package it is a copy of


def instance_package(package: str, instance: str) -> str:
    """The module name ``instance``'s copy of ``package`` is imported under (``package`` itself when the
    instance bears its name), loaded once per process. The package's own modules are imported first,
    outside any instance's scope, so the shared modules they pull in are loaded with the deployment's
    settings, never an instance's connection."""
    importlib.import_module(f"{package}.wiring")
    parent, _, own = package.rpartition(".")
    if instance == own:
        return package
    if not NAME.match(instance):
        raise ValueError(f"instance name {instance!r}: lower-case letters, digits and _, a letter first")
    name = f"{parent}.{instance}"
    if _LOADED.get(name) == package:
        return name
    if name in _LOADED or importlib.util.find_spec(name) is not None:
        raise ValueError(f"instance name {instance!r} is taken by the package {name}; choose another")
    folder = Path(next(iter(importlib.import_module(package).__path__)))
    spec = importlib.util.spec_from_file_location(
        name, folder / "__init__.py", submodule_search_locations=[str(folder)]
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    _LOADED[name] = package
    return name


def forget() -> None:
    """Drop every instance's copy of its package (its modules and what they built), so the next load of an
    instance of that name imports it anew with the settings then in force: for a test loading a project
    of its own after another, as a fresh process (Dagster's code server) always does."""
    for name in list(_LOADED):
        for module in [m for m in sys.modules if m == name or m.startswith(f"{name}.")]:
            del sys.modules[module]
        del _LOADED[name]
