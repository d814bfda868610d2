"""Write targets in JD Edwards for any "X -> JDE" flow, every one named here: voucher and journal batches,
payments on vouchers, suppliers, and a record posted one of several ways (``PostingTarget``). Why a write
cannot duplicate, and the currency mode: docs/jde_orchestrations/README.md.
"""

import threading
from collections.abc import Sequence
from typing import Any, ClassVar

from connector_assets.flows.core import Mapped
from connector_assets.flows.found_ahead import SearchedKeys, found_each
from connector_assets.flows.records import Unchanged
from connector_assets.flows.targets import Held  # noqa: F401  (what a target's ``open_on`` holds)
from connector_assets.jde.batch_targets import (  # noqa: F401  (the targets' API, one import point)
    JournalBatches,
    VoucherBatches,
)
from connector_assets.jde.lookup import browse_in
from connector_assets.jde.payment_repeats import PAYMENT_TABLE  # noqa: F401  (what a payment flow reads)
from connector_assets.jde.payment_targets import (  # noqa: F401  (the targets' API, one import point)
    DocumentPayments,
    VoucherPayments,
)
from connector_assets.jde.periods import (  # noqa: F401  (PERIOD_TABLES: what a money flow reads)
    PERIOD_TABLES,
    JdePeriods,
)
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
    create_held_on_missing,
    find_held_on_missing,
    jde_number,
    jde_reason,
)
from connector_resources.jde import Condition, JdeOrchestrationError
from connector_resources.redaction import register_secret
from connector_resources.refusals import Refused, refused


class PostingTarget(JdeTarget):
    """A record posted to JDE one of several ways on one JDE session: a voucher batch or a journal batch, a
    voucher payment or a journal entry. The subclass names the ways (``ways``: attribute name -> target
    class, each opened on the same session and labelled with this ``source_label``) and picks one for a
    record (``_for``); ``find`` / ``create`` go to it. A record already posted that maps differently later
    (``update``) is refused saying what may have changed (``changed_since``), never written twice."""

    ways: ClassVar[dict[str, type[JdeTarget]]] = {}
    changed_since: ClassVar[str] = "it changed at the source, or the settings changed since"

    def __init_subclass__(cls, **kwargs: object) -> None:
        """What it writes (``SessionTarget.writes``, for ``ping``) is what its ways write, each once."""
        super().__init_subclass__(**kwargs)
        cls.writes = tuple(dict.fromkeys(name for way in cls.ways.values() for name in way.writes))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._periods = JdePeriods(self.session, self.run_id)  # one read of the periods serves every way
        for name, way in self.ways.items():
            target = way(*args, **kwargs)
            target.source_label = self.source_label  # type: ignore[misc]
            target._periods = self._periods
            setattr(self, name, target)

    def _for(self, record: Mapped) -> JdeTarget:
        raise NotImplementedError

    @find_held_on_missing
    def find(self, record: Mapped) -> str | None:
        return self._for(record).find(record)  # type: ignore[attr-defined]

    @create_held_on_missing
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
    """Source vendors as JDE suppliers (F0101 search type V and F0401) through ``ML_AddUpdateSupplier``,
    by address number (AN8). JDE takes a second supplier of the same name or tax ID, so ``find`` searches
    F0101 by tax ID, then by the long address number (ALKY, the source's vendor ID): a supplier a crashed
    attempt added is adopted, not added twice."""

    orchestration: ClassVar[str] = ADD_UPDATE_SUPPLIER
    writes = (ADD_UPDATE_SUPPLIER,)
    search_table: ClassVar[str] = ADDRESS_BOOK_TABLE

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._searched = SearchedKeys()  # keys a chunk searched (``find_many``)
        self._ahead = threading.local()  # the chunk's F0101 numbers by key, while ``find_many`` runs

    @staticmethod
    def _keys(record: Mapped) -> list[tuple[str, str]]:
        """What ``find`` searches by, in order: the tax ID, then the long address number (blank ones left)."""
        keys = (("TAX", record.body.get("Tax_ID")), ("ALKY", record.body.get("Long_Address_Number")))
        return [(column, text) for column, value in keys if (text := str(value or "").strip())]

    @find_held_on_missing
    def find(self, record: Mapped) -> str | None:
        known: dict[tuple[str, str], list[int]] | None = getattr(self._ahead, "numbers", None)
        for column, value in self._keys(record):
            if known is not None:
                numbers = sorted(known.get((column, value), []))
            else:
                rows = self.session.browse(
                    self.search_table,
                    columns=["AN8", "AT1"],
                    conditions=[Condition(f"{self.search_table}.{column}", "EQUAL", value)],
                )
                numbers = sorted(n for r in rows if (n := jde_number(r.get("AN8"))))
            if numbers:
                return str(numbers[0])  # the oldest, should JDE already hold several
        return None

    def find_many(self, records: Sequence[Mapped]) -> dict[str, str | None]:
        """``find`` (the subclass's own) for a chunk of claimed records (``records.BatchFinder``), its
        F0101 searches answered by reads of the whole chunk by tax ID, then by long address number
        (``browse_in``, 100 values a call) instead of one or two reads a record. Left out, for ``find``
        alone: a record sharing a key with another of the chunk or of an earlier chunk of this target (a
        worker may be adding that supplier meanwhile), and one ``find`` refuses."""
        wanted = {record.source_key: self._keys(record) for record in records}
        alone = self._searched.alone(wanted.values())
        settled = [record for record in records if alone.isdisjoint(wanted[record.source_key])]
        numbers: dict[tuple[str, str], list[int]] = {}
        for column in ("TAX", "ALKY"):
            values = sorted({value for r in settled for col, value in wanted[r.source_key] if col == column})
            for row in browse_in(self.session, self.search_table, column, values, ["AN8", "AT1", column]):
                if (number := jde_number(row.get("AN8"))) is not None:
                    numbers.setdefault((column, str(row.get(column) or "").strip()), []).append(number)
        self._ahead.numbers = numbers
        try:
            return found_each(self.find, settled)
        finally:
            self._ahead.numbers = None

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

    @create_held_on_missing
    def create(self, record: Mapped) -> str:
        return self._orchestrate({k: v for k, v in record.body.items() if k != "Address_Number"})

    def update(self, target_id: str, record: Mapped) -> None:
        self._orchestrate({**record.body, "Address_Number": int(target_id)})
