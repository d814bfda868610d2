"""What JDE takes of a supplier through ``ML_AddUpdateSupplier`` 1.1, once for every "X -> JDE supplier"
flow: the inputs' lengths (``docs/jde_orchestrations/ML_AddUpdateSupplier.json``) and the pandera columns
each integration's record extends. A supplier that would have to be cut to fit is refused, never cut.
"""

from collections.abc import Mapping

from connector_assets.flows.lazy_model import lazy_model

NAME_MAX, TAX_MAX, ALKY_MAX, COMPANY_MAX = 40, 20, 20, 5  # F0101 ALPH, TAX, ALKY; company (CO)
ADDRESS_LINE_MAX, CITY_MAX, STATE_MAX, POSTAL_MAX, COUNTRY_MAX = 40, 25, 3, 12, 3  # F0116
PHONE_MAX, EMAIL_MAX = 20, 256  # F0115 PH1, F01151 EMAL

ADDRESS_INPUTS = ("Address_Line_1", "Address_Line_2", "Address_Line_3", "Address_Line_4")  # F0116 ADD1-4
# A supplier record's contact column -> the ML_AddUpdateSupplier input it holds.
CONTACT_INPUTS = {
    "address_line_1": "Address_Line_1",
    "address_line_2": "Address_Line_2",
    "city": "City",
    "state": "State",
    "postal_code": "Postal_Code",
    "country": "Country",
    "phone": "Phone_Number",
    "email": "Email_Address",
}


def address_inputs(lines: list[str]) -> dict[str, str]:
    """Address lines as the four inputs F0116 holds: a fifth line and any after it are joined onto the
    fourth, so no part of the address is lost."""
    if len(lines) > len(ADDRESS_INPUTS):
        lines = [*lines[:3], ", ".join(lines[3:])]
    return dict(zip(ADDRESS_INPUTS, lines, strict=False))


def contact_fields(inputs: Mapping[str, object]) -> dict[str, object]:
    """The record's address, phone and e-mail columns (``SupplierContactColumns`` but the name) as the
    ``ML_AddUpdateSupplier`` inputs hold them; a blank or missing input is None."""
    return {column: inputs.get(name) or None for column, name in CONTACT_INPUTS.items()}


@lazy_model
def SupplierContactColumns() -> type:
    """A supplier's name, address, phone and e-mail within the lengths JDE holds (all but the name may be
    blank). An integration's supplier record subclasses it and adds its own columns."""
    import pandera.pandas as pa
    from pandera.typing import Series

    class SupplierContactColumns(pa.DataFrameModel):
        name: Series[str] = pa.Field(str_length={"min_value": 1, "max_value": NAME_MAX})
        address_line_1: Series[str] = pa.Field(nullable=True, str_length={"max_value": ADDRESS_LINE_MAX})
        address_line_2: Series[str] = pa.Field(nullable=True, str_length={"max_value": ADDRESS_LINE_MAX})
        city: Series[str] = pa.Field(nullable=True, str_length={"max_value": CITY_MAX})
        state: Series[str] = pa.Field(nullable=True, str_length={"max_value": STATE_MAX})
        postal_code: Series[str] = pa.Field(nullable=True, str_length={"max_value": POSTAL_MAX})
        country: Series[str] = pa.Field(nullable=True, str_length={"max_value": COUNTRY_MAX})
        phone: Series[str] = pa.Field(nullable=True, str_length={"max_value": PHONE_MAX})
        email: Series[str] = pa.Field(nullable=True, str_length={"max_value": EMAIL_MAX})

        class Config:
            strict = True
            coerce = True

    return SupplierContactColumns
