"""What JDE takes of a supplier through ``ML_AddUpdateSupplier`` 1.1, written once for every "X -> JDE
supplier" flow: the inputs' lengths (``docs/jde_orchestrations/ML_AddUpdateSupplier.json``; F0101 /
F0116 / F0115 / F01151 column lengths for the address, phone and e-mail inputs) and the pandera columns
of a supplier record holding them, which each integration's record extends with its own (its source id,
tax ID, status, bank ...). A supplier the integration would have to cut to fit is refused, never cut.
"""

from connector_assets.flows.lazy_model import lazy_model

NAME_MAX, TAX_MAX, ALKY_MAX, COMPANY_MAX = 40, 20, 20, 5  # F0101 ALPH, TAX, ALKY; company (CO)
ADDRESS_LINE_MAX, CITY_MAX, STATE_MAX, POSTAL_MAX, COUNTRY_MAX = 40, 25, 3, 12, 3  # F0116
PHONE_MAX, EMAIL_MAX = 20, 256  # F0115 PH1, F01151 EMAL


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
