"""Which ``ML_AddUpdateSupplier`` 1.1 input holds which part of a supplier, in which JDE column, how long, and
what a finance user calls it: so a flow refuses a value JDE would cut, naming the source field, its length
and the column.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from connector_assets.jde.supplier_inputs import (
    ADDRESS_LINE_MAX,
    CITY_MAX,
    COUNTRY_MAX,
    EMAIL_MAX,
    NAME_MAX,
    PHONE_MAX,
    POSTAL_MAX,
    STATE_MAX,
)


@dataclass(frozen=True)
class SupplierInput:
    """One orchestration input: the JDE column behind it, the column's length, and its name in words."""

    column: str
    limit: int
    words: str


CONTACT_INPUTS = {
    "Alpha_Name": SupplierInput("F0101 ALPH", NAME_MAX, "supplier name"),
    "Address_Line_1": SupplierInput("F0116 ADD1", ADDRESS_LINE_MAX, "address line 1"),
    "Address_Line_2": SupplierInput("F0116 ADD2", ADDRESS_LINE_MAX, "address line 2"),
    "City": SupplierInput("F0116 CTY1", CITY_MAX, "city"),
    "State": SupplierInput("F0116 ADDS", STATE_MAX, "state code"),
    "Postal_Code": SupplierInput("F0116 ADDZ", POSTAL_MAX, "postal code"),
    "Country": SupplierInput("F0116 CTR", COUNTRY_MAX, "country code"),
    "Phone_Number": SupplierInput("F0115 PH1", PHONE_MAX, "phone number"),
    "Email_Address": SupplierInput("F01151 EMAL", EMAIL_MAX, "e-mail address"),
}


def length_problems(values: Mapping[str, str], source_fields: Mapping[str, str]) -> list[str]:
    """Each input value (``values``, by input name) longer than its JDE column, in a finance user's words:
    the source field it came from (``source_fields``, by input name), its length and the column."""
    problems = []
    for name, value in values.items():
        given = CONTACT_INPUTS[name]
        if len(value) > given.limit:
            shown = value if len(value) <= 60 else f"{value[:60]}..."
            problems.append(
                f"{source_fields[name]} is {len(value)} characters ({shown!r}) but JDE's {given.words} "
                f"({given.column}, input {name}) holds {given.limit}"
            )
    return problems
