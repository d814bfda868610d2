"""The Fusion purchase order write target: ``FusionPurchaseOrders`` finds, creates and submits a draft
order, or brings an order up to date where Fusion allows; an integration subclasses it with
``source_label`` and ``order_prefix_setting``. docs/integrations/fusion_procurify.md, "Purchase orders".
"""

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, ClassVar, Self

from connector_assets.flows.core import FlowSpec, Mapped
from connector_assets.flows.targets import SessionTarget
from connector_assets.flows.values import text
from connector_assets.fusion.draft_orders import draft_of, order_differences
from connector_assets.fusion.values import order_status
from connector_assets.runtime.run_reads import RunReads
from connector_resources.fusion.errors import FusionNotFoundError
from connector_resources.fusion.key_batches import find_purchase_orders, purchase_orders_of_suppliers
from connector_resources.fusion.session import DRAFT_STATUSES, in_unit
from connector_resources.refusals import Refusal, Refused, refusal_of


class FusionPurchaseOrders(SessionTarget):
    """The Fusion side: find an order by number in the business unit, create a draft and submit it, or bring
    an order up to date where Fusion allows (see the module docstring)."""

    resource = "fusion"
    writes = ("draft_purchase_orders",)
    source_label: ClassVar[str] = "the source system"  # where the orders come from, in a buyer's words
    order_prefix_setting: ClassVar[str] = "the order number prefix"  # the setting that numbers the orders

    def find(self, record: Mapped) -> str | None:
        """The order this record made, when the ledger lost its ``POHeaderId`` (a crash between the POST
        and storing the id): by ``OrderNumber`` only when ML_FUSION_SEND_UNCONFIRMED says the pod lets
        us set it, else by fingerprint (``_fingerprinted``)."""
        key = record.natural_key
        if not self.numbers_ours:
            return self._fingerprinted(record)
        order = self.session.find_purchase_order(key["order_number"], procurement_bu=key["business_unit"])
        if order is None:
            return None
        self._same_supplier(order, record)
        return str(order["POHeaderId"])

    def find_many(self, records: Sequence[Mapped]) -> dict[str, str | None]:
        """``find`` for a chunk of records at once where it searches by ``OrderNumber`` (``OrderNumber in
        (...)``, ``connector_resources.fusion.key_batches``); an order found for another supplier is left
        to ``find``, which refuses it naming both. Fingerprinted records: ``_fingerprinted_many``."""
        if not self.numbers_ours:
            return self._fingerprinted_many(records)
        keys = {
            r.source_key: (r.natural_key["order_number"], r.natural_key["business_unit"]) for r in records
        }
        found = find_purchase_orders(self.session, keys)
        answer: dict[str, str | None] = {}
        for record in records:
            if record.source_key not in found:
                continue
            order = found[record.source_key]
            if order is None:
                answer[record.source_key] = None
                continue
            try:
                self._same_supplier(order, record)
            except ValueError:
                continue
            answer[record.source_key] = str(order["POHeaderId"])
        return answer

    @property
    def numbers_ours(self) -> bool:
        """Whether we send (so Fusion keeps) our ``OrderNumber``: only when the operator says so."""
        return "OrderNumber" in getattr(self.session, "send_unconfirmed", frozenset())

    def _fingerprinted_many(self, records: Sequence[Mapped]) -> dict[str, str | None]:
        """``_fingerprinted`` for a chunk: the orders and drafts of its suppliers read in one list
        (``purchase_orders_of_suppliers``) instead of two searches a record, read before any of the chunk is
        created, so an order one record creates is never another's match. Left to ``_fingerprinted`` alone:
        a name with spaces around it (searched as given), several matches, and an order two records of the
        chunk both match (each refused there, naming them)."""
        sites = {r.source_key: self._site_of(r) for r in records}
        batched = [r for r in records if all(n and n == n.strip() for n in sites[r.source_key][:2])]
        if not batched:
            return {}
        rows = purchase_orders_of_suppliers(self.session, [sites[r.source_key][0] for r in batched])
        matched: dict[str, list[Mapping[str, Any]]] = {}
        for record in batched:
            supplier, site, unit = sites[record.source_key]
            candidates = [
                row
                for row in rows
                if str(row.get("Supplier")) == supplier
                and str(row.get("SupplierSite")) == site
                and in_unit(row, unit)
            ]
            matched[record.source_key] = self._matching(record, candidates)
        claimed = Counter(str(m["POHeaderId"]) for matches in matched.values() for m in matches)
        answer: dict[str, str | None] = {}
        for key, matches in matched.items():
            if len(matches) <= 1 and all(claimed[str(m["POHeaderId"])] == 1 for m in matches):
                answer[key] = str(matches[0]["POHeaderId"]) if matches else None
        return answer

    def _site_of(self, record: Mapped) -> tuple[str, str, str]:
        """(Supplier, SupplierSite, procurement business unit) as ``purchase_orders_of`` searches them."""
        unit = record.natural_key.get("business_unit") or self.session.business_unit
        return str(record.body.get("Supplier") or ""), str(record.body.get("SupplierSite") or ""), unit

    def _matching(self, record: Mapped, orders: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
        """The ``orders`` whose currency and lines (numbers, quantities, prices) are the record's; their
        lines as read inline, else through each order's link."""
        body, matches = record.body, []
        for order in orders:
            want, have = text(body.get("CurrencyCode")), text(order.get("CurrencyCode"))
            if want and have and want != have:
                continue
            inline = order.get("lines")
            lines = (
                inline
                if isinstance(inline, list)
                else list(self.session.iter_children("purchase_orders", order, "lines"))
            )
            if not order_differences(order, lines, body, source=self.source_label).problems:
                matches.append(order)
        return matches

    def _fingerprinted(self, record: Mapped) -> str | None:
        """The one order of the record's supplier, site and business unit (confirmed attributes) whose
        currency and lines (numbers, quantities, prices) are the record's; None when there is none. Two
        or more are refused naming them, never guessed: adopting the wrong one loses an order, creating
        one more may double the spend, so an operator decides (``xref set``, then replay)."""
        body, key = record.body, record.natural_key
        orders = self.session.purchase_orders_of(
            body["Supplier"], body["SupplierSite"], procurement_bu=key["business_unit"]
        )
        matches = self._matching(record, orders)
        if not matches:
            return None
        if len(matches) > 1:
            found = ", ".join(f"{m.get('OrderNumber')} (POHeaderId {m.get('POHeaderId')})" for m in matches)
            sentence = (
                f"{key.get('label') or record.source_key}: the ledger holds no Fusion order for it and "
                f"{len(matches)} Fusion orders of {body['Supplier']} / {body['SupplierSite']} in "
                f"{key['business_unit']} have its lines: {found}. Not adopted and not created (either "
                "could double the spend): link the right one with `ml-connector xref set`, then replay"
            )
            raise Refused(_ambiguous(sentence))
        return str(matches[0]["POHeaderId"])

    def _same_supplier(self, order: Mapping[str, Any], record: Mapped) -> None:
        want = text(record.natural_key.get("supplier_id"))
        have = text(order.get("SupplierId"))
        if want and have and want != have:
            sentence = (
                f"Fusion already has order {order.get('OrderNumber')} in "
                f"{record.natural_key['business_unit']} "
                f"(POHeaderId {order.get('POHeaderId')}) for supplier {order.get('Supplier')} ({have}), not "
                f"{record.body.get('Supplier')} ({want}): not adopted. Someone else's order carries this "
                f"number; renumber it in Fusion or change {self.order_prefix_setting}, then replay"
            )
            raise Refused(_conflict(sentence))

    def named(self, order: Mapping[str, Any] | None, record: Mapped) -> str:
        """How a message names the Fusion order of ``record``: by Fusion's ``OrderNumber`` where Fusion
        numbered it (``ML_FUSION_SEND_UNCONFIRMED`` without OrderNumber), ours beside it, so an order
        number is never given as Fusion's when Fusion knows it by another; with its ``POHeaderId``."""
        ours = text(record.natural_key.get("order_number"))
        fusions = text((order or {}).get("OrderNumber"))
        header_id = text((order or {}).get("POHeaderId"))
        notes = [f"POHeaderId {header_id}"] if header_id else []
        if self.numbers_ours or fusions == ours:
            named = f"order {ours}"
        elif fusions:
            named, notes = f"order {fusions}", [f"Fusion's number; ours is {ours}", *notes]
        else:
            named, notes = f"our order {ours}", ["Fusion's number not known", *notes]
        return f"{named} ({'; '.join(notes)})" if notes else named

    run_id: str | None = None  # the run writing (``for_run``): its orders' numbers are kept for it

    @classmethod
    @contextmanager
    def for_run(cls, context: Any, spec: FlowSpec | None = None) -> Iterator[Self]:
        """On the run's Fusion session, knowing the run (``orders_for_run``: the numbers it creates)."""
        with super().for_run(context, spec) as target:
            target.run_id = getattr(getattr(context, "run", None), "run_id", None)
            yield target

    def create(self, record: Mapped) -> str:
        created = self.session.create_draft_purchase_order(draft_of(record.body))
        header_id = str(created["POHeaderId"])
        if self.run_id and _number_of(created)[0]:
            orders_for_run(self.run_id)[header_id] = _number_of(created)
        try:
            # Only the POHeaderId is kept, and the create answered it: the submitted order is not read back.
            self.session.submit_draft_purchase_order(created, read_back=False)
        except Exception as exc:
            found_by = "its number" if self.numbers_ours else "its supplier, site and lines"
            failed = RuntimeError(
                f"draft {self.named(created, record)} was created in Fusion but its submit failed: {exc}. "
                f"It stays INCOMPLETE until the next run or replay finds it by {found_by} and submits it "
                "(it is never created twice)"
            )
            failed.refusal = refusal_of(exc, str(failed), system="Fusion")  # type: ignore[attr-defined]
            raise failed from exc
        return header_id

    def update(self, target_id: str, record: Mapped) -> None:
        key = record.natural_key
        order = self._by_id(target_id)
        if order is None:
            sentence = (
                f"Fusion order POHeaderId {target_id} (made for our order {key['order_number']}) is not "
                f"found in {key['business_unit']} any more; recreating it could duplicate the spend: check "
                "Fusion, then abandon this item or forget its cross-reference and replay"
            )
            raise Refused(_conflict(sentence))
        self._same_supplier(order, record)
        lines = list(self.session.iter_children("purchase_orders", order, "lines"))
        differences = order_differences(order, lines, record.body, source=self.source_label)
        draft = self._draft(target_id)
        if differences.header:
            if draft is None:
                differences.problems.insert(
                    0,
                    f"{', '.join(differences.header)} changed in {self.source_label}, but Fusion does not "
                    f"list {self.named(order, record)} (status {order_status(order) or 'unknown'}) among "
                    "draft purchase orders, so the API cannot change it: change it in Fusion (a change "
                    "order)",
                )
            else:
                body, source = record.body, self.source_label
                self.session.update_with_etag(
                    "draft_purchase_orders",
                    draft,
                    differences.header,
                    build_changes=lambda fresh: order_differences(fresh, lines, body, source=source).header,
                )
        if differences.problems:
            sentence = (
                f"Fusion {self.named(order, record)} differs from {key.get('label') or record.source_key}: "
                + "; ".join(differences.problems)
                + ". Fusion's draft purchase orders cannot make these changes to an existing order and a "
                "second order would duplicate the spend: make them in Fusion (a change order), then abandon "
                "this item"
            )
            raise Refused(_conflict(sentence))
        if draft is not None:
            self.session.submit_draft_purchase_order(draft, read_back=False)

    def _by_id(self, header_id: str) -> dict[str, Any] | None:
        """The order (else the draft) with this ``POHeaderId``, the id the ledger keeps for it: found
        whether or not Fusion kept our order number."""
        for name in ("purchase_orders", "draft_purchase_orders"):
            found = self.session.search(name, {"POHeaderId": int(header_id)})
            if found:
                return found[0]
        return None

    def _draft(self, header_id: str) -> dict[str, Any] | None:
        """The order as a draft (INCOMPLETE, or a change order the pod lists there), None when it is not."""
        found = self.session.search("draft_purchase_orders", {"POHeaderId": int(header_id)})
        drafts = [d for d in found if order_status(d) in ("", *DRAFT_STATUSES)]
        return drafts[0] if drafts else None


def _conflict(sentence: str) -> Refusal:
    """Fusion holds another order under this one's number, or one it cannot change: a person decides."""
    return Refusal("conflict", sentence, {"system": "Fusion"})


def _ambiguous(sentence: str) -> Refusal:
    """Several Fusion orders match: a person links the right one."""
    return Refusal("ambiguous", sentence, {"system": "Fusion", "candidates": ""})


# POHeaderId -> (OrderNumber, Description) as Fusion answered them in one run: the orders its write steps
# created (the create's answer carries Fusion's number) and those an invoice step read. A run's invoices
# step that pulls the orders its bills name, or maps several days naming one order, asks Fusion once.
OrderNumbers = dict[str, tuple[str, str]]
_RUN_ORDERS: RunReads[OrderNumbers] = RunReads(dict)


def orders_for_run(run_id: str) -> OrderNumbers:
    """The Fusion order numbers known in run ``run_id`` (see ``OrderNumbers``)."""
    return _RUN_ORDERS(run_id)


# A purchase order read by the ``POHeaderId`` a flow recorded, for a flow that matches an invoice to it. An
# order not yet submitted is a draft (``purchase_orders`` answers 404 for it). The number read is the one
# Fusion has: an invoice matched to a number Fusion lacks would be refused.
def order_number_of(session: Any, header_id: str, known: OrderNumbers | None = None) -> tuple[str, str]:
    """(``OrderNumber``, ``Description``) of order ``header_id``, trimmed; the number "" when Fusion has none
    (yet), or no order or draft of that id. ``known``: the run's (``orders_for_run``), asked first, kept."""
    if known is not None and str(header_id) in known:
        return known[str(header_id)]
    try:
        record = session.get("purchase_orders", header_id)
    except FusionNotFoundError:  # a draft not yet submitted: read as a draft, by its id
        drafts = session.search("draft_purchase_orders", {"POHeaderId": int(header_id)})
        record = drafts[0] if drafts else {}
    answer = _number_of(record)
    if known is not None and answer[0]:
        known[str(header_id)] = answer
    return answer


def read_order_numbers(session: Any, header_ids: Iterable[str], known: OrderNumbers) -> None:
    """Read into ``known`` the numbers of the orders ``header_ids`` names that it lacks, by list
    (``POHeaderId in (...)``, reference §2.2: ``in_list_keys`` ids a query), the orders first, then as drafts
    those the orders lack: one or two reads for a day's invoices instead of one per order. An id neither
    lists is left to ``order_number_of``, which says so."""
    wanted = [i for i in dict.fromkeys(map(str, header_ids)) if i.isdigit() and i not in known]
    for name in ("purchase_orders", "draft_purchase_orders"):
        if not wanted:
            return
        for row in session.iter_in(name, "POHeaderId", wanted):
            number = _number_of(row)
            if number[0]:
                known.setdefault(str(row.get("POHeaderId")), number)
        wanted = [i for i in wanted if i not in known]


def _number_of(record: Mapping[str, Any]) -> tuple[str, str]:
    return str(record.get("OrderNumber") or "").strip(), str(record.get("Description") or "").strip()
