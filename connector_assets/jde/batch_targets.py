"""JD Edwards batch targets: a record written as rows of a JDE batch file (F0411Z1, F0911Z1) by one
orchestration, its amounts in the company's currency (``placed``). Why a repeat cannot duplicate:
docs/jde_orchestrations/README.md, "Keys that make writes safe to repeat"."""

from collections.abc import Iterator, Mapping, Sequence
from typing import Any, ClassVar

from connector_assets.flows import amounts
from connector_assets.flows.core import Created, Mapped
from connector_assets.jde.batch_bodies import place_currency
from connector_assets.jde.periods import AP, GL, JdePeriods
from connector_assets.jde.tables import AP_LEDGER
from connector_assets.jde.target_base import (
    BATCH_TABLE,
    CREATE_JOURNALS,
    CREATE_VOUCHERS,
    JOURNAL_TABLE,
    BatchKey,
    JdeRefused,
    JdeTarget,
    VoucherChanged,
    _iso_date,
    create_held_on_missing,
    find_held_on_missing,
    jde_number,
    jde_reason,
    posted,
)
from connector_resources.jde import Condition, JdeOrchestrationError
from connector_resources.refusals import source_invalid
from connector_resources.replay import WaitsFor

GL_DATE = "G/L date"  # the field a batch's posting date is judged as, in a hold's words


def placed(target: JdeTarget, company: str, body: Mapping[str, object], document: str) -> dict[str, Any]:
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
    """A record written as rows of a JDE batch file (EDUS / EDBT / EDTN / EDLN) by one orchestration; rows
    already there are adopted once checked to hold this record (``_foreign``). A subclass names the
    orchestration, the batch table, the columns that check needs and the date inputs to convert."""

    orchestration: ClassVar[str]
    batch_table: ClassVar[str]
    what: ClassVar[str]  # "voucher batch", in messages
    check_columns: ClassVar[tuple[str, ...]] = ()
    date_inputs: ClassVar[tuple[str, ...]] = ()
    periods: ClassVar[str]  # whose open periods its G/L date is judged by: ``jde.periods.AP`` or ``GL``

    def document(self, record: Mapped) -> str:
        """The record in a finance user's words, for a hold on its period."""
        return f"{self.what} {BatchKey.of_body(record.body).target_id}"

    def _foreign(self, key: BatchKey, rows: Sequence[Mapping[str, object]], record: Mapped) -> str | None:
        """Why the rows under this key are not this record's (None when they are)."""
        return None

    def _processed_and_purged(self, key: BatchKey, record: Mapped) -> str | None:
        """The record's target id when its batch rows are gone because JDE processed and purged them, found
        by what the processed document carries; None when the batch was never written (a subclass's)."""
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
            return self._processed_and_purged(key, record)
        foreign = self._foreign(key, rows, record)
        if foreign:
            raise VoucherChanged(foreign)
        return key.target_id

    @find_held_on_missing
    def find(self, record: Mapped) -> str | None:
        # A fresh claim needs no read; a surprise there is refused, and read then (``create``).
        return self._adoptable(record) if self._read_first(record) else None

    def planned_id(self, record: Mapped) -> str:
        """The target id ``create`` gives the record, known before it writes: its batch keys (JDE numbers
        nothing here). A preview records it in the created record's place (``preview.target``)."""
        return BatchKey.of_body(record.body).target_id

    @create_held_on_missing
    def create(self, record: Mapped) -> str | Created:
        body = dict(record.body)
        for name in self.date_inputs:
            body[name] = _iso_date(body.get(name))
        company, document = str(body.get("Company") or ""), self.document(record)
        posting = self.posting(
            company=company, ledger=self.periods, document=document, field=GL_DATE, day=body.get("GL_Date")
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

    @staticmethod
    def invoice(body: Mapping[str, Any], source: str) -> str:
        """The voucher in a finance user's words (``document``), from its invoice number and batch key."""
        key = BatchKey.of_body(body).target_id
        return f"{source} invoice {body['Invoice_Number']} (voucher batch {key})"

    @classmethod
    def period_wait(
        cls, periods: JdePeriods, integration: str, head: Mapping[str, object], source: str
    ) -> WaitsFor | None:
        """What ``create`` holds a voucher on for its G/L date (``posting``: a closed A/P period, the close in
        progress), judged from its ``head`` alone (``Company``, ``GL_Date``, ``Invoice_Number``, batch key) so
        a source step can hold it before reading the rest, worded for ``source``; None when it may post."""
        try:
            periods.posting(
                integration=integration, company=str(head["Company"]), ledger=cls.periods,
                document=cls.invoice(head, source), field=GL_DATE, day=_iso_date(head["GL_Date"]),
            )  # fmt: skip
        except WaitsFor as waits:
            return waits
        return None

    def document(self, record: Mapped) -> str:
        return self.invoice(record.body, self.source_label)

    def _processed_and_purged(self, key: BatchKey, record: Mapped) -> str | None:
        """R04110ZA's "purge processed transactions" option and R0411Z1P delete a processed batch's rows
        (A/P implementation guide); the voucher it became stays in F0411 carrying the batch's company,
        supplier, invoice number and remark. One PV voucher carrying all four is this record's, written by
        an earlier attempt: adopted, never written twice; several are a person's to sort out."""
        body = record.body
        remark = str(body.get("Remark") or "").strip()
        if not remark or not str(body.get("Supplier") or "").strip().isdigit():
            return None  # without our remark (or a supplier) a voucher keyed by hand could pass for ours
        marks = {
            "KCO": str(body["Company"]).strip(),
            "AN8": str(body["Supplier"]).strip(),
            "VINV": str(body["Invoice_Number"]).strip(),
            "RMK": remark,
        }
        rows = self.session.browse(
            AP_LEDGER.table,
            columns=["KCO", "DOC", "DCT", "SFX", "AN8", "VINV", "RMK"],
            conditions=[
                Condition("F0411.KCO", "EQUAL", marks["KCO"]),
                Condition("F0411.AN8", "EQUAL", int(marks["AN8"])),
                Condition("F0411.VINV", "EQUAL", marks["VINV"]),
                Condition("F0411.RMK", "EQUAL", remark),
                Condition("F0411.DCT", "EQUAL", "PV"),
            ],
        )
        vouchers = {
            (str(r.get("KCO") or "").strip(), jde_number(r.get("DOC")))
            for r in rows
            if jde_number(r.get("DOC")) and all(str(r.get(k, v)).strip() == v for k, v in marks.items())
        }
        if not vouchers:
            return None
        if len(vouchers) > 1:
            raise VoucherChanged(
                f"JDE's batch rows of {key.target_id} are gone (processed and purged) and F0411 holds "
                f"{len(vouchers)} vouchers of supplier {marks['AN8']} invoice {marks['VINV']} remark "
                f"'{remark}'; check them in JDE"
            )
        return key.target_id

    def _foreign(self, key: BatchKey, rows: Sequence[Mapping[str, object]], record: Mapped) -> str | None:
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

    def _processed_and_purged(self, key: BatchKey, record: Mapped) -> str | None:
        """R09110Z's "purge processed transactions" option deletes an entry's F0911Z1 rows once it is in
        F0911 (G/L implementation guide), and F0911 keeps no EDI key: the entry is the one document of its
        company and type in F0911 (ledger AA) whose lines are this record's, account, amount and
        explanation each. Adopted, never written twice; several are a person's to sort out. A foreign
        entry (amounts in Currency_Amount) is not matched: its domestic amounts are R09110Z's."""
        body = record.body
        lines = body.get("Lines") or []
        if not lines or any("Amount" not in line for line in lines):
            return None
        wanted = sorted(
            _journal_line(line.get("Account"), line.get("Amount"), line.get("Explanation")) for line in lines
        )
        rows = self._ledger_lines(body, "EXA", str(lines[0].get("Explanation") or "").strip())
        documents = {jde_number(r.get("DOC")) for r in rows} - {None}
        matching = []
        for document in sorted(documents):
            found = self._ledger_lines(body, "DOC", document)
            if sorted(_journal_line(r.get("ANI"), r.get("AA"), r.get("EXA")) for r in found) == wanted:
                matching.append(document)
        if not matching:
            return None
        if len(matching) > 1:
            raise VoucherChanged(
                f"JDE's batch rows of {key.target_id} are gone (posted and purged) and F0911 holds "
                f"{len(matching)} entries with its lines (documents {', '.join(map(str, matching))}); check "
                "them in JDE"
            )
        return key.target_id

    def _ledger_lines(self, body: dict[str, Any], column: str, value: Any) -> Iterator[dict[str, Any]]:
        """F0911 ledger AA lines of the entry's company and document type whose ``column`` is ``value``."""
        return self.session.browse(
            GL_TABLE,
            columns=["KCO", "DCT", "DOC", "LT", "ANI", "AA", "EXA"],
            conditions=[
                Condition(f"{GL_TABLE}.KCO", "EQUAL", str(body["Company"]).strip()),
                Condition(f"{GL_TABLE}.DCT", "EQUAL", str(body.get("Document_Type") or "JE").strip()),
                Condition(f"{GL_TABLE}.{column}", "EQUAL", value),
                Condition(f"{GL_TABLE}.LT", "EQUAL", "AA"),
            ],
        )

    def _foreign(self, key: BatchKey, rows: Sequence[Mapping[str, object]], record: Mapped) -> str | None:
        companies = {str(r.get("KCO") or "").strip() for r in rows}
        if companies == {str(record.body["Company"]).strip()}:
            return None
        return (
            f"JDE journal batch {key.target_id} belongs to company {sorted(companies)}, not "
            f"{record.body['Company']}; check the batch in JDE"
        )


GL_TABLE = "F0911"  # the Account Ledger a processed journal entry is in


def _journal_line(account: object, amount: object, explanation: object) -> tuple[str, str, str]:
    """One journal line as compared across F0911 and a record: account, amount (exact), explanation."""
    value = amounts.amount(amount)
    return (
        str(account or "").strip(),
        "" if value is None else f"{value.normalize():f}",
        str(explanation or "").strip(),
    )
