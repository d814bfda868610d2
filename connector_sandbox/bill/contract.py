"""BILL's published v3 contract for the endpoints the connector calls, as the simulator enforces it.

The facts come from BILL's own material: the v3 Postman collection BILL publishes (read from the copy in the
public repository ``akleinvm/billdotcom-sdk-v3``, ``reference/billdotcom_v3.json``; its example bodies are
generated from BILL's OpenAPI models, so an example answer lists a model's fields) and the developer.bill.com
reference and guides named per operation. Neither carries a licence that lets the repository keep a copy,
so these are our own tables of the facts, each naming where it stands (``docs/reference/bill.md`` §5).

Requests are checked field by field (required, output-only, unknown at any depth, parameter forms: the
``filters`` and ``sort`` grammar of "Search operations with lists" and the fields "Filterable fields"
lists per object); answers are checked against the models' fields, closed. Every other endpoint the
simulator serves that the collection lists is declared by method and path only, so a request the vendor
does not publish at all ("no such endpoint", ``BDC_1121``) is still refused.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from connector_sandbox.contracts import (
    Artifact,
    Contract,
    Operation,
    array,
    boolean,
    integer,
    number,
    obj,
    output_only,
    string,
)

from . import errors

API = "/connect/v3"
EVENTS = "/connect-events/v3"

POSTMAN = Artifact(
    "BILL v3 API Postman collection (BILL's own; a copy in akleinvm/billdotcom-sdk-v3)",
    "https://github.com/akleinvm/billdotcom-sdk-v3/blob/86b5395/reference/billdotcom_v3.json",
    "collection 72a2d167 as of repository commit 86b5395 (SDK 1.0.3)",
    "BILL states no licence for the collection (the SDK's MIT covers its own code): facts only, no copy",
)
REFERENCE = Artifact(
    "developer.bill.com v3 API reference, guides and changelog",
    "https://developer.bill.com/reference, https://developer.bill.com/docs",
    "pages as read 2026-11 (replacebill.md updatedAt 2026-06-29)",
    "BILL's terms: facts only, no copy",
)

# -- parameter forms ------------------------------------------------------------------------------------

_VALUE = r'(?:"[^"]*"|[^,"]+)'  # a value; quoted when it holds commas (times are quoted in the docs)


def _filters(fields: dict[str, tuple[str, ...]]) -> dict[str, Any]:
    """``filters={field}:{op}:{value}[,...]`` ("Search operations with lists") over the fields and
    operators "Filterable fields" lists for the object."""
    clause = "|".join(
        f"{re.escape(name)}:(?:{'|'.join(ops)}):{_VALUE}" for name, ops in sorted(fields.items())
    )
    return string(pattern=f"^(?:{clause})(?:,(?:{clause}))*$")


def _sort(fields: tuple[str, ...]) -> dict[str, Any]:
    """``sort={field}:{asc|desc}`` (the collection's ``sort=createdTime:desc``; "v3 payments changes")."""
    return string(pattern=f"^(?:{'|'.join(map(re.escape, fields))}):(?:asc|desc)$")


EQ_NE_IN = ("eq", "ne", "in")
RANGE = ("gt", "gte", "lt", "lte")
# "Filterable fields", section "Vendors and Customers".
VENDOR_FILTERS = {
    "id": EQ_NE_IN,
    "archived": ("eq", "ne"),
    "name": ("eq", "sw"),
    "accountType": ("eq", "ne", "in", "nin"),
    "address.country": ("eq", "ne"),
    "billCurrency": ("eq", "ne", "in", "nin"),
    "paymentStatus": ("eq", "ne", "in", "nin"),
    "createdTime": RANGE,
    "updatedTime": RANGE,
}
# "Filterable fields", section "Bills and Invoices", with the 2025-02-18 changelog's additions.
# ``invoice.invoiceNumber`` is not among them.
BILL_FILTERS = {
    "id": EQ_NE_IN,
    "archived": ("eq", "ne"),
    "vendorId": ("eq", "in"),
    "dueDate": RANGE,
    "paymentStatus": EQ_NE_IN,
    "createdTime": RANGE,
    "updatedTime": RANGE,
    "payFromChartOfAccountId": EQ_NE_IN,
    "classifications.chartOfAccountId": EQ_NE_IN,
    "classifications.accountingClassId": EQ_NE_IN,
    "classifications.departmentId": EQ_NE_IN,
    "classifications.locationId": EQ_NE_IN,
    "classifications.itemId": EQ_NE_IN,
}
# "Filterable fields", section "Payments": ``id``, ``vendorId`` (eq, ne, in), then the dates; ``billId``
# is not a payment filter.
PAYMENT_FILTERS = {
    "id": EQ_NE_IN,
    "vendorId": EQ_NE_IN,
    "processDate": RANGE,
    "createdTime": RANGE,
    "updatedTime": RANGE,
}
# Classifications: the "Filterable fields" section was not read in full; ``id``, ``archived``, ``name`` as for
# vendors, and the time ranges every list with ``createdTime`` / ``updatedTime`` takes (unconfirmed).
CLASSIFICATION_FILTERS = {
    "id": EQ_NE_IN,
    "archived": ("eq", "ne"),
    "name": ("eq", "sw"),
    "createdTime": RANGE,
    "updatedTime": RANGE,
}
TIMES = ("createdTime", "updatedTime")


def _list_query(filters: dict[str, tuple[str, ...]], sort: tuple[str, ...]) -> dict[str, Any]:
    """A list's query: ``max`` 1..100 (20 by default), the opaque ``page`` token, ``filters``, ``sort``."""
    return obj(
        {
            "max": string(pattern=r"^(?:[1-9]|[1-9][0-9]|100)$"),
            "page": string(minLength=1),
            "filters": _filters(filters),
            "sort": _sort(sort),
        }
    )


def _page(item: dict[str, Any], *, prev: bool = True) -> dict[str, Any]:
    fields = {"nextPage": string(), "results": array(item)}
    if prev:
        fields["prevPage"] = string()
    return obj(fields, ["results"])


# -- models -------------------------------------------------------------------------------------------

TIME = string()  # ``yyyy-MM-dd'T'HH:mm:ss.SSSX``
DAY = string(pattern=r"^\d{4}-\d{2}-\d{2}$")
ID = string(minLength=1)

_HEADER_CLASSIFICATIONS = {
    name: string()
    for name in ("chartOfAccountId", "accountingClassId", "departmentId", "locationId", "itemId")
}
_LINE_CLASSIFICATIONS = {
    **_HEADER_CLASSIFICATIONS,
    **{name: string() for name in ("employeeId", "jobId", "customerId")},
}


def _bill_line(id_schema: dict[str, Any]) -> dict[str, Any]:
    return obj(
        {
            "id": id_schema,
            "amount": number(),
            "quantity": number(),
            "price": number(),
            "description": string(maxLength=4000),
            "classifications": obj(_LINE_CLASSIFICATIONS),
        }
    )


# Fields of the bill model BILL fills (the collection's bill answers; ``createdBy`` from the bill
# notification payloads, which carry "all the response fields" of a bill since 2025-02-28).
_BILL_OUTPUT = {
    "id": string(),
    "archived": boolean(),
    "vendorName": string(),
    "fundingAmount": number(),
    "amount": number(),
    "paidAmount": number(),
    "dueAmount": number(),
    "scheduledAmount": number(),
    "creditAmount": number(),
    "exchangeRate": number(),
    "paymentStatus": string(enum=["PAID", "UNPAID", "PARTIAL", "SCHEDULED", "UNDEFINED"]),
    "approvalStatus": string(enum=["UNASSIGNED", "ASSIGNED", "APPROVING", "APPROVED", "DENIED"]),
    "createdTime": TIME,
    "updatedTime": TIME,
    "createdBy": string(),
    "approvers": array(
        obj(
            {
                "userId": string(),
                "status": string(),
                "approverOrder": number(),
                "statusChangedTime": TIME,
            }
        )
    ),
}
_BILL_INPUT = {
    "vendorId": ID,
    "description": string(maxLength=4000),
    "dueDate": DAY,
    "invoice": obj(
        {"invoiceNumber": string(minLength=1), "invoiceDate": DAY}, ["invoiceNumber", "invoiceDate"]
    ),
    "payFromChartOfAccountId": string(),
    "classifications": obj(_HEADER_CLASSIFICATIONS),
    "vendorCredits": array(obj({"id": ID, "amount": number()}, ["id", "amount"])),
    "purchaseOrderNumber": string(),
}
# Request-only flags of create / update / replace (the ``updatebill`` page's body parameters).
_BILL_FLAGS = {"billApprovals": boolean()}


def _bill_request(line_id: dict[str, Any], required: list[str]) -> dict[str, Any]:
    fields: dict[str, Any] = {
        **_BILL_INPUT,
        **_BILL_FLAGS,
        "billLineItems": array(_bill_line(line_id), minItems=1),
    }
    fields.update({name: output_only(schema) for name, schema in _BILL_OUTPUT.items()})
    return obj(fields, required)


BILL_ANSWER = obj(
    {
        **_BILL_INPUT,
        **_BILL_OUTPUT,
        "invoice": obj({"invoiceNumber": string(), "invoiceDate": string()}),
        "billLineItems": array(_bill_line(string())),
    },
    ["id", "archived", "dueDate", "invoice", "billLineItems", "paymentStatus", "createdTime", "updatedTime"],
)
BILL_REQUIRED = ["vendorId", "dueDate", "invoice", "billLineItems"]  # ``createbill`` / ``replacebill``

_ADDRESS = {
    name: string() for name in ("line1", "line2", "city", "stateOrProvince", "zipOrPostalCode", "country")
}
_BANK = {"nameOnAccount": string(), "accountNumber": string(), "routingNumber": string(), "type": string()}
_VENDOR_INFO = {
    "taxId": string(),
    "taxIdType": string(),
    "track1099": boolean(),
    "leadTimeInDays": integer(),
    "combinePayments": boolean(),
    "paymentTermId": string(),
    "companyName": string(),
}
_VENDOR_INPUT = {
    "name": string(minLength=1),
    "shortName": string(),
    "accountNumber": string(),
    "accountType": string(enum=["BUSINESS", "PERSON", "NONE"]),
    "email": string(),
    "phone": string(),
    "address": obj(_ADDRESS),
    "paymentInformation": obj({"payeeName": string(), "email": string(), "bankAccount": obj(_BANK)}),
    "additionalInfo": obj(_VENDOR_INFO),
    "billCurrency": string(pattern=r"^[A-Z]{3}$"),
}
_VENDOR_OUTPUT = {
    "id": string(),
    "archived": boolean(),
    "rppsId": string(),
    "bankAccountStatus": string(),
    "recurringPayments": boolean(),
    "createdTime": TIME,
    "updatedTime": TIME,
    "balance": obj({"amount": number(), "lastUpdatedDate": TIME}),
    "autoPay": obj(
        {
            "enabled": boolean(),
            "bankAccountId": string(),
            "createdBy": string(),
            "maxAmount": number(),
            "daysBeforeDueDate": integer(),
        }
    ),
    "networkStatus": string(),
}


def _vendor_request(required: list[str]) -> dict[str, Any]:
    fields: dict[str, Any] = dict(_VENDOR_INPUT)
    fields.update({name: output_only(schema) for name, schema in _VENDOR_OUTPUT.items()})
    return obj(fields, required)


VENDOR_ANSWER = obj(
    {
        **_VENDOR_INPUT,
        **_VENDOR_OUTPUT,
        "address": obj({**_ADDRESS, "countryName": string()}),
        "paymentInformation": obj(
            {
                "payeeName": string(),
                "email": string(),
                "lastPaymentDate": string(),
                "payByType": string(),
                "payBySubType": string(),
                "virtualCard": obj(
                    {
                        "status": string(),
                        "remitEmail": string(),
                        "enrollDate": TIME,
                        "declineDate": TIME,
                        "alternatePayByType": string(),
                    }
                ),
                "bankAccount": obj({**_BANK, "ownerType": string(), "paymentCurrency": string()}),
                "paymentPurpose": obj({"text": string(), "code": obj({"name": string(), "value": string()})}),
            }
        ),
    },
    ["id", "name", "archived"],
)

_BILL_PAYMENT = obj(
    {
        "id": string(),
        "billId": string(),
        "amount": number(),
        "vendorCredits": array(obj({"id": string(), "amount": number()})),
    }
)
_PAYMENT_COMMON = {
    "id": string(),
    "vendorId": string(),
    "billId": string(),
    "billPayments": array(_BILL_PAYMENT),
    "description": string(),
    "processDate": DAY,
    "amount": number(),
    "transactionNumber": string(),
    "confirmationNumber": string(),
    "status": string(),
    "exchangeRate": number(),
    "fundingAmount": number(),
    "onlinePayment": boolean(),
    "disbursementType": string(),
    "remittanceEmail": string(),
    "createdTime": TIME,
    "updatedTime": TIME,
    "createdBy": string(),
    "disbursementStatus": string(),
    "singleStatus": string(),
}
_DATES = {"sentDate": DAY, "arrivesByDate": DAY}
# ``getpayment`` / ``listpayments`` (``vendorName`` since the 2025-04-29 changelog).
PAYMENT_ANSWER = obj(
    {
        **_PAYMENT_COMMON,
        "vendorName": string(),
        "fundingAccount": obj({"type": string(), "id": string()}),
        "processingOptions": obj(
            {"requestPayFaster": boolean(), "createBill": boolean(), "requestCheckDeliveryType": string()}
        ),
        "voidInfo": array(
            obj(
                {
                    "id": string(),
                    "requestedBy": string(),
                    "type": string(),
                    "status": string(),
                    "reason": string(),
                    "createdTime": TIME,
                    "updatedTime": TIME,
                }
            )
        ),
        "disbursementInfo": obj(
            {
                "isVoidable": boolean(),
                "checkDisbursement": obj({**_DATES, "checkNumber": integer()}),
                "achDisbursement": obj(_DATES),
                "rppsDisbursement": obj({**_DATES, "traceNumber": integer(), "batchNumber": integer()}),
                "internationalDisbursement": obj(
                    {**_DATES, "amount": number(), "disbursementSubType": string()}
                ),
                "vcardDisbursement": obj(
                    {"arrivesByDate": DAY, "validUntil": DAY, "last4CardNumber": string()}
                ),
                "walletDisbursement": obj({"arrivesByDate": DAY}),
            }
        ),
        "paymentPurpose": obj({"text": string(), "code": obj({"name": string(), "value": string()})}),
        "cardFundingPurpose": string(),
        "cancelRequestSubmitted": boolean(),
    },
    ["id", "amount"],
)
# ``recordappayment``'s answer (no ``vendorName`` in it; a few fields of its own).
RECORDED_PAYMENT_ANSWER = obj(
    {
        **_PAYMENT_COMMON,
        "toPrintCheck": boolean(),
        "classifications": obj({"chartOfAccountId": string()}),
        "syncReference": string(),
        "allowExport": boolean(),
    },
    ["id", "amount"],
)

CHART_OF_ACCOUNTS = obj(
    {
        "id": string(),
        "archived": boolean(),
        "name": string(),
        "description": string(),
        "parentId": string(),
        "account": obj({"type": string(), "number": string()}),
        "createdTime": TIME,
        "updatedTime": TIME,
    },
    ["id", "name", "archived"],
)
DEPARTMENT = obj(
    {
        "id": string(),
        "name": string(),
        "shortName": string(),
        "description": string(),
        "parentId": string(),
        "archived": boolean(),
        "createdTime": TIME,
        "updatedTime": TIME,
    },
    ["id", "name", "archived"],
)

# The collection's subscription answers cite ``SubscriptionStatusWithActorDto`` and ``SubscriptionEventDto``
# as "not found in the OpenAPI spec": their fields are unpublished, so those two objects are left open.
_SUBSCRIPTION = {
    "id": string(),
    "name": string(),
    "organizationId": string(),
    "status": obj({"enabled": boolean()}, ["enabled"], closed=False),
    "events": array(obj({"type": string(), "version": string()}, closed=False)),
    "notificationUrl": string(),
    "createdTime": TIME,
    "updatedTime": TIME,
}
SUBSCRIPTION_ANSWER = obj(_SUBSCRIPTION, ["id"])
_EVENT = obj({"type": string(minLength=1), "version": string(minLength=1)}, ["type", "version"])

NO_QUERY = obj({})


# The header BILL's event writes require (Postman: 'X-Idempotent-Key', a UUID4 the caller makes).
IDEMPOTENT = obj(
    {
        "x-idempotent-key": string(
            pattern="^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-4[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$"
        )
    },
    ["x-idempotent-key"],
    closed=False,
)


def _op(method: str, path: str, source: str, **parts: Any) -> Operation:
    return Operation(method, path, source, **parts)


# Operations the connector calls, checked in full.
CALLED: tuple[Operation, ...] = (
    _op(
        "POST",
        f"{API}/login",
        "Postman 'API login' (AP & AR Authentication); reference 'login'",
        query=NO_QUERY,
        body=obj(
            {
                "username": string(minLength=1),
                "password": string(),
                "organizationId": string(pattern="^008"),
                "devKey": string(minLength=1),
                "rememberMeId": string(),
                "device": string(),
            },
            ["username", "password", "organizationId", "devKey"],
        ),
        answer=obj(
            {"organizationId": string(), "sessionId": string(), "trusted": boolean(), "userId": string()},
            ["sessionId"],
        ),
    ),
    _op("POST", f"{API}/logout", "Postman 'API logout'", query=NO_QUERY),
    _op(
        "GET",
        f"{API}/login/session",
        "Postman 'Get API session details'; changelog 2024-08-02",
        query=NO_QUERY,
        answer=obj(
            {"organizationId": string(), "userId": string(), "mfaStatus": string(), "mfaBypass": boolean()}
        ),
    ),
    # vendors
    _op(
        "GET",
        f"{API}/vendors",
        "Postman 'Get list of vendors'; guides 'Search operations with lists', 'Filterable fields'",
        query=_list_query(VENDOR_FILTERS, ("name", "archived", *TIMES)),
        answer=_page(VENDOR_ANSWER),
    ),
    _op(
        "POST",
        f"{API}/vendors",
        "Postman 'Create a vendor'; reference 'createvendor' (name required)",
        query=NO_QUERY,
        body=_vendor_request(["name"]),
        answer=VENDOR_ANSWER,
    ),
    _op(
        "POST",
        f"{API}/vendors/bulk",
        "Postman 'Create multiple vendors' (answer {vendors: [...]}); reference 'createbulkvendor'",
        query=NO_QUERY,
        body=array(_vendor_request(["name"]), minItems=1, maxItems=20),
        answer=obj({"vendors": array(VENDOR_ANSWER)}, ["vendors"]),
    ),
    _op(
        "GET",
        f"{API}/vendors/{{vendorId}}",
        "Postman 'Get vendor details'",
        query=NO_QUERY,
        answer=VENDOR_ANSWER,
    ),
    _op(
        "PATCH",
        f"{API}/vendors/{{vendorId}}",
        "Postman 'Update a vendor' (no PUT is published for vendors)",
        query=NO_QUERY,
        body=_vendor_request([]),
        answer=VENDOR_ANSWER,
    ),
    # bills
    _op(
        "GET",
        f"{API}/bills",
        "Postman 'Get list of bills'; 'Filterable fields' (Bills and Invoices); changelog 2025-02-18",
        query=_list_query(BILL_FILTERS, ("archived", "dueDate", "amount", *TIMES)),
        answer=_page(BILL_ANSWER),
    ),
    _op(
        "POST",
        f"{API}/bills",
        "Postman 'Create a bill'; reference 'createbill'",
        query=NO_QUERY,
        body=_bill_request(output_only(string()), BILL_REQUIRED),
        answer=BILL_ANSWER,
    ),
    _op(
        "GET",
        f"{API}/bills/{{billId}}",
        "Postman 'Get bill details'",
        query=obj({"billApprovals": string(enum=["true", "false"])}),
        answer=BILL_ANSWER,
    ),
    _op(
        "PATCH",
        f"{API}/bills/{{billId}}",
        "Postman 'Update a bill'; reference 'updatebill' (lines changed by their id; the id never changes)",
        query=NO_QUERY,
        body=_bill_request(string(minLength=1), []),
        answer=BILL_ANSWER,
    ),
    _op(
        "PUT",
        f"{API}/bills/{{billId}}",
        "Postman 'Replace a bill'; reference 'replacebill' (a line without id is new, an omitted id removed)",
        query=NO_QUERY,
        body=_bill_request(string(), BILL_REQUIRED),
        answer=BILL_ANSWER,
    ),
    _op(
        "POST",
        f"{API}/bills/record-payment",
        "Postman 'Record AP payment'; changelog 2025-07-09",
        query=NO_QUERY,
        body=obj(
            {
                "vendorId": ID,
                "processDate": DAY,
                "toPrintCheck": boolean(),
                "payments": array(
                    obj({"billId": ID, "amount": number(exclusiveMinimum=0)}, ["billId", "amount"]),
                    minItems=1,
                ),
            },
            ["vendorId", "processDate", "payments"],
        ),
        answer=RECORDED_PAYMENT_ANSWER,
    ),
    # payments
    _op(
        "GET",
        f"{API}/payments",
        "Postman 'Get list of payments'; 'Filterable fields' (Payments); 'v3 payments changes'",
        query=_list_query(PAYMENT_FILTERS, ("processDate", "amount", "disbursementStatus", *TIMES)),
        answer=_page(PAYMENT_ANSWER),
    ),
    _op(
        "GET",
        f"{API}/payments/{{paymentId}}",
        "Postman 'Get payment details'",
        query=NO_QUERY,
        answer=PAYMENT_ANSWER,
    ),
    # classifications
    _op(
        "GET",
        f"{API}/classifications/chart-of-accounts",
        "Postman 'Get list of chart of accounts'",
        query=_list_query(CLASSIFICATION_FILTERS, ("name", *TIMES)),
        answer=_page(CHART_OF_ACCOUNTS),
    ),
    _op(
        "GET",
        f"{API}/classifications/chart-of-accounts/{{id}}",
        "Postman 'Get chart of accounts details'",
        query=NO_QUERY,
        answer=CHART_OF_ACCOUNTS,
    ),
    _op(
        "GET",
        f"{API}/classifications/departments",
        "Postman 'Get list of departments'",
        query=_list_query(CLASSIFICATION_FILTERS, ("name", *TIMES)),
        answer=_page(DEPARTMENT),
    ),
    _op(
        "GET",
        f"{API}/classifications/departments/{{id}}",
        "Postman 'Get department details'",
        query=NO_QUERY,
        answer=DEPARTMENT,
    ),
    # webhook management (``connect-events``)
    _op(
        "GET",
        f"{EVENTS}/events/catalog",
        "Postman 'Get events catalog'",
        query=NO_QUERY,
        answer=array(obj({"type": string(), "versions": array(string())})),
    ),
    _op(
        "POST",
        f"{EVENTS}/subscriptions",
        "Postman 'Create a subscription' (X-Idempotent-Key UUID4 required); guide 'Webhook Events and "
        "Subscriptions' (name, status, events, notificationUrl required)",
        query=NO_QUERY,
        headers=IDEMPOTENT,
        body=obj(
            {
                "name": string(minLength=1),
                "status": obj({"enabled": boolean()}, ["enabled"]),
                "events": array(_EVENT, minItems=1),
                "notificationUrl": string(minLength=1),
            },
            ["name", "status", "events", "notificationUrl"],
        ),
        answer=obj({**_SUBSCRIPTION, "securityKey": string()}, ["id", "securityKey"]),
    ),
    _op(
        "GET",
        f"{EVENTS}/subscriptions",
        "Postman 'Get list of subscriptions' (max, page; nextPage only)",
        query=obj({"max": string(pattern=r"^(?:[1-9]|[1-9][0-9]|100)$"), "page": string(minLength=1)}),
        answer=_page(SUBSCRIPTION_ANSWER, prev=False),
    ),
    _op(
        "GET",
        f"{EVENTS}/subscriptions/{{subscriptionId}}",
        "Postman 'Get subscription details'",
        query=NO_QUERY,
        answer=SUBSCRIPTION_ANSWER,
    ),
    _op(
        "PATCH",
        f"{EVENTS}/subscriptions/{{subscriptionId}}",
        "Postman 'Update a subscription'",
        query=NO_QUERY,
        body=obj(
            {
                "name": string(minLength=1),
                "status": obj({"enabled": boolean()}, ["enabled"]),
                "events": array(_EVENT, minItems=1),
                "notificationUrl": string(minLength=1),
            }
        ),
        answer=SUBSCRIPTION_ANSWER,
    ),
    _op(
        "DELETE",
        f"{EVENTS}/subscriptions/{{subscriptionId}}",
        "Postman 'Delete a subscription'",
        query=NO_QUERY,
    ),
    _op(
        "POST",
        f"{EVENTS}/subscriptions/{{subscriptionId}}/security_key",
        "Postman 'Create a security key' (path security_key, X-Idempotent-Key); changelog 2024-05-20",
        query=NO_QUERY,
        headers=IDEMPOTENT,
        answer=obj({"securityKey": string(minLength=1)}, ["securityKey"]),
    ),
)

# Endpoints the simulator serves that the collection lists, which the connector does not call: declared by
# method and path (the collection's item names), not checked field by field.
_CLASSIFICATION_KINDS = (
    "chart-of-accounts",
    "departments",
    "locations",
    "accounting-classes",
    "jobs",
    "items",
    "employees",
)
PUBLISHED: tuple[Operation, ...] = (
    _op("POST", f"{API}/mfa/challenge", "Postman 'Generate MFA challenge'"),
    _op("POST", f"{API}/mfa/challenge/validate", "Postman 'Validate MFA challenge'"),
    _op("POST", f"{API}/bills/bulk", "Postman 'Create multiple bills'"),
    _op("POST", f"{API}/bills/{{billId}}/archive", "Postman 'Archive a bill'"),
    _op("POST", f"{API}/bills/{{billId}}/restore", "Postman 'Restore an archived bill'"),
    _op("POST", f"{API}/vendors/{{vendorId}}/archive", "Postman 'Archive a vendor'"),
    _op("POST", f"{API}/vendors/{{vendorId}}/restore", "Postman 'Restore an archived vendor'"),
    _op("POST", f"{API}/payments", "Postman 'Create a payment'"),
    _op("POST", f"{API}/payments/bulk", "Postman 'Create multiple payments'"),
    _op("POST", f"{API}/payments/{{paymentId}}/cancel", "Postman 'Cancel a payment'"),
    _op("POST", f"{API}/payments/{{paymentId}}/void", "Postman 'Void a payment'"),
    *(
        op
        for kind in _CLASSIFICATION_KINDS
        for op in (
            _op("POST", f"{API}/classifications/{kind}", f"Postman classifications: create ({kind})"),
            _op(
                "POST", f"{API}/classifications/{kind}/bulk", f"Postman classifications: bulk create ({kind})"
            ),
            _op("POST", f"{API}/classifications/{kind}/bulk/archive", f"Postman classifications ({kind})"),
            _op("POST", f"{API}/classifications/{kind}/bulk/restore", f"Postman classifications ({kind})"),
            _op("PATCH", f"{API}/classifications/{kind}/{{id}}", f"Postman classifications: update ({kind})"),
            _op("POST", f"{API}/classifications/{kind}/{{id}}/archive", f"Postman classifications ({kind})"),
            _op("POST", f"{API}/classifications/{kind}/{{id}}/restore", f"Postman classifications ({kind})"),
        )
    ),
    *(
        op
        for kind in _CLASSIFICATION_KINDS[2:]
        for op in (
            _op("GET", f"{API}/classifications/{kind}", f"Postman classifications: list ({kind})"),
            _op("GET", f"{API}/classifications/{kind}/{{id}}", f"Postman classifications: details ({kind})"),
        )
    ),
    _op(
        "POST",
        f"{EVENTS}/subscriptions/{{subscriptionId}}/test",
        "Postman 'Generate a test event notification'",
    ),
    _op(
        "GET", f"{EVENTS}/events/subscription/{{subscriptionId}}", "Postman 'Get list of event notifications'"
    ),
)


def refusal(violations: list[Any]) -> tuple[int, Any]:
    """BILL's own error answer (reference §2.2: a JSON array of error objects), one error per field. An
    endpoint BILL does not publish is ``BDC_1121`` "API not supported" with 404; an unknown or output-only
    field ``BDC_1002`` (BILL's "unknown error, often a misspelt parameter"); a missing field or a value in
    the wrong form the sandbox's validation code (``errors.VALIDATION``), each message naming system,
    endpoint and field. Draft 2020-12 reports each missing required field once per missing name, so the
    same words are given once."""
    now = errors.bill_timestamp(dt.datetime.now(dt.UTC))
    status = 404 if any(v.problem == "no such endpoint" for v in violations) else 400
    body, said = [], set()
    for v in violations:
        if v.words in said:
            continue
        said.add(v.words)
        if v.problem == "no such endpoint":
            code = errors.API_NOT_SUPPORTED
        elif v.problem in ("unknown", "output-only"):
            code = errors.UNKNOWN_ERROR
        else:
            code = errors.VALIDATION
        body.append(
            {"timestamp": now, "code": code, "severity": "ERROR", "category": "REQUEST", "message": v.words}
        )
    # Unknown and output-only fields lead, as in the simulator's own answers ("misspelt parameter" first).
    body.sort(key=lambda error: error["code"] != errors.UNKNOWN_ERROR)
    return status, body


CONTRACT = Contract(
    system="bill",
    artifacts=(POSTMAN, REFERENCE),
    operations=(*CALLED, *PUBLISHED),
    prefixes=(f"{API}/", f"{EVENTS}/"),
    refusal=refusal,
)
