"""The record-model kit (``flows/record_models.py``): a model declared as columns is the strict, coercing
pandera model it stands for, named as declared, extendable, and built only when used."""

from types import SimpleNamespace

import pandas as pd
import pytest

from connector_assets.flows import validated_days
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
from connector_assets.flows.records import Mapped, validate, validate_days
from connector_assets.flows.validated_days import ValidatedDays

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


# -- several days validated in one pass (a backfill's one run: ``validate_days``, ``ValidatedDays``)

THINGS = SimpleNamespace(schema=Extended, entity="thing")


def _mapped(key: str, **changes) -> Mapped:
    return Mapped(key, {"key": key}, _row(**changes))


def _days() -> list[list[Mapped]]:
    return [
        [_mapped("a1"), _mapped("a2", kind="c")],
        [],
        [_mapped("c1", code="", lines=0), _mapped("c2")],
    ]


def _outcome(checked) -> list[tuple[list[str], list[str]]]:
    return [([r.source_key for r in c.valid], [r.reason for r in c.rejected]) for c in checked]


def test_days_validated_together_keep_each_days_outcome_as_alone():
    days = _days()
    together = validate_days(THINGS, days)
    assert _outcome(together) == _outcome([validate(THINGS, day) for day in days])
    first, empty, third = _outcome(together)
    assert first[0] == ["a1"] and empty == ([], []) and third[0] == ["c2"]
    [reason] = third[1]
    assert "thing c1: " in reason and "field code" in reason and "field lines" in reason


def test_days_whose_records_name_other_fields_are_judged_day_by_day():
    """A field one day's records lack: together it would read as empty, alone the day's frame lacks the
    column; each day is judged alone, and only that day is refused, as a broken mapping."""
    days = _days()
    days[1] = [Mapped("b1", {}, {k: v for k, v in _row().items() if k != "kind"})]
    together = validate_days(THINGS, days)
    assert _outcome(together) == _outcome([validate(THINGS, day) for day in days])
    assert [r.source_key for r in together[1].rejected] == ["b1"] and together[0].valid


def test_validated_days_read_ahead_and_keep_a_days_read_error_for_that_day(monkeypatch):
    monkeypatch.setattr(validated_days, "RECORDS_PER_PASS", 3)
    staged = {"d1": _days()[0], "d2": None, "d3": _days()[2], "d4": [_mapped("e1")]}
    reads: list[str] = []

    def read(day):
        reads.append(day)
        if staged[day] is None:
            raise FileNotFoundError(f"no staged file for {day}")
        return staged[day]

    days = ValidatedDays(THINGS, list(staged), read)
    records, checked = days.day("d1")
    assert [r.source_key for r in records] == ["a1", "a2"] and [r.source_key for r in checked.valid] == ["a1"]
    assert reads == ["d1", "d2", "d3"]  # d1 and d3 hold 4 records: one pass, d4 left for the next
    with pytest.raises(FileNotFoundError, match="d2"):
        days.day("d2")
    assert [r.source_key for r in days.day("d3")[1].valid] == ["c2"]
    assert [r.source_key for r in days.day("d4")[1].valid] == ["e1"] and reads[-1] == "d4"
