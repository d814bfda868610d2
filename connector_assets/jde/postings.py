"""JD Edwards posting targets that choose, per record, which way a document or payment posts (by its
``posting`` field, ``voucher`` | ``journal``): ``BatchPostings`` (a voucher or journal batch) and
``PaymentPostings`` (on a voucher known by document or batch key, or as a journal). An integration
subclasses one for its ``source_label`` and ``changed_since``.
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
    """A voucher batch or a journal batch, by the record's ``posting``, on one JDE session."""

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
