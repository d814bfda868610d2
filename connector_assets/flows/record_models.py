"""A flow's record model declared as data: its columns in one call, the strict, coercing pandera class built
on first use (``lazy_model``) instead of the same dozen lines around each model's columns. ``base``
extends another model, as subclassing ``base.model`` would.
"""

import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from connector_assets.flows.lazy_model import LazyModel, lazy_model
from connector_assets.flows.model_columns import ModelColumn, model_columns, pandera_dtype

ISO_DAY = r"^\d{4}-\d{2}-\d{2}$"


@dataclass(frozen=True)
class Column:
    """One column of a record model: its type (``str``, ``int``, ``float``) and ``pa.Field``'s checks."""

    dtype: type = str
    checks: dict[str, Any] = field(default_factory=dict)
    nullable: bool = False


def string(min_length: int | None = None, max_length: int | None = None, *, nullable: bool = False) -> Column:
    """Text of at least ``min_length`` and at most ``max_length`` characters (either may be left open)."""
    bounds = {"min_value": min_length, "max_value": max_length}
    return Column(str, {"str_length": {k: v for k, v in bounds.items() if v is not None}}, nullable)


def matching(pattern: str, *, nullable: bool = False) -> Column:
    """Text matching the regular expression ``pattern``."""
    return Column(str, {"str_matches": pattern}, nullable)


def one_of(values: Iterable[str]) -> Column:
    """Text that is one of ``values``."""
    return Column(str, {"isin": list(values)})


def whole(**bounds: int) -> Column:
    """A whole number within ``bounds`` (pandera's ``ge``, ``gt``, ``le``, ``lt``)."""
    return Column(int, bounds)


def number(**bounds: float) -> Column:
    """A number within ``bounds`` (pandera's ``ge``, ``gt``, ``le``, ``lt``)."""
    return Column(float, bounds)


def record_model(name: str, doc: str, /, *, base: LazyModel | None = None, **columns: Column) -> LazyModel:
    """The strict, coercing pandera model ``name`` of these ``columns`` (in order), built on first use; its
    module is the caller's, so it reads as if declared there."""
    module = sys._getframe(1).f_globals["__name__"]

    def build() -> type:
        import pandera.pandas as pa
        from pandera.typing import Series

        class Config:
            strict = True
            coerce = True

        namespace: dict[str, object] = {
            "__doc__": doc,
            "__module__": module,
            "__qualname__": name,
            "__annotations__": {column: Series[spec.dtype] for column, spec in columns.items()},
            "Config": Config,
        }
        for column, spec in columns.items():
            namespace[column] = pa.Field(nullable=spec.nullable, **spec.checks)
        return type(name, (base.model if base is not None else pa.DataFrameModel,), namespace)

    build.__name__ = build.__qualname__ = name
    build.__module__ = module
    build.__doc__ = doc
    model = lazy_model(build)
    model.declared_columns = declared_columns(base, columns)
    return model


def declared_columns(base: LazyModel | None, columns: dict[str, Column]) -> tuple[ModelColumn, ...]:
    """The model's columns as ``model_columns`` reports them (the base's first), without pandera."""
    inherited = {c.name: c for c in model_columns(base)} if base is not None else {}
    for name, spec in columns.items():
        checks = ", ".join(f"{k}={v!r}" for k, v in spec.checks.items())
        inherited[name] = ModelColumn(name, pandera_dtype(spec.dtype.__name__), spec.nullable, checks)
    return tuple(inherited.values())
