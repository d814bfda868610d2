"""The F0411Z1 / F0911Z1 batch key of one Coupa invoice (EDUS / EDBT / EDTN), derived from the invoice id
alone so every attempt, replay and reconciliation finds the same batch; and why each part is the
instance's own.

Coupa invoice ids are a tenant's own, so two tenants' invoices share ids: the batch user (EDUS, an
instance setting two instances must hold apart) parts their batches, and the transaction number (EDTN)
must differ too, because JD Edwards' R04110ZA refuses a transaction number F0411 already has, whoever
keyed it. Under the default batch user the number is ``COUPA-INV-<id>``, as every deployment has written
it; under any other it is ``<batch user>-<id>``, which no other batch user and no default number can make
(a batch user is capitals and digits only, and the id is its digits after the last dash).
"""

from __future__ import annotations

from connector_assets.jde import targets

DEFAULT_BATCH_USER, DEFAULT_TRANSACTION_HEAD = "MLCOUPA", "COUPA-INV-"


def transaction_number(user: str, invoice_id: str) -> str:
    """F0411Z1.EDTN of invoice ``invoice_id`` under batch user ``user`` (module docstring). Up to 22
    characters fit; a longer one (a 10-letter user and a 12-digit id) is refused by the voucher contract,
    naming the field."""
    head = DEFAULT_TRANSACTION_HEAD if user == DEFAULT_BATCH_USER else f"{user}-"
    return f"{head}{invoice_id}"


def voucher_remark(invoice_id: str) -> str:
    """The header remark (F0411Z1 RMK, at most 30) of invoice ``invoice_id``'s voucher: R04110ZA carries it
    into F0411, where a payment finds the voucher once the batch rows are purged (``VoucherPayments``)."""
    return f"Coupa invoice {invoice_id}"


class BatchKey(targets.BatchKey):
    """The F0411Z1/F0911Z1 batch key of one Coupa invoice: the same on every attempt, by construction."""

    @classmethod
    def for_invoice(cls, invoice_id: str, user: str) -> BatchKey:
        return cls(user, f"CP{invoice_id}", transaction_number(user, invoice_id))
