"""ml-connector's Dagster component types (the ``dagster_dg_cli.registry_modules`` entry point): the
``Connector`` and one type per integration package (``JdeBill`` for ``integrations/jde_bill``), made by
``integration_type`` from the package itself (its docstring describes it, its ``settings.toml`` gives the
attributes, its ``wiring`` the definitions), so a new integration is its folder and nothing lists it.

``dg list components`` lists them; ``dg scaffold defs connector_assets.components.JdeBill jde_bill`` writes an
instance; docs/components.md says what an instance holds.
"""

from __future__ import annotations

import importlib.util
import pkgutil
from functools import cache
from typing import Any

from connector_assets import integrations
from connector_assets.components.connector import Connector as Connector
from connector_assets.components.integration_type import IntegrationType as _IntegrationType
from connector_assets.components.integration_type import integration_type


@cache
def integration_types() -> dict[str, type[_IntegrationType]]:
    """Every integration package's component type, by class name (``JdeBill``): the packages under
    ``connector_assets.integrations`` that have a ``wiring`` module."""
    found = [
        integration_type(f"{integrations.__name__}.{package.name}")
        for package in pkgutil.iter_modules(integrations.__path__)
        if package.ispkg and importlib.util.find_spec(f"{integrations.__name__}.{package.name}.wiring")
    ]
    return {made.__name__: made for made in sorted(found, key=lambda made: made.__name__)}


def __getattr__(name: str) -> Any:
    """An integration's type by its class name (``connector_assets.components.JdeBill``, as a ``defs.yaml``
    names it); types are found when first asked for, not as this module loads."""
    found = integration_types().get(name)
    if found is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return found


def __dir__() -> list[str]:
    """What ``dg list components`` scans: the connector and every integration's type."""
    return ["Connector", *integration_types()]
