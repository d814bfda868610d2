"""ml-connector's Dagster component types (the ``dagster_dg_cli.registry_modules`` entry point): the
``Connector`` and one type per integration package, written out below so that an editor and the type checker
see them (``from connector_assets.components import JdeBill``). Each states its package and takes the rest
from it (``integration_type.SettingsFields``): its docstring describes the type, its ``settings.toml`` gives
the attributes, its ``wiring`` the definitions. A new integration package adds its line here;
``integration_types`` refuses a package without one.

``dg list components`` lists them; ``dg scaffold defs connector_assets.components.JdeBill jde_bill`` writes an
instance; docs/components.md says what an instance holds.
"""

from __future__ import annotations

import importlib.util
import pkgutil
from functools import cache

from connector_assets import integrations
from connector_assets.components.connector import Connector
from connector_assets.components.integration_type import IntegrationType as _IntegrationType
from connector_assets.components.integration_type import class_name as _class_name


class CoupaJde(_IntegrationType, package="connector_assets.integrations.coupa_jde"):
    pass


class FusionProcurify(_IntegrationType, package="connector_assets.integrations.fusion_procurify"):
    pass


class JdeBill(_IntegrationType, package="connector_assets.integrations.jde_bill"):
    pass


class JdeCoupa(_IntegrationType, package="connector_assets.integrations.jde_coupa"):
    pass


class JdeProcurify(_IntegrationType, package="connector_assets.integrations.jde_procurify"):
    pass


class ProcoreJde(_IntegrationType, package="connector_assets.integrations.procore_jde"):
    pass


@cache
def integration_types() -> dict[str, type[_IntegrationType]]:
    """Every integration package's component type, by class name (``JdeBill``): one for each package under
    ``connector_assets.integrations`` that has a ``wiring`` module, and no other."""
    written = {
        name: value
        for name, value in globals().items()
        if isinstance(value, type) and issubclass(value, _IntegrationType) and value.package
    }
    packages = {
        _class_name(package.name): f"{integrations.__name__}.{package.name}"
        for package in pkgutil.iter_modules(integrations.__path__)
        if package.ispkg and importlib.util.find_spec(f"{integrations.__name__}.{package.name}.wiring")
    }
    unwritten = sorted(set(packages) - set(written))
    if unwritten:
        raise LookupError(
            f"no component type for {', '.join(packages[name] for name in unwritten)}: add "
            f'`class {unwritten[0]}(IntegrationType, package="{packages[unwritten[0]]}")` to {__name__}'
        )
    strays = sorted(set(written) - set(packages))
    if strays:
        raise LookupError(f"{', '.join(strays)} in {__name__} name no integration package with a wiring")
    return dict(sorted(written.items()))


def __dir__() -> list[str]:
    """What ``dg list components`` scans: the connector and every integration's type (not the base, nor
    what this module imports)."""
    return [Connector.__name__, *integration_types()]


__all__ = ["Connector", "CoupaJde", "FusionProcurify", "JdeBill", "JdeCoupa", "JdeProcurify", "ProcoreJde"]
