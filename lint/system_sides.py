"""An import-linter ``forbidden`` contract whose source modules include every system's side, found the way
the project finds its systems, so no contract in pyproject.toml lists them.

A system's side is ``connector_assets.<package>`` for each package of ``connector_resources`` that
declares a system (``connector_resources/<package>/system.py``: ``connector_resources.systems``): a new
system's side is held to the contracts the moment its folders exist. ``sides_in`` names the package that
holds the sides (``connector_assets``); ``source_modules`` adds any other modules, and may be left out.
"""

from __future__ import annotations

from importlinter.contracts.forbidden import ForbiddenContract
from importlinter.domain import fields
from importlinter.domain.imports import ModuleExpression


def system_packages() -> list[str]:
    """The packages of ``connector_resources`` that declare a system, listed without importing them."""
    from connector_resources.systems import _declaring_packages

    return _declaring_packages()


class SystemSidesForbiddenContract(ForbiddenContract):
    """``forbidden``, with the system sides under ``sides_in`` among the source modules."""

    type_name = "system_sides_forbidden"

    sides_in = fields.StringField()
    source_modules = fields.SetField(subfield=fields.ModuleExpressionField(), required=False)

    def check(self, graph, verbose):  # noqa: ANN001, ANN201 (import-linter's signature)
        sides = {f"{self.sides_in}.{name}" for name in system_packages()}
        present = {ModuleExpression(side) for side in sides if side in graph.modules}
        self.source_modules = {*(self.source_modules or ()), *present}  # type: ignore[assignment]
        return super().check(graph, verbose)
