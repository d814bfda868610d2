"""JD Edwards payment targets: payments recorded through ``ML_RecordPayment`` on a voucher found by its batch
(``VoucherPayments``) or its document key (``DocumentPayments``); never twice, since JDE keeps the source's
``Payment_Reference`` once per voucher in F0414 (``payment_repeats``), read before a write that may repeat.
"""

from collections.abc import Mapping
from dataclasses import dataclass
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
    create_held_on_missing,
    find_held_on_missing,
    jde_number,
    jde_reason,
    posted,
)
from connector_assets.jde.unprocessed_batches import VoucherUnprocessed
from connector_resources.jde import Condition, JdeOrchestrationError
from connector_resources.jde.session import JdeSession

# What a payment body may carry of its voucher beside the batch key, never sent to JDE (``payment_body``):
# the voucher's supplier invoice number (F0411Z1 VINV) and header remark (RMK) as the voucher flow wrote
# them, which R04110ZA carries into F0411 and which stay there when the batch rows are purged.
VOUCHER_MARKS = ("Voucher_Invoice_Number", "Voucher_Remark")


class VoucherPayments(JdeTarget):
    """Payments recorded on the JDE vouchers a voucher flow wrote, through ``ML_RecordPayment``. A record's
    body names its voucher's batch keys and the payment, and may carry ``VOUCHER_MARKS``; its fields carry
    ``invoice_id`` (the source invoice the voucher came from, for messages).

    The voucher is found in F0411 itself: R04110ZA's processing option "purge processed transactions" and
    the purge program R0411Z1P delete the F0411Z1 rows once they are vouchers (A/P implementation guide),
    so a processed batch row naming its voucher is only a shortcut. Without one, the voucher is the one
    F0411 voucher (PV) carrying what the voucher flow wrote into it: supplier invoice number and remark."""

    writes = (RECORD_PAYMENT,)

    def _voucher(self, record: Mapped) -> tuple[str, int]:
        key = BatchKey.of_body(record.body)
        invoice = record.fields["invoice_id"]
        rows = list(
            self.session.browse(
                BATCH_TABLE,
                columns=["EDLN", "EDSP", "KCO", "DOC", "AN8", "VINV", "RMK"],
                conditions=key.conditions(),
            )
        )
        if not rows and self.boundary.created(key.target_id):  # a batch a preview's write would make now
            raise VoucherUnprocessed(key, invoice)
        if not rows:  # purged after processing (R04110ZA's option, R0411Z1P), or never written
            marks = marks_of(record.body)
            if not marks.remark:  # our remark names the source document: no voucher keyed by hand has it
                marks = VoucherMarks()
            return self._voucher_in_f0411(key, marks, invoice, purged=True)
        processed = [r for r in rows if str(r.get("EDSP") or "").strip() == "1"]
        if not processed:  # held on the batch until R04110ZA has run (``unprocessed_batches``)
            raise VoucherUnprocessed(key, invoice)
        if jde_number(processed[0].get("DOC")):
            return str(processed[0]["KCO"]).strip(), int(processed[0]["DOC"])
        row = processed[0]
        marks = VoucherMarks(
            _text(row.get("VINV")) or marks_of(record.body).invoice_number,
            _text(row.get("RMK")) or marks_of(record.body).remark,
            jde_number(row.get("AN8")),
        )
        return self._voucher_in_f0411(key, marks, invoice, purged=False)

    def _voucher_in_f0411(
        self, key: BatchKey, marks: "VoucherMarks", invoice: str, *, purged: bool
    ) -> tuple[str, int]:
        """The one F0411 voucher carrying ``marks``; ``VoucherNotReady`` (retried) when none or several
        do, naming what was looked for."""
        where = (
            f"the voucher batch {key.target_id} of invoice {invoice} is not in JDE's F0411Z1 (purged after "
            "processing, or not written yet)"
            if purged
            else f"the voucher batch {key.target_id} of invoice {invoice} was processed but names no voucher"
        )
        conditions = marks.conditions()
        if not conditions:
            raise VoucherNotReady(
                f"{where}, and the payment carries nothing the voucher carries in F0411 (the remark naming "
                "its source document) to find it by; find the voucher in JDE and record the payment by hand"
            )
        vouchers = {
            (str(r.get("KCO") or "").strip(), int(r["DOC"]))
            for r in self.session.browse(
                AP_LEDGER.table,
                columns=["KCO", "DOC", "DCT", "SFX", "AN8", "VINV", "RMK"],
                conditions=conditions,
            )
            if jde_number(r.get("DOC")) and marks.matches(r)
        }
        if len(vouchers) != 1:
            found = "no voucher" if not vouchers else f"{len(vouchers)} vouchers"
            raise VoucherNotReady(f"{where}, and JDE's F0411 has {found} for {marks.words()}; retried later")
        return vouchers.pop()

    @find_held_on_missing
    def find(self, record: Mapped) -> str | None:
        if not self._read_first(record):
            return None
        company, document = self._voucher(record)
        return find_payment(self.session, company, document, "PV", record.body["Payment_Reference"])

    @create_held_on_missing
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

    @find_held_on_missing
    def find(self, record: Mapped) -> str | None:
        if not self._read_first(record):
            return None
        body = record.body
        voucher = (str(body["Document_Company"]), int(body["Document_Number"]), body["Document_Type"])
        return find_payment(self.session, *voucher, body["Payment_Reference"])

    @create_held_on_missing
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


@dataclass(frozen=True)
class VoucherMarks:
    """What R04110ZA carries from our batch into the F0411 voucher, to find it by: the supplier invoice
    number (VINV), the header remark (RMK) and, when known, the supplier (AN8)."""

    invoice_number: str = ""
    remark: str = ""
    supplier: int | None = None

    def conditions(self) -> list[Condition]:
        """The data-service conditions on F0411 (PV vouchers), [] when nothing is known to look for."""
        found = []
        if self.invoice_number:
            found.append(Condition("F0411.VINV", "EQUAL", self.invoice_number))
        if self.remark:
            found.append(Condition("F0411.RMK", "EQUAL", self.remark))
        if not found:
            return []
        if self.supplier:
            found.append(Condition("F0411.AN8", "EQUAL", self.supplier))
        return [*found, Condition("F0411.DCT", "EQUAL", "PV")]

    def matches(self, row: Mapping[str, object]) -> bool:
        """Whether an F0411 row carries every mark it shows (compared trimmed: AIS pads characters)."""
        if self.invoice_number and "VINV" in row and _text(row["VINV"]) != self.invoice_number:
            return False
        if self.remark and "RMK" in row and _text(row["RMK"]) != self.remark:
            return False
        return not (self.supplier and "AN8" in row and jde_number(row["AN8"]) != self.supplier)

    def words(self) -> str:
        parts = [f"supplier {self.supplier}"] if self.supplier else []
        parts += [f"invoice {self.invoice_number}"] if self.invoice_number else []
        parts += [f"remark {self.remark!r}"] if self.remark else []
        return " ".join(parts)


def marks_of(body: Mapping[str, object]) -> VoucherMarks:
    """The ``VOUCHER_MARKS`` a payment body carries (none: an empty ``VoucherMarks``)."""
    return VoucherMarks(_text(body.get("Voucher_Invoice_Number")), _text(body.get("Voucher_Remark")))


def _text(value: object) -> str:
    return str(value or "").strip()


def find_payment(session: JdeSession, company: str, document: int, dct: str, reference: str) -> str | None:
    """The ledger's id of payment ``reference`` on the voucher when JDE's F0414 shows it recorded (with
    JDE's payment number), else None."""
    number = recorded_payment(session, company, document, dct, reference)
    return payment_target_id(company, document, dct, reference, number) if number else None


# The amount where its currency mode puts it (Payment_Amount in D, Currency_Amount in F: ``placed``).
PAYMENT_INPUTS = (
    "Payment_Amount", "Currency_Amount", "Currency_Code", "Currency_Mode", "Exchange_Rate", "Payment_Date",
    "Payment_Reference",
)  # fmt: skip


def payment_body(body: Mapping[str, object]) -> dict[str, Any]:
    """What ``ML_RecordPayment`` takes of a payment body, mapped (``batch_bodies.payment_inputs``) or placed
    in its currency, beside the voucher: its amount, currency, stated rate, date and reference (not its batch
    keys)."""
    return {name: body[name] for name in PAYMENT_INPUTS if name in body}


def record_payment(
    session: JdeSession,
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
    session: JdeSession, company: str, document: int, dct: str, reference: str, exc: JdeOrchestrationError
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
