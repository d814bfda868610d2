"""What the ml-connector orchestrations accept (``docs/jde_orchestrations/``), as pandera models a flow
writing vouchers or payments validates against; an integration subclasses one to add fields of its own.
"""

from typing import Any

from connector_assets.flows import amounts
from connector_assets.flows.lazy_model import lazy_model

# An amount in its document's currency: no decimals (JPY), two (EUR) or three (KWD), as ``amounts.money``
# writes it; which of them a currency has is checked beside its currency (``currency_decimals``).
AMOUNT = r"^-?\d{1,13}(\.\d{2,3})?$"
PAYMENT_AMOUNT = r"^\d{1,13}(\.\d{2,3})?$"  # a payment: greater than zero, so never negative
ISO_DAY = r"^\d{4}-\d{2}-\d{2}$"
VERSION = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$"


@lazy_model
def JdeVoucherRecord() -> type:
    """What ML_CreateVoucherBatch accepts: the contract's lengths, an 8-digit supplier, a 5-digit company,
    the gross with its currency's decimals, 1-999 distribution lines, and batch keys that fit EDBT(15) /
    EDTN(22)."""
    import pandas as pd
    import pandera.pandas as pa
    from pandera.typing import Series

    class JdeVoucherRecord(pa.DataFrameModel):
        invoice_number: Series[str] = pa.Field(str_length={"min_value": 1, "max_value": 25})
        supplier_number: Series[str] = pa.Field(str_matches=r"^\d{1,8}$")
        company: Series[str] = pa.Field(str_matches=r"^\d{5}$")
        gross_amount: Series[str] = pa.Field(str_matches=AMOUNT)
        invoice_date: Series[str] = pa.Field(str_matches=ISO_DAY)
        currency: Series[str] = pa.Field(str_matches=r"^[A-Z]{3}$")
        distribution_lines: Series[int] = pa.Field(ge=1, le=999)
        batch_number: Series[str] = pa.Field(str_length={"min_value": 1, "max_value": 15})
        transaction_number: Series[str] = pa.Field(str_length={"min_value": 1, "max_value": 22})

        @pa.dataframe_check(error="the gross amount has other decimals than its currency has (JPY 0, KWD 3)")
        def gross_in_its_currency(cls, frame: pd.DataFrame) -> Series[bool]:
            return currency_decimals(frame["gross_amount"], frame["currency"])

        class Config:
            strict = True
            coerce = True

    return JdeVoucherRecord


@lazy_model
def JdePaymentRecord() -> type:
    """What ML_RecordPayment accepts: a positive amount (with its currency's decimals when the record names
    its currency), a date, a reference of at most 25."""
    from typing import Optional

    import pandas as pd
    import pandera.pandas as pa
    from pandera.typing import Series

    class JdePaymentRecord(pa.DataFrameModel):
        payment_reference: Series[str] = pa.Field(str_length={"min_value": 1, "max_value": 25})
        payment_amount: Series[str] = pa.Field(str_matches=PAYMENT_AMOUNT)
        payment_date: Series[str] = pa.Field(str_matches=ISO_DAY)
        # The payment's currency (blank: the company's); optional while a flow's records do not name it.
        currency: Optional[Series[str]] = pa.Field(str_matches=r"^([A-Z]{3})?$")  # noqa: UP045 (pandera)

        @pa.dataframe_check(
            error="the payment amount has other decimals than its currency has (JPY 0, KWD 3)"
        )
        def amount_in_its_currency(cls, frame: pd.DataFrame) -> Series[bool]:
            if "currency" not in frame:
                return pd.Series(True, index=frame.index)
            return currency_decimals(frame["payment_amount"], frame["currency"])

        class Config:
            strict = True
            coerce = True

    return JdePaymentRecord


def currency_decimals(values: Any, currencies: Any) -> Any:
    """Per row, whether the amount text in ``values`` has exactly the decimals of its currency in
    ``currencies`` (a blank currency: two, as JDE's domestic amounts)."""
    import pandas as pd

    def fits(value: object, currency: object) -> bool:
        text = str(value)
        places = len(text.partition(".")[2]) if "." in text else 0
        return places == amounts.minor_units(str(currency or ""))

    return pd.Series([fits(v, c) for v, c in zip(values, currencies, strict=True)], index=values.index)
