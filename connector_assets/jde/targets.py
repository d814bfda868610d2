"""Write targets in JD Edwards for any "X -> JDE" flow: voucher and journal batches, payments on vouchers.

Every write into JDE goes through an ml-connector orchestration (``docs/jde_orchestrations/``); the
targets here drive them and know what each answer means, whatever system the records came from. What is
an integration's own is given to them: the flow (``FlowSpec``, for the ledger's cross-reference), the
name of the source system in a finance user's words, and the batch keys its mapper put on each record
(``BatchKey``: EDUS / EDBT / EDTN, derived from the source document alone, so that any rerun sends the
same keys and JDE refuses a second copy).

Why the writes cannot duplicate. A voucher goes through ``ML_CreateVoucherBatch``; when the ledger shows
an earlier attempt that never recorded its result, the batch is looked up in F0411Z1 first and adopted;
a refusal on create (59A4: the ledger lost the intent entirely, or two runs raced; whatever its code) is
looked up the same way and adopted after checking that the batch really holds this document: a repeat is
recognised by what JDE holds, not by its code. A payment goes through ``ML_RecordPayment`` with the source
payment's reference as ``Payment_Reference``, which JDE records once per voucher, in F0414 under its payment
number: it is read there before writing (when an earlier attempt may have recorded it) and after any
refusal, and adopted with JDE's payment number; a duplicate refusal F0414 cannot confirm is adopted
whatever its code (``payment_repeats``). A payment can only be recorded once the Batch Voucher Processor
(R04110ZA) has turned the batch into an F0411 voucher; until then it is held on the batch, not failed, and
released once R04110ZA has run (``unprocessed_batches``).
A payment on a voucher the source already knows by its document key (KCO / DOC / DCT: a JDE voucher that
became a BILL bill) goes through ``DocumentPayments``: the same orchestration and rule, and a voucher JDE
does not find (59A8) is not ready either, not refused. A flow that posts each record one of several ways
(a voucher or a journal, a voucher payment or a journal entry) writes through a ``PostingTarget`` naming
them; its replay handler is ``jde_target_replay``.

Money goes in the document's currency. A mapped body names its currency and keeps its amounts where the
mapper put them; right before each call the target reads the company's currency (F0010 ``CRCD``, in the
once-per-session read of its periods, ``JdePeriods``) and places the amounts (``batch_bodies.
place_currency``): the company's own currency goes in ``Currency_Mode`` D, any other in ``Currency_Mode`` F
with the amounts in ``Currency_Amount``. A company F0010 gives no currency for holds the record on it
(``periods.CompanyCurrencyUnknown``), never sent in a mode that may be wrong.
"""

from typing import Any, ClassVar

from connector_assets.flows.core import Created, Mapped
from connector_assets.flows.periods import Posting
from connector_assets.flows.records import Unchanged
from connector_assets.flows.targets import Held  # noqa: F401  (what a target's ``open_on`` holds)
from connector_assets.jde.batch_bodies import place_currency
from connector_assets.jde.payment_repeats import (  # noqa: F401  (PAYMENT_TABLE: what a payment flow reads)
    PAYMENT_TABLE,
    duplicate_refusal,
    payment_target_id,
    read_payment,
    recorded_payment,
)
from connector_assets.jde.periods import (  # noqa: F401  (PERIOD_TABLES: what a money flow reads)
    AP,
    GL,
    PERIOD_TABLES,
    CompanyCurrencyUnknown,
    JdePeriods,
    register_jde_period_check,
)
from connector_assets.jde.tables import AP_LEDGER
from connector_assets.jde.target_base import (  # noqa: F401  (the targets' API, one import point)
    ADD_UPDATE_SUPPLIER,
    ADDRESS_BOOK_TABLE,
    BATCH_TABLE,
    CREATE_JOURNALS,
    CREATE_VOUCHERS,
    JOURNAL_TABLE,
    RECORD_PAYMENT,
    SUPPLIER_SECRET_INPUTS,
    BatchKey,
    JdeRefused,
    JdeTarget,
    VoucherChanged,
    VoucherNotReady,
    _iso_date,
    jde_number,
    jde_reason,
    jde_replays,
    jde_target_replay,
    posted,
)
from connector_assets.jde.unprocessed_batches import VoucherUnprocessed
from connector_assets.preview.target import created_in_preview
from connector_resources.jde import Condition, JdeOrchestrationError
from connector_resources.redaction import register_secret
from connector_resources.refusals import Refused, refused, source_invalid


def placed(target: JdeTarget, company: str, body: dict[str, Any], document: str) -> dict[str, Any]:
    """``body`` as sent to ``company`` (``batch_bodies.place_currency``, by its F0010 currency, read once
    per session with its periods); ``CompanyCurrencyUnknown`` holds ``document`` (in words) when F0010 gives
    none, and an amount finer than its currency allows is JDE-bound nonsense refused in words."""
    currency = target.company_calendars().currency(company, document)
    try:
        return place_currency(body, currency)
    except ValueError as exc:
        sentence = f"{document}: {exc}"
        raise JdeRefused(sentence, kind=source_invalid(sentence, field="amount or currency")) from None


class BatchTarget(JdeTarget):
    """A record written as rows of a JDE batch file (EDUS / EDBT / EDTN / EDLN) by one orchestration.

    The batch key comes with the record's body, so a repeated write is refused by JDE (59A4) and the rows
    already there are adopted, once they are checked to hold this record (``_foreign``). A subclass names
    the orchestration, the batch table, the columns that check needs and the date inputs to convert.
    """

    orchestration: ClassVar[str]
    batch_table: ClassVar[str]
    what: ClassVar[str]  # "voucher batch", in messages
    check_columns: ClassVar[tuple[str, ...]] = ()
    date_inputs: ClassVar[tuple[str, ...]] = ()
    periods: ClassVar[str]  # whose open periods its G/L date is judged by: ``jde.periods.AP`` or ``GL``

    def document(self, record: Mapped) -> str:
        """The record in a finance user's words, for a hold on its period."""
        return f"{self.what} {BatchKey.of_body(record.body).target_id}"

    def _foreign(self, key: BatchKey, rows: list[dict[str, Any]], record: Mapped) -> str | None:
        """Why the rows under this key are not this record's (None when they are)."""
        return None

    def _adoptable(self, record: Mapped) -> str | None:
        key = BatchKey.of_body(record.body)
        rows = list(
            self.session.browse(
                self.batch_table,
                columns=["EDUS", "EDBT", "EDTN", "EDLN", *self.check_columns],
                conditions=key.conditions(self.batch_table),
            )
        )
        if not rows:
            return None
        foreign = self._foreign(key, rows, record)
        if foreign:
            raise VoucherChanged(foreign)
        return key.target_id

    def find(self, record: Mapped) -> str | None:
        # A fresh claim needs no read; a surprise there is refused, and read then (``create``).
        return self._adoptable(record) if self._read_first(record) else None

    def planned_id(self, record: Mapped) -> str:
        """The target id ``create`` gives the record, known before it writes: its batch keys (JDE numbers
        nothing here). A preview records it in the created record's place (``preview.target``)."""
        return BatchKey.of_body(record.body).target_id

    def create(self, record: Mapped) -> str | Created:
        body = dict(record.body)
        for name in self.date_inputs:
            body[name] = _iso_date(body.get(name))
        company, document = str(body.get("Company") or ""), self.document(record)
        posting = self.posting(
            company=company, ledger=self.periods, document=document, field="G/L date", day=body.get("GL_Date")
        )
        if posting is not None:
            body["GL_Date"] = posting.day  # the source's, or the first open day (said in the audit trail)
        body = placed(self, company, body, document)  # the document's currency: domestic D or foreign F
        try:
            result = self.session.orchestrate(self.orchestration, body)
        except JdeOrchestrationError as exc:
            if not exc.is_business_error:
                raise
            # Whatever the code (59A4 here, another on a JDE that numbered its errors otherwise): the rows
            # under this record's batch key, if they are its own, are an earlier attempt's write.
            adopted = self._adoptable(record)
            if adopted is not None:
                return Created(
                    adopted,
                    "adopt",
                    f"JDE already holds {self.what} {adopted} (refused as {', '.join(exc.codes)}): an "
                    "earlier attempt wrote it before the ledger recorded it; adopted, not written twice",
                )
            held = self.period_refusal(
                exc, posting, company=company, ledger=self.periods, document=document, said=jde_reason(exc)
            )
            if held is not None:
                raise held from None
            raise JdeRefused(jde_reason(exc)) from None
        return posted(BatchKey.of_body(record.body).target_id, posting, result)


class VoucherBatches(BatchTarget):
    """Source invoices as JDE batch vouchers (F0411Z1 pay items + F0911Z1 distribution), through
    ``ML_CreateVoucherBatch``. A record's body is the orchestration's input, batch keys included."""

    orchestration = CREATE_VOUCHERS
    writes = (CREATE_VOUCHERS,)
    batch_table = BATCH_TABLE
    what = "voucher batch"
    check_columns = ("AN8", "VINV")
    date_inputs = ("Invoice_Date", "GL_Date", "Due_Date")
    periods = AP

    def document(self, record: Mapped) -> str:
        return f"{self.source_label} invoice {record.body['Invoice_Number']} (voucher batch " + (
            f"{BatchKey.of_body(record.body).target_id})"
        )

    def _foreign(self, key: BatchKey, rows: list[dict[str, Any]], record: Mapped) -> str | None:
        holds = {(str(r.get("AN8")), str(r.get("VINV") or "").strip()) for r in rows}
        if holds == {(str(record.body["Supplier"]), record.body["Invoice_Number"].strip())}:
            return None
        return (
            f"JDE batch {key.target_id} holds supplier/invoice {sorted(holds)}, not supplier "
            f"{record.body['Supplier']} invoice {record.body['Invoice_Number']}; check the batch in JDE"
        )


class JournalBatches(BatchTarget):
    """Source documents as JDE journal entries (F0911Z1 rows, one per line, summing to zero), through
    ``ML_CreateJournalBatch``, for the journal entry batch processor to post."""

    orchestration = CREATE_JOURNALS
    writes = (CREATE_JOURNALS,)
    batch_table = JOURNAL_TABLE
    what = "journal batch"
    check_columns = ("KCO",)
    date_inputs = ("GL_Date",)
    periods = GL

    def document(self, record: Mapped) -> str:
        """Its explanation names the source document (``Inv INV-107``); the batch keys alone do not."""
        explained = str(record.body.get("Explanation") or "").strip()
        named = f" '{explained}'" if explained else ""
        return f"{self.source_label} journal entry{named} ({super().document(record)})"

    def _foreign(self, key: BatchKey, rows: list[dict[str, Any]], record: Mapped) -> str | None:
        companies = {str(r.get("KCO") or "").strip() for r in rows}
        if companies == {str(record.body["Company"]).strip()}:
            return None
        return (
            f"JDE journal batch {key.target_id} belongs to company {sorted(companies)}, not "
            f"{record.body['Company']}; check the batch in JDE"
        )


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
        if not rows and created_in_preview(key.target_id):  # a batch a preview's write would make now
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


class PostingTarget(JdeTarget):
    """A record posted to JDE one of several ways on one JDE session: a voucher batch or a journal batch, a
    voucher payment or a journal entry. The subclass names the ways (``ways``: attribute name -> target
    class, each opened on the same session and labelled with this ``source_label``) and picks one for a
    record (``_for``); ``find`` / ``create`` go to it. A record already posted that maps differently later
    (``update``) is refused saying what may have changed (``changed_since``), never written twice."""

    ways: ClassVar[dict[str, type[JdeTarget]]] = {}
    changed_since: ClassVar[str] = "it changed at the source, or the settings changed since"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """What it writes (``SessionTarget.writes``, for ``ping``) is what its ways write, each once."""
        super().__init_subclass__(**kwargs)
        cls.writes = tuple(dict.fromkeys(name for way in cls.ways.values() for name in way.writes))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._periods = JdePeriods(self.session)  # one read of the company's periods serves every way
        for name, way in self.ways.items():
            target = way(*args, **kwargs)
            target.source_label = self.source_label  # type: ignore[misc]
            target._periods = self._periods
            setattr(self, name, target)

    def _for(self, record: Mapped) -> JdeTarget:
        raise NotImplementedError

    def find(self, record: Mapped) -> str | None:
        return self._for(record).find(record)  # type: ignore[attr-defined]

    def create(self, record: Mapped) -> Any:
        return self._for(record).create(record)  # type: ignore[attr-defined]

    def planned_id(self, record: Mapped) -> str | None:
        """The way's ``planned_id`` (a batch's keys), None when the way has none."""
        planned = getattr(self._for(record), "planned_id", None)
        return planned(record) if planned else None

    def update(self, target_id: str, record: Mapped) -> Unchanged | None:  # type: ignore[override]
        xref = self._xref(record)
        if xref is None or not xref.target_id:
            return None  # adopting what an earlier attempt wrote: it is already there
        unchanged = self.unchanged_but_added_inputs(record)
        if unchanged is not None:
            return unchanged
        raise VoucherChanged(
            f"already posted to JDE as {target_id}, and it maps differently now ({self.changed_since}): JDE "
            "postings are never rewritten or sent twice by the integration; correct it in JDE if needed, "
            "then abandon this item"
        )


class Suppliers(JdeTarget):
    """Source vendors as JDE suppliers (an F0101 address book row with search type V and its F0401
    supplier master row), through ``ML_AddUpdateSupplier``; the target ID is the address number (AN8).

    JDE does not refuse a second supplier of the same name or tax ID, so ``find`` searches F0101 by tax
    ID (``Tax_ID``), then by the long address number the integration sets to the source's vendor ID
    (``Long_Address_Number``): a supplier a crashed attempt added is adopted, not added twice.
    """

    orchestration: ClassVar[str] = ADD_UPDATE_SUPPLIER
    writes = (ADD_UPDATE_SUPPLIER,)
    search_table: ClassVar[str] = ADDRESS_BOOK_TABLE

    def find(self, record: Mapped) -> str | None:
        keys = (("TAX", record.body.get("Tax_ID")), ("ALKY", record.body.get("Long_Address_Number")))
        for column, value in keys:
            value = str(value or "").strip()
            if not value:
                continue
            rows = self.session.browse(
                self.search_table,
                columns=["AN8", "AT1"],
                conditions=[Condition(f"{self.search_table}.{column}", "EQUAL", value)],
            )
            numbers = sorted(n for r in rows if (n := jde_number(r.get("AN8"))))
            if numbers:
                return str(numbers[0])  # the oldest, should JDE already hold several
        return None

    def _orchestrate(self, inputs: dict[str, Any]) -> str:
        for name in SUPPLIER_SECRET_INPUTS:  # masked in any error text or log line that might echo them
            register_secret(str(inputs.get(name) or "").strip() or None)
        try:
            result = self.session.orchestrate(self.orchestration, inputs)
        except JdeOrchestrationError as exc:
            if exc.is_business_error:
                raise JdeRefused(jde_reason(exc)) from None
            raise
        number = jde_number(result.outputs.get("Address_Number"))
        if number is None:
            sentence = f"{self.orchestration} answered without an address number: {result.outputs}"
            raise Refused(refused(sentence, rule="answer without an address number"))
        return str(number)

    def create(self, record: Mapped) -> str:
        return self._orchestrate({k: v for k, v in record.body.items() if k != "Address_Number"})

    def update(self, target_id: str, record: Mapped) -> None:
        self._orchestrate({**record.body, "Address_Number": int(target_id)})
