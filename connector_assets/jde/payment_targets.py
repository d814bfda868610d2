"""JD Edwards payment targets: payments recorded through ``ML_RecordPayment`` on a voucher found by its batch
(``VoucherPayments``) or its document key (``DocumentPayments``); never twice, since JDE keeps the source's
``Payment_Reference`` once per voucher in F0414 (``payment_repeats``), read before a write that may repeat.
"""

from typing import Any

from connector_assets.flows.core import Created, Mapped
from connector_assets.flows.periods import Posting
from connector_assets.jde.batch_targets import placed
from connector_assets.jde.payment_repeats import (
    duplicate_refusal,
    payment_target_id,
    read_payment,
    recorded_payment,
)
from connector_assets.jde.tables import AP_LEDGER
from connector_assets.jde.target_base import (
    BATCH_TABLE,
    RECORD_PAYMENT,
    BatchKey,
    JdeRefused,
    JdeTarget,
    VoucherNotReady,
    _iso_date,
    jde_number,
    jde_reason,
    posted,
)
from connector_assets.jde.unprocessed_batches import VoucherUnprocessed
from connector_resources.jde import Condition, JdeOrchestrationError


class VoucherPayments(JdeTarget):
    """Payments recorded on the JDE vouchers a voucher flow wrote, through ``ML_RecordPayment``. A record's
    body names its voucher's batch keys and the payment; its fields carry ``invoice_id`` (the source
    invoice the voucher came from, for messages)."""

    writes = (RECORD_PAYMENT,)

    def _voucher(self, record: Mapped) -> tuple[str, int]:
        key = BatchKey.of_body(record.body)
        invoice = record.fields["invoice_id"]
        rows = list(
            self.session.browse(
                BATCH_TABLE,
                columns=["EDLN", "EDSP", "KCO", "DOC", "AN8", "VINV"],
                conditions=key.conditions(),
            )
        )
        if not rows and self.boundary.created(key.target_id):  # a batch a preview's write would make now
            raise VoucherUnprocessed(key, invoice)
        if not rows:
            raise VoucherNotReady(
                f"the voucher batch {key.target_id} of invoice {invoice} is not in JDE's F0411Z1"
            )
        processed = [r for r in rows if str(r.get("EDSP") or "").strip() == "1"]
        if not processed:  # held on the batch until R04110ZA has run (``unprocessed_batches``)
            raise VoucherUnprocessed(key, invoice)
        if jde_number(processed[0].get("DOC")):
            return str(processed[0]["KCO"]).strip(), int(processed[0]["DOC"])
        return self._voucher_in_f0411(key, processed[0], invoice)

    def _voucher_in_f0411(self, key: BatchKey, row: dict[str, Any], invoice: str) -> tuple[str, int]:
        """The voucher R04110ZA made, found by supplier and invoice number when the processed batch row
        does not carry its document number (the reference only says the processor sets ``EDSP = 1``)."""
        an8, vinv = jde_number(row.get("AN8")), str(row.get("VINV") or "").strip()
        if not an8 or not vinv:
            raise VoucherNotReady(
                f"the voucher batch {key.target_id} of invoice {invoice} was processed but names neither its "
                "voucher nor its supplier and invoice number; find the voucher in JDE and record the payment"
            )
        vouchers = {
            (str(r.get("KCO") or "").strip(), int(r["DOC"]))
            for r in self.session.browse(
                AP_LEDGER.table,
                columns=["KCO", "DOC", "DCT", "SFX"],
                conditions=[
                    Condition("F0411.AN8", "EQUAL", an8),
                    Condition("F0411.VINV", "EQUAL", vinv),
                    Condition("F0411.DCT", "EQUAL", "PV"),
                ],
            )
            if jde_number(r.get("DOC"))
        }
        if len(vouchers) != 1:
            found = "no voucher" if not vouchers else f"{len(vouchers)} vouchers"
            raise VoucherNotReady(
                f"the voucher batch {key.target_id} of invoice {invoice} was processed, and JDE's F0411 has "
                f"{found} for supplier {an8} invoice {vinv}; retried later"
            )
        return vouchers.pop()

    def find(self, record: Mapped) -> str | None:
        if not self._read_first(record):
            return None
        company, document = self._voucher(record)
        return find_payment(self.session, company, document, "PV", record.body["Payment_Reference"])

    def create(self, record: Mapped) -> str | Created:
        company, document = self._voucher(record)
        on = f"invoice {record.fields['invoice_id']}"
        words = f"{self.source_label} payment {record.body['Payment_Reference']} on {on}"
        body = placed(self, company, payment_body(record.body), words)
        return self.pay(
            record, company, on,
            lambda posting: record_payment(self.session, company, document, "PV", body, posting=posting),
        )  # fmt: skip


class DocumentPayments(JdeTarget):
    """Payments recorded through ``ML_RecordPayment`` on a JDE voucher the source already knows by its
    document key (an F0411 voucher a JDE -> X flow sent out, e.g. as a BILL bill). A record's body holds
    ``Document_Company`` / ``Document_Number`` / ``Document_Type`` and the payment (``Payment_Amount``,
    ``Payment_Date``, ``Payment_Reference``)."""

    writes = (RECORD_PAYMENT,)

    def find(self, record: Mapped) -> str | None:
        if not self._read_first(record):
            return None
        body = record.body
        voucher = (str(body["Document_Company"]), int(body["Document_Number"]), body["Document_Type"])
        return find_payment(self.session, *voucher, body["Payment_Reference"])

    def create(self, record: Mapped) -> str | Created:
        body = record.body
        company, document, dct = (
            str(body["Document_Company"]),
            int(body["Document_Number"]),
            body["Document_Type"],
        )
        # The voucher is one JDE showed the source system; gone from F0411 means deleted or not yet there.
        missing = (
            f"voucher {company} {document} {dct} is not in JDE's A/P ledger (F0411); retried later. If it "
            "was deleted in JDE, record the payment there by hand and abandon this item"
        )
        on = f"voucher {company} {document} {dct}"
        words = f"{self.source_label} payment {body['Payment_Reference']} on {on}"
        body = placed(self, company, payment_body(body), words)
        return self.pay(
            record, company, on,
            lambda posting: record_payment(
                self.session, company, document, dct, body, missing=missing, posting=posting
            ),
        )  # fmt: skip


def find_payment(session: Any, company: str, document: int, dct: str, reference: str) -> str | None:
    """The ledger's id of payment ``reference`` on the voucher when JDE's F0414 shows it recorded (with
    JDE's payment number), else None."""
    number = recorded_payment(session, company, document, dct, reference)
    return payment_target_id(company, document, dct, reference, number) if number else None


# The amount where its currency mode puts it (Payment_Amount in D, Currency_Amount in F: ``placed``).
PAYMENT_INPUTS = (
    "Payment_Amount", "Currency_Amount", "Currency_Code", "Currency_Mode", "Exchange_Rate", "Payment_Date",
    "Payment_Reference",
)  # fmt: skip


def payment_body(body: dict[str, Any]) -> dict[str, Any]:
    """What ``ML_RecordPayment`` takes of a payment body, mapped (``batch_bodies.payment_inputs``) or placed
    in its currency, beside the voucher: its amount, currency, stated rate, date and reference (not its batch
    keys)."""
    return {name: body[name] for name in PAYMENT_INPUTS if name in body}


def record_payment(
    session: Any,
    company: str,
    document: int,
    dct: str,
    body: dict[str, Any],
    *,
    missing: str | None = None,
    posting: Posting | None = None,
) -> str | Created:
    """``ML_RecordPayment`` of ``body``'s payment (placed in its currency: ``placed``) on voucher
    ``company``/``document``/``dct``; the target id is ``company/document/dct/reference/payment number``.
    JDE records a reference once per voucher: after
    any refusal F0414 is read, and a payment found there is adopted with its number; a duplicate refusal
    F0414 does not confirm is adopted too, whatever its code (``payment_repeats.duplicate_refusal``),
    since only an earlier attempt of this record can have used the reference. With ``missing``, a voucher
    JDE does not find (59A8) is ``VoucherNotReady`` with that message (retried), not a refusal."""
    reference = body["Payment_Reference"]
    inputs = {
        "Document_Company": company,
        "Document_Number": document,
        "Document_Type": dct,
        **payment_body(body),
        "Payment_Date": _iso_date(body["Payment_Date"]),
    }
    if posting is not None and posting.moved:  # the payment keeps its date; it posts on the open day
        inputs["GL_Date"] = posting.day
    try:
        result = session.orchestrate(RECORD_PAYMENT, inputs)
    except JdeOrchestrationError as exc:
        if missing is not None and "59A8" in exc.codes:
            raise VoucherNotReady(f"{missing} ({jde_reason(exc)})") from None
        if not exc.is_business_error:
            raise
        adopted = _adopt_refused_payment(session, company, document, dct, reference, exc)
        if adopted is None:
            raise JdeRefused(jde_reason(exc)) from None
        return adopted
    number = jde_number(result.outputs.get("Payment_Number")) if result is not None else None
    return posted(payment_target_id(company, document, dct, reference, number), posting, result)


def _adopt_refused_payment(
    session: Any, company: str, document: int, dct: str, reference: str, exc: JdeOrchestrationError
) -> Created | None:
    """The payment an earlier attempt recorded, when JDE's refusal of this one is that: F0414 shows it (its
    payment number kept), or JDE calls it a duplicate reference; None when the refusal is something else."""
    voucher = f"voucher {company} {document} {dct}"
    read = read_payment(session, company, document, dct, reference)
    number, stored = read.number, ""
    if number is not None:
        why = f"JDE already recorded payment {reference} on {voucher} as payment {number} (refused as "
        why += f"{', '.join(exc.codes)})"
    elif (duplicate := duplicate_refusal(exc)) is not None:
        why = f"JDE refused payment {reference} on {voucher} as already recorded ({duplicate.code} "
        why += f"{duplicate.title})"
        # What the ledger keeps, and why, where a person reads it (``payment_repeats``).
        stored = (
            f". Kept as {payment_target_id(company, document, dct, reference, None)}, without JDE's payment "
            f"number: JDE's refusal does not carry it and {read.missing()}. This id stays as it is; find the "
            f"payment number in JDE by the reference {reference} if it is needed"
        )
    else:
        return None
    return Created(
        payment_target_id(company, document, dct, reference, number),
        "adopt",
        f"{why}: an earlier attempt recorded it before the ledger did; adopted, not paid twice{stored}",
    )
