"""The Procurify writes the flows make, each with the search by natural key that makes it safe.

No Procurify endpoint takes an idempotency key, and the HTTP core never replays a POST after an
ambiguous failure: such a failure is a ``ProcurifyOutcomeUnknownError``. So every create here has a
search on the record's natural key (vendor ``external_id``, account ``code``, requisition
``description``, PO ``PO_Num``, bill invoice number + vendor) that a caller runs before trying again,
adopting what the lost attempt created (the flows' ``write_one`` does: adoption is not the client's).

The finds filter on the server with documented filters and then compare exactly on our side, so a
server whose filter is inexact (``icontains``) or ignored costs a longer read, never a wrong match.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from connector_resources.procurify.errors import ProcurifyDuplicateError, invalid
from connector_resources.procurify.payloads import (
    account_code_body,
    bill_uuid,
    po_revision_body,
    requisition_body,
    vendor_body,
)
from connector_resources.procurify.po_revisions import full_revision
from connector_resources.procurify.values import aware_utc
from connector_resources.redaction import get_logger

log = get_logger("ml_connector.procurify")

PREFERRED_VENDOR_TYPE = 3  # vendor type codes (§2.3): 3 PREFERRED
_PAID_BILL_STATUS = 4  # bill status codes (§2.6): 2 Approved, 4 Paid
VENDOR_WRITES = [0]  # vendor creates and updates this process sent: a vendor list read before one is stale


class WriteMethods:
    """The write and find methods of ``ProcurifySession`` (mixed in; they use its reading calls)."""

    date_filter_slack_days: int

    if TYPE_CHECKING:  # provided by ProcurifySession

        def _call(self, method: str, path: str, **kwargs: Any) -> Any: ...

        @staticmethod
        def _object(payload: Any, what: str) -> dict[str, Any]: ...

        def iter_all(
            self, entity: str, *, filters: Mapping[str, Any] | None = None
        ) -> Iterator[dict[str, Any]]: ...

        def get(self, entity: str, id: str | int) -> dict[str, Any]: ...

    def _write(
        self, method: str, path: str, verb: str, record: str, body: Any, *, idempotent: bool | None = None
    ) -> dict[str, Any]:
        """One write (``verb`` the record: create, update, revise) and the record it answers with.
        ``idempotent=None`` lets the HTTP core decide by method (a POST is never replayed)."""
        what = f"{verb} {record}"
        payload = self._call(
            method, path, what=what, body=body, write=True, record=record, idempotent=idempotent
        )
        return self._object(payload, what)

    def _matching(
        self, entity: str, filters: Mapping[str, Any], matches: Callable[[Mapping[str, Any]], bool]
    ) -> list[dict[str, Any]]:
        """Rows of a filtered list that ``matches`` on our side too (a server that ignores the filter
        costs a longer read, never a wrong answer)."""
        found, ignored = [], 0
        for row in self.iter_all(entity, filters=filters):
            if matches(row):
                found.append(row)
            else:
                ignored += 1
        if ignored:
            log.info(
                "procurify %s: %d listed rows did not match %s on our side (filter inexact or ignored)",
                entity,
                ignored,
                ", ".join(sorted(filters)),
            )
        return found

    # -- vendors ----------------------------------------------------------------------------------

    def find_vendors(
        self, *, external_id: str | None = None, name: str | None = None
    ) -> list[dict[str, Any]]:
        """Vendors with exactly this ``external_id`` (the ERP key) and/or ``name``, inactive included.

        Names are not unique in Procurify (deleted vendors stay as inactive rows): match on
        ``external_id`` to identify a vendor.
        """
        filters = {k: v for k, v in (("external_id", external_id), ("name", name)) if v is not None}
        if not filters or any(not str(v).strip() for v in filters.values()):
            raise ValueError("find_vendors needs a non-empty external_id or name")

        def matches(row: Mapping[str, Any]) -> bool:
            return all(str(row.get(k) or "") == str(v) for k, v in filters.items())

        return self._matching("vendors", filters, matches)

    def find_vendor(self, external_id: str, *, include_inactive: bool = False) -> dict[str, Any] | None:
        """The one vendor carrying ``external_id``; None if none; ``ProcurifyDuplicateError`` if
        several active ones do (adopting either would be a guess)."""
        found = self.find_vendors(external_id=external_id)
        active = [v for v in found if v.get("active") is not False]
        chosen = active if active or not include_inactive else found
        if len(chosen) > 1:
            ids = ", ".join(str(v.get("id")) for v in chosen)
            raise ProcurifyDuplicateError(
                f"Procurify has {len(chosen)} {'active ' if active else ''}vendors with external_id "
                f"{external_id!r} (ids {ids}); deactivate or re-key all but one"
            )
        return chosen[0] if chosen else None

    def create_vendor(self, vendor: Mapping[str, Any]) -> dict[str, Any]:
        """Create a vendor (``POST /api/v3/vendors/``); returns the created vendor.

        Never retried after an ambiguous failure: that raises ``ProcurifyOutcomeUnknownError``;
        call ``find_vendor(external_id)`` before trying again.
        """
        record, body = vendor_body(vendor)
        # OptimizedVendorRequest (vendors_create) requires ``type`` (3 PREFERRED, the vendor list's
        # default kind) and ``overall_score`` (nullable: no score yet).
        body.setdefault("type", PREFERRED_VENDOR_TYPE)
        body.setdefault("overall_score", None)
        VENDOR_WRITES[0] += 1
        created = self._write("POST", "/api/v3/vendors/", "create", record, body)
        log.info("procurify created %s as vendor id %s", record, created.get("id"))
        return created

    def update_vendor(
        self, vendor_id: int, changes: Mapping[str, Any], *, partial: bool = True
    ) -> dict[str, Any]:
        """Change a vendor: PATCH the given fields (``partial=True``) or PUT a full vendor."""
        record, body = vendor_body(changes, partial=partial)
        record = f"vendor id {vendor_id} ({record})"
        path = f"/api/v3/vendors/{_whole_id(vendor_id, record)}/"
        # Setting fields to given values twice leaves the same vendor, so a lost answer may be
        # replayed (the core would not replay a PATCH by default).
        VENDOR_WRITES[0] += 1
        return self._write("PATCH" if partial else "PUT", path, "update", record, body, idempotent=True)

    # -- account codes ----------------------------------------------------------------------------

    def find_account_code(self, code: str) -> dict[str, Any] | None:
        """The account code with exactly ``code``; None if none; ``ProcurifyDuplicateError`` if several."""
        if not isinstance(code, str) or not code.strip():
            raise ValueError("find_account_code needs a non-empty code")
        found = self._matching("account_codes", {"code": code}, lambda row: str(row.get("code")) == code)
        if len(found) > 1:
            ids = ", ".join(str(r.get("id")) for r in found)
            raise ProcurifyDuplicateError(f"Procurify has {len(found)} account codes {code!r} (ids {ids})")
        return found[0] if found else None

    def create_account_code(self, account_code: Mapping[str, Any]) -> dict[str, Any]:
        """Create an account code (GL account); returns it. Same retry rule as ``create_vendor``."""
        record, body = account_code_body(account_code)
        return self._write("POST", "/api/v3/account-codes/", "create", record, body)

    def update_account_code(self, account_code_id: int, account_code: Mapping[str, Any]) -> dict[str, Any]:
        """Replace an account code (PUT: ``code`` is sent again, as the API requires)."""
        record, body = account_code_body(account_code, update=True)
        record = f"account code id {account_code_id} ({record})"
        path = f"/api/v3/account-codes/{_whole_id(account_code_id, record)}/"
        return self._write("PUT", path, "update", record, body)

    # -- requisitions and purchase orders ---------------------------------------------------------

    def create_requisition(self, requisition: Mapping[str, Any]) -> dict[str, Any]:
        """Create a requisition (``POST /api/v3/requisitions/``; vendors, accounts, location and
        department **by name**); returns ``{"uuid": ...}``.

        Procurify has no API to create a purchase order: a requisition is approved and purchased
        inside Procurify, which makes the PO; ``revise_purchase_order`` then sets ``PO_Num``. Put
        the ERP key in ``description`` so ``find_requisitions`` can adopt a lost attempt (the
        reference shows ``description`` on requisitions but not in its create example, so check
        that the server keeps it).
        """
        record, body = requisition_body(requisition)
        return self._write("POST", "/api/v3/requisitions/", "create", record, body)

    def find_requisitions(self, *, description: str, created_since: date | datetime) -> list[dict[str, Any]]:
        """Requisitions created on or after ``created_since`` whose ``description`` is exactly this."""
        found = self.requisitions_described([description], created_since=created_since)
        return found.get(description, [])

    def requisitions_described(
        self, descriptions: Iterable[str] | None, *, created_since: date | datetime
    ) -> dict[str, list[dict[str, Any]]]:
        """``find_requisitions`` for many descriptions (None: every one) in one read of the list (it has no
        description filter, §2.4: each search reads the days since ``created_since`` whole), by
        description; a description nothing carries is left out."""
        wanted = None if descriptions is None else set(descriptions)
        if wanted is not None and (
            not wanted or any(not isinstance(d, str) or not d.strip() for d in wanted)
        ):
            raise ValueError("find_requisitions needs a non-empty description")
        since = _day(created_since) - timedelta(days=self.date_filter_slack_days)
        found: dict[str, list[dict[str, Any]]] = {}
        for row in self._matching(
            "requisitions",
            {"date_0": since},
            lambda row: wanted is None or str(row.get("description") or "") in wanted,
        ):
            found.setdefault(str(row.get("description")), []).append(row)
        return found

    def find_requisition(self, uuid: str, *, created_since: date | datetime) -> dict[str, Any] | None:
        """The requisition ``uuid`` (created on or after ``created_since``), or None: the list has no
        uuid filter and no detail path is documented, so the day's list is read and matched by uuid
        (dashes and case aside). How a flow reads back what it created, whatever its description."""
        wanted = str(uuid or "").replace("-", "").strip().lower()
        if not wanted:
            raise ValueError("find_requisition needs a uuid")
        since = _day(created_since) - timedelta(days=self.date_filter_slack_days)
        found = self._matching(
            "requisitions",
            {"date_0": since},
            lambda row: str(row.get("uuid") or "").replace("-", "").lower() == wanted,
        )
        return found[0] if found else None

    def find_purchase_orders(self, *, po_num: str, modified_since: date | datetime) -> list[dict[str, Any]]:
        """Purchase orders whose ERP number ``PO_Num`` is exactly ``po_num``, among those modified
        on or after ``modified_since`` (setting ``PO_Num`` modifies the PO, so a revision made
        since then is always found; the list has no ``PO_Num`` filter)."""
        if not isinstance(po_num, str) or not po_num.strip():
            raise ValueError("find_purchase_orders needs a non-empty po_num")
        since = _day(modified_since) - timedelta(days=self.date_filter_slack_days)
        return self._matching(
            "purchase_orders",
            {"modified_date_0": since},
            lambda row: str(row.get("PO_Num") or "").strip() == po_num.strip(),
        )

    def revise_purchase_order(
        self,
        procurify_po: int,
        changes: Mapping[str, Any],
        *,
        confirm_duplicate_external_po_number: bool = False,
        current: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Revise a PO (``PUT /api/v3/purchase-orders/{procurify_PO}/``); returns the revised PO.

        ``changes`` are the fields to change (``order_items`` by order-item ``id``). The PUT carries the
        whole PO as read (``current``, else read now) with the changes laid over it: the spec's update
        requires ``version``, the ``buyer_*`` / ``receiver_*`` fields and every line with its
        ``custom_fields`` (``po_revisions``). The answer is the update serializer's view of the PO (its
        writable fields), not the full PO. ``PO_Num`` already used by another PO is refused unless
        ``confirm_duplicate_external_po_number``. A PUT, so the core may replay it after a lost answer:
        the PO ends up with the same values (its ``version`` may count the revision twice).
        """
        number = _whole_id(procurify_po, f"purchase order {procurify_po}")
        record, checked = po_revision_body(number, changes)  # the change is checked before any call
        if current is None:
            current = self.get("purchase_orders", number)
        whole, resent = full_revision(current, checked)
        record, body = po_revision_body(number, whole)
        # Not a body field: the spec documents it as a query parameter ("True" / "False"), on the revise
        # path the v3 PUT replaced; sent only when a duplicate is to be confirmed.
        params = (
            {"confirm_duplicate_external_po_number": "True"}
            if confirm_duplicate_external_po_number or resent
            else None
        )
        what = f"revise {record}"
        payload = self._call(
            "PUT",
            f"/api/v3/purchase-orders/{number}/",
            what=what,
            params=params,
            body=body,
            write=True,
            record=record,
        )
        return self._object(payload, what)

    # -- bills and payments -----------------------------------------------------------------------

    def find_bills(
        self, *, invoice_number: str, vendor_id: int, invoice_date: date | None = None
    ) -> list[dict[str, Any]]:
        """Bills of vendor ``vendor_id`` with exactly this ``invoice_number`` (optionally dated
        ``invoice_date``, which makes the read shorter)."""
        if not isinstance(invoice_number, str) or not invoice_number.strip():
            raise ValueError("find_bills needs a non-empty invoice_number")
        filters: dict[str, Any] = {"vendor": _whole_id(vendor_id, f"bill {invoice_number!r}")}
        if invoice_date is not None:
            slack = timedelta(days=self.date_filter_slack_days)
            filters["invoice_date_0"] = invoice_date - slack
            filters["invoice_date_1"] = invoice_date + slack
        wanted = invoice_number.strip()
        return self._matching(
            "bills", filters, lambda row: str(row.get("invoice_number") or "").strip() == wanted
        )

    def mark_bills_paid(self, bill_uuids: Sequence[str], payment_date: date) -> dict[str, Any]:
        """Set approved bills without a payment to Paid (``POST /api/v3/ap/bills/mark-as-paid/``).

        This is how a payment made in the ERP reaches Procurify: the reference documents no
        payment create or payment-status update. The answer's shape is unconfirmed; it is returned
        as sent (its ``data`` when enveloped). After ``ProcurifyOutcomeUnknownError`` read the
        bills (``get("bills", uuid)``): status 4 means the earlier call went through.
        """
        if isinstance(bill_uuids, str) or not isinstance(bill_uuids, Sequence) or not bill_uuids:
            raise ValueError("mark_bills_paid needs a non-empty list of bill UUIDs")
        if not isinstance(payment_date, date) or isinstance(payment_date, datetime):
            raise TypeError("mark_bills_paid: payment_date must be a date")
        uuids = [bill_uuid(u, f"bill {u!r}") for u in bill_uuids]
        record = f"bills {', '.join(uuids[:3])}{' ...' if len(uuids) > 3 else ''}"
        payload = self._call(
            "POST",
            "/api/v3/ap/bills/mark-as-paid/",
            what=f"mark {record} paid",
            body={"bill_uuids": uuids, "payment_date": payment_date.isoformat()},
            write=True,
            record=record,
        )
        if isinstance(payload, Mapping) and isinstance(payload.get("data"), Mapping):
            return dict(payload["data"])
        return dict(payload) if isinstance(payload, Mapping) else {"answer": payload}

    @staticmethod
    def bill_is_paid(bill: Mapping[str, Any]) -> bool:
        """Whether a bill (slim or full) has status 4 Paid."""
        return str(bill.get("status")) == str(_PAID_BILL_STATUS)


def _whole_id(value: Any, record: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).strip().isdigit():
        raise invalid(record, "id", f"{value!r} is not a Procurify numeric id")
    return int(value)


def _day(value: date | datetime) -> date:
    if isinstance(value, datetime):
        return aware_utc(value, "since").date()
    if isinstance(value, date):
        return value
    raise TypeError(f"expected a date or datetime, got {type(value).__name__}")
