"""The part of a mark-as-paid record every flow marking Procurify bills paid validates the same way: the
bill's uuid and the payment's day. Each flow's model adds what the mark stands for in its ERP (a JDE
voucher, a Fusion invoice). No ``from __future__ import annotations`` here (``flows.lazy_model``).
"""

from connector_assets.flows.lazy_model import lazy_model

BILL_UUID = r"^[0-9a-fA-F-]{32,36}$"
ISO_DAY = r"^\d{4}-\d{2}-\d{2}$"


@lazy_model
def ProcurifyPaidMark() -> type:
    """A mark-as-paid Procurify accepts: one bill uuid and a day (strict: a flow's model names the rest)."""
    import pandera.pandas as pa
    from pandera.typing import Series

    class ProcurifyPaidMark(pa.DataFrameModel):
        bill_uuid: Series[str] = pa.Field(str_matches=BILL_UUID)
        payment_date: Series[str] = pa.Field(str_matches=ISO_DAY)

        class Config:
            strict = True
            coerce = True

    return ProcurifyPaidMark
