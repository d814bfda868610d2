"""The fields of a polled Coupa document that the flows read, as Coupa's ``fields=`` query argument takes
them (reference §2.2: a JSON list of element names, an association as ``{"name": [...]}``): the day's poll
of invoices and Coupa Pay payments (``sources``) asks only for these, not for whole documents with every
association hydrated (§3 quirk 4, payload bloat).

One list per polled entity, and the only one: what a mapper, a status check or the document collector
reads of a polled record must be here, or it reads blank (Coupa leaves out what was not asked for).
``tests/integrations/coupa_jde/test_coupa_poll_fields.py`` runs the readers over whole sandbox documents
and fails when they read a field not listed, or when one listed is read by nothing. ``id`` and
``updated-at`` are asked for by the client whatever the list (``CoupaSession.iter_changed``).

A replay reads the current version with the same fields (``documents.current_versions``). Read whole
still: call-outs (Coupa sends what it sends), the reconciliation's reads of Coupa (``reconcile_reads``) and
the entities no flow reads from their staged poll.
"""

from __future__ import annotations

from typing import Any

FieldSpec = list[Any]

# coupa_jde invoices: the status and export checks, the supplier and order look-ups, the voucher mapping
# (header, lines on their accounts, header charges) and the collector's id and change stamp.
INVOICE_FIELDS: FieldSpec = [
    "id",
    "updated-at",
    "status",
    "exported",
    "invoice-number",
    "invoice-date",
    "net-due-date",
    "is-credit-note",
    "total-with-taxes",
    "tax-amount",
    "shipping-amount",
    "handling-amount",
    "misc-amount",
    {"currency": ["code"]},
    {"supplier": ["id", "name", "number"]},
    {
        "invoice-lines": [
            "line-num",
            "description",
            "total",
            "po-number",
            {"account": ["code", "segment-1", "segment-2", "segment-3"]},
        ]
    },
]

# coupa_jde payments: the status and export checks and one JDE payment per invoice a payment settles.
PAYMENT_FIELDS: FieldSpec = [
    "id",
    "updated-at",
    "created-at",
    "status",
    "exported",
    "payment-date",
    {"pay-to-currency": ["code"]},
    {
        "payment-details": [
            "source-transaction-id",
            "source-transaction-reference",
            "source-transaction-type",
            "payment-total",
            {"currency": ["code"]},
        ]
    },
]

POLL_FIELDS: dict[str, FieldSpec] = {"invoices": INVOICE_FIELDS, "payments": PAYMENT_FIELDS}
