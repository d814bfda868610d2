"""What a system's side offers by a module of a known name (``connector_assets/<package>/<module>.py``), found
through the declared systems (``connector_resources.systems``) instead of a list of sides.

Two such offers: ``sources.READER`` (how its SaaS source steps read, when not one session per step:
``connector_assets.saas``) and ``period_view.VIEW`` (its accounting periods, ``ml-connector periods``). A side
without the module offers nothing, and no module is listed anywhere.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from connector_resources.systems import package_of


def side_module(system: str, module: str) -> ModuleType | None:
    """The module ``module`` of the side of the declared system ``system``, None when the side (or the
    module) does not exist; an import error inside an existing module is raised as it is."""
    name = f"connector_assets.{package_of(system)}.{module}"
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as missing:
        if missing.name is not None and name.startswith(missing.name):
            return None
        raise
