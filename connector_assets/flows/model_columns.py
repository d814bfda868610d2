"""A lazy pandera model's columns read without building it, for the mapped asset's column schema, which is
fixed when the definitions load without pandera (``lazy_model``): a ``record_model`` keeps its columns as
data; a hand-written ``@lazy_model`` builder is read from its source. ``tests/kit/test_asset_metadata.py``
compares them with every flow's built model.
"""

import ast
import inspect
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from connector_assets.flows.lazy_model import LazyModel

# Python types as pandera names them once coerced (``str(schema.columns[name].dtype)``).
PANDERA_DTYPES = {"int": "int64", "float": "float64"}


def pandera_dtype(annotation: str) -> str:
    """``int`` -> ``int64``: the dtype name pandera shows for a ``Series[<annotation>]`` column."""
    return PANDERA_DTYPES.get(annotation, annotation)


@dataclass(frozen=True)
class ModelColumn:
    """One column of a record model: its name, dtype (``str``, ``int``, ...), nullability and checks."""

    name: str
    dtype: str
    nullable: bool = False
    checks: str = ""


def model_columns(model: LazyModel | type) -> tuple[ModelColumn, ...]:
    """``model``'s columns in pandera's order: declared ones (``record_model``) or read from the source; a
    ``DataFrameModel`` class given as it is (a test's flow) is asked, pandera being loaded already."""
    if not isinstance(model, LazyModel):
        return built_columns(model)
    if model.declared_columns is not None:
        return model.declared_columns
    return _read_builder(model)


def built_columns(model: Any) -> tuple[ModelColumn, ...]:
    """The columns of a built pandera ``DataFrameModel`` class, as its schema states them."""
    return tuple(
        ModelColumn(name, str(column.dtype), bool(column.nullable), ", ".join(str(c) for c in column.checks))
        for name, column in model.to_schema().columns.items()
    )


@cache
def _read_builder(model: LazyModel) -> tuple[ModelColumn, ...]:
    build = model._build
    tree = ast.parse(textwrap.dedent(inspect.getsource(build)))
    classes = [node for node in ast.walk(tree) if isinstance(node, ast.ClassDef)]
    if not classes:
        raise ValueError(f"{model!r}: no model class found in its builder")
    cls = classes[0]
    columns: dict[str, ModelColumn] = {}
    for base in cls.bases:
        parent = _lazy_base(base, build.__globals__)
        if parent is not None:
            columns.update((c.name, c) for c in model_columns(parent))
    for node in cls.body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            column = _column(node.target.id, node.annotation, node.value)
            if column is not None:
                columns[column.name] = column
    return tuple(columns.values())


def _lazy_base(base: ast.expr, names: Mapping[str, object]) -> LazyModel | None:
    """The ``LazyModel`` a base like ``contracts.JdeVoucherRecord.model`` names, else None."""
    if not (isinstance(base, ast.Attribute) and base.attr == "model"):
        return None
    parts: list[str] = []
    node: ast.expr = base.value
    while isinstance(node, ast.Attribute):
        parts.insert(0, node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    found: object = names.get(node.id)
    for part in parts:
        found = getattr(found, part, None)
    return found if isinstance(found, LazyModel) else None


def _column(name: str, annotation: ast.expr, value: ast.expr | None) -> ModelColumn | None:
    """A ``name: Series[dtype] = pa.Field(...)`` line as a column; None for anything else. An
    ``Optional[Series[dtype]]`` one (a column a record may leave out) is a column all the same: pandera
    lists it in the built schema, so the shown schema must too."""
    if isinstance(annotation, ast.Subscript) and ast.unparse(annotation.value).endswith("Optional"):
        annotation = annotation.slice
    if not (isinstance(annotation, ast.Subscript) and ast.unparse(annotation.value).endswith("Series")):
        return None
    dtype = pandera_dtype(ast.unparse(annotation.slice))
    nullable, checks = False, []
    if isinstance(value, ast.Call):
        for keyword in value.keywords:
            if keyword.arg == "nullable" and isinstance(keyword.value, ast.Constant):
                nullable = bool(keyword.value.value)
            elif keyword.arg is not None:
                checks.append(f"{keyword.arg}={ast.unparse(keyword.value)}")
    return ModelColumn(name, dtype, nullable, ", ".join(checks))
