"""Reading the lines of Procore orders: a commitment's schedule of values, a commitment change order's
line items, and (through ``ProcoreSession.requisition_lines``) an invoice's contract items, each with
its cost code resolved to the full code string the cost-code map keys on.

Why one module: the three reads share one rule for a line's cost code (design note, "Fields"), and the
rule costs calls, so it lives next to the cache that keeps it cheap:

1. ``cost_code.full_code`` when the line carries the object (the sandbox and Procore's SOV lines do;
   the reference lists no cost code fields on lines, so this is the fallback-first field we can read);
2. else ``cost_code_id`` looked up in the project's cost codes (``GET /cost_codes?project_id=``,
   reference §2.7: ``id``, ``full_code``), read once per project per session;
3. else, for a line that points at a commitment line (``commitment_line_item_id`` on change order
   lines, ``line_item_id`` on invoice lines), that commitment line's cost code.

A line whose cost code cannot be resolved keeps ``_cost_code = None``: refusing it, in a finance
user's words, is the mapper's business, not the reader's.

``OrderLineReads`` is mixed into ``ProcoreSession`` (which supplies ``call``, ``rows_of``, ``get``,
``_rows``, ``company_id``, ``max_pages``): the methods are the session's.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from functools import cache
from typing import TYPE_CHECKING, Any

from connector_resources.procore.entities import API
from connector_resources.procore.errors import ProcoreDataError, ProcoreNotFoundError
from connector_resources.procore.paging import header_int, next_page

if TYPE_CHECKING:
    import requests

# A commitment as a line's cost code fallback needs it: (id, type); the id None when an invoice names none.
Commitment = tuple[Any, str | None]

# The REST v2.0 family (reference §1): /rest/v2.0/companies/{company_id}/..., {"data": [...]}, string
# ids, page size default 10 and at most 100.
API_V2 = "/rest/v2.0"
V2_PER_PAGE = 100

# Commitment kinds: the stored tag (``_commitment_type``, a requisition's ``commitment_type``) -> the
# path segment of its endpoints (reference §2.4). Keys are the spelling without case, spaces, ``_`` or
# ``-`` (``kind_key``): the reference shows ``PurchaseOrderContract``, the UI says "Purchase Order
# Contract", the paths say ``purchase_order_contracts``; a faithful server may send any of them.
COMMITMENT_PATHS = {
    "purchaseordercontract": "purchase_order_contracts",
    "purchaseordercontracts": "purchase_order_contracts",
    "purchaseorder": "purchase_order_contracts",
    "workordercontract": "work_order_contracts",
    "workordercontracts": "work_order_contracts",
    "workorder": "work_order_contracts",
    "subcontract": "work_order_contracts",
}
COMMITMENT_TAGS = {
    "purchase_order_contracts": "PurchaseOrderContract",
    "work_order_contracts": "WorkOrderContract",
}


class ProcoreLinesUnavailableError(ProcoreNotFoundError):
    """The lines of a record that exists cannot be read: the line endpoint answered 404 (this Procore
    does not offer it, or the app may not read it). Not a missing record: do not treat it as deleted."""


def kind_key(commitment_type: Any) -> str:
    """A commitment type without case, spaces, ``_`` or ``-``: the key of ``COMMITMENT_PATHS``."""
    return re.sub(r"[\s_-]", "", str(commitment_type or "")).lower()


def known_kind(commitment_type: Any) -> bool:
    return kind_key(commitment_type) in COMMITMENT_PATHS


def commitment_path(commitment_type: str) -> str:
    """``purchase_order_contracts`` / ``work_order_contracts`` for a commitment type in any of the
    spellings Procore uses (``PurchaseOrderContract``, "Purchase Order Contract", the path segment);
    ``ValueError`` otherwise."""
    key = kind_key(commitment_type)
    if key not in COMMITMENT_PATHS:
        raise ValueError(
            f"unknown commitment type {commitment_type!r}: expected PurchaseOrderContract or "
            "WorkOrderContract (or purchase_order_contracts / work_order_contracts)"
        )
    return COMMITMENT_PATHS[key]


def as_int(value: Any) -> Any:
    """An id as an int: REST v2 sends ids as strings (``"562949953432100"``), v1 as numbers. Anything
    that is not a whole number is returned unchanged."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return value


# ``*_id`` fields that are not Procore ids: ``origin_id`` is the ERP's key, text (reference §2.2, §2.9), so
# ``"00042"`` must stay ``"00042"``.
NOT_IDS = frozenset({"origin_id"})


def normalise_ids(row: dict[str, Any]) -> dict[str, Any]:
    """``row`` with ``id`` and every ``*_id`` field but ``origin_id`` as ints, also inside nested objects
    (``cost_code``, ``wbs_code``): v2 rows then compare equal to v1 rows and to the staged records."""
    for key, value in list(row.items()):
        if key in NOT_IDS:
            continue
        if key == "id" or key.endswith("_id"):
            row[key] = as_int(value)
        elif isinstance(value, dict):
            normalise_ids(value)
    return row


def own_cost_code_id(row: Mapping[str, Any]) -> int | None:
    """The cost code id a line names itself: ``cost_code_id``, else ``cost_code.id``."""
    value = as_int(row.get("cost_code_id"))
    if not isinstance(value, int):
        nested = row.get("cost_code")
        value = as_int(nested.get("id")) if isinstance(nested, Mapping) else None
    return value if isinstance(value, int) else None


def own_full_code(row: Mapping[str, Any]) -> str | None:
    """``cost_code.full_code`` when the line carries it (non-blank), else None."""
    nested = row.get("cost_code")
    if isinstance(nested, Mapping):
        code = nested.get("full_code")
        if isinstance(code, str) and code.strip():
            return code.strip()
    return None


class OrderLineReads:
    """Line reads for ``ProcoreSession`` (see module docstring). Needs the session's ``call``,
    ``_rows``, ``rows_of``, ``get``, ``company_id``, ``max_pages`` and ``pages``."""

    company_id: int
    max_pages: int
    pages: int
    # project id -> {cost code id -> cost code row}; one paged read per project per session.
    _cost_code_cache: dict[int, dict[int, dict[str, Any]]]
    # (project id, commitment id) -> {line id -> line row}: commitment lines a change order or
    # invoice line points at, read once per session.
    _commitment_line_cache: dict[tuple[int, int], dict[int, dict[str, Any]]]

    def keep_in(
        self, cost_codes: dict[int, dict[int, dict[str, Any]]], commitment_lines: dict[Any, Any]
    ) -> None:
        """Keep the cost codes and commitment lines this session reads in the caller's dicts (a run's),
        so the sessions of a run's days and steps read each once."""
        self._cost_code_cache, self._commitment_line_cache = cost_codes, commitment_lines

    # -- cost codes ---------------------------------------------------------------------------------

    def project_cost_codes(self, project_id: int) -> dict[int, dict[str, Any]]:
        """The project's cost codes, id -> cost code row (``id``, ``code``, ``full_code``, ``name``,
        ...; reference §2.7, confirmed), read with ``GET /rest/v1.0/cost_codes?project_id=`` (paged)
        once per project per session and kept: a run maps many lines of the same few projects.

        Unconfirmed: whether the list includes deleted cost codes (a line on a deleted code then
        finds no row here and keeps ``_cost_code = None``).
        """
        cache = self._cost_codes_cache()
        pid = int(project_id)
        if pid not in cache:
            codes: dict[int, dict[str, Any]] = {}
            for row in self.rows_of(  # type: ignore[attr-defined]
                f"{API}/cost_codes", {"project_id": pid}, what=f"list cost codes of project {pid}"
            ):
                key = as_int(row.get("id"))
                if isinstance(key, int):
                    codes[key] = row
            cache[pid] = codes
        return cache[pid]

    def _cost_codes_cache(self) -> dict[int, dict[int, dict[str, Any]]]:
        if not hasattr(self, "_cost_code_cache"):
            self._cost_code_cache = {}
        return self._cost_code_cache

    def _code_of_id(self, project_id: int, cost_code_id: int | None) -> str | None:
        if cost_code_id is None:
            return None
        known = self._code_on_lines(int(project_id), cost_code_id)
        if known is not None:
            return known
        code = self.project_cost_codes(project_id).get(cost_code_id, {}).get("full_code")
        return code.strip() if isinstance(code, str) and code.strip() else None

    def _code_on_lines(self, project_id: int, cost_code_id: int) -> str | None:
        """The full code of ``cost_code_id`` as a commitment line of the project read already (this session's,
        or the run's with ``keep_in``) carries it with that id (its ``cost_code`` object, reference §2.4):
        a change order line changing a line of its commitment costs no read of the project's cost codes."""
        if int(project_id) in self._cost_codes_cache():
            return None  # listed already: the list decides
        for (pid, _), lines in self._commitment_lines_cache().items():
            if pid != project_id:
                continue
            for line in lines.values():
                nested = line.get("cost_code")
                if isinstance(nested, Mapping) and as_int(nested.get("id")) == cost_code_id:
                    code = own_full_code(line)
                    if code is not None:
                        return code
        return None

    def resolve_cost_code(self, project_id: int, row: Mapping[str, Any]) -> str | None:
        """A line's full cost code from the line alone: ``cost_code.full_code``, else its cost code id
        through ``project_cost_codes`` (only then is the project's list read)."""
        return own_full_code(row) or self._code_of_id(project_id, own_cost_code_id(row))

    # -- commitments --------------------------------------------------------------------------------

    def commitment_lines(
        self, project_id: int, commitment_id: int | str, commitment_type: str
    ) -> list[dict[str, Any]]:
        """A commitment's schedule of values: ``GET /rest/v1.0/{purchase,work}_order_contracts/{id}/
        line_items?project_id=`` (reference §2.4, confirmed path; paged like every v1 list).

        Each row is Procore's line (``id``, ``amount`` as a string, ``description``, ...) plus
        ``_cost_code`` (full code string or None; module docstring), ``_cost_code_id``,
        ``_commitment_id``, ``_commitment_type`` (``PurchaseOrderContract`` / ``WorkOrderContract``) and
        ``_project_id``. The line fields are not listed in the reference (unconfirmed): the sandbox's
        are ``amount``, ``quantity``, ``unit_cost``, ``uom``, ``position``, ``cost_code`` {id, name,
        code, full_code}, ``line_item_type``, ``commitment_id``, ``origin_id``.
        ``ProcoreNotFoundError`` when the commitment does not exist on the project (or is not
        readable); ``ValueError`` for an unknown commitment type.
        """
        kind = commitment_path(commitment_type)
        pid, cid = int(project_id), int(commitment_id)
        rows = [
            normalise_ids(row)
            for row in self.rows_of(  # type: ignore[attr-defined]
                f"{API}/{kind}/{cid}/line_items",
                {"project_id": pid},
                what=f"list lines of commitment {cid} of project {pid}",
            )
        ]
        for row in rows:
            row["_cost_code_id"] = own_cost_code_id(row)
            row["_cost_code"] = self.resolve_cost_code(pid, row)
            row["_commitment_id"] = cid
            row["_commitment_type"] = COMMITMENT_TAGS[kind]
            row["_project_id"] = pid
        self._commitment_lines_cache()[(pid, cid)] = {row["id"]: row for row in rows if "id" in row}
        return rows

    def _commitment_lines_cache(self) -> dict[tuple[int, int], dict[int, dict[str, Any]]]:
        if not hasattr(self, "_commitment_line_cache"):
            self._commitment_line_cache = {}
        return self._commitment_line_cache

    def _fill_cost_code(
        self, project_id: int, row: dict[str, Any], line_id: Any, contract: Callable[[], Commitment]
    ) -> None:
        """Set ``row["_cost_code"]``: the row's own cost code, else that of the commitment line ``line_id``
        it bills (and that line's cost code id when the row has none). ``contract`` names the commitment
        (id, type); it is asked only when a row needs the fallback (a read, for an invoice)."""
        code = self.resolve_cost_code(project_id, row)
        if code is None and isinstance(line_id, int):
            commitment_id, commitment_type = contract()
            if isinstance(commitment_id, int):
                line = self._commitment_line(project_id, commitment_id, commitment_type, line_id)
                if line is not None:
                    code = line.get("_cost_code")
                    if row["_cost_code_id"] is None:
                        row["_cost_code_id"] = line.get("_cost_code_id")
        row["_cost_code"] = code

    def _commitment_line(
        self, project_id: int, commitment_id: int, commitment_type: str | None, line_id: int
    ) -> dict[str, Any] | None:
        """One commitment line by id (the commitment's lines are read once per session)."""
        cache = self._commitment_lines_cache()
        if (project_id, commitment_id) not in cache:
            kind = commitment_type
            if not known_kind(kind):
                # The commitment's kind is not known (or spelt in a way not listed): GET it (tries PO, then
                # WO) to learn it, rather than fail the read on a label.
                kind = self.get("commitments", commitment_id, project_id=project_id)["_commitment_type"]  # type: ignore[attr-defined]
            self.commitment_lines(project_id, commitment_id, str(kind))
        return cache[(project_id, commitment_id)].get(line_id)

    # -- change orders ------------------------------------------------------------------------------

    def change_order_lines(
        self,
        project_id: int,
        change_order_id: int | str,
        *,
        commitment_id: int | str | None = None,
        commitment_type: str | None = None,
    ) -> list[dict[str, Any]]:
        """A commitment change order's line items, read from REST **v2.0**
        ``GET /rest/v2.0/companies/{company_id}/projects/{project_id}/commitment_change_orders/
        {commitment_change_order_id}/line_items`` with ``page`` / ``per_page=100``.

        **Unconfirmed**: reference §2.6 documents commitment change orders but no v1.0 line item
        endpoint; this path, and the fields ``id``, ``amount`` (string), ``description``,
        ``commitment_line_item_id`` and a cost code reference (``cost_code`` / ``cost_code_id``; Procore
        also names a ``wbs_code_id``, which is *not* a cost code id and is not read), come from public
        Procore material, not the reference. The v2 shape (reference §1, confirmed for the family):
        ``{"data": [...]}``, ids as strings, pages of at most 100. Paging: ``Link`` / ``Total`` when sent
        (``paging.next_page``); without them another page is asked while a page comes back full
        (``Per-Page`` if sent, else 100).

        Each row: ids as ints (``normalise_ids``), plus ``_cost_code`` (the line's own cost code, else
        the cost code of the commitment line it references; None if neither), ``_cost_code_id``,
        ``_change_order_id`` and ``_project_id``. ``commitment_id`` / ``commitment_type`` (the change
        order's ``contract_id`` and its kind) save the calls that find them, needed only for a line
        without its own cost code.

        Errors: ``ProcoreLinesUnavailableError`` when the endpoint answers 404 for a change order that
        exists (this Procore has no such endpoint, or the app may not read it): the lines cannot be
        read, so the change order cannot be applied line by line; ``ProcoreNotFoundError`` when the
        change order itself is not found on the project.
        """
        pid, coid = int(project_id), int(change_order_id)
        path = (
            f"{API_V2}/companies/{self.company_id}/projects/{pid}/commitment_change_orders/{coid}/line_items"
        )
        what = f"list lines of commitment change order {coid} of project {pid}"
        try:
            rows = [normalise_ids(row) for row in self._v2_rows(path, what)]
        except ProcoreNotFoundError as exc:
            raise self._lines_unavailable(pid, coid, exc) from None
        known = (int(commitment_id), commitment_type) if commitment_id is not None else None
        contract = cache(lambda: known or self._change_order_contract(pid, coid))
        for row in rows:
            row["_cost_code_id"] = own_cost_code_id(row)
            self._fill_cost_code(pid, row, as_int(row.get("commitment_line_item_id")), contract)
            row["_change_order_id"] = coid
            row["_project_id"] = pid
        return rows

    def _change_order_contract(self, project_id: int, change_order_id: int) -> tuple[int, str | None]:
        """The commitment a change order belongs to (``contract_id``, reference §2.6), kind unknown."""
        order = self.get("commitment_change_orders", change_order_id, project_id=project_id)  # type: ignore[attr-defined]
        contract = as_int(order.get("contract_id"))
        if not isinstance(contract, int):
            raise ProcoreDataError(
                f"Procore commitment change order {change_order_id} of project {project_id} names no "
                f"contract_id ({order.get('contract_id')!r}), so the commitment line its lines point at "
                "cannot be read"
            )
        return contract, None

    def _lines_unavailable(
        self, project_id: int, change_order_id: int, exc: ProcoreNotFoundError
    ) -> ProcoreNotFoundError:
        """Tell "no such change order" from "no such endpoint": both answer 404."""
        try:
            self.get("commitment_change_orders", change_order_id, project_id=project_id)  # type: ignore[attr-defined]
        except ProcoreNotFoundError:
            return ProcoreNotFoundError(
                f"Procore has no commitment change order {change_order_id} on project {project_id} that "
                "the service account can read, so its lines cannot be read",
                status=404,
                record=f"commitment change order {change_order_id}",
            )
        return ProcoreLinesUnavailableError(
            f"the lines of commitment change order {change_order_id} on project {project_id} cannot be "
            "read: the change order exists, but Procore answered 404 for its line items (REST v2.0 "
            "commitment_change_orders/{id}/line_items). This Procore may not offer that endpoint, or the "
            "app may lack permission to it; the change order cannot be applied line by line until it "
            f"can. Procore said: {exc}",
            status=404,
            record=f"commitment change order {change_order_id}",
        )

    def _v2_rows(self, path: str, what: str) -> Iterator[dict[str, Any]]:
        """Every row of a REST v2 list (``{"data": [...]}``), ``per_page=100`` (the v2 maximum)."""
        page, read, fetched = 1, 0, 0
        seen: set[Any] = set()
        while True:
            response: requests.Response = self.call(  # type: ignore[attr-defined]
                "GET", path, params={"page": page, "per_page": V2_PER_PAGE}, what=f"{what} (page {page})"
            )
            rows = self._rows(response, what)  # type: ignore[attr-defined]
            self.pages += 1
            fetched += 1
            read += len(rows)
            ids = {str(row.get("id")) for row in rows}
            if page > 1 and rows and ids <= seen:
                # A server that ignores ``page`` answers page 1 again: stop rather than loop or double.
                raise ProcoreDataError(
                    f"Procore answered page {page} of {what} with rows it had already sent; "
                    "the list cannot be read page by page"
                )
            seen |= ids
            yield from rows
            headers = response.headers
            if "Link" in headers or "Total" in headers:
                following = next_page(headers, page=page, rows_on_page=len(rows), rows_so_far=read)
            else:
                # No paging headers (unconfirmed for v2): a full page means there may be another.
                size = header_int(headers, "Per-Page") or V2_PER_PAGE
                following = page + 1 if rows and len(rows) >= size else None
            if following is None:
                return
            if fetched >= self.max_pages:
                raise ProcoreDataError(
                    f"Procore still announces more pages after {fetched} pages of {what}; "
                    f"max_pages_per_list ({self.max_pages}) reached"
                )
            page = following

    # -- invoices -----------------------------------------------------------------------------------

    def with_invoice_cost_codes(
        self, project_id: int, requisition_id: int, rows: Iterable[dict[str, Any]], change_orders: bool = True
    ) -> Iterator[dict[str, Any]]:
        """The invoice's lines: ``rows`` (its ``/requisitions/{id}/contract_items``), then its change order
        items (``requisition_change_order_items``), each with ``_cost_code`` / ``_cost_code_id``.

        A contract item's cost code is its own, else that of the commitment line it bills
        (``line_item_id``; the sandbox's field, unconfirmed: the reference lists only the amounts of these
        lines). The invoice is read (for its commitment) only when a line needs that fallback. A change
        order item keeps its own cost code only: its ``line_item_id`` is not a schedule of values line."""

        def invoice_contract() -> Commitment:
            invoice = self.get("requisitions", requisition_id, project_id=project_id)  # type: ignore[attr-defined]
            return as_int(invoice.get("commitment_id")), invoice.get("commitment_type")

        contract = cache(invoice_contract)
        for row in rows:
            row["_cost_code_id"] = as_int(own_cost_code_id(row))
            self._fill_cost_code(project_id, row, as_int(row.get("line_item_id")), contract)
            yield row
        if change_orders:
            yield from self.requisition_change_order_items(project_id, requisition_id)

    def requisition_change_order_items(
        self, project_id: int, requisition_id: int | str
    ) -> Iterator[dict[str, Any]]:
        """The invoice's change order items: ``GET /rest/v1.0/requisitions/{id}/change_order_items``
        (reference §2.5 lists it beside ``contract_items``, with the same amounts: an invoice bills approved
        change orders there, and its ``summary.current_payment_due`` includes them). Each row is tagged
        ``_item_kind = "change_order"`` with ``_cost_code`` / ``_cost_code_id`` from its own cost code.

        A 404 (a Procore without the endpoint) reads as none: the voucher is still checked against
        ``current_payment_due``, so work billed there and not read is refused, never dropped silently."""
        pid, rid = int(project_id), int(requisition_id)
        try:
            rows = list(
                self.rows_of(  # type: ignore[attr-defined]
                    f"{API}/requisitions/{rid}/change_order_items",
                    {"project_id": pid},
                    what=f"list change order items of requisition {rid} of project {pid}",
                )
            )
        except ProcoreNotFoundError:
            return
        for row in rows:
            row["_item_kind"] = "change_order"
            row["_cost_code_id"] = own_cost_code_id(row)
            row["_cost_code"] = self.resolve_cost_code(pid, row)
            yield row
