"""Pandera models built on first use, so loading the definitions does not import pandas and pandera (about
0.75 s of every ``dagster`` command, yet only mapped and write steps validate). ``@lazy_model`` wraps a
function returning the ``DataFrameModel`` class: the name is known at once, the class built on first use.
Why a model's module must not use ``from __future__ import annotations``: docs/deployment.md, "Fixed cost
per run" (``tests/project/test_definitions_imports.py`` builds every model).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd
    import pandera.pandas as pa


class LazyModel:
    """A pandera ``DataFrameModel`` class, built by ``build`` the first time it is needed."""

    def __init__(self, build: Callable[[], type[pa.DataFrameModel]]) -> None:
        self._build = build
        self.__name__ = build.__name__
        self.__qualname__ = build.__qualname__
        self.__module__ = build.__module__
        # The columns when declared as data (``record_model``), so ``model_columns`` need not read source.
        self.declared_columns: tuple | None = None

    @cached_property
    def model(self) -> type[pa.DataFrameModel]:
        """The model class (built once; ``cached_property`` locks, so two threads build it once)."""
        return self._build()

    def validate(self, frame: pd.DataFrame, **kwargs: Any) -> pd.DataFrame:
        """``DataFrameModel.validate``: raises pandera's ``SchemaError(s)`` naming rows and fields."""
        return self.model.validate(frame, **kwargs)

    def __repr__(self) -> str:
        return f"<lazy pandera model {self.__module__}.{self.__qualname__}>"


def lazy_model(build: Callable[[], type[pa.DataFrameModel]]) -> LazyModel:
    """Decorator: ``build`` (imports pandera, defines and returns the class) becomes a ``LazyModel``."""
    return LazyModel(build)
