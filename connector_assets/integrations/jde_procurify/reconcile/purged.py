"""The bills flow's vouchers whose batch rows JDE purged (R04110ZA's "purge processed transactions",
R0411Z1P), for the day's reconciliation: a voucher of the day is a bill's by the marks it carries in F0411
(``paid_voucher_bills``), and a posted bill's batch is its F0411 voucher, so a purging site's bills are
compared like a keeping site's, never reported missing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from contextlib import contextmanager
from typing import Any

from connector_assets.jde import reconcile_reads as jde_reads
from connector_assets.jde.posted_documents import PostedDocument
from connector_assets.jde.posted_sources import by_marked
from connector_assets.runtime.session_source import SessionSource
from connector_resources.jde.session import JdeSession
from connector_resources.ledger import Ledger

from ..own import Own
from ..paid_voucher_bills import bills_by_marks, vouchers_of_bill

Document = tuple[str, str, str]  # (KCO, DOC, DCT) as the reconciliation reads name a voucher


class _Opened:
    """A Procurify session already open, as ``bills_by_marks`` takes a resource."""

    def __init__(self, session: Any) -> None:
        self._session = session

    @contextmanager
    def session(self):  # type: ignore[no-untyped-def]
        yield self._session


def purged_vouchers(
    own: Own,
    jde: SessionSource[JdeSession],
    procurify_session: object,
    ledger: Ledger,
    states: Iterable[jde_reads.JdeVoucherState],
) -> dict[Document, str]:
    """(KCO, DOC, DCT) -> the bill uuid, of the day's vouchers that carry a bill's remark and that no batch
    row maps (the rows purged): checked like a paid mark (``posted_sources.by_marked``)."""
    marks = {
        (kco, int(doc), dct): state.marks
        for state in states
        if state.remark and state.document[1].isdigit()
        for kco, doc, dct in [state.document]
    }
    if not marks:
        return {}
    proposed = bills_by_marks(own.pairing, ledger, _Opened(procurify_session))(marks)
    if not proposed:
        return {}
    with jde.session() as session:
        kept = by_marked(ledger, own.posted_bills, session, proposed)
    return {(kco, str(doc), dct): uuid for (kco, doc, dct), uuid in kept.items()}


def purged_batches(
    own: Own,
    jde: SessionSource[JdeSession],
    ledger: Ledger,
    bills: Mapping[str, Mapping[str, Any] | None],
    known: Mapping[str, Document],
) -> dict[str, jde_reads.JdeBatch]:
    """Bill uuid -> its batch as its F0411 voucher, for the ``bills`` posted as voucher batches that JDE no
    longer holds in F0411Z1: the voucher ``known`` names (a voucher of the day), else the one F0411 voucher
    carrying the bill's marks (``vouchers_of_bill``; none or several: absent, reported as before)."""
    documents: dict[str, tuple[str, Document]] = {}
    with jde.session() as session:
        for uuid, bill in sorted(bills.items()):
            posted_bills = own.posted_bills
            xref = ledger.get_xref(
                posted_bills.integration, posted_bills.entity, posted_bills.source_system, uuid, "JDE"
            )
            posted = PostedDocument.parse(xref.target_id if xref is not None else None)
            if posted is None or posted.batch is None:
                continue
            document = known.get(uuid)
            if document is None and bill is not None:
                rows = vouchers_of_bill(own.pairing, ledger, session, bill)
                if rows:
                    row = rows[0]
                    document = (str(row["KCO"]).strip(), str(int(row["DOC"])), str(row["DCT"]).strip())
            if document is not None:
                documents[uuid] = (posted.target_id, document)
    found = jde_reads.vouchers_of_purged_batches(jde, documents)
    return {batch.source_key: batch for batch in found}
