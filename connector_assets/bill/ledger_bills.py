"""BILL bills whose vendor and links live in the ledger: found by vendor + invoice number, created one at a
time (the bulk endpoint rolls a whole batch back for one bad bill), updated by BILL's line rules (the lines
by their ids, a PATCH in place or a PUT when lines come or go: ``WritesMixin.update_bill``) unless BILL has
paid them (``targets.BillAlreadyPaid``).

A bill one document made and another took over later (a voucher taking its order's bill) is recorded in a
link cross-reference, so a payments flow finds the document that now pays it. The record's natural key says
which (``taken_over_by``: invoice number -> a document that may take the bill over, searched too;
``link_key``: the one that did); whether a bill found so is the record's is the integration's rule.
"""

from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any, ClassVar, Self

from connector_assets.bill.targets import BillAlreadyPaid
from connector_assets.flows.core import FlowSpec, Mapped, Unchanged
from connector_assets.flows.found_ahead import SearchedKeys
from connector_assets.flows.target_boundary import is_placeholder
from connector_assets.flows.targets import SessionTarget
from connector_resources.ledger import Ledger
from connector_resources.refusals import Refused, waits_for_record

UNPAID = {"", "UNPAID"}


class LedgerBills(SessionTarget):
    """Bills in BILL, holding the ledger: the subclass names its integration, the source system of its
    records (``source``, as the ledger spells it and the paid-bill refusal names it), its vendors flow's
    entity and the link entity."""

    resource = "bill"
    writes = ("bills",)
    source: ClassVar[str]
    integration: ClassVar[str]
    vendor_entity: ClassVar[str]
    link_entity: ClassVar[str]
    link_key: ClassVar[str] = "link"  # the natural key naming the document that took the bill over

    def __init__(self, session: Any, ledger: Ledger) -> None:
        super().__init__(session)
        self.ledger = ledger
        # (vendor id, invoice number) of every record ``find_many`` was asked about (see there).
        self._searched = SearchedKeys()

    @classmethod
    def for_run(cls, context: Any, spec: FlowSpec | None = None) -> AbstractContextManager[Self]:
        """On the run's BILL session, with the run's ledger."""
        return cls.opened(context.resources.bill, context.resources.ledger.get())

    @classmethod
    def for_replay(
        cls, resources: Mapping[str, object], ledger: Ledger | None = None, spec: FlowSpec | None = None
    ) -> AbstractContextManager[Self]:
        """A replay's opener (``Replay.target``): on the replay's BILL session, with the replay's ledger."""
        return cls.opened(resources["bill"], ledger)

    def names_record(self, description: str, record: Mapped) -> bool:
        """Whether a bill of this description, found by a taking-over document's invoice number, is the
        record's (default: yes)."""
        return True

    def vendor_of(self, record: Mapped) -> str:
        """The supplier's BILL vendor id from the vendors flow's cross-reference."""
        supplier = record.natural_key["supplier"]
        xref = self.ledger.get_xref(
            self.integration, self.vendor_entity, self.source, str(int(supplier)), "bill"
        )
        if xref is None or not xref.target_id:  # waits for the vendors flow's record of the supplier
            said = f"supplier {supplier} has not synced to BILL as a vendor yet"
            waits = f"{self.integration}:{self.vendor_entity}:{self.source}:{int(supplier)}"
            raise Refused(waits_for_record(said, waits))
        return xref.target_id

    def stands_for(self, bill: Mapping[str, object], number: str, record: Mapped) -> bool:
        """A bill found by the invoice number of a document that may have taken it over (``taken_over_by``)
        is the record's only when ``names_record`` says so."""
        if number not in (record.natural_key.get("taken_over_by") or {}):
            return True
        return self.names_record(str(bill.get("description") or ""), record)

    def taken_over(self, target_id: str, record: Mapped, current: dict[str, Any]) -> bool:
        """A bill one of the ``taken_over_by`` documents took over (it carries that document's invoice
        number): it is that document's now and is not rewritten from the record, whatever BILL did with it
        since. The link is recorded, as a ledger that never lost it would hold it."""
        number = str((current.get("invoice") or {}).get("invoiceNumber") or "").strip()
        taker = (record.natural_key.get("taken_over_by") or {}).get(number)
        if not taker or number == record.fields["invoice_number"]:
            return False
        self._record_link(taker, target_id, record)
        return True

    def written(self, record: Mapped, bill_id: str) -> None:
        """Record the document that took the bill over (the natural key's ``link``), if any."""
        taker = record.natural_key.get(self.link_key)
        if taker:
            self._record_link(taker, bill_id, record)

    def _record_link(self, taker: str, bill_id: str, record: Mapped) -> None:
        """The link cross-reference: source document ``taker`` is paid through BILL bill ``bill_id``."""
        self.ledger.record_target(
            self.integration,
            self.link_entity,
            self.source,
            taker,
            "bill",
            target_id=bill_id,
            content_hash=record.content_hash(),
        )

    def _body(self, record: Mapped) -> dict[str, Any]:
        """The body with the vendor's BILL id (looked up now if the record was mapped before it synced)."""
        if record.body.get("vendorId"):
            return record.body
        return {**record.body, "vendorId": self.vendor_of(record)}

    def find(self, record: Mapped) -> str | None:
        """The bill by each invoice number the record's flows could have given it (``invoice_numbers``),
        first match wins, among the bills ``stands_for`` accepts."""
        vendor = self._body(record)["vendorId"]
        return self._first_standing(
            record, lambda number: self.session.find_bills(vendor_id=vendor, invoice_number=number)
        )

    def _first_standing(
        self, record: Mapped, bills_of: Callable[[str], list[dict[str, object]]]
    ) -> str | None:
        for number in record.natural_key["invoice_numbers"]:
            found = [bill for bill in bills_of(number) if self.stands_for(bill, number, record)]
            if found:
                return str(found[0]["id"])
        return None

    def find_many(self, records: Sequence[Mapped]) -> dict[str, str | None]:
        """``find`` for a chunk of records a write step has just claimed (``records.BatchFinder``): the
        bills of all their vendors in one listing per 50 vendors (``find_bills_of``), where ``find`` lists
        them once per record and invoice number. Left out, for ``find`` alone: a record whose vendor has
        not synced (``find`` says so) or is a preview's placeholder, or that names no invoice number, and
        one sharing a vendor and invoice number with another record of the chunk or of an earlier chunk of
        this target (a worker may be creating that one's bill meanwhile: searched alone, the later one
        finds it as before)."""
        pairs: dict[str, list[tuple[str, str]]] = {}
        for record in records:
            try:
                vendor = str(self._body(record)["vendorId"])
            except Refused:
                continue
            numbers = [str(n).strip() for n in record.natural_key["invoice_numbers"]]
            if vendor and not is_placeholder(vendor) and all(numbers) and numbers:
                pairs[record.source_key] = [(vendor, number) for number in numbers]
        alone = self._searched.alone(pairs.values())
        settled = {key: wanted for key, wanted in pairs.items() if alone.isdisjoint(wanted)}
        if not settled:
            return {}
        found = self.session.find_bills_of(pair for wanted in settled.values() for pair in wanted)
        answer: dict[str, str | None] = {}
        for record in records:
            wanted = settled.get(record.source_key)
            if wanted and all(pair in found for pair in wanted):
                bills = {number: found[(vendor, number)] for vendor, number in wanted}
                answer[record.source_key] = self._first_standing(record, bills.__getitem__)
        return answer

    def create(self, record: Mapped) -> str:
        bill_id = str(self.session.create_bill(self._body(record))["id"])
        self.written(record, bill_id)
        return bill_id

    def update(self, target_id: str, record: Mapped) -> Unchanged | None:
        current = self.session.get("bills", target_id)
        if self.taken_over(target_id, record, current):
            return Unchanged(f"BILL bill {target_id} stands for another document now; left alone")
        status = str(current.get("paymentStatus") or "").strip().upper()
        if status not in UNPAID:
            number = (current.get("invoice") or {}).get("invoiceNumber")
            raise BillAlreadyPaid(
                f"BILL bill {target_id} (invoice {number}) is {status} in BILL; it is not rewritten from "
                f"{self.source} ({record.fields['invoice_number']} changed). Check the bill and the "
                f"{self.source} document by hand, then abandon this item"
            )
        self.session.update_bill(target_id, self._body(record), current=current)
        self.written(record, target_id)
