"""JD Edwards posting targets that choose, per record, which way a document or a payment posts (the
``PostingTarget`` shape of ``targets``): one target per flow, whatever the integration.

* ``BatchPostings``: a source invoice or bill as a voucher batch (``VoucherBatches``) or a journal batch
  (``JournalBatches``), by its record's ``posting`` field (``voucher`` | ``journal``). Procurify -> JDE
  bills post through it.
* ``PaymentPostings``: a source payment recorded on a JDE voucher known by its document key
  (``DocumentPayments``: the body names ``Document_Number``) or by the batch key of the batch it was made
  from (``VoucherPayments``), or posted as a journal entry (``JournalBatches``) when its record's
  ``posting`` is ``journal``. Procurify -> JDE payments post through it.

An integration subclasses one to say the source system in a finance user's words (``source_label``) and
what may have changed when a posted record maps differently (``changed_since``).
"""

from __future__ import annotations

from connector_assets.flows.core import Mapped
from connector_assets.jde.targets import (
    DocumentPayments,
    JdeTarget,
    JournalBatches,
    PostingTarget,
    VoucherBatches,
    VoucherPayments,
)


class BatchPostings(PostingTarget):
    """A voucher batch (ML_CreateVoucherBatch) or a journal batch (ML_CreateJournalBatch), by the record's
    posting, on one JDE session."""

    ways = {"vouchers": VoucherBatches, "journals": JournalBatches}

    def _for(self, record: Mapped) -> JdeTarget:
        return self.journals if record.fields["posting"] == "journal" else self.vouchers  # type: ignore[attr-defined]


class PaymentPostings(PostingTarget):
    """A voucher payment (ML_RecordPayment) by the voucher's document key or its batch key, or a journal
    entry (ML_CreateJournalBatch), by the record's posting and body, on one JDE session."""

    ways = {"documents": DocumentPayments, "batches": VoucherPayments, "journals": JournalBatches}

    def _for(self, record: Mapped) -> JdeTarget:
        if record.fields["posting"] == "journal":
            return self.journals  # type: ignore[attr-defined]
        return self.documents if "Document_Number" in record.body else self.batches  # type: ignore[attr-defined]
