"""Business activity on demand (``POST /sandbox/activity``): what users of the pod would have done
since the client last looked.

New records and changes are all stamped with one "now" of the sandbox clock, so a client's
``LastUpdateDate >= watermark`` window meets many rows sharing its boundary timestamp, as after a
real batch import. New payments pay open invoices and change those invoices too (paid status, amount
paid, last update), as Payables does.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from connector_sandbox.activity import activity_request

from .factory import Batch, Factory, Stamp
from .store import Store
from .values import epoch_ms

ACTIVITY_USER = "AP.CLERK"


ActivityRequest = activity_request(
    "new_suppliers",
    "updated_suppliers",
    "new_purchase_orders",
    "updated_purchase_orders",
    "new_requisitions",
    "new_invoices",
    "updated_invoices",
    "new_payments",
)


def _pick(store: Store, sql: str, count: int, rng: random.Random) -> list[dict[str, Any]]:
    rows = store.fetch(sql)
    return rng.sample(rows, k=min(count, len(rows)))


def make_activity(
    store: Store, rng: random.Random, now: dt.datetime, wanted: ActivityRequest
) -> dict[str, Any]:
    """Create and change records; returns their ids per kind and the shared timestamp."""
    now = now.replace(microsecond=(now.microsecond // 1000) * 1000)
    stamp = Stamp(now, now)
    factory = Factory(store, rng, ACTIVITY_USER)
    factory.load_reference_data()
    batch = Batch()
    created: dict[str, list[int]] = {}
    updated: dict[str, list[int]] = {}
    stamp_ms = epoch_ms(now)
    who = {"LastUpdateDate": stamp_ms, "LastUpdatedBy": ACTIVITY_USER}
    with store.transaction():
        # Changes first, so they touch only records that existed before this activity.
        for kind, table, sql, count, change in (
            (
                "suppliers",
                "supplier",
                'SELECT sbx_id, "Supplier" FROM supplier WHERE "Status" = \'ACTIVE\'',
                wanted.updated_suppliers,
                lambda row: {"AlternateName": f"{row['Supplier']} (updated)"[:360]},
            ),
            (
                "purchaseOrders",
                "po_header",
                'SELECT sbx_id, "Description" FROM po_header WHERE "StatusCode" = \'OPEN\'',
                wanted.updated_purchase_orders,
                lambda row: {"Description": f"{row['Description'] or ''} (rev.)"[:240]},
            ),
            (
                "invoices",
                "invoice",
                'SELECT sbx_id FROM invoice WHERE "CanceledFlag" = 0 AND "ValidationStatus" <> \'Validated\'',
                wanted.updated_invoices,
                lambda _row: {"ValidationStatus": "Validated", "ApprovalStatus": "Approved"},
            ),
        ):
            updated[kind] = []
            for row in _pick(store, sql, count, rng):
                store.update(table, row["sbx_id"], {**change(row), **who})
                updated[kind].append(row["sbx_id"])

        created["suppliers"] = [
            factory.supplier(
                batch, f"Neuer Lieferant {factory.next('activity_supplier')} GmbH", "DE", stamp
            ).id
            for _ in range(wanted.new_suppliers)
        ]
        batch.flush(store)
        orders = [factory.purchase_order(batch, stamp) for _ in range(wanted.new_purchase_orders)]
        created["purchaseOrders"] = [order.id for order in orders]
        created["purchaseRequisitions"] = []
        for _ in range(wanted.new_requisitions):
            factory.requisition(batch, stamp, None)
            created["purchaseRequisitions"].append(batch.rows["requisition"][-1]["sbx_id"])
        invoices = []
        for index in range(wanted.new_invoices):
            open_orders = [order for order in orders if batch_status(batch, order.id) == "OPEN"]
            order = open_orders[index % len(open_orders)] if open_orders and index % 2 == 0 else None
            invoices.append(factory.invoice(batch, stamp, order=order))
        created["invoices"] = [header["InvoiceId"] for header in invoices]
        batch.flush(store)

        created["payablesPayments"] = _pay_open_invoices(
            store, factory, stamp, wanted.new_payments, rng, updated, exclude=set(created["invoices"])
        )
        factory.save_counters()
    return {
        "timestamp": stamp.updated.isoformat(timespec="milliseconds"),
        "created": created,
        "updated": updated,
    }


def batch_status(batch: Batch, po_id: int) -> str | None:
    return next((row["StatusCode"] for row in batch.rows["po_header"] if row["sbx_id"] == po_id), None)


def _pay_open_invoices(
    store: Store,
    factory: Factory,
    stamp: Stamp,
    count: int,
    rng: random.Random,
    updated: dict[str, list[int]],
    *,
    exclude: set[int],
) -> list[int]:
    """Pay ``count`` validated, approved, unpaid invoices that existed before (not ``exclude``)."""
    rows = store.fetch(
        "SELECT * FROM invoice WHERE \"ValidationStatus\" = 'Validated' AND \"ApprovalStatus\" = 'Approved' "
        'AND "CanceledFlag" = 0 AND "PaidStatus" <> \'Paid\' AND "InvoiceAmount" > 0'
    )
    rows = [row for row in rows if row["sbx_id"] not in exclude]
    candidates = rng.sample(rows, k=min(count, len(rows)))
    payments = []
    paid_invoices = updated.setdefault("invoices", [])
    for header in candidates:
        payment = record_payment(store, factory, header, stamp)
        payments.append(payment["CheckId"])
        if header["sbx_id"] not in paid_invoices:
            paid_invoices.append(header["sbx_id"])
    return payments


def record_payment(
    store: Store,
    factory: Factory,
    header: dict[str, Any],
    stamp: Stamp,
    *,
    amount: int | None = None,
    payment_date: dt.date | None = None,
) -> dict[str, Any]:
    """One payablesPayments payment of invoice ``header`` (a stored row), as Payables makes it: the payment
    and its relatedInvoices row, the invoice's AmountPaid, PaidStatus and LastUpdateDate, and its
    installment's UnpaidAmount. ``amount`` (stored form; default what is open) and ``payment_date``
    (default the stamp's day) as ``Factory.pay`` takes them; ``header`` is left updated. The payment row."""
    batch = Batch()
    payment = factory.pay(batch, [header], stamp, amount=amount, payment_date=payment_date)
    batch.flush(store)
    store.update(
        "invoice",
        header["sbx_id"],
        {
            "AmountPaid": header["AmountPaid"],
            "PaidStatus": header["PaidStatus"],
            "LastUpdateDate": epoch_ms(stamp.updated),
            "LastUpdatedBy": factory.user,
        },
    )
    store.conn.execute(
        'UPDATE invoice_installment SET "UnpaidAmount" = ?, "LastUpdateDate" = ?, '
        "sbx_version = sbx_version + 1 "
        "WHERE sbx_parent = ?",
        (header["InvoiceAmount"] - header["AmountPaid"], epoch_ms(stamp.updated), header["sbx_id"]),
    )
    return payment
