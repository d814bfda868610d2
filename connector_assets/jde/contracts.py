"""What the ml-connector orchestrations accept (``docs/jde_orchestrations/``), as pandera models.

Any flow that writes vouchers or payments into JDE validates its mapped records against these before the
write step sends them; an integration subclasses a model to add the fields of its own (e.g. the source
version it mapped).
"""

from connector_assets.flows.lazy_model import lazy_model

AMOUNT = r"^-?\d{1,13}\.\d{2}$"
ISO_DAY = r"^\d{4}-\d{2}-\d{2}$"
VERSION = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$"


@lazy_model
def JdeVoucherRecord() -> type:
    """What ML_CreateVoucherBatch accepts: the contract's lengths, an 8-digit supplier, a 5-digit company,
    2-decimal amounts, 1-999 distribution lines, and batch keys that fit EDBT(15) / EDTN(22)."""
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

        class Config:
            strict = True
            coerce = True

    return JdeVoucherRecord


@lazy_model
def JdePaymentRecord() -> type:
    """What ML_RecordPayment accepts: a positive 2-decimal amount, a date, a reference of at most 25."""
    import pandera.pandas as pa
    from pandera.typing import Series

    class JdePaymentRecord(pa.DataFrameModel):
        payment_reference: Series[str] = pa.Field(str_length={"min_value": 1, "max_value": 25})
        payment_amount: Series[str] = pa.Field(str_matches=r"^\d{1,13}\.\d{2}$")
        payment_date: Series[str] = pa.Field(str_matches=ISO_DAY)

        class Config:
            strict = True
            coerce = True

    return JdePaymentRecord
