"""Which source records a flow posted to JD Edwards as vouchers, asked both ways of its ledger: a day's paid
vouchers -> their records (``sources_of_vouchers``), and records -> their vouchers' rows
(``voucher_rows_of``, a replay), whether the flow keyed a voucher by document or by batch key.
"""

from __future__ import annotations

from typing import Any

from connector_assets.jde.paid_vouchers import PAID, VoucherKey, batches_of_vouchers, voucher_text
from connector_assets.jde.posted_documents import PostedDocument
from connector_resources.ledger import Ledger


def sources_of_vouchers(
    ledger: Ledger, integration: str, entity: str, jde_session: Any, vouchers: list[VoucherKey], user: str
) -> dict[VoucherKey, str]:
    """Voucher -> the source key ``entity``'s flow posted as it: by the voucher's document key, else by the
    batch key (EDI user ``user``) of the F0411Z1 rows the voucher was made from."""
    found: dict[VoucherKey, str] = {}
    rest: list[VoucherKey] = []
    for key in vouchers:
        xref = ledger.find_xref_by_target(integration, entity, "JDE", voucher_text(key))
        if xref is not None:
            found[key] = xref.source_key
        else:
            rest.append(key)
    for key, batches in batches_of_vouchers(jde_session, rest, user).items():
        for batch in batches:
            xref = ledger.find_xref_by_target(integration, entity, "JDE", batch.target_id)
            if xref is not None:
                found[key] = xref.source_key
    return found


def voucher_rows_of(
    ledger: Ledger, integration: str, entity: str, source_system: str, jde_session: Any, keys: list[str]
) -> list[dict[str, Any]]:
    """The voucher rows (``KCO`` / ``DOC`` / ``DCT``, marked paid) of the records ``keys`` that ``entity``'s
    flow posted, read again: a replay of what JDE paid. A record not posted, or whose batch has no voucher
    yet, gives none."""
    rows: list[dict[str, Any]] = []
    for key in keys:
        xref = ledger.get_xref(integration, entity, source_system, key, "JDE")
        in_jde = PostedDocument.parse(xref.target_id if xref is not None else None)
        if in_jde is not None:
            rows.extend({**row, "PST": PAID} for row in in_jde.voucher_rows(jde_session))
    return rows
