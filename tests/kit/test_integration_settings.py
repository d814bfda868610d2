"""An integration's ``settings.toml`` (``setting_declarations``): kinds by name, clear refusals."""

from __future__ import annotations

import pytest

from connector_resources.setting_declarations import kind_of
from connector_resources.setting_kinds import EMAIL, Items, Number


def test_kinds_are_named_constants_or_one_class_with_its_fields():
    assert kind_of(None, "x") is None
    assert kind_of("EMAIL", "x") is EMAIL
    assert kind_of({"Number": {"whole": True, "minimum": 1}}, "x") == Number(whole=True, minimum=1)
    assert kind_of({"Items": {"allowed": ["A", "B"]}}, "x") == Items(allowed=("A", "B"))  # lists as tuples


@pytest.mark.parametrize(
    ("declared", "says"),
    [
        ("Number", "is not a constant"),
        ("NOSUCH", "is not a constant"),
        ({"Nosuch": {}}, "is not a class"),
        ({"Number": {}, "Text": {}}, "names one class"),
    ],
)
def test_a_kind_that_is_not_one_is_refused_naming_the_setting(declared, says):
    with pytest.raises(ValueError, match=rf"settings.toml: \[bills_cron\]: .*{says}"):
        kind_of(declared, "settings.toml: [bills_cron]")
