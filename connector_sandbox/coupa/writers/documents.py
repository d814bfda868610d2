"""Header fields purchase orders and invoices share: the currency (the instance's when not given, with
the decimals amounts are kept in) and the payment term (the supplier's when not given)."""

from __future__ import annotations

from typing import Any

from ..schema import RESOURCES
from ..validation import Errors
from .common import Draft, WriteContext, find_by, resolve


def apply_currency(ctx: WriteContext, draft: Draft, body: dict[str, Any]) -> tuple[bool, int]:
    """Set the document's currency from the body (a new document defaults to the instance currency).
    Returns whether an existing document's currency changed, and the currency's decimals."""
    changed = False
    if "currency" in body or draft.creating:
        currency = currency_or_default(ctx, draft.errors, body)
        if currency is not None:
            changed = not draft.creating and currency["id"] != draft.doc["currency"]["id"]
            draft.doc["currency"] = {"id": currency["id"]}
    return changed, currency_decimals(ctx, draft.doc.get("currency"))


def apply_payment_term(ctx: WriteContext, draft: Draft, body: dict[str, Any]) -> bool:
    """Set the payment term the body names; a new document without one takes its supplier's.
    Returns whether the body's term differs from the stored one."""
    doc = draft.doc
    if "payment-term" in body:
        term = resolve(ctx, draft.errors, body, "payment-term", "payment_terms", ("code",))
        if term is None:
            return False
        changed = (doc.get("payment-term") or {}).get("id") != term["id"]
        doc["payment-term"] = {"id": term["id"]}
        return changed
    if draft.creating and doc.get("supplier"):
        doc["payment-term"] = supplier_payment_term(ctx, doc)
    return False


def currency_or_default(ctx: WriteContext, errors: Errors, body: dict[str, Any]) -> dict[str, Any] | None:
    """The body's currency; a body without one gets the instance currency."""
    currency = resolve(ctx, errors, body, "currency", "currencies", ("code",))
    if currency is None and "currency" not in body:
        currency = find_by(ctx.store, RESOURCES["currencies"], "code", ctx.settings.instance_currency)
    return currency


def supplier_payment_term(ctx: WriteContext, doc: dict[str, Any]) -> dict[str, Any] | None:
    """Documents created without a payment term take their supplier's."""
    return (ctx.store.get(RESOURCES["suppliers"], doc["supplier"]["id"]) or {}).get("payment-term")


def currency_decimals(ctx: WriteContext, currency: dict[str, Any] | None) -> int:
    """How many decimals the document's amounts keep (2 without a currency)."""
    if not currency:
        return 2
    found = ctx.store.get(RESOURCES["currencies"], currency["id"]) or {}
    return int(found.get("decimals", 2))
