"""Refusals written by the mappers themselves, for the tests that read mapping gaps out of a reason (the
fit report's ``mapping_gaps``, the desk's Mappings pages): one mapper call each, so a change of wording
in the mapper reaches every reader's test at once."""

from __future__ import annotations

from datetime import UTC, datetime

from connector_assets.integrations.coupa_jde.accounts import AccountMap
from connector_assets.integrations.coupa_jde.invoices import map_invoice
from connector_assets.jde.accounts import GlAccounts


def coupa_invoice_refusal() -> str:
    """Coupa -> JDE's refusal of an invoice whose two lines' Coupa accounts (6100, 6200) map to no JDE
    account (an empty account map)."""
    invoice = {
        "id": 9,
        "invoice-number": "INV-9",
        "supplier": {"id": 1, "name": "Acme"},
        "total-with-taxes": "100",
        "invoice-lines": [
            {"line-num": 1, "account": {"code": "6100"}, "total": "60"},
            {"line-num": 2, "account": {"code": "6200"}, "total": "40"},
        ],
    }
    refused = map_invoice(invoice, datetime.now(UTC), GlAccounts([]), AccountMap({}), "4343")
    return refused.reason
