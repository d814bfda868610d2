"""What every JD Edwards write target stands on: the orchestrations and tables they name (one place, for
``ml-connector ping``), JDE's refusal codes in words, ``BatchKey``, ``JdeTarget`` and ``JDE_CHECKS``, and
the two decorators every JDE target puts on its own ``find`` / ``create`` (``find_held_on_missing`` /
``create_held_on_missing``: what waits for a record JDE lacks)."""

import functools
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from itertools import combinations
from typing import Any, ClassVar, TypeVar

from connector_assets.flows import amounts
from connector_assets.flows.close_calendar import close_checks
from connector_assets.flows.core import Created, Mapped, Unchanged
from connector_assets.flows.missing_holds import MissingHolds, appeared_by
from connector_assets.flows.periods import PeriodClosed, Posting, redated
from connector_assets.flows.replays import OutsideChecks
from connector_assets.flows.targets import LedgerTarget
from connector_assets.jde.missing_master import (
    KINDS,
    appeared_checks,
    jde_missing_checks,
    refused_for_missing,
    would_miss,
)
from connector_assets.jde.periods import AP, JdePeriods, jde_period_checks, refused_period
from connector_resources.http.write_hold import holding
from connector_resources.jde import Condition, JdeOrchestrationError
from connector_resources.redaction import redact
from connector_resources.refusals import Refusal, target_refused

# What the JDE targets reach beyond the staged sources; each is named once, here, and the flows' ``reads``
# / ``writes`` (what ``ml-connector ping`` checks) use the same names as the code below.
BATCH_TABLE = "F0411Z1"  # the voucher batch rows the orchestration wrote (adopt, find the voucher)
JOURNAL_TABLE = "F0911Z1"  # the journal batch rows ML_CreateJournalBatch wrote (adopt)
CREATE_VOUCHERS = "ML_CreateVoucherBatch"
CREATE_JOURNALS = "ML_CreateJournalBatch"
ADD_UPDATE_SUPPLIER = "ML_AddUpdateSupplier"
ADDRESS_BOOK_TABLE = "F0101"  # searched by tax ID before a supplier is added (JDE adds duplicates)
# ML_AddUpdateSupplier v1.1's bank inputs: secrets, registered for redaction before every call.
SUPPLIER_SECRET_INPUTS = ("Bank_Transit_Number", "Bank_Account_Number")
RECORD_PAYMENT = "ML_RecordPayment"

# What a finance user reads when JDE refuses a write (the JDE code and its own words follow).
JDE_REASONS = {
    "0052": "the business unit does not exist in JDE",
    "59A0": "JDE refused one of the values sent",
    "59A1": "the supplier is not in JDE's supplier master (F0401)",
    "59A2": "an account is not in JDE's account master (F0901)",
    "59A3": "an account is not postable in JDE",
    "59A5": "the amounts do not balance (a voucher's G/L distribution must add up to the invoice total, "
    "a journal entry's lines to zero)",
    "59A6": "the purchase order does not exist in JDE",
    "59A7": "the purchase order line cannot be changed in JDE (it does not exist, or it is closed or "
    "cancelled); add a new line instead",
    "59A8": "the voucher is not in JDE's A/P ledger (F0411)",
    "59A9": "the voucher's pay item is on hold in JDE; release the hold first",
    "59AA": "the address number does not exist in JDE's address book (F0101)",
    "59AC": "the payment is larger than the voucher's open amount",
    "59AD": "JDE has no exchange rate for the document's currency on its G/L date (F0015)",
    "59AE": "the currency is not set up in JDE (F0013), or it is not the voucher's currency",
}


# Inputs a mapped money body gained with the multi-currency contracts (the document's currency on journals
# and payments), the voucher builder every flow shares (a blank due date named) and the order reference.
ADDED_INPUTS = (
    ("Currency_Code",),
    ("Due_Date",),
    ("Order_Company", "Order_Number", "Order_Type"),
    # A payment's marks of its voucher (``payment_targets.VOUCHER_MARKS``): never sent, only read by.
    ("Voucher_Invoice_Number", "Voucher_Remark"),
)


class VoucherChanged(ValueError):
    """A record changed after it was written to JDE; the integration never rewrites or doubles it."""

    @property
    def refusal(self) -> Refusal:
        """A conflict: JDE holds something else under the record's key; a person decides."""
        return Refusal("conflict", str(self), {"system": "JDE"})


class JdeRefused(ValueError):
    """JDE named a business reason (an error code) for refusing the write: fix the data, then replay.

    ``code``: JDE's error code (``59A1``), given or read from the orchestration error it was raised from
    (``raise JdeRefused(jde_reason(exc)) from None`` keeps it as the context); ``refusal`` says it as data,
    grouped by that code (``kind``: another kind when the refusal is not JDE's own, e.g. a conflict)."""

    def __init__(self, message: str, *, code: str = "", kind: Refusal | None = None) -> None:
        super().__init__(message)
        self._code, self._kind = code, kind

    @property
    def code(self) -> str:
        if self._code:
            return self._code
        cause = self.__cause__ or self.__context__
        codes = getattr(cause, "codes", ()) if isinstance(cause, JdeOrchestrationError) else ()
        return codes[0] if codes else ""

    @property
    def refusal(self) -> Refusal:
        if self._kind is not None:
            return Refusal(self._kind.kind, str(self), self._kind.params)
        return target_refused(str(self), system="JDE", code=self.code)


class VoucherNotReady(RuntimeError):
    """The voucher a payment goes on cannot be found in JDE (not in F0411, or its processed batch names no
    single voucher): queued failed, retried. A batch R04110ZA has not processed yet is not a failure: its
    subclass ``unprocessed_batches.VoucherUnprocessed`` holds the payment instead."""

    @property
    def refusal(self) -> Refusal:
        """The payment waits for JDE to hold its voucher (a wait the flows end; overdue, a person's); a
        subclass holding it on a batch (``WaitsFor``) sets its own."""
        own = self.__dict__.get("_refusal")
        if isinstance(own, Refusal):
            return own
        return Refusal("target_processing", str(self), {"system": "JDE", "waits_for": "voucher"})

    @refusal.setter
    def refusal(self, value: Refusal) -> None:
        self.__dict__["_refusal"] = value


def posted(target_id: str, posting: Posting | None, result: object) -> str | Created:
    """What a money write returns: its target id, or a ``Created`` saying what the audit trail must keep
    beside it (a G/L date moved into an open period, JDE's warnings: PACO, a PBCO allowed), marked so the
    day's figures count them."""
    notes, marks = redated(posting)
    warnings = [str(w) for w in getattr(result, "warnings", ()) or ()]
    if warnings:
        notes.append("JDE accepted it with warnings: " + "; ".join(warnings))
        marks.append("warned")
    if not notes:
        return target_id
    return Created(target_id, "create", redact("created; " + "; ".join(notes)), tuple(marks))


def jde_reason(exc: JdeOrchestrationError) -> str:
    """JDE's refusal in a finance user's words, with JDE's own code, title and text after them."""
    errors = [m for m in exc.messages if m.code and m.severity == "error"]
    if not errors:
        return str(exc)
    first = errors[0]
    plain = JDE_REASONS.get(first.code, "JDE refused it")
    detail = first.mobile or first.description or first.title
    return redact(f"{plain} (JDE {first.code} {first.title}: {detail})")


def jde_number(value: object) -> int | None:
    """A JDE document or address number as AIS may render it (``1234``, ``"1234"``, ``1234.0``); None
    when blank or zero, which is how an unassigned number reads."""
    number = amounts.amount(str(value).strip()) if value is not None else None
    if number is None or number != number.to_integral_value() or number <= 0:
        return None
    return int(number)


def _iso_date(value: object) -> date | None:
    """A body's date input as a ``date``: ISO text read, a ``date`` as is (a batch target has already read
    its date inputs when it asks for the posting), anything else None."""
    if isinstance(value, date):
        return value.date() if isinstance(value, datetime) else value
    return date.fromisoformat(value) if isinstance(value, str) and value else None


@dataclass(frozen=True)
class BatchKey:
    """The F0411Z1/F0911Z1 batch key of one source document (EDUS / EDBT / EDTN): an integration derives
    it from the document alone, so it is the same on every attempt, by construction."""

    user: str
    batch: str
    transaction: str

    @classmethod
    def of_body(cls, body: dict[str, Any]) -> "BatchKey":
        """The key a mapped voucher or payment body carries (``EDI_User_ID`` ...)."""
        return cls(body["EDI_User_ID"], body["EDI_Batch_Number"], body["EDI_Transaction_Number"])

    def body(self) -> dict[str, str]:
        return {
            "EDI_User_ID": self.user,
            "EDI_Batch_Number": self.batch,
            "EDI_Transaction_Number": self.transaction,
        }

    @property
    def target_id(self) -> str:
        return f"{self.user}/{self.batch}/{self.transaction}"

    def conditions(self, table: str = BATCH_TABLE) -> list[Condition]:
        """The browse conditions that find this key's rows in a batch file (F0411Z1 or F0911Z1)."""
        return [
            Condition(f"{table}.EDUS", "EQUAL", self.user),
            Condition(f"{table}.EDBT", "EQUAL", self.batch),
            Condition(f"{table}.EDTN", "EQUAL", self.transaction),
        ]


class JdeTarget(LedgerTarget):
    """A ``LedgerTarget`` on one JDE AIS session (``writes``: its orchestrations, for ``ping``). JDE cannot be
    searched or rewritten as a SaaS API can, so it decides with the ledger: the record's cross-reference
    (the batch read first only after an earlier claim; no rewrite of a voucher or payment) and, for money,
    the G/L date against the open periods (``posting``). ``source_label``: the source in a user's words.

    A subclass that defines ``find`` or ``create`` decorates it with ``@find_held_on_missing`` /
    ``@create_held_on_missing`` (what waits for a record JDE lacks stays unsent; JDE's refusal for one
    becomes a hold); one that does not is refused when the class is defined, so no target forgets it."""

    resource = "jde"
    source_label: ClassVar[str] = "the source system"

    def __init_subclass__(cls, **kwargs: object) -> None:
        """Refuse a subclass whose own ``find`` / ``create`` lacks its decorator (class docstring)."""
        super().__init_subclass__(**kwargs)
        for name, decorator in (("find", "find_held_on_missing"), ("create", "create_held_on_missing")):
            own = cls.__dict__.get(name)
            if own is not None and getattr(own, "held_on_missing", None) != name:
                raise TypeError(
                    f"{cls.__module__}.{cls.__qualname__}.{name}: a JDE target's {name} is decorated with "
                    f"@{decorator} (connector_assets.jde.target_base), so a record held on one JDE lacks "
                    "stays held"
                )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)  # the session, then what it holds (``Held``)
        self.opened_at = datetime.now(UTC)
        self._periods: JdePeriods | None = None

    def missing_holds(self) -> MissingHolds | None:
        """The flow's records held on a record JDE lacks, read once per JDE session (a target's ways on
        one session share it); None without a flow or a ledger (nothing held to judge)."""
        if self.spec is None or self.ledger is None:
            return None
        key = (self.spec.integration, self.spec.name, id(self.ledger))
        with _HOLDS_LOCK:
            try:
                by_flow = _HOLDS.setdefault(self.session, {})
            except TypeError:  # a session that cannot be weakly referenced (a test's stand-in): this target's
                by_flow = self.__dict__.setdefault("_missing_holds", {})
            if key not in by_flow:
                checks = appeared_by(appeared_checks(self.session))
                by_flow[key] = MissingHolds(self.ledger, self.spec, checks, kinds=KINDS, run_id=self.run_id)
            return by_flow[key]

    def document_words(self, record: Mapped) -> str:
        """The record in a finance user's words, for a hold on a record JDE lacks."""
        described = getattr(self, "document", None)
        label = described(record) if callable(described) else ""
        entity = self.spec.entity if self.spec is not None else "record"
        source = self.source_label
        if source == JdeTarget.source_label and self.spec is not None:  # no words of its own: the system's
            source = self.spec.source_system.capitalize()
        head = f"{source} {entity} {record.source_key}"
        return f"{head} ({label})" if label else head

    def company_calendars(self) -> JdePeriods:
        """The companies' F0010 / F0008 calendars and currencies, read once per run (a replay: per session)
        for every money write of this target (its G/L dates, ``posting``; currency, ``targets.placed``)."""
        if self._periods is None:
            self._periods = JdePeriods(self.session, self.run_id)
        return self._periods

    def posting(self, *, company: str, ledger: str, document: str, field: str, day: object) -> Posting | None:
        """The date a money write of ``document`` posts on (its ``field``, dated ``day``) by the company's
        open periods and the integration's policy, read once per session (``jde.periods``); raises the
        ``WaitsFor`` that holds it (a closed period, the integration's close in progress). None when the
        record has no date or the target no flow (nothing to judge)."""
        when = _iso_date(day)
        if when is None or self.spec is None:
            return None
        return self.company_calendars().posting(
            integration=self.spec.integration, company=company, ledger=ledger, document=document,
            field=field, day=when,
        )  # fmt: skip

    def period_refusal(
        self,
        error: BaseException,
        posting: Posting | None,
        *,
        company: str,
        ledger: str,
        document: str,
        said: str = "",
    ) -> PeriodClosed | None:
        """JDE's refusal (``error``: its codes decide, ``said`` words it) of the G/L date ``posting`` sent,
        held on its period (``refused_period``)."""
        if posting is None or self.spec is None:
            return None
        return refused_period(
            error, integration=self.spec.integration, company=company, ledger=ledger, document=document,
            day=posting.day, said=said,
        )  # fmt: skip

    def pay(self, record: Mapped, company: str, on: str, write: Callable[[Posting | None], object]) -> Any:
        """A payment on ``on`` (its voucher, in words) of ``company``: its posting judged by the A/P periods
        (``posting``), then ``write(posting)``; JDE's refusal of its G/L date held on that period."""
        document = f"{self.source_label} payment {record.body['Payment_Reference']} on {on}"
        posting = self.posting(
            company=company, ledger=AP, document=document, field="payment date",
            day=record.body.get("Payment_Date"),
        )  # fmt: skip
        try:
            return write(posting)
        except JdeRefused as refused:
            held = self.period_refusal(refused, posting, company=company, ledger=AP, document=document)
            if held is not None:
                raise held from None
            raise

    def _xref(self, record: Mapped):
        s = self.spec
        assert s is not None and self.ledger is not None, "a target that writes is opened with its flow"
        return self.ledger.get_xref(
            s.integration, s.entity, s.source_system, record.source_key, s.target_system
        )

    def _read_first(self, record: Mapped) -> bool:
        """Whether the target is read for the record before the write: when an *earlier* attempt claimed it
        and never recorded its target id (only then can JDE hold it without the ledger knowing; otherwise
        a surprise is a refused write, read then), or when a preview holds the writes: the write is never
        sent, so its refusal never comes, and the read it would have led to is made now (in the place of
        the call not sent), so the preview adopts what the run would adopt."""
        if holding():
            return True
        xref = self._xref(record)
        return xref is not None and not xref.target_id and xref.created_at < self.opened_at

    def unchanged_but_added_inputs(self, record: Mapped) -> Unchanged | None:
        """``Unchanged`` when the record, already written, differs from what was written only by inputs the
        integration started sending since (``ADDED_INPUTS``): the document did not change, so it is a skip
        (its new hash kept), not a change for a person. JDE keeps what was written then (say, no order
        reference); the integration never rewrites a posting. None otherwise."""
        xref = self._xref(record)
        if xref is None or not xref.target_id or not xref.content_hash:
            return None
        groups = [group for group in ADDED_INPUTS if any(name in record.body for name in group)]
        for size in range(1, len(groups) + 1):
            for dropped in combinations(groups, size):
                names = {name for group in dropped for name in group}
                before = Mapped(
                    record.source_key, {k: v for k, v in record.body.items() if k not in names}, {}
                )
                if before.content_hash() == xref.content_hash:
                    return Unchanged(
                        f"unchanged since it was written to JDE as {xref.target_id}; only inputs the "
                        f"integration sends since ({', '.join(sorted(names))}) are new, and JDE keeps the "
                        "posting as written"
                    )
        return None

    def update(self, target_id: str, record: Mapped) -> Unchanged | None:
        xref = self._xref(record)
        if xref is None or not xref.target_id:
            return None  # adopting what an earlier attempt wrote: it is already there, nothing to change
        unchanged = self.unchanged_but_added_inputs(record)
        if unchanged is not None:
            return unchanged
        raise VoucherChanged(
            f"changed in {self.source_label} after it was written to JDE as {target_id}; JDE vouchers and "
            "payments are never rewritten or sent twice by the integration: correct it in JDE, then "
            "abandon this item"
        )


# Each JDE session's ``MissingHolds`` by flow: a run's target and its ways (``PostingTarget``) share one.
_HOLDS: weakref.WeakKeyDictionary[Any, dict[tuple[str, str, int], MissingHolds]] = weakref.WeakKeyDictionary()
_HOLDS_LOCK = threading.Lock()


_Method = TypeVar("_Method", bound=Callable[..., Any])


def find_held_on_missing(find: _Method) -> _Method:
    """A JDE target's ``find``: a record held on a record JDE lacks, and unchanged since, is held again
    before any call (``MissingHolds``)."""
    return _held_on_missing(find, refusals=False)


def create_held_on_missing(create: _Method) -> _Method:
    """A JDE target's ``create``: held again as ``find_held_on_missing`` holds; a preview reads what JDE's
    refusal would say (``would_miss``: the write is held, so JDE never refuses it); and JDE's refusal for a
    missing record becomes a hold on that record (``refused_for_missing``), not a failure."""
    return _held_on_missing(create, refusals=True)


def _held_on_missing(method: _Method, *, refusals: bool) -> _Method:
    """``method`` (a JDE target's ``find``, or with ``refusals`` its ``create``) wrapped as the two
    decorators above say; the wrapper is marked with what it wraps, for ``JdeTarget.__init_subclass__``."""

    @functools.wraps(method)
    def held(self: JdeTarget, record: Mapped, *args: Any, **kwargs: Any) -> Any:
        holds = self.missing_holds()
        still = holds.still_held(record) if holds is not None else None
        if still is not None:
            raise still
        if refusals and holding():
            predicted = would_miss(self.session, record.body, self.document_words(record))
            if predicted is not None:
                raise predicted
        try:
            return method(self, record, *args, **kwargs)
        except JdeRefused as refused:
            if not refusals:
                raise
            missing = refused_for_missing(refused, record.body, self.document_words(record))
            if missing is None:
                raise
            if holds is not None:
                holds.note(record, missing)
            raise missing from None

    held.held_on_missing = "create" if refusals else "find"  # type: ignore[attr-defined]
    return held  # type: ignore[return-value]


# The sweeps every JDE flow's replay lists (``Replay.outside``): money held during a declared close once it
# has ended, on a closed period (or on a company F0010 gives no currency) once it may post, and what waits
# for a record JDE lacks once JDE has it, read on its JDE.
JDE_CHECKS: tuple[OutsideChecks, ...] = (close_checks, jde_period_checks, jde_missing_checks)
