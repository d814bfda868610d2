"""Purchase orders written into JD Edwards (``ML_CreatePurchaseOrder``, target id ``KCOO:DOCO:DCTO``) and
lines added later (``ML_UpdatePurchaseOrder``, ``KCOO:DOCO:DCTO:<reference>``). P4310 refuses no second
order or line with the same VR01, so these targets search by it before every create (an earlier attempt's
write is adopted).
"""

import threading
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from connector_assets.flows.core import Mapped
from connector_assets.flows.found_ahead import SearchedKeys, found_each
from connector_assets.jde.lookup import browse_in
from connector_assets.jde.target_base import create_held_on_missing, find_held_on_missing
from connector_assets.jde.targets import JdeRefused, JdeTarget, VoucherChanged, jde_number, jde_reason
from connector_resources.jde import Condition, JdeOrchestrationError
from connector_resources.jde.session import JdeSession
from connector_resources.refusals import Refused, refused

# What these targets reach in JDE, named once for the flows' ``reads`` / ``writes`` (``ml-connector ping``).
CREATE_PURCHASE_ORDER = "ML_CreatePurchaseOrder"
UPDATE_PURCHASE_ORDER = "ML_UpdatePurchaseOrder"
PO_HEADER_TABLE = "F4301"  # searched by VR01 (the source's order reference) before an order is created
PO_LINE_TABLE = "F4311"  # searched by VR01 (the source's line reference) before lines are added

DEFAULT_ORDER_TYPE = "OP"  # the contracts' default Order_Type
HEADER_DATES = ("Order_Date", "Requested_Date")  # ML_CreatePurchaseOrder's header date inputs
LINE_DATES = ("Requested_Date",)  # the Lines grid's date input (both contracts)
HEADER_UPDATES = ("Reference", "Remark", "Requested_Date")  # what an order's update changes in JDE


def order_id(company: Any, number: Any, order_type: Any) -> str:
    """The target id of an order: ``KCOO:DOCO:DCTO`` (``00001:4711:OP``)."""
    return f"{str(company).strip()}:{int(number)}:{str(order_type).strip()}"


def parse_order_id(target_id: str) -> tuple[str, int, str]:
    """(KCOO, DOCO, DCTO) of an order's target id, or of added lines' (``KCOO:DOCO:DCTO:<reference>``),
    so a flow that adds lines or vouchers against an order reads the key from the order's xref."""
    parts = str(target_id).split(":", 3)
    number = jde_number(parts[1]) if len(parts) >= 3 else None
    if number is None or not parts[0].strip() or not parts[2].strip():
        raise ValueError(f"{target_id!r} is not a JDE order key KCOO:DOCO:DCTO (e.g. 00001:4711:OP)")
    return parts[0].strip(), number, parts[2].strip()


def _day(value: object) -> date | None:
    """An ISO ``yyyy-mm-dd`` body date as the date the JDE session formats in the user's pattern."""
    if isinstance(value, date):
        return value
    return date.fromisoformat(value) if isinstance(value, str) and value.strip() else None


def _lines(lines: Sequence[Mapping[str, object]]) -> list[dict[str, Any]]:
    return [{**line, **{name: _day(line.get(name)) for name in LINE_DATES if name in line}} for line in lines]


def _text(value: object) -> str:
    return str(value or "").strip()


HEADER_SEARCH_COLUMNS = ("KCOO", "DOCO", "DCTO", "SFXO", "AN8", "VR01")


def _order_keys(record: Mapped) -> tuple[str, str, str]:
    """What an order is searched by: its reference (F4301.VR01), company and order type."""
    body = record.body
    order_type = _text(body.get("Order_Type")) or DEFAULT_ORDER_TYPE
    return _text(body.get("Reference")), _text(body.get("Order_Company")), order_type


def _orders_under(record: Mapped, rows: Iterable[Mapping[str, object]]) -> tuple[list[int], set[int]]:
    """Of F4301 rows under the record's reference: the order numbers for its supplier, and the other
    suppliers holding one."""
    reference, supplier = _order_keys(record)[0], jde_number(record.body.get("Supplier"))
    ours: list[int] = []
    others: set[int] = set()
    for row in rows:
        number = jde_number(row.get("DOCO"))
        if number is None or _text(row.get("VR01")) != reference:
            continue
        an8 = jde_number(row.get("AN8"))
        if an8 == supplier:
            ours.append(number)
        else:
            others.add(an8 or 0)
    return ours, others


class PurchaseOrders(JdeTarget):
    """Source purchase orders (or subcontracts) as JDE purchase orders through ``ML_CreatePurchaseOrder``
    (the body is its inputs, dates as ISO strings; ``Reference``, F4301.VR01, the natural key). Once
    written, only the header follows the source (``ML_UpdatePurchaseOrder``): receipts and vouchers may
    stand on the lines, so changes arrive as added lines (``PurchaseOrderLines``)."""

    writes = (CREATE_PURCHASE_ORDER, UPDATE_PURCHASE_ORDER)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._searched = SearchedKeys()  # references a chunk searched (``find_many``)
        self._ahead = threading.local()  # the chunk's F4301 rows by reference, while ``find_many`` runs

    def _headers(self, reference: str, company: str, order_type: str) -> list[dict[str, Any]]:
        """F4301 rows of ``reference`` in ``company`` and ``order_type``: from the chunk's read while
        ``find_many`` runs, else one read."""
        known: dict[str, list[dict[str, Any]]] | None = getattr(self._ahead, "rows", None)
        if known is not None:
            rows = known.get(reference, [])
            return [r for r in rows if _text(r.get("KCOO")) == company and _text(r.get("DCTO")) == order_type]
        return self.session.browse(
            PO_HEADER_TABLE,
            columns=list(HEADER_SEARCH_COLUMNS),
            conditions=[
                Condition(f"{PO_HEADER_TABLE}.VR01", "EQUAL", reference),
                Condition(f"{PO_HEADER_TABLE}.KCOO", "EQUAL", company),
                Condition(f"{PO_HEADER_TABLE}.DCTO", "EQUAL", order_type),
            ],
        )

    def _describe(self, body: Mapping[str, object]) -> str:
        reference = _text(body.get("Reference")) or "without a reference"
        return f"purchase order {reference} for supplier {_text(body.get('Supplier'))}"

    @find_held_on_missing
    def find(self, record: Mapped) -> str | None:
        reference, company, order_type = _order_keys(record)
        if not reference:
            return None  # nothing to search by; the mapper always sends one
        ours, others = _orders_under(record, self._headers(reference, company, order_type))
        if ours:
            return order_id(company, min(ours), order_type)  # the oldest, should JDE hold several
        if others:
            # The reference is this record's alone: an order under it for another supplier was written for
            # this record before its supplier changed (or entered by hand). A second order would double
            # the commitment, so a person decides.
            raise VoucherChanged(
                f"JDE already holds a {order_type} order with reference {reference} in company {company} "
                f"for supplier(s) {sorted(others)}, not supplier {_text(record.body.get('Supplier'))}; check "
                "that order in JDE (change its supplier or reference), then replay this item"
            )
        return None

    def find_many(self, records: Sequence[Mapped]) -> dict[str, str | None]:
        """``find`` for a chunk of claimed records (``records.BatchFinder``): F4301 read by the chunk's
        references at once (``browse_in``, 100 a call; ``find`` checks company and type) instead of one read a
        record. Left out, for ``find`` alone: a record without a reference, one sharing its reference with
        another of the chunk or of an earlier chunk of this target, and one whose reference names another
        supplier's order (``find`` refuses it)."""
        wanted = {record.source_key: _order_keys(record) for record in records}
        alone = self._searched.alone([keys[0]] for keys in wanted.values() if keys[0])
        settled = [r for r in records if wanted[r.source_key][0] and wanted[r.source_key][0] not in alone]
        references = sorted({wanted[r.source_key][0] for r in settled})
        rows: dict[str, list[dict[str, object]]] = {}  # answered by ``find`` (company and type checked there)
        for row in browse_in(self.session, PO_HEADER_TABLE, "VR01", references, HEADER_SEARCH_COLUMNS):
            rows.setdefault(_text(row.get("VR01")), []).append(row)
        self._ahead.rows = rows
        try:
            return found_each(self.find, settled)
        finally:
            self._ahead.rows = None

    @create_held_on_missing
    def create(self, record: Mapped) -> str:
        body = dict(record.body)
        for name in HEADER_DATES:
            if name in body:
                body[name] = _day(body[name])
        body["Lines"] = _lines(list(body.get("Lines") or []))
        outputs = self._orchestrate(CREATE_PURCHASE_ORDER, body, self._describe(record.body))
        number = jde_number(outputs.get("Order_Number"))
        if number is None:
            sentence = (
                f"{self._describe(record.body)}: JDE answered without an order number ({outputs}); if JDE "
                "created the order, a replay finds it by its reference and adopts it"
            )
            raise Refused(refused(sentence, rule="answer without an order number"))
        company = _text(outputs.get("Order_Company")) or _text(body.get("Order_Company"))
        order_type = _text(outputs.get("Order_Type")) or _text(body.get("Order_Type")) or DEFAULT_ORDER_TYPE
        return order_id(company, number, order_type)

    def update(self, target_id: str, record: Mapped) -> None:
        company, number, order_type = parse_order_id(target_id)
        inputs: dict[str, object] = {
            "Order_Company": company,
            "Order_Number": number,
            "Order_Type": order_type,
            **{name: record.body.get(name) for name in HEADER_UPDATES},
        }
        inputs["Requested_Date"] = _day(inputs["Requested_Date"])
        self._orchestrate(UPDATE_PURCHASE_ORDER, inputs, f"purchase order {company} {number} {order_type}")

    def _orchestrate(self, name: str, inputs: dict[str, Any], what: str) -> dict[str, Any]:
        return orchestrate(self.session, name, inputs, what)


class PurchaseOrderLines(JdeTarget):
    """Lines added to an existing JDE purchase order (a source change order's) through
    ``ML_UpdatePurchaseOrder``: body ``{"Order_Company", "Order_Number", "Order_Type", "Lines": [...]}``,
    every line carrying the same ``Reference`` (F4311.VR01, ``PCCO-<id>``) they are found again by. Added
    lines are never changed: a source record changed since is refused (``VoucherChanged``) for a person."""

    writes = (UPDATE_PURCHASE_ORDER,)

    def _key(self, record: Mapped) -> tuple[str, int, str, str]:
        body = record.body
        references = {_text(line.get("Reference")) for line in body.get("Lines") or []}
        number = jde_number(body.get("Order_Number"))
        if len(references) != 1 or "" in references or number is None:
            raise ValueError(
                f"{record.source_key}: lines to add need an order number and one line Reference on every "
                f"line (got order {body.get('Order_Number')!r}, references {sorted(references)})"
            )
        order_type = _text(body.get("Order_Type")) or DEFAULT_ORDER_TYPE
        return _text(body.get("Order_Company")), number, order_type, references.pop()

    @find_held_on_missing
    def find(self, record: Mapped) -> str | None:
        company, number, order_type, reference = self._key(record)
        rows = self.session.browse(
            PO_LINE_TABLE,
            columns=["KCOO", "DOCO", "DCTO", "LNID", "VR01"],
            conditions=[
                Condition(f"{PO_LINE_TABLE}.KCOO", "EQUAL", company),
                Condition(f"{PO_LINE_TABLE}.DOCO", "EQUAL", number),
                Condition(f"{PO_LINE_TABLE}.DCTO", "EQUAL", order_type),
                Condition(f"{PO_LINE_TABLE}.VR01", "EQUAL", reference),
            ],
        )
        if any(_text(row.get("VR01")) == reference for row in rows):
            return f"{order_id(company, number, order_type)}:{reference}"
        return None

    @create_held_on_missing
    def create(self, record: Mapped) -> str:
        company, number, order_type, reference = self._key(record)
        lines = [{k: v for k, v in line.items() if k != "Line_Number"} for line in record.body["Lines"]]
        inputs = {
            "Order_Company": company,
            "Order_Number": number,
            "Order_Type": order_type,
            "Lines": _lines(lines),
        }
        what = f"lines {reference} on purchase order {company} {number} {order_type}"
        orchestrate(self.session, UPDATE_PURCHASE_ORDER, inputs, what)
        return f"{order_id(company, number, order_type)}:{reference}"

    def update(self, target_id: str, record: Mapped) -> None:
        xref = self._xref(record)
        if xref is None or not xref.target_id:
            return  # adopting lines an earlier attempt added: they are there, nothing to change
        raise VoucherChanged(
            f"changed in {self.source_label} after its lines were added to JDE purchase order "
            f"{target_id.rsplit(':', 1)[0]} (line reference {target_id.rsplit(':', 1)[-1]}); the integration "
            "never rewrites lines already on an order: change the order in JDE by hand if needed, then "
            "abandon this item"
        )


def orchestrate(session: JdeSession, name: str, inputs: dict[str, Any], what: str) -> dict[str, Any]:
    """``name``'s outputs; a refusal with a JDE code is ``JdeRefused`` naming ``what`` and the reason in a
    finance user's words; any other failure propagates for the kit to retry (it searches first)."""
    try:
        return dict(session.orchestrate(name, inputs).outputs)
    except JdeOrchestrationError as exc:
        if "59A6" in exc.codes:
            # Only an order the integration wrote is ever named here, so JDE lost it since.
            raise JdeRefused(
                f"{what}: {jde_reason(exc)}. The integration wrote this order earlier, so it was deleted or "
                "renumbered in JDE since: check the order in JDE (the lines are sent once it is there), or "
                "abandon this item"
            ) from None
        if exc.is_business_error:
            raise JdeRefused(f"{what}: {jde_reason(exc)}") from None
        raise
