"""The JDE sandbox's scheduled jobs and AP clerk as ``make dev`` plays them: R04110ZA turning voucher batches
into vouchers, and a payment run paying chosen vouchers in full. The integration says which documents are
paid (``JdeClerk.posted_as``); never aimed at a configured (real) JDE.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import click
import requests

from connector_assets.jde.posted_documents import PostedDocument
from connector_assets.runtime.session_source import SessionSource
from connector_resources.jde.session import JdeSession

JDE_PAYMENT_REFERENCE = "JDE-CHK-{doc}"  # the check number JDE's payment run gives (F0413), <= 25


def process_voucher_batches(jde_root: str) -> int:
    """Run R04110ZA in the JDE sandbox: how many voucher batches became vouchers."""
    answer = requests.post(f"{jde_root}/sandbox/process-vouchers", timeout=120)
    answer.raise_for_status()
    return len(answer.json()["processed"])


class JdeClerk:
    """JDE's payment run on the vouchers of chosen documents: one the integration posted (``posted_as``
    names the voucher, or the voucher batch R04110ZA made it from) is paid in full in JDE, once, through
    ``ML_RecordPayment`` (F0411 AAP 0, PST P, UPMJ today; reference ``JDE-CHK-<DOC>``). One not posted yet,
    or whose batch is not processed yet, waits for a later round."""

    def __init__(
        self, jde_root: str, jde: SessionSource[JdeSession], posted_as: Callable[[str], str | None]
    ) -> None:
        self.jde_root, self.jde, self.posted_as = jde_root, jde, posted_as
        self.to_pay: list[str] = []  # source keys (e.g. bill uuids) to pay in JDE once posted

    def _rows(self, table: str, **where: Any) -> list[dict[str, Any]]:
        answer = requests.get(f"{self.jde_root}/sandbox/rows/{table}", params=where, timeout=60)
        answer.raise_for_status()
        return answer.json()["rows"]

    def voucher(self, key: str) -> tuple[str, int, str] | None:
        """(KCO, DOC, DCT) of the document's JDE voucher once it exists (a journal has none), else None."""
        posted = PostedDocument.parse(self.posted_as(key))
        if posted is None:
            return None
        if posted.number is not None:
            return (posted.company or "", posted.number, posted.doc_type or "PV")
        assert posted.batch is not None
        batch = posted.batch
        rows = self._rows("F0411Z1", EDUS=batch.user, EDBT=batch.batch, EDTN=batch.transaction)
        done = [r for r in rows if str(r.get("EDSP")).strip() == "1" and r.get("DOC")]
        if not done:
            return None
        return (str(done[0]["KCO"]).strip(), int(done[0]["DOC"]), str(done[0]["DCT"]).strip() or "PV")

    def round(self) -> int:
        """Pay every kept document whose voucher exists; how many were paid."""
        from connector_resources.jde.errors import JdeError

        paid, waiting = 0, []
        for key in self.to_pay:
            voucher = self.voucher(key)
            if voucher is None:
                waiting.append(key)
                continue
            company, number, doc_type = voucher
            items = self._rows("F0411", KCO=company, DOC=number, DCT=doc_type)
            open_amount = sum(Decimal(int(item["AAP"])) for item in items) / 100  # stored in cents
            if open_amount <= 0:
                continue  # paid already (the other system's own payment reached JDE first)
            try:
                with self.jde.session() as session:
                    session.orchestrate(
                        "ML_RecordPayment",
                        {
                            "Document_Company": company,
                            "Document_Number": number,
                            "Document_Type": doc_type,
                            "Payment_Amount": f"{open_amount:.2f}",
                            "Payment_Date": datetime.now(UTC).date(),
                            "Payment_Reference": JDE_PAYMENT_REFERENCE.format(doc=number),
                        },
                    )
            except JdeError as exc:  # e.g. the voucher is on hold: JDE's clerk leaves it
                click.echo(f"JDE sandbox: voucher {company}:{number}:{doc_type} not paid ({exc})")
                continue
            paid += 1
        self.to_pay = waiting
        return paid
