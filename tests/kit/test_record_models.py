"""The record-model kit (``flows/record_models.py``): a model declared as columns is the strict, coercing
pandera model it stands for, named as declared, extendable, and built only when used."""

import pandas as pd
import pytest

from connector_assets.flows.lazy_model import LazyModel
from connector_assets.flows.record_models import (
    ISO_DAY,
    matching,
    number,
    one_of,
    record_model,
    string,
    whole,
)

Base = record_model("BaseRecord", "A base.", code=string(1, 3), day=matching(ISO_DAY))
Extended = record_model(
    "ExtendedRecord",
    "A base and more.",
    base=Base,
    note=string(max_length=5, nullable=True),
    kind=one_of(["a", "b"]),
    lines=whole(ge=1),
    total=number(gt=0),
)


def _row(**changes):
    return {
        "code": "ab",
        "day": "2026-01-31",
        "note": None,
        "kind": "a",
        "lines": "2",
        "total": 1.5,
        **changes,
    }


def test_a_model_declared_as_columns_is_named_and_built_on_first_use():
    assert isinstance(Extended, LazyModel) and Extended.__name__ == "ExtendedRecord"
    assert Extended.__module__ == __name__
    model = Extended.model
    assert model.__name__ == "ExtendedRecord" and model.__doc__ == "A base and more."
    assert issubclass(model, Base.model)


def test_valid_rows_coerce_and_every_column_is_checked():
    frame = Extended.validate(pd.DataFrame([_row()]))
    assert frame["lines"].tolist() == [2]  # coerced
    for bad in ({"code": ""}, {"code": "abcd"}, {"day": "31.01.2026"}, {"note": "toolong"}, {"kind": "c"},
                {"lines": 0}, {"total": 0}):  # fmt: skip
        with pytest.raises(Exception):  # noqa: B017 - pandera's SchemaError(s)
            Extended.validate(pd.DataFrame([_row(**bad)]))


def test_a_model_is_strict():
    with pytest.raises(Exception):  # noqa: B017
        Base.validate(pd.DataFrame([{"code": "ab", "day": "2026-01-31", "other": 1}]))
