"""Coupa's published contract for the endpoints our clients call, as the simulator enforces it.

Sources (``ARTIFACTS``): Coupa's R39 OpenAPI specs (Swagger 2.0; paths, operations and each model's
properties with ``readOnly``: ``contract_fields``) and the Compass Core API pages (the element tables'
In/Out/Req'd columns, "API Operators", "Querying Options", "Special Actions and API Notes", "OAuth 2.0").
Both are read from the public mirror of Compass's Integration Technical Documentation; its licence is not
stated, so the repository keeps only these facts, in its own tables, naming where each stands.

What is checked: every request under ``/api/`` or ``/oauth2/`` names an endpoint the specs publish; the
query parameters are the documented ones in their documented forms (paging, ``fields``, ``return_object``,
``order_by``/``dir``, ``filter``, attribute filters with the documented operators, dates as ISO 8601); a
body carries no field the model lacks (at any depth of a record's own lines) and none the spec marks
read-only, and has what Coupa requires (an invoice's number and date; a credit note's original invoice).
Answers are checked against the same models, closed at the record and its lines; associations (supplier,
account, currency ...) are open, as each is its own model.
"""

from __future__ import annotations

from typing import Any

from connector_sandbox.contracts import (
    Artifact,
    Contract,
    Operation,
    array,
    boolean,
    integer,
    obj,
    one_of,
    output_only,
    string,
)
from connector_sandbox.contracts.shapes import Schema

from .contract_fields import COMPASS_ONLY, LISTS, PROPERTIES, READ_ONLY

MIRROR = "https://github.com/TimTini/coupa-compass-integration-docs"
NO_LICENCE = "no licence stated: facts only, no copy kept"
ARTIFACTS = (
    Artifact(
        "Coupa R39 OpenAPI (Swagger 2.0) specs: Core Platform, Invoicing, Purchasing, Coupa Pay Base",
        f"{MIRROR} output/discovery/assets/raw/0164-, 0165-, 0168-, 0169-R39_*_API.json",
        "R39 (mirrored 2026-04-09, commit 2c02f8a)",
        NO_LICENCE,
    ),
    Artifact(
        "Coupa Compass, Integration Technical Documentation: The Coupa Core API (resources' element tables, "
        "API Operators, Querying Options, Special Actions and API Notes, OAuth 2.0, OAuth 2.0 for Call Outs)",
        "https://compass.coupa.com/en-us/products/product-documentation/integration-technical-documentation",
        "pages fetched 2026-04-09/10 (same mirror)",
        NO_LICENCE,
    ),
)
R39 = {
    "invoicing": "R39 Invoicing API",
    "core": "R39 Core Platform API",
    "purchasing": "R39 Purchasing API",
    "pay": "R39 Coupa Pay Base API",
}

# -- query parameters (Compass "Querying Options", "API Operators"; every R39 list operation) ---------------
# The operators (none, contains, starts_with, ends_with, gt, lt, gt_or_eq, lt_or_eq, not_eq, in, not_in,
# blank) end an attribute path as one more bracket, like an association's attribute does, so a name alone
# cannot tell them apart: the forms are held where the value's kind is known (dates, blank).
# "a strict subset of ISO 8601 (2010-03-25T18:38:00-07:00)"; a bare date is taken as midnight.
ISO_TIME = r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$"
TIME_ATTRIBUTE = r"(^|\])(created|updated)[-_]at"
_value = one_of(string(), array(string()))
COMMON_QUERY = obj(
    {
        "limit": string(pattern=r"^\d+$"),
        "offset": string(pattern=r"^\d+$"),
        "order_by": string(pattern=r"^[a-z0-9_\-]+$"),
        "dir": string(enum=["asc", "desc"]),
        "return_object": string(enum=["limited", "shallow", "none"]),
        "fields": string(pattern=r"^\[.*\]$"),  # a JSON array of names and {association: [names]}
        "filter": string(pattern=r"^[a-z0-9_]+$"),  # a named API filter
        "exported": string(enum=["true", "false"]),
        # PO lines removed from an order (Compass, "PO's and PO Changes Integration into your ERP")
        "show_deleted_lines": string(enum=["true", "false"]),
    }
)
COMMON_QUERY["patternProperties"] = {
    # attribute[operator]=value, through associations: supplier[name][contains]=...
    r"^[a-z][a-z0-9_\-]*(\[[a-z0-9_\-]+\])*$": _value,
    # dates and times: ISO 8601, and no text operators ("Not used with date fields")
    rf"{TIME_ATTRIBUTE}(\[(gt|lt|gt_or_eq|lt_or_eq|not_eq)\])?$": string(pattern=ISO_TIME),
    rf"{TIME_ATTRIBUTE}\[(contains|starts_with|ends_with|blank)\]$": {"not": {}},
    r"\[blank\]$": string(enum=["true", "false"]),
}
_ANY_QUERY = obj({})  # the common parameters only


# Answer fields no artifact documents that the simulator shows, each only when a client asks for what
# Coupa documents without naming the field: an order line removed from its order carries ``deleted-at``
# under show_deleted_lines=true (Compass documents the parameter, not how a removed line is marked). No
# client of ours asks, and none reads the field.
SIMULATOR_GUESSES: dict[str, tuple[str, ...]] = {"OrderLine": ("deleted-at",)}


# What a new line must carry where the R39 spec's ``required`` and Compass's Req'd column agree: invoice
# lines description and price (Compass adds account); order lines account, description and price (both
# also list currency and external-reference-number, which Coupa fills from the order and which its own
# examples omit: not enforced, see docs/reference/coupa.md 5.2).
NEW_LINE_NEEDS: dict[str, tuple[str, ...]] = {
    "InvoiceLine": ("description", "price"),
    "OrderLine": ("account", "description", "price"),
}


def _record(model: str, *, request: bool, required: tuple[str, ...] = (), line: bool = False) -> Schema:
    """``model`` as a closed object: its spec's properties, read-only ones refused in a request, list
    properties holding its own line models closed too, associations open. ``custom-fields`` is Coupa's
    documented namespace for a customer's own fields (Compass, "Custom Field Namespace")."""
    read_only = READ_ONLY[model]
    properties: dict[str, Schema] = {}
    for name in sorted(PROPERTIES[model] | COMPASS_ONLY.get(model, frozenset())):
        lines = LISTS.get(model, {}).get(name)
        # In an answer a line may also be its bare id: return_object=shallow reduces associations to
        # their ids and natural keys (Compass, "API Return Formats").
        item = _record(lines, request=request, line=True) if lines else {}
        schema: Schema = one_of(array(one_of(item, integer())), {"type": "null"}) if lines else {}
        if request and lines is not None and name not in read_only:
            schema = array(_record(lines, request=True, line=True))
        if name in read_only and not (request and line and name == "id"):
            schema = output_only(schema) if request else schema
        properties[name] = schema
    properties["custom-fields"] = {"type": ["object", "null"]}
    for name in SIMULATOR_GUESSES.get(model, ()) if not request else ():
        properties[name] = {}
    if request and line:
        # A line of a record being updated is addressed by its id (the spec's id is output only on a new
        # record), and removed with ``_delete`` (Rails' nested attributes; Compass shows removed PO lines
        # with show_deleted_lines but names no removal field).
        properties["id"] = one_of(integer(), string(pattern=r"^\d+$"))
        properties["_delete"] = one_of(boolean(), string(enum=["true", "false"]))
        schema = obj(properties, required)
        if NEW_LINE_NEEDS.get(model):
            # A new line (one without an id) carries what both artifacts require of it.
            schema["if"] = {"not": {"required": ["id"]}}
            schema["then"] = {"required": list(NEW_LINE_NEEDS[model])}
        return schema
    return obj(properties, required)


def _credit_note_needs_its_original(schema: Schema) -> Schema:
    """Compass, Invoices API elements: original-invoice-number and -date are "required when
    is-credit-note=true"."""
    return {
        **schema,
        "if": {"properties": {"is-credit-note": {"const": True}}, "required": ["is-credit-note"]},
        "then": {"required": ["original-invoice-number", "original-invoice-date"]},
    }


def _list_of(answer: Schema) -> Schema:
    return array(answer)


INVOICE_IN = _credit_note_needs_its_original(
    _record("InvoiceHeader", request=True, required=("invoice-number", "invoice-date"))
)
INVOICE_UPDATE = _credit_note_needs_its_original(_record("InvoiceHeader", request=True))
INVOICE_OUT = _record("InvoiceHeader", request=False)
SUPPLIER_IN = _record("Supplier", request=True, required=("name",))
SUPPLIER_UPDATE = _record("Supplier", request=True)
SUPPLIER_OUT = _record("Supplier", request=False)
ORDER_IN = _record("OrderHeader", request=True, required=("po-number", "supplier", "order-lines"))
ORDER_UPDATE = _record("OrderHeader", request=True)
ORDER_OUT = _record("OrderHeader", request=False)
PAYMENT_OUT = _record("CoupaPay-Payment", request=False)
ACCOUNT_OUT = _record("Account", request=False)
ACCOUNT_IN = _record("Account", request=True)  # the operator's (and tests') set-up; no flow writes accounts
LOOKUP_VALUE_OUT = _record("LookupValue", request=False)
LOOKUP_VALUE_IN = _record("LookupValue", request=True)
PAYMENT_TERM_OUT = _record("PaymentTerm", request=False)

PO_ACTIONS = "issue|issue_without_send|ignore_window_and_issue|cancel|close|reopen|release_from_buyer_hold"
INVOICE_ACTIONS = (
    "submit|void|abandon|dispute|withdraw_dispute|bypass_approvals|bypass_current_approval|restart_approvals|"
    "revalidate_tolerances|update_line_accounts"
)


def _or_no_body(schema: Schema) -> Schema:
    """A PUT body, or none: marking exported is ``PUT <record>?exported=true`` alone (Compass, "Special
    Actions and API Notes")."""
    return one_of(schema, {"type": "null"})


def _resource(
    path: str,
    source: str,
    answer: Schema,
    *,
    create: Schema | None = None,
    update: Schema | None = None,
) -> tuple[Operation, ...]:
    """A resource's index, show and (where the spec has them) create and update operations."""
    found = [
        Operation(
            "GET", path, f"{source}: GET {path[4:]} (index)", query=_ANY_QUERY, answer=_list_of(answer)
        ),
        Operation(
            "GET",
            f"{path}/{{id}}",
            f"{source}: GET {path[4:]}/{{id}} (show)",
            query=_ANY_QUERY,
            answer=answer,
        ),
    ]
    if create is not None:
        found.append(
            Operation(
                "POST",
                path,
                f"{source}: POST {path[4:]} (create)",
                query=_ANY_QUERY,
                body=create,
                answer=answer,
            )
        )
    if update is not None:  # the R39 specs publish PUT and PATCH alike for an update
        found.extend(
            Operation(
                method,
                f"{path}/{{id}}",
                f"{source}: {method} {path[4:]}/{{id}} (update)",
                query=_ANY_QUERY,
                body=_or_no_body(update),
                answer=answer,
            )
            for method in ("PUT", "PATCH")
        )
    return tuple(found)


def _actions(path: str, names: str, source: str, answer: Schema) -> tuple[Operation, ...]:
    return tuple(
        Operation(
            "PUT",
            f"{path}/{{id}}/{name}",
            f"{source}: PUT {path[4:]}/{{id}}/{name}",
            query=_ANY_QUERY,
            answer=answer,
        )
        for name in names.split("|")
    )


TOKEN = Operation(
    "POST",
    "/oauth2/token",
    "Compass, OAuth 2.0 (client credentials: form body grant_type, scope; the client by form or Basic); "
    "R39 specs' securityDefinitions",
    form=True,
    body=obj(
        {
            "grant_type": string(enum=["client_credentials"]),
            "scope": string(pattern=r"^[a-z0-9_.]+( [a-z0-9_.]+)*$"),  # space-separated scope names
            "client_id": string(),
            "client_secret": string(),
        },
        ["grant_type"],
    ),
    answer=obj(
        {"access_token": string(), "token_type": string(), "expires_in": integer(), "scope": string()},
        ["access_token", "token_type", "expires_in"],
    ),
)

OPERATIONS: tuple[Operation, ...] = (
    TOKEN,
    *_resource("/api/suppliers", R39["core"], SUPPLIER_OUT, create=SUPPLIER_IN, update=SUPPLIER_UPDATE),
    *_resource("/api/purchase_orders", R39["purchasing"], ORDER_OUT, create=ORDER_IN, update=ORDER_UPDATE),
    *_actions("/api/purchase_orders", PO_ACTIONS, R39["purchasing"], ORDER_OUT),
    # POST /invoices: Compass, Invoices API actions ("Creates an invoice in draft status"); the R39
    # Invoicing spec lists GET/PUT/PATCH/DELETE only.
    *_resource("/api/invoices", R39["invoicing"], INVOICE_OUT, create=INVOICE_IN, update=INVOICE_UPDATE),
    *_actions("/api/invoices", INVOICE_ACTIONS, R39["invoicing"], INVOICE_OUT),
    # PUT only to mark exported (Compass, Payments API (/coupa_pay/payments)): no body.
    *_resource("/api/coupa_pay/payments", R39["pay"], PAYMENT_OUT, update=obj({})),
    *_resource("/api/accounts", R39["core"], ACCOUNT_OUT, create=ACCOUNT_IN, update=ACCOUNT_IN),
    *_resource(
        "/api/lookup_values", R39["core"], LOOKUP_VALUE_OUT, create=LOOKUP_VALUE_IN, update=LOOKUP_VALUE_IN
    ),
    *_resource("/api/payment_terms", R39["core"], PAYMENT_TERM_OUT),
)

# The element Coupa files validation errors under, by the resource the path names.
_ELEMENTS = {
    "suppliers": "supplier",
    "purchase_orders": "order-header",
    "invoices": "invoice-header",
    "payments": "payment",
    "accounts": "account",
    "lookup_values": "lookup-value",
    "payment_terms": "payment-term",
}


def _refusal(violations: list[Any]) -> tuple[int, Any]:
    """Coupa's own refusal: 400 ``{"errors": {"<element>": [...]}}`` (Compass, "Exception Handling and
    Error Codes"); a token request the RFC 6749 way; an endpoint Coupa does not publish 404."""
    first = violations[0]
    if first.problem == "no such endpoint":
        return 404, {"errors": {"error": [v.words for v in violations]}}
    path = first.endpoint.split(" ", 1)[1]
    if path.startswith("/oauth2/"):
        return 400, {"error": "invalid_request", "error_description": "; ".join(v.words for v in violations)}
    parts = [p for p in path.split("/") if p and not p.startswith("{")]
    element = next((_ELEMENTS[p] for p in reversed(parts) if p in _ELEMENTS), "error")
    return 400, {"errors": {element: [v.words for v in violations]}}


CONTRACT = Contract(
    system="coupa",
    artifacts=ARTIFACTS,
    operations=OPERATIONS,
    prefixes=("/api/", "/oauth2/"),
    refusal=_refusal,
    common_query=COMMON_QUERY,
)
