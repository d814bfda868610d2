"""Bills: list, get (``?billApprovals=true``), create, bulk create (all-or-nothing, BDC_1246),
PATCH / PUT, archive / restore (idempotent), and record-payment for payments made outside BILL.

Line items carry the GL classification (``chartOfAccountId``, ``departmentId``, ...); every id must
exist in the organization and not be archived. A repeated create makes a second bill (no idempotency
keys) unless the ``reject_duplicate_invoice_numbers`` variant is on.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from starlette.responses import Response

from . import errors
from .api_common import (
    fetch,
    lookup,
    make_id,
    record_routes,
    reject_unknown_query,
    rendered,
    resource_routes,
)
from .api_writes import check_bulk, exists_elsewhere, save, set_archived, store_created
from .contract import RECORDED_PAYMENT_ANSWER
from .documents import (
    apply_bill_fields,
    made_through_api,
    new_bill_doc,
    new_payment_doc,
    outstanding,
    refresh_bill,
    render,
    stamp,
)
from .formats import money, now_ms
from .pipeline import Call, api_route, json_array, json_object, ok
from .resources import BILLS, PAYMENTS, VENDORS
from .validation import BILL_READONLY, Checker, bill_label, check_bill, merge_patch, writable


def _duplicate_invoice(
    call: Call,
    fields: dict[str, Any],
    check: Checker,
    taken: set[tuple[str, str]],
    exclude: str | None = None,
) -> None:
    if not call.settings.variants.reject_duplicate_invoice_numbers or check.problems:
        return
    key = (fields["vendor"]["id"], fields["invoice"]["invoiceNumber"])
    where = "t.vendor_id = ? AND t.invoice_number = ? AND t.archived = 0"
    if key in taken or exists_elsewhere(call, BILLS, where, list(key), exclude):
        check.fail(
            "invoice.invoiceNumber", f"{key[1]!r} already exists for vendor {key[0]}", errors.DUPLICATE
        )
    taken.add(key)


def _line_id(call: Call):
    return lambda: make_id(call, "line_item")


async def create(call: Call) -> Response:
    body = json_object(call.body)
    check = Checker(bill_label(body), strict=call.strict)
    fields = check_bill(body, check, lookup(call))
    _duplicate_invoice(call, fields, check, set())
    check.raise_if_any()
    doc = new_bill_doc(make_id(call, "bill"), fields, call.settings.user_id, now_ms(), _line_id(call))
    made_through_api(doc)
    call.state.store.put(BILLS, call.org, doc)
    call.state.publish(call.org, "bills", "created", doc)
    return rendered(call, BILLS, doc, 201)


async def bulk_create(call: Call) -> Response:
    records = json_array(call.body, call.settings.bill_bulk_max, "bills")
    find, taken = lookup(call), set()

    def check_one(record: dict[str, Any], check: Checker) -> dict[str, Any]:
        fields = check_bill(record, check, find)
        _duplicate_invoice(call, fields, check, taken)
        return fields

    prepared = check_bulk(call, records, bill_label, check_one, noun="bills")
    ms = now_ms()
    docs = [
        made_through_api(
            new_bill_doc(make_id(call, "bill"), fields, call.settings.user_id, ms, _line_id(call))
        )
        for fields in prepared
    ]
    return store_created(call, BILLS, docs)


async def get(call: Call) -> Response:
    reject_unknown_query(call, ("billApprovals",))
    approvals = call.request.query_params.get("billApprovals", "false").lower() == "true"
    doc = fetch(call, BILLS, call.param("id"))
    return ok(render("bills", doc, call.settings, approvals=approvals))


def _lines_by_id(
    call: Call, doc: dict[str, Any], sent: Any, check: Checker, *, replace: bool
) -> list[dict[str, Any]] | Any:
    """The bill's lines after an update, by BILL's documented line rules (reference ``updatebill``,
    ``replacebill``): a line is addressed by its ``id``, an ``id`` that is not one of the bill's lines is
    refused. PUT replaces the list: its lines without ``id`` are new, the bill's lines it leaves out are
    removed. PATCH changes the lines it names and keeps the others; a PATCH line without ``id`` is appended
    or refused (``variants.patch_line_without_id``: PATCH is not documented as adding lines)."""
    if not isinstance(sent, list):
        return sent  # not a list: ``check_bill`` names it
    current = [
        writable(line, ())
        for line in render("bills", doc, call.settings).get("billLineItems", [])
        if isinstance(line, dict)
    ]
    known = {line["id"]: line for line in current}
    out: list[dict[str, Any]] = [] if replace else list(current)
    for index, line in enumerate(sent):
        path = f"billLineItems[{index}]."
        if not isinstance(line, dict):
            out.append(line)
            continue
        line_id = line.get("id")
        if line_id is None:
            if not replace and call.settings.variants.patch_line_without_id == "refuse":
                check.fail(
                    path + "id",
                    "is required in a PATCH: lines are changed by their id; add or remove lines with "
                    "PUT /v3/bills/{billId}",
                )
            out.append(line)
        elif line_id not in known:
            check.fail(path + "id", f"{line_id!r} is not a line of bill {doc['id']}")
        elif replace:
            out.append(line)
        else:
            at = next(i for i, kept in enumerate(out) if kept.get("id") == line_id)
            out[at] = merge_patch(out[at], line)
    return out


def _update(*, replace: bool):
    async def handler(call: Call) -> Response:
        doc = fetch(call, BILLS, call.param("id"))
        if doc["archived"]:
            raise errors.error(
                400, errors.INVALID_STATE, f"bill {doc['id']} is archived; restore it before editing"
            )
        patch = dict(json_object(call.body))
        line_check = Checker(bill_label(patch), strict=call.strict)
        lines = patch.pop("billLineItems", None) if "billLineItems" in patch else ...
        merged = merge_patch(
            {} if replace else writable(render("bills", doc, call.settings), BILL_READONLY), patch
        )
        if lines is not ...:
            merged["billLineItems"] = _lines_by_id(call, doc, lines, line_check, replace=replace)
        line_check.raise_if_any()
        check = Checker(bill_label(merged), strict=call.strict)
        fields = check_bill(merged, check, lookup(call))
        committed = doc.get("_paidCents", 0) + doc.get("_scheduledCents", 0)
        if not check.problems and committed:
            total = sum(line["_cents"] for line in fields["billLineItems"])
            if fields["vendor"]["id"] != doc["vendorId"]:
                check.fail(
                    "vendorId", "cannot change the vendor of a bill with payments", errors.INVALID_STATE
                )
            if total < committed:
                message = f"total {money(total)} is below the {money(committed)} already paid or scheduled"
                check.fail("billLineItems", message, errors.INVALID_STATE)
        _duplicate_invoice(call, fields, check, set(), exclude=doc["id"])
        check.raise_if_any()
        apply_bill_fields(doc, fields, _line_id(call))
        save(call, BILLS, doc, "updated")
        return rendered(call, BILLS, doc)

    return handler


def _archive(archived: bool):
    async def handler(call: Call) -> Response:
        doc = fetch(call, BILLS, call.param("id"))
        if archived and not doc["archived"] and doc.get("_scheduledCents"):
            raise errors.error(
                400,
                errors.INVALID_STATE,
                f"bill {doc['id']} has a scheduled payment; cancel it before archiving",
            )
        set_archived(call, BILLS, doc, archived)
        return rendered(call, BILLS, doc)

    return handler


async def record_payment(call: Call) -> Response:
    """Record a payment made outside BILL (no money moves): all bills or none."""
    body = json_object(call.body)
    check = Checker("record-payment", strict=call.strict)
    check.unknown(body, "", ("vendorId", "processDate", "toPrintCheck", "payments"))
    vendor_id = check.text(body, "vendorId", "", required=True)
    vendor = call.state.store.get(VENDORS, call.org, vendor_id) if vendor_id else None
    if vendor_id and vendor is None:
        check.fail("vendorId", f"{vendor_id} does not exist in this organization")
    process_date = check.date(body, "processDate", "", required=True)
    to_print = check.boolean(body, "toPrintCheck", "")
    entries = check.objects(body, "payments", "is required and must hold at least one {billId, amount}")
    bills: dict[str, dict[str, Any]] = {}
    amounts: dict[str, int] = defaultdict(int)
    for path, entry in entries or ():
        check.unknown(entry, path, ("billId", "amount"))
        bill_id = check.text(entry, "billId", path, required=True)
        cents = check.cents(entry, "amount", path, required=True)
        if cents is not None and cents <= 0:
            check.fail(path + "amount", "must be greater than zero (use vendor credits for negatives)")
            cents = None
        if bill_id is None:
            continue
        bill = bills.get(bill_id) or call.state.store.get(BILLS, call.org, bill_id)
        if bill is None:
            check.fail(path + "billId", f"{bill_id} does not exist in this organization")
            continue
        if vendor is not None and bill["vendorId"] != vendor["id"]:
            check.fail(path + "billId", f"{bill_id} belongs to vendor {bill['vendorId']}, not {vendor['id']}")
        if bill["archived"]:
            check.fail(path + "billId", f"{bill_id} is archived", errors.INVALID_STATE)
        bills[bill_id] = bill
        amounts[bill_id] += cents or 0
    for bill_id, cents in amounts.items():
        if cents > outstanding(bills[bill_id]):
            check.fail(
                "payments",
                f"cannot overpay bill {bill_id} (invoice {bills[bill_id]['invoice']['invoiceNumber']!r}): "
                f"{money(cents)} recorded, {money(outstanding(bills[bill_id]))} outstanding",
                errors.OVERPAY,
            )
    check.raise_if_any()
    assert vendor is not None and process_date is not None
    ms, rng = now_ms(), call.state.rng
    parts = [(make_id(call, "bill_payment"), bill_id, cents) for bill_id, cents in amounts.items()]
    payment = new_payment_doc(
        make_id(call, "payment"),
        vendor,
        parts,
        process_date.isoformat(),
        funding=None,
        single_status="CLEARED",
        disbursement_type="CHECK" if to_print else "OFFLINE",
        online=False,
        created_by=call.settings.user_id,
        ms=ms,
        transaction_number="".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(20)),
        confirmation_number=f"R{process_date:%y%m%d}01 - {rng.randrange(10**7):07d}",
    )
    with call.state.store.transaction():
        for bill_id, cents in amounts.items():
            bill = bills[bill_id]
            bill["_paidCents"] = bill.get("_paidCents", 0) + cents
            refresh_bill(bill)
            stamp(bill, ms)
            call.state.store.put(BILLS, call.org, bill)
        call.state.store.put(PAYMENTS, call.org, payment)
    for bill in bills.values():
        call.state.publish(call.org, "bills", "updated", bill)
    call.state.publish(call.org, "payments", "updated", payment)
    # The collection's 'Record AP payment' answer has fields of its own and lacks some of a payment's.
    shown = render("payments", payment, call.settings)
    return ok({key: value for key, value in shown.items() if key in RECORDED_PAYMENT_ANSWER["properties"]})


def routes() -> list:
    base = "/v3/bills"
    record_payment_route = api_route(f"{base}/record-payment", record_payment, ["POST"])
    edits = {"GET": get, "PATCH": _update(replace=False), "PUT": _update(replace=True)}
    return [
        *resource_routes(base, BILLS, create, bulk_create, record_payment_route),
        *record_routes(base, edits, _archive),
    ]
