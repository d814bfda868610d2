"""Procurify's published request and answer shapes, as our own table of facts (generated, then kept by hand).

Source: Procurify API Documentation (OpenAPI 3.0.3, drf-spectacular) as republished in
``konfig-sdks/procurify-java-sdk`` ``api/openapi.yaml`` at commit e5df94e; each name below is the
operation id it was read from. Only facts are carried over: field names, JSON types, ``required`` lists
(requests), ``readOnly`` (output-only), length limits and the decimal / date patterns. Answers are closed
objects to three levels (deeper objects open) and carry no ``required`` list: the check is that we never
read or serve a field the vendor does not document, not that the simulator renders every optional one.
No copy of the vendor's file is kept (its text is Procurify's; see docs/reference/procurify.md §5).
"""

from typing import Any

Schema = dict[str, Any]
# The spec's string formats as patterns (the check asserts patterns, not formats).
DATE = "^\\d{4}-\\d{2}-\\d{2}$"
DATE_TIME = "^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,6})?)?(Z|[+-]\\d{2}:?\\d{2})?$"

# Objects several operations share, each written once (the spec's components, as the operations use them).
ADDRESS: Schema = {
    "properties": {
        "id": {},
        "is_active": {},
        "created_at": {},
        "updated_at": {},
        "name": {},
        "addressAssociation": {},
        "addressLineOne": {},
        "addressLineTwo": {},
        "postalCode": {},
        "city": {},
        "state_province": {},
        "country": {},
        "last_changed_by": {},
    },
    "additionalProperties": False,
}
USER: Schema = {
    "properties": {
        "id": {},
        "department": {},
        "created_at": {},
        "updated_at": {},
        "firstName": {},
        "lastName": {},
        "email": {},
        "position": {},
        "phone": {},
        "address": {},
        "notifications": {},
        "is_active": {},
        "mobile": {},
        "profile_image": {},
        "slack_user_id": {},
        "is_sso_enabled": {},
        "last_changed_by": {},
        "user": {},
        "approval_delegatee": {},
        "expected_return_date": {},
    },
    "additionalProperties": False,
}
VENDOR_SUMMARY: Schema = {
    "properties": {
        "id": {},
        "name": {},
        "active": {},
        "addressLineOne": {},
        "addressLineTwo": {},
        "postalCode": {},
        "city": {},
        "state_province": {},
        "country": {},
        "phoneOne": {},
        "phoneTwo": {},
        "fax": {},
        "email": {},
        "comments": {},
        "contact": {},
        "url": {},
        "external_id": {},
        "dateModified": {},
        "currency": {},
        "payment_term_ref": {},
        "shipping_term_ref": {},
        "payment_method_ref": {},
        "shipping_method_ref": {},
        "payment_methods": {},
        "tax": {},
        "type": {},
        "default_payment_method": {},
        "creditcards": {},
        "is_1099_eligible": {},
        "overall_score": {},
        "is_auto_email_po_enabled": {},
        "po_pdf_labels": {},
    },
    "additionalProperties": False,
}
PURCHASE_ORDER: Schema = {
    "properties": {
        "version": {},
        "number": {},
        "uuid": {},
        "purchaser": USER,
        "procurify_PO": {},
        "PO_Num": {},
        "date": {},
        "buyer_name": {},
        "buyer_contact": {},
        "buyer_addressLineOne": {},
        "buyer_postalCode": {},
        "buyer_city": {},
        "buyer_state_province": {},
        "buyer_country": {},
        "buyer_address": ADDRESS,
        "receiver_name": {},
        "receiver_contact": {},
        "receiver_addressLineOne": {},
        "receiver_postalCode": {},
        "receiver_city": {},
        "receiver_state_province": {},
        "receiver_country": {},
        "receiver_address": ADDRESS,
        "pref_vendor": VENDOR_SUMMARY,
        "vendor_name": {},
        "vendor_contact": {},
        "vendor_addressLineOne": {},
        "vendor_postalCode": {},
        "vendor_city": {},
        "vendor_state_province": {},
        "vendor_country": {},
        "payment_terms": {},
        "shipping_terms": {},
        "shipping_method": {
            "properties": {"description": {}, "id": {}, "name": {}, "active": {}},
            "additionalProperties": False,
        },
        "promise_date": {},
        "subtotal": {},
        "freight": {},
        "tax": {"properties": {"value": {}, "type": {}}, "additionalProperties": False},
        "discount": {"properties": {"value": {}, "type": {}}, "additionalProperties": False},
        "other": {},
        "total": {},
        "comment": {},
        "purchased_currency": {
            "properties": {"id": {}, "name": {}, "rate": {}, "base": {}},
            "additionalProperties": False,
        },
        "purchased_currency_rate": {},
        "active": {},
        "state": {},
        "fulfilment_status": {},
        "disclaimer_description": {},
        "disclaimer_text": {},
        "recorded_date": {},
        "closed_date": {},
        "last_modified": {},
        "staged_for_export": {},
        "item_count": {},
        "most_recent_version": {},
        "punchout_system": {},
        "purchase_agreement": {},
        "purchase_agreement_status": {},
        "punchout_vendor_reference": {},
        "punchout_supplier_icon": {},
        "punchout_supplier_name": {},
        "has_blanket_order_items": {},
        "expiry_date": {},
        "contract": {"properties": {"id": {}, "uuid": {}, "name": {}}, "additionalProperties": False},
        "order_items": {
            "items": {
                "properties": {
                    "PO": {},
                    "PO_line_num": {},
                    "account": {},
                    "accountCode": {},
                    "active": {},
                    "approved_currency_rate": {},
                    "approved_datetime": {},
                    "approved_price": {},
                    "approved_quantity": {},
                    "approved_shipping_amount": {},
                    "approved_tax_amount": {},
                    "attachments": {},
                    "catalog_item": {},
                    "created_at": {},
                    "currency": {},
                    "dateInvoiced": {},
                    "external_id": {},
                    "hot": {},
                    "id": {},
                    "inventoryItem": {},
                    "is_active": {},
                    "item_attachments": {},
                    "last_changed_by": {},
                    "last_modified": {},
                    "lineComment": {},
                    "name": {},
                    "num": {},
                    "orderNum": {},
                    "po_note": {},
                    "po_version": {},
                    "pref_vendor": {},
                    "price": {},
                    "purchase_order": {},
                    "purchaser": {},
                    "quantity": {},
                    "receivedFailQty": {},
                    "receivedPassQty": {},
                    "shipping_amount": {},
                    "sku": {},
                    "status": {},
                    "tax_amount": {},
                    "total_cost": {},
                    "unit": {},
                    "updated_at": {},
                    "vendor": {},
                    "receive_method": {},
                    "type": {},
                    "blanket": {},
                    "comments": {},
                    "confirmation_status": {},
                    "confirmation_status_description": {},
                    "cost_details": {},
                    "custom_fields": {},
                    "date_required": {},
                    "has_sibling_items": {},
                    "line_comment": {},
                    "logs": {},
                    "order_description": {},
                    "order_status": {},
                    "order_uuid": {},
                    "punchout_supplier_icon": {},
                    "punchout_supplier_name": {},
                    "punchout_system": {},
                    "punchout_vendor_reference": {},
                    "punchout_supplier_can_update_quantity": {},
                    "purchase_order_number": {},
                    "purchase_order_uuid": {},
                    "purchased_currency_rate": {},
                    "recurrence": {},
                    "requester": {},
                    "spend_allocation": {},
                    "submitted_date": {},
                    "taxes": {},
                    "receive_log_count": {},
                    "approval_history": {},
                    "flags": {},
                },
                "additionalProperties": False,
            }
        },
        "creditcard_is_editable": {},
        "custom_fields": {
            "items": {"properties": {"id": {}, "value": {}, "field": {}}, "additionalProperties": False}
        },
        "creditcard": {
            "properties": {
                "id": {},
                "name": {},
                "number": {},
                "vendor": {},
                "type": {},
                "currency": {},
                "balance": {},
                "assignees": {},
                "last_reconciliation_date": {},
                "last_reconciliation_balance": {},
                "session": {},
                "gl_code": {},
                "last_statement_date": {},
            },
            "additionalProperties": False,
        },
        "payment_term": {
            "properties": {"description": {}, "id": {}, "name": {}, "active": {}},
            "additionalProperties": False,
        },
        "shipping_term": {
            "properties": {"description": {}, "id": {}, "name": {}, "active": {}},
            "additionalProperties": False,
        },
        "cost_details": {
            "properties": {
                "subtotal": {},
                "total_cost": {},
                "total_cost_in_base_currency": {},
                "tax_amount": {},
            },
            "additionalProperties": False,
        },
    },
    "additionalProperties": False,
}
TERM_OR_METHOD_REF: Schema = {
    "anyOf": [
        {
            "type": "object",
            "properties": {
                "description": {"anyOf": [{"type": "string"}, {"type": "null"}]},
                "name": {"type": "string", "maxLength": 100},
                "active": {"type": "boolean"},
            },
            "required": ["name"],
            "additionalProperties": False,
        },
        {"type": "null"},
    ]
}
VENDOR_WRITE_FIELDS: Schema = {
    "name": {"type": "string", "maxLength": 150},
    "active": {"type": "boolean"},
    "addressLineOne": {"anyOf": [{"type": "string", "maxLength": 300}, {"type": "null"}]},
    "addressLineTwo": {"anyOf": [{"type": "string", "maxLength": 300}, {"type": "null"}]},
    "postalCode": {"anyOf": [{"type": "string", "maxLength": 20}, {"type": "null"}]},
    "city": {"anyOf": [{"type": "string", "maxLength": 50}, {"type": "null"}]},
    "state_province": {"anyOf": [{"type": "string", "maxLength": 40}, {"type": "null"}]},
    "country": {"anyOf": [{"type": "string", "maxLength": 80}, {"type": "null"}]},
    "phoneOne": {"anyOf": [{"type": "string", "maxLength": 20}, {"type": "null"}]},
    "phoneTwo": {"anyOf": [{"type": "string", "maxLength": 20}, {"type": "null"}]},
    "fax": {"anyOf": [{"type": "string", "maxLength": 20}, {"type": "null"}]},
    "email": {"type": "array", "items": {"type": "string"}},
    "comments": {"anyOf": [{"type": "string"}, {"type": "null"}]},
    "contact": {"anyOf": [{"type": "string", "maxLength": 50}, {"type": "null"}]},
    "url": {"anyOf": [{"type": "string", "maxLength": 200}, {"type": "null"}]},
    "external_id": {"anyOf": [{"type": "string", "maxLength": 100}, {"type": "null"}]},
    "currency": {"anyOf": [{"type": "integer"}, {"type": "null"}]},
    "payment_term_ref": TERM_OR_METHOD_REF,
    "shipping_term_ref": TERM_OR_METHOD_REF,
    "payment_method_ref": TERM_OR_METHOD_REF,
    "shipping_method_ref": TERM_OR_METHOD_REF,
    "tax": {"anyOf": [{"type": "integer"}, {"type": "null"}]},
    "type": {"type": "integer", "enum": [2, 7, 3, 4, 6]},
    "default_payment_method": {"anyOf": [{"type": "integer"}, {"type": "null"}]},
    "is_1099_eligible": {"anyOf": [{"type": "boolean"}, {"type": "null"}]},
    "overall_score": {
        "anyOf": [{"type": "string", "pattern": "^\\d{0,2}(?:\\.\\d{0,3})?$"}, {"type": "null"}]
    },
    "is_auto_email_po_enabled": {"type": "boolean"},
    "po_pdf_labels": {"type": "string", "maxLength": 200},
}
VENDOR_CREDIT_CARDS: Schema = {
    "items": {
        "properties": {
            "id": {},
            "uuid": {},
            "is_active": {},
            "created_at": {},
            "updated_at": {},
            "name": {},
            "number": {},
            "balance": {},
            "gl_code": {},
            "type": {},
            "category": {},
            "external_id": {},
            "status": {},
            "require_activation": {},
            "last_changed_by": {},
            "vendor": {},
            "payment_method": {},
            "currency": {},
            "creator": {},
        },
        "additionalProperties": False,
    }
}
VENDOR_PAYMENT_METHODS: Schema = {
    "items": {
        "properties": {"id": {}, "name": {}, "type": {}, "data": {}, "currency": {}},
        "additionalProperties": False,
    }
}
VENDOR: Schema = {
    "properties": {
        "id": {},
        "name": {},
        "active": {},
        "addressLineOne": {},
        "addressLineTwo": {},
        "postalCode": {},
        "city": {},
        "state_province": {},
        "country": {},
        "phoneOne": {},
        "phoneTwo": {},
        "fax": {},
        "email": {},
        "comments": {},
        "contact": {},
        "url": {},
        "external_id": {},
        "dateModified": {},
        "currency": {},
        "payment_term_ref": {
            "properties": {"description": {}, "id": {}, "name": {}, "active": {}},
            "additionalProperties": False,
        },
        "shipping_term_ref": {
            "properties": {"description": {}, "id": {}, "name": {}, "active": {}},
            "additionalProperties": False,
        },
        "payment_method_ref": {
            "properties": {"description": {}, "id": {}, "name": {}, "active": {}},
            "additionalProperties": False,
        },
        "shipping_method_ref": {
            "properties": {"description": {}, "id": {}, "name": {}, "active": {}},
            "additionalProperties": False,
        },
        "payment_methods": VENDOR_PAYMENT_METHODS,
        "tax": {},
        "type": {},
        "default_payment_method": {},
        "creditcards": VENDOR_CREDIT_CARDS,
        "is_1099_eligible": {},
        "overall_score": {},
        "is_auto_email_po_enabled": {},
        "po_pdf_labels": {},
        "vendor_request": {
            "properties": {
                "id": {},
                "requester": {},
                "submitted_date": {},
                "next_approver": {},
                "permissions": {},
            },
            "additionalProperties": False,
        },
    },
    "additionalProperties": False,
}
PAGINATION: Schema = {
    "properties": {
        "count": {},
        "next": {},
        "previous": {},
        "page_size": {},
        "num_pages": {},
        "current_page": {},
    },
    "additionalProperties": False,
}
APPROVER: Schema = {
    "properties": {
        "id": {},
        "user": {},
        "amount_limit": {},
        "item_variance_amount_limit": {},
        "item_variance_percentage_limit": {},
        "approval_level": {},
    },
    "additionalProperties": False,
}
ACCOUNT_CODE: Schema = {
    "properties": {
        "description": {},
        "id": {},
        "applied_accounts_count": {},
        "code": {},
        "code_length": {},
        "account_type": {},
        "active": {},
        "parent": {},
    },
    "additionalProperties": False,
}
ATTACHMENTS: Schema = {
    "items": {
        "properties": {
            "description": {},
            "id": {},
            "uuid": {},
            "file": {},
            "name": {},
            "user": {},
            "mimetype": {},
            "length": {},
            "sha1_hash": {},
            "created_at": {},
        },
        "additionalProperties": False,
    }
}
USER_SUMMARY: Schema = {
    "properties": {
        "id": {},
        "firstName": {},
        "lastName": {},
        "email": {},
        "profile_image": {},
        "department_name": {},
        "branch_name": {},
    },
    "additionalProperties": False,
}
DEPARTMENT: Schema = {
    "properties": {
        "id": {},
        "branch": {"properties": {"id": {}, "name": {}, "headquarter": {}}, "additionalProperties": False},
        "external_id": {},
        "name": {},
        "active": {},
        "punchout_email": {},
        "is_active_for_account_code": {},
    },
    "additionalProperties": False,
}


# POST /oauth/token (Oauth_tokenRequest)
TOKEN_QUERY: Schema = {"type": "object", "properties": {}, "additionalProperties": False}
TOKEN_BODY: Schema = {
    "type": "object",
    "properties": {
        "client_id": {"type": "string"},
        "client_secret": {"type": "string"},
        "audience": {"type": "string"},
        "grant_type": {"type": "string"},
    },
    "additionalProperties": False,
}
TOKEN_ANSWER: Schema = {
    "properties": {"access_token": {}, "scope": {}, "expires_in": {}, "token_type": {}},
    "additionalProperties": False,
}

# GET /api/v3/vendors (vendors_list)
VENDORS_LIST_QUERY: Schema = {
    "type": "object",
    "properties": {
        "exclude_other": {"type": "string", "enum": ["true", "false", "True", "False", "1", "0"]},
        "external_id": {"type": "string"},
        "format": {"type": "string", "enum": ["csv", "json"]},
        "name": {"type": "string"},
        "order_by": {"type": "string"},
        "page": {"type": "string", "pattern": "^-?\\d+$"},
        "page_size": {"type": "string", "pattern": "^-?\\d+$"},
        "search": {"type": "string"},
        "type": {"type": "string", "enum": ["1", "2", "3", "4", "5", "6", "7"]},
    },
    "additionalProperties": False,
}
VENDORS_LIST_ANSWER: Schema = {
    "properties": {
        "metadata": {"properties": {"pagination": PAGINATION}, "additionalProperties": False},
        "data": {"items": VENDOR},
    },
    "additionalProperties": False,
}

# POST /api/v3/vendors (vendors_create)
VENDOR_CREATE_QUERY: Schema = {
    "type": "object",
    "properties": {"format": {"type": "string", "enum": ["csv", "json"]}},
    "additionalProperties": False,
}
VENDOR_CREATE_BODY: Schema = {
    "type": "object",
    "properties": VENDOR_WRITE_FIELDS,
    "required": ["email", "name", "overall_score", "type"],
    "additionalProperties": False,
}
VENDOR_CREATE_ANSWER: Schema = {
    "properties": {
        "metadata": {},
        "data": {
            "properties": {
                "id": {},
                "name": {},
                "active": {},
                "addressLineOne": {},
                "addressLineTwo": {},
                "postalCode": {},
                "city": {},
                "state_province": {},
                "country": {},
                "phoneOne": {},
                "phoneTwo": {},
                "fax": {},
                "email": {},
                "comments": {},
                "contact": {},
                "url": {},
                "external_id": {},
                "dateModified": {},
                "currency": {},
                "payment_term_ref": {
                    "properties": {"description": {}, "id": {}, "name": {}, "active": {}},
                    "additionalProperties": False,
                },
                "shipping_term_ref": {
                    "properties": {"description": {}, "id": {}, "name": {}, "active": {}},
                    "additionalProperties": False,
                },
                "payment_method_ref": {
                    "properties": {"description": {}, "id": {}, "name": {}, "active": {}},
                    "additionalProperties": False,
                },
                "shipping_method_ref": {
                    "properties": {"description": {}, "id": {}, "name": {}, "active": {}},
                    "additionalProperties": False,
                },
                "payment_methods": VENDOR_PAYMENT_METHODS,
                "tax": {},
                "type": {},
                "default_payment_method": {},
                "creditcards": VENDOR_CREDIT_CARDS,
                "is_1099_eligible": {},
                "overall_score": {},
                "is_auto_email_po_enabled": {},
                "po_pdf_labels": {},
                "performance": {
                    "properties": {"overall_score": {}, "average_delivery_time": {}, "breakdown": {}},
                    "additionalProperties": False,
                },
                "vendor_request": {
                    "properties": {
                        "id": {},
                        "requester": {},
                        "submitted_date": {},
                        "next_approver": {},
                        "permissions": {},
                    },
                    "additionalProperties": False,
                },
            },
            "additionalProperties": False,
        },
    },
    "additionalProperties": False,
}

# GET /api/v3/vendors/{id} (vendors_retrieve)
VENDOR_GET_QUERY: Schema = VENDOR_CREATE_QUERY
VENDOR_GET_ANSWER: Schema = VENDOR_CREATE_ANSWER

# PATCH /api/v3/vendors/{id} (Vendors_partialUpdate)
VENDOR_PATCH_QUERY: Schema = VENDOR_CREATE_QUERY
VENDOR_PATCH_BODY: Schema = {
    "type": "object",
    "properties": VENDOR_WRITE_FIELDS,
    "additionalProperties": False,
}
VENDOR_PATCH_ANSWER: Schema = {"properties": {"metadata": {}, "data": VENDOR}, "additionalProperties": False}

# PUT /api/v3/vendors/{id} (vendors_update)
VENDOR_PUT_QUERY: Schema = VENDOR_CREATE_QUERY
VENDOR_PUT_BODY: Schema = VENDOR_CREATE_BODY
VENDOR_PUT_ANSWER: Schema = {
    "properties": {
        "metadata": {},
        "data": {
            "properties": {
                "id": {},
                "name": {},
                "active": {},
                "addressLineOne": {},
                "addressLineTwo": {},
                "postalCode": {},
                "city": {},
                "state_province": {},
                "country": {},
                "phoneOne": {},
                "phoneTwo": {},
                "fax": {},
                "email": {},
                "comments": {},
                "contact": {},
                "url": {},
                "external_id": {},
                "dateModified": {},
                "currency": {},
                "payment_term_ref": {},
                "shipping_term_ref": {},
                "payment_method_ref": {},
                "shipping_method_ref": {},
                "payment_methods": VENDOR_PAYMENT_METHODS,
                "tax": {},
                "type": {},
                "default_payment_method": {},
                "creditcards": VENDOR_CREDIT_CARDS,
                "is_1099_eligible": {},
                "overall_score": {},
                "is_auto_email_po_enabled": {},
                "po_pdf_labels": {},
            },
            "additionalProperties": False,
        },
    },
    "additionalProperties": False,
}

# GET /api/v2/global/orders (Requisitions_getAllOrders)
ORDERS_LIST_QUERY: Schema = {
    "type": "object",
    "properties": {
        "branch": {"type": "string", "pattern": "^-?\\d+$"},
        "dateRequired": {"type": "string", "pattern": DATE_TIME},
        "date_0": {"type": "string", "pattern": DATE},
        "date_1": {"type": "string", "pattern": DATE},
        "department": {"type": "string", "pattern": "^-?\\d+$"},
        "format": {"type": "string", "enum": ["csv", "json"]},
        "has_blanket_order_items": {"type": "string", "enum": ["true", "false", "True", "False", "1", "0"]},
        "is_punchout": {"type": "string", "enum": ["true", "false", "True", "False", "1", "0"]},
        "lineCount": {"type": "string", "pattern": "^-?\\d+$"},
        "location": {"type": "string", "pattern": "^-?\\d+$"},
        "modified_date_0": {"type": "string", "pattern": DATE},
        "modified_date_1": {"type": "string", "pattern": DATE},
        "order_by": {"type": "string"},
        "page": {"type": "string", "pattern": "^-?\\d+$"},
        "page_size": {"type": "string", "pattern": "^-?\\d+$"},
        "required_date_0": {"type": "string", "pattern": DATE},
        "required_date_1": {"type": "string", "pattern": DATE},
        "search": {"type": "string"},
        "status": {"type": "string", "enum": ["0", "1", "2", "3", "4", "5", "6"]},
        "totalPrice": {"type": "string", "pattern": "^-?\\d+(\\.\\d+)?$"},
    },
    "additionalProperties": False,
}
ORDERS_LIST_ANSWER: Schema = {
    "properties": {
        "metadata": {"properties": {"pagination": PAGINATION}, "additionalProperties": False},
        "data": {
            "items": {
                "properties": {
                    "description": {},
                    "num": {},
                    "uuid": {},
                    "branch": {
                        "properties": {
                            "id": {},
                            "external_id": {},
                            "name": {},
                            "url": {},
                            "logo": {},
                            "language": {},
                            "multipleLocations": {},
                            "locationTimezone": {},
                            "userLimit": {},
                            "budgetOvertureToggle": {},
                            "purchase_filtering": {},
                            "catalog_permission": {},
                            "separate_expense_approval": {},
                            "standalone_travel_approval": {},
                            "phoneOne": {},
                            "phoneTwo": {},
                            "fax": {},
                            "email": {},
                            "fiscalYearEndDay": {},
                            "fiscalYearEndMonth": {},
                            "beginDate": {},
                            "ported": {},
                            "port_date": {},
                            "active": {},
                            "activated": {},
                            "setup_stage": {},
                            "localCurrency": {},
                            "contactPerson": {},
                            "buyerAddress": {},
                            "shippingAddress": {},
                        },
                        "additionalProperties": False,
                    },
                    "user": USER,
                    "department": {
                        "properties": {
                            "id": {},
                            "branch": {},
                            "external_id": {},
                            "name": {},
                            "punchout_email": {},
                            "active": {},
                        },
                        "additionalProperties": False,
                    },
                    "currency": {
                        "properties": {"id": {}, "name": {}, "rate": {}, "base": {}},
                        "additionalProperties": False,
                    },
                    "total_cost_in_base_currency": {},
                    "logs": {
                        "items": {
                            "properties": {
                                "id": {},
                                "user": {},
                                "next_approver": {},
                                "nextApprover": {},
                                "approval_delegation": {},
                                "dateTime": {},
                                "action": {},
                                "line_qty_pass": {},
                                "line_qty_fail": {},
                                "order": {},
                                "lineItem": {},
                                "PO": {},
                                "inventoryItem": {},
                                "stocking_parent": {},
                            },
                            "additionalProperties": False,
                        }
                    },
                    "item_count": {},
                    "ip_address": {},
                    "date": {},
                    "dateRequired": {},
                    "dateModified": {},
                    "lineCount": {},
                    "purchasedCount": {},
                    "totalPrice": {},
                    "status": {},
                    "next_approver": USER,
                    "approval_delegatee": {},
                    "punchout_group": {"properties": {"id": {}, "name": {}}, "additionalProperties": False},
                    "punchout_shipping_address": {
                        "properties": {"id": {}, "name": {}},
                        "additionalProperties": False,
                    },
                    "punchout_items_rejected": {},
                    "punchout_supplier_name": {},
                    "punchout_supplier_icon": {},
                    "punchout_vendor_reference": {},
                    "has_blanket_order_items": {},
                },
                "additionalProperties": False,
            }
        },
    },
    "additionalProperties": False,
}

# GET /api/v2/global/order_items (Requisitions_getAllOrderItems)
ORDER_ITEMS_LIST_QUERY: Schema = {
    "type": "object",
    "properties": {
        "account": {"type": "string", "pattern": "^-?\\d+$"},
        "account_code": {"type": "string", "pattern": "^-?\\d+$"},
        "active": {"type": "string", "enum": ["true", "false", "True", "False", "1", "0"]},
        "approved_datetime_0": {"type": "string", "pattern": DATE},
        "approved_datetime_1": {"type": "string", "pattern": DATE},
        "approved_price": {"type": "string", "pattern": "^-?\\d+(\\.\\d+)?$"},
        "approved_quantity": {"type": "string", "pattern": "^-?\\d+(\\.\\d+)?$"},
        "approver": {"type": "string", "pattern": "^-?\\d+(\\.\\d+)?$"},
        "approver_id": {"type": "string", "pattern": "^-?\\d+(\\.\\d+)?$"},
        "branch": {"type": "string", "pattern": "^-?\\d+$"},
        "catalog": {"type": "string", "enum": ["true", "false", "True", "False", "1", "0"]},
        "catalog_item": {"type": "string"},
        "currency": {"type": "string", "pattern": "^-?\\d+$"},
        "department": {"type": "string", "pattern": "^-?\\d+$"},
        "departments": {"type": "string"},
        "exclude": {"type": "string"},
        "exclude_punchout": {"type": "string", "enum": ["true", "false", "True", "False", "1", "0"]},
        "format": {"type": "string", "enum": ["csv", "json"]},
        "fulfilment_status": {"type": "string"},
        "is_purchased": {"type": "string", "enum": ["true", "false", "True", "False", "1", "0"]},
        "is_recurring": {"type": "string", "enum": ["true", "false", "True", "False", "1", "0"]},
        "last_changed_by": {"type": "string", "pattern": "^-?\\d+$"},
        "last_modified_0": {"type": "string", "pattern": DATE},
        "last_modified_1": {"type": "string", "pattern": DATE},
        "lineComment": {"type": "string"},
        "location": {"type": "string", "pattern": "^-?\\d+$"},
        "locations": {"type": "string"},
        "name": {"type": "string"},
        "num": {"type": "string"},
        "orderNum": {"type": "string", "pattern": "^-?\\d+$"},
        "orderNum__status": {"type": "string", "enum": ["0", "1", "2", "3", "4", "5", "6"]},
        "order_by": {"type": "string"},
        "order_created_date_0": {"type": "string", "pattern": DATE},
        "order_created_date_1": {"type": "string", "pattern": DATE},
        "page": {"type": "string", "pattern": "^-?\\d+$"},
        "page_size": {"type": "string", "pattern": "^-?\\d+$"},
        "po_created_date_0": {"type": "string", "pattern": DATE},
        "po_created_date_1": {"type": "string", "pattern": DATE},
        "po_vendor": {"type": "string", "pattern": "^-?\\d+$"},
        "pref_vendor": {"type": "string", "pattern": "^-?\\d+$"},
        "price": {"type": "string", "pattern": "^-?\\d+(\\.\\d+)?$"},
        "purchase_agreement": {"type": "string", "pattern": "^-?\\d+(\\.\\d+)?$"},
        "purchased_date_0": {"type": "string", "pattern": DATE},
        "purchased_date_1": {"type": "string", "pattern": DATE},
        "purchaser": {"type": "string", "pattern": "^-?\\d+$"},
        "quantity": {"type": "string", "pattern": "^-?\\d+(\\.\\d+)?$"},
        "receivedFailQty": {"type": "string", "pattern": "^-?\\d+(\\.\\d+)?$"},
        "receivedPassQty": {"type": "string", "pattern": "^-?\\d+(\\.\\d+)?$"},
        "requester": {"type": "string", "pattern": "^-?\\d+$"},
        "search": {"type": "string"},
        "sku": {"type": "string"},
        "status": {"type": "string", "enum": ["0", "1", "2", "3", "4", "5", "6", "7", "8"]},
        "type": {"type": "string", "enum": ["0", "1", "2"]},
        "unit": {"type": "string"},
    },
    "additionalProperties": False,
}
ORDER_ITEMS_LIST_ANSWER: Schema = {
    "properties": {
        "metadata": {"properties": {"pagination": PAGINATION}, "additionalProperties": False},
        "data": {
            "items": {
                "properties": {
                    "PO": {},
                    "PO_line_num": {},
                    "account": {},
                    "accountCode": {},
                    "active": {},
                    "approved_currency_rate": {},
                    "approved_datetime": {},
                    "approved_price": {},
                    "approved_quantity": {},
                    "approved_shipping_amount": {},
                    "approved_tax_amount": {},
                    "attachments": {},
                    "catalog_item": {},
                    "created_at": {},
                    "currency": {},
                    "dateInvoiced": {},
                    "external_id": {},
                    "hot": {},
                    "id": {},
                    "inventoryItem": {},
                    "is_active": {},
                    "item_attachments": {},
                    "last_changed_by": {},
                    "last_modified": {},
                    "lineComment": {},
                    "name": {},
                    "num": {},
                    "orderNum": {},
                    "po_note": {},
                    "po_version": {},
                    "pref_vendor": {},
                    "price": {},
                    "purchase_order": {},
                    "purchaser": {},
                    "quantity": {},
                    "receivedFailQty": {},
                    "receivedPassQty": {},
                    "shipping_amount": {},
                    "sku": {},
                    "status": {},
                    "tax_amount": {},
                    "total_cost": {},
                    "unit": {},
                    "updated_at": {},
                    "vendor": {},
                    "receive_method": {},
                    "type": {},
                    "blanket": {
                        "properties": {"price": {}, "quantity": {}, "amount": {}},
                        "additionalProperties": False,
                    },
                },
                "additionalProperties": False,
            }
        },
    },
    "additionalProperties": False,
}

# POST /api/v3/requisitions (requisitions_create)
REQUISITION_CREATE_QUERY: Schema = VENDOR_CREATE_QUERY
REQUISITION_CREATE_BODY: Schema = {
    "type": "object",
    "properties": {
        "required_date": {"type": "string", "pattern": DATE},
        "location_name": {"type": "string"},
        "department_name": {"type": "string"},
        "line_items": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "item_name": {"type": "string", "maxLength": 255},
                    "vendor_name": {"type": "string"},
                    "account_code": {"type": "string"},
                    "unit_price": {"type": "string", "pattern": "^\\d{0,13}(?:\\.\\d{0,8})?$"},
                    "quantity": {"type": "string", "pattern": "^\\d{0,10}(?:\\.\\d{0,5})?$"},
                    "unit": {"type": "string", "maxLength": 30},
                    "currency_code": {"type": "string"},
                    "custom_fields": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {
                                "custom_field_name": {"type": "string"},
                                "custom_field_value": {"type": "string"},
                            },
                            "required": ["custom_field_name", "custom_field_value"],
                            "additionalProperties": False,
                        },
                    },
                },
                "required": [
                    "account_code",
                    "currency_code",
                    "custom_fields",
                    "item_name",
                    "quantity",
                    "unit",
                    "unit_price",
                    "vendor_name",
                ],
                "additionalProperties": False,
            },
        },
    },
    "required": ["department_name", "line_items", "location_name", "required_date"],
    "additionalProperties": False,
}
REQUISITION_CREATE_ANSWER: Schema = {
    "properties": {"metadata": {}, "data": {"properties": {"uuid": {}}, "additionalProperties": False}},
    "additionalProperties": False,
}

# GET /api/v2/purchase_orders/{role}/{status} (Purchaseorders_getByRoleAndStatus)
PO_LIST_QUERY: Schema = {
    "type": "object",
    "properties": {
        "contract": {"type": "string", "pattern": "^-?\\d+$"},
        "date_0": {"type": "string", "pattern": DATE},
        "date_1": {"type": "string", "pattern": DATE},
        "expiry_date_0": {"type": "string", "pattern": DATE},
        "expiry_date_1": {"type": "string", "pattern": DATE},
        "has_blanket_order_items": {"type": "string", "enum": ["true", "false", "True", "False", "1", "0"]},
        "modified_date_0": {"type": "string", "pattern": DATE},
        "modified_date_1": {"type": "string", "pattern": DATE},
        "order_by": {"type": "string"},
        "page": {"type": "string", "pattern": "^-?\\d+$"},
        "page_size": {"type": "string", "pattern": "^-?\\d+$"},
        "pref_vendor": {"type": "string", "pattern": "^-?\\d+$"},
        "promise_date_0": {"type": "string", "pattern": DATE},
        "promise_date_1": {"type": "string", "pattern": DATE},
    },
    "additionalProperties": False,
}
PO_LIST_ANSWER: Schema = {
    "properties": {
        "metadata": {
            "properties": {
                "counts": {"properties": {"purchased": {}, "receivable": {}}, "additionalProperties": False},
                "pagination": PAGINATION,
            },
            "additionalProperties": False,
        },
        "data": {
            "items": {
                "properties": {
                    "version": {},
                    "number": {},
                    "uuid": {},
                    "purchaser": USER,
                    "procurify_PO": {},
                    "PO_Num": {},
                    "date": {},
                    "buyer_name": {},
                    "buyer_contact": {},
                    "buyer_addressLineOne": {},
                    "buyer_postalCode": {},
                    "buyer_city": {},
                    "buyer_state_province": {},
                    "buyer_country": {},
                    "buyer_address": ADDRESS,
                    "receiver_name": {},
                    "receiver_contact": {},
                    "receiver_addressLineOne": {},
                    "receiver_postalCode": {},
                    "receiver_city": {},
                    "receiver_state_province": {},
                    "receiver_country": {},
                    "receiver_address": ADDRESS,
                    "pref_vendor": VENDOR_SUMMARY,
                    "vendor_name": {},
                    "vendor_contact": {},
                    "vendor_addressLineOne": {},
                    "vendor_postalCode": {},
                    "vendor_city": {},
                    "vendor_state_province": {},
                    "vendor_country": {},
                    "payment_terms": {},
                    "shipping_terms": {},
                    "shipping_method": {},
                    "promise_date": {},
                    "subtotal": {},
                    "freight": {},
                    "tax": {"properties": {"value": {}, "type": {}}, "additionalProperties": False},
                    "discount": {"properties": {"value": {}, "type": {}}, "additionalProperties": False},
                    "other": {},
                    "total": {},
                    "comment": {},
                    "purchased_currency": {
                        "properties": {"id": {}, "name": {}, "rate": {}, "base": {}},
                        "additionalProperties": False,
                    },
                    "purchased_currency_rate": {},
                    "active": {},
                    "state": {},
                    "fulfilment_status": {},
                    "disclaimer_description": {},
                    "disclaimer_text": {},
                    "recorded_date": {},
                    "closed_date": {},
                    "last_modified": {},
                    "staged_for_export": {},
                    "item_count": {},
                    "most_recent_version": {},
                    "punchout_system": {},
                    "purchase_agreement": {},
                    "purchase_agreement_status": {},
                    "punchout_vendor_reference": {},
                    "punchout_supplier_icon": {},
                    "punchout_supplier_name": {},
                    "has_blanket_order_items": {},
                    "expiry_date": {},
                    "contract": {
                        "properties": {"id": {}, "uuid": {}, "name": {}},
                        "additionalProperties": False,
                    },
                },
                "additionalProperties": False,
            }
        },
    },
    "additionalProperties": False,
}

# GET /api/v2/purchase_orders/{id} (Purchaseorders_getByIdWithItems)
PO_GET_QUERY: Schema = VENDOR_CREATE_QUERY
PO_GET_ANSWER: Schema = {
    "properties": {
        "metadata": {"properties": {"can_edit": {}, "can_delete": {}}, "additionalProperties": False},
        "data": PURCHASE_ORDER,
    },
    "additionalProperties": False,
}

# PUT /api/v3/purchase-orders/{procurify_PO} (Purchaseorders_updateOrder)
PO_UPDATE_QUERY: Schema = VENDOR_CREATE_QUERY
PO_UPDATE_BODY: Schema = {
    "type": "object",
    "properties": {
        "version": {"type": "integer"},
        "order_items": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "id": {"type": "integer"},
                    "name": {"type": "string", "maxLength": 255},
                    "sku": {"type": "string", "maxLength": 100},
                    "unit": {"type": "string", "maxLength": 30},
                    "quantity": {"type": "string", "pattern": "^\\d{0,10}(?:\\.\\d{0,5})?$"},
                    "price": {"type": "string", "pattern": "^\\d{0,13}(?:\\.\\d{0,8})?$"},
                    "po_note": {"type": "string"},
                    "custom_fields": {"type": "array", "items": {"type": "object"}},
                    "tax_amount": {
                        "anyOf": [
                            {"type": "string", "pattern": "^\\d{0,13}(?:\\.\\d{0,8})?$"},
                            {"type": "null"},
                        ]
                    },
                    "shipping_amount": {
                        "anyOf": [
                            {"type": "string", "pattern": "^\\d{0,13}(?:\\.\\d{0,8})?$"},
                            {"type": "null"},
                        ]
                    },
                },
                "required": ["custom_fields", "id", "name", "price", "quantity", "unit"],
                "additionalProperties": False,
            },
        },
        "custom_fields": {"type": "array", "items": {"type": "object"}},
        "PO_Num": {"anyOf": [{"type": "string", "maxLength": 30}, {"type": "null"}]},
        "buyer_name": {"type": "string", "maxLength": 100},
        "buyer_contact": {"type": "string", "maxLength": 100},
        "buyer_addressLineOne": {"type": "string", "maxLength": 300},
        "buyer_postalCode": {"type": "string", "maxLength": 20},
        "buyer_city": {"type": "string", "maxLength": 50},
        "buyer_state_province": {"type": "string", "maxLength": 40},
        "buyer_country": {"type": "string", "maxLength": 80},
        "buyer_address": {"type": "integer"},
        "comment": {"anyOf": [{"type": "string"}, {"type": "null"}]},
        "receiver_name": {"type": "string", "maxLength": 100},
        "receiver_contact": {"type": "string", "maxLength": 100},
        "receiver_addressLineOne": {"type": "string", "maxLength": 300},
        "receiver_postalCode": {"type": "string", "maxLength": 20},
        "receiver_city": {"type": "string", "maxLength": 50},
        "receiver_state_province": {"type": "string", "maxLength": 40},
        "receiver_country": {"type": "string", "maxLength": 80},
        "receiver_address": {"type": "integer"},
        "promise_date": {"type": "string", "pattern": DATE_TIME},
        "freight": {
            "anyOf": [{"type": "string", "pattern": "^\\d{0,13}(?:\\.\\d{0,6})?$"}, {"type": "null"}]
        },
        "discount": {"type": "object"},
        "tax": {"type": "object"},
        "other": {"anyOf": [{"type": "string", "pattern": "^\\d{0,13}(?:\\.\\d{0,6})?$"}, {"type": "null"}]},
        "disclaimer_description": {"anyOf": [{"type": "string", "maxLength": 100}, {"type": "null"}]},
        "disclaimer_text": {"anyOf": [{"type": "string"}, {"type": "null"}]},
        "payment_term_ref": {"anyOf": [{"type": "integer"}, {"type": "null"}]},
        "shipping_term_ref": {"anyOf": [{"type": "integer"}, {"type": "null"}]},
        "payment_method_ref": {"anyOf": [{"type": "integer"}, {"type": "null"}]},
        "shipping_method_ref": {"anyOf": [{"type": "integer"}, {"type": "null"}]},
        "creditcard": {"anyOf": [{"type": "integer"}, {"type": "null"}]},
        "expiry_date": {"anyOf": [{"type": "string", "pattern": DATE_TIME}, {"type": "null"}]},
        "contract": {"anyOf": [{"type": "integer"}, {"type": "null"}]},
    },
    "required": [
        "buyer_address",
        "buyer_addressLineOne",
        "buyer_city",
        "buyer_contact",
        "buyer_country",
        "buyer_name",
        "buyer_postalCode",
        "discount",
        "order_items",
        "promise_date",
        "receiver_address",
        "receiver_addressLineOne",
        "receiver_city",
        "receiver_contact",
        "receiver_country",
        "receiver_name",
        "receiver_postalCode",
        "tax",
        "version",
    ],
    "additionalProperties": False,
}
PO_UPDATE_ANSWER: Schema = {
    "properties": {
        "metadata": {},
        "data": {
            "properties": {
                "version": {},
                "order_items": {
                    "items": {
                        "properties": {
                            "id": {},
                            "name": {},
                            "sku": {},
                            "unit": {},
                            "quantity": {},
                            "price": {},
                            "po_note": {},
                            "custom_fields": {},
                            "tax_amount": {},
                            "shipping_amount": {},
                        },
                        "additionalProperties": False,
                    }
                },
                "PO_Num": {},
                "buyer_name": {},
                "buyer_contact": {},
                "buyer_addressLineOne": {},
                "buyer_postalCode": {},
                "buyer_city": {},
                "buyer_state_province": {},
                "buyer_country": {},
                "buyer_address": {},
                "comment": {},
                "receiver_name": {},
                "receiver_contact": {},
                "receiver_addressLineOne": {},
                "receiver_postalCode": {},
                "receiver_city": {},
                "receiver_state_province": {},
                "receiver_country": {},
                "receiver_address": {},
                "promise_date": {},
                "freight": {},
                "discount": {},
                "tax": {},
                "other": {},
                "disclaimer_description": {},
                "disclaimer_text": {},
                "payment_term_ref": {},
                "shipping_term_ref": {},
                "payment_method_ref": {},
                "shipping_method_ref": {},
                "creditcard": {},
                "expiry_date": {},
                "contract": {},
            },
            "additionalProperties": False,
        },
    },
    "additionalProperties": False,
}

# PUT /api/v2/purchase_order/revise/{procurify_PO} (Purchaseorders_reviseProcurifyPO)
PO_REVISE_QUERY: Schema = {
    "type": "object",
    "properties": {
        "confirm_duplicate_external_po_number": {"type": "string", "enum": ["False", "True"]},
        "format": {"type": "string", "enum": ["csv", "json"]},
    },
    "additionalProperties": False,
}
PO_REVISE_BODY: Schema = PO_UPDATE_BODY
PO_REVISE_ANSWER: Schema = {
    "properties": {"metadata": {}, "data": PURCHASE_ORDER},
    "additionalProperties": False,
}

# POST /api/v3/purchase-orders/{procurify_PO}/close (Purchaseorders_closeOrder)
PO_CLOSE_QUERY: Schema = VENDOR_CREATE_QUERY
PO_CLOSE_ANSWER: Schema = {
    "properties": {
        "metadata": {},
        "data": {
            "properties": {
                "version": {},
                "id": {},
                "PO_Num": {},
                "date": {},
                "discount": {"properties": {"value": {}, "type": {}}, "additionalProperties": False},
                "freight": {},
                "fulfilment_status": {},
                "item_count": {},
                "last_modified": {},
                "number": {},
                "other": {},
                "pref_vendor": {
                    "properties": {
                        "id": {},
                        "name": {},
                        "active": {},
                        "addressLineOne": {},
                        "addressLineTwo": {},
                        "postalCode": {},
                        "city": {},
                        "state_province": {},
                        "country": {},
                        "overall_score": {},
                        "is_auto_email_po_enabled": {},
                    },
                    "additionalProperties": False,
                },
                "procurify_PO": {},
                "promise_date": {},
                "punchout_system": {},
                "purchase_agreement": {},
                "purchase_agreement_status": {},
                "purchased_currency": {
                    "properties": {"id": {}, "name": {}, "rate": {}},
                    "additionalProperties": False,
                },
                "purchased_currency_rate": {},
                "purchaser": USER_SUMMARY,
                "state": {},
                "subtotal": {},
                "total": {},
                "uuid": {},
                "punchout_items_rejected": {},
                "total_amount": {},
                "currency": {},
                "email_status": {},
                "email_status_updated_at": {},
                "punchout_supplier_name": {},
                "punchout_supplier_icon": {},
                "punchout_vendor_reference": {},
                "has_blanket_order_items": {},
                "expiry_date": {},
            },
            "additionalProperties": False,
        },
    },
    "additionalProperties": False,
}

# POST /api/v3/purchase-orders/{procurify_PO}/reopen (Purchaseorders_reopenProcurifyPo)
PO_REOPEN_QUERY: Schema = VENDOR_CREATE_QUERY

# GET /api/v3/purchase-orders/billing-history (Purchaseorders_viewBillingHistory)
PO_BILLING_HISTORY_QUERY: Schema = VENDOR_CREATE_QUERY
PO_BILLING_HISTORY_ANSWER: Schema = {
    "properties": {
        "metadata": {},
        "data": {
            "items": {
                "properties": {
                    "id": {},
                    "number": {},
                    "has_unbilled_unreceived_items": {},
                    "items": {
                        "items": {
                            "properties": {"id": {}, "billed_qty": {}, "received_qty": {}},
                            "additionalProperties": False,
                        }
                    },
                },
                "additionalProperties": False,
            }
        },
    },
    "additionalProperties": False,
}

# GET /api/v3/ap/bills (Ap_billsList)
BILLS_LIST_QUERY: Schema = {
    "type": "object",
    "properties": {
        "approver": {"type": "string", "pattern": "^-?\\d+(\\.\\d+)?$"},
        "contract": {"type": "string", "pattern": "^-?\\d+(\\.\\d+)?$"},
        "currency": {"type": "string", "pattern": "^-?\\d+$"},
        "due_date_0": {"type": "string", "pattern": DATE},
        "due_date_1": {"type": "string", "pattern": DATE},
        "exclude_bill_group_ids": {"type": "string"},
        "exclude_expense_bills": {"type": "string"},
        "expense": {"type": "string"},
        "format": {"type": "string", "enum": ["csv", "json"]},
        "gl_post_date_0": {"type": "string", "pattern": DATE},
        "gl_post_date_1": {"type": "string", "pattern": DATE},
        "group": {"type": "string", "pattern": "^-?\\d+$"},
        "has_payment": {"type": "string", "enum": ["true", "false", "True", "False", "1", "0"]},
        "has_posting_date": {"type": "string", "enum": ["true", "false", "True", "False", "1", "0"]},
        "include_bill_group_ids": {"type": "string"},
        "invoice_date_0": {"type": "string", "pattern": DATE},
        "invoice_date_1": {"type": "string", "pattern": DATE},
        "is_exported": {"type": "string", "enum": ["true", "false", "True", "False", "1", "0"]},
        "last_export_date_0": {"type": "string", "pattern": DATE},
        "last_export_date_1": {"type": "string", "pattern": DATE},
        "last_export_user": {"type": "string", "pattern": "^-?\\d+(\\.\\d+)?$"},
        "last_modified_datetime_0": {"type": "string", "pattern": DATE_TIME},
        "last_modified_datetime_1": {"type": "string", "pattern": DATE_TIME},
        "modified_date_0": {"type": "string", "pattern": DATE},
        "modified_date_1": {"type": "string", "pattern": DATE},
        "order_by": {"type": "string"},
        "page": {"type": "string", "pattern": "^-?\\d+$"},
        "page_size": {"type": "string", "pattern": "^-?\\d+$"},
        "search": {"type": "string"},
        "submitted_date_0": {"type": "string", "pattern": DATE},
        "submitted_date_1": {"type": "string", "pattern": DATE},
        "sync_status": {"type": "string"},
        "sync_status_v2": {"type": "string"},
        "type": {"type": "string", "enum": ["0", "1", "2"]},
        "user": {"type": "string", "pattern": "^-?\\d+$"},
        "vendor": {"type": "string", "pattern": "^-?\\d+$"},
    },
    "additionalProperties": False,
}
BILLS_LIST_ANSWER: Schema = {
    "properties": {
        "metadata": {
            "properties": {
                "summary": {
                    "properties": {"has_multiple_currency": {}, "total_cost": {}},
                    "additionalProperties": False,
                },
                "permissions": {
                    "properties": {"can_edit": {}, "can_delete": {}, "can_approve": {}},
                    "additionalProperties": False,
                },
                "pagination": PAGINATION,
            },
            "additionalProperties": False,
        },
        "data": {
            "items": {
                "properties": {
                    "version": {},
                    "id": {},
                    "status": {},
                    "locked": {},
                    "currency": {
                        "properties": {"id": {}, "name": {}, "rate": {}},
                        "additionalProperties": False,
                    },
                    "uuid": {},
                    "items": {},
                    "vendor": {"properties": {"id": {}, "name": {}}, "additionalProperties": False},
                    "due_date": {},
                    "total_cost_with_tax": {},
                    "invoice_date": {},
                    "next_approver_choices": {"items": APPROVER},
                    "last_export_user": {
                        "properties": {"id": {}, "firstName": {}, "lastName": {}, "email": {}},
                        "additionalProperties": False,
                    },
                    "last_modified_datetime": {},
                    "last_export_date": {},
                    "submitted_date": {},
                    "gl_post_date": {},
                    "invoice_number": {},
                    "group": {},
                    "type": {},
                    "user": USER_SUMMARY,
                    "approver": {
                        "properties": {
                            "firstName": {},
                            "lastName": {},
                            "profile_image": {},
                            "approval_delegatee": {},
                        },
                        "additionalProperties": False,
                    },
                    "past_due": {},
                    "payment_uuid": {},
                    "invoice_uuid": {},
                },
                "additionalProperties": False,
            }
        },
    },
    "additionalProperties": False,
}

# GET /api/v2/ap/bills/{id} (Ap_billsGetById)
BILL_GET_QUERY: Schema = VENDOR_CREATE_QUERY
BILL_GET_ANSWER: Schema = {
    "properties": {
        "metadata": {
            "properties": {
                "summary": {
                    "properties": {"has_multiple_currency": {}, "total_cost": {}},
                    "additionalProperties": False,
                },
                "permissions": {
                    "properties": {"can_edit": {}, "can_delete": {}, "can_approve": {}},
                    "additionalProperties": False,
                },
            },
            "additionalProperties": False,
        },
        "data": {
            "properties": {
                "version": {},
                "id": {},
                "uuid": {},
                "user": USER,
                "vendor": VENDOR_SUMMARY,
                "approval_chain": {},
                "approver": APPROVER,
                "items": {
                    "items": {
                        "properties": {
                            "description": {},
                            "id": {},
                            "orderitem": {},
                            "expense": {},
                            "bill": {},
                            "vendor": {},
                            "sku": {},
                            "po": {},
                            "unit": {},
                            "quantity": {},
                            "currency": {},
                            "total_cost": {},
                            "received_on": {},
                            "packing_slips": {},
                            "cost_allocations": {},
                            "archived": {},
                            "expense_report": {},
                            "same_unit_cost": {},
                            "creditcard_item": {},
                            "is_edited": {},
                            "unit_cost_diff_log": {},
                            "tax_name": {},
                            "tax_percentage": {},
                            "tax_amount": {},
                            "tax_is_inclusive": {},
                            "tax": {},
                            "total_cost_with_tax": {},
                            "shipping_amount": {},
                            "unit_cost": {},
                            "custom_fields": {},
                            "item_type": {},
                            "type": {},
                            "bill_by_cost": {},
                        },
                        "additionalProperties": False,
                    }
                },
                "costs": {
                    "items": {
                        "properties": {
                            "id": {},
                            "cost_allocation": {},
                            "name": {},
                            "amount": {},
                            "bill": {},
                            "cost": {},
                            "currency": {},
                        },
                        "additionalProperties": False,
                    }
                },
                "invoice_attachments": ATTACHMENTS,
                "bill_statuses": {
                    "items": {
                        "properties": {"id": {}, "user": {}, "date": {}, "status": {}, "bill": {}},
                        "additionalProperties": False,
                    }
                },
                "currency": {
                    "properties": {
                        "description": {},
                        "id": {},
                        "name": {},
                        "rate": {},
                        "base": {},
                        "active": {},
                    },
                    "additionalProperties": False,
                },
                "comments": {
                    "items": {
                        "properties": {"userprofile": {}, "id": {}, "comment": {}, "submit_date": {}},
                        "additionalProperties": False,
                    }
                },
                "version_choices": {
                    "items": {"properties": {"version": {}, "pk": {}}, "additionalProperties": False}
                },
                "tax_amount": {},
                "inclusive_tax_amount": {},
                "exclusive_tax_amount": {},
                "subtotal_cost": {},
                "total_cost": {},
                "total_cost_with_tax": {},
                "converted_total_cost": {},
                "next_approver_choices": {"items": APPROVER},
                "locked": {},
                "bill_payment": {
                    "properties": {
                        "id": {},
                        "payment": {},
                        "payment_method": {},
                        "amount": {},
                        "transaction": {},
                    },
                    "additionalProperties": False,
                },
                "creditcard": {},
                "creditcard_name": {},
                "last_export_user": {
                    "properties": {
                        "id": {},
                        "firstName": {},
                        "lastName": {},
                        "email": {},
                        "position": {},
                        "profile_image": {},
                        "approval_delegatee": {},
                        "expected_return_date": {},
                    },
                    "additionalProperties": False,
                },
                "last_export_date": {},
                "vendor_name": {},
                "vendor_contact": {},
                "vendor_address_one": {},
                "vendor_address_two": {},
                "vendor_postal_code": {},
                "vendor_city": {},
                "vendor_state_province": {},
                "vendor_country": {},
                "last_modified_datetime": {},
                "submitted_date": {},
                "invoice_number": {},
                "invoice_date": {},
                "due_date": {},
                "payment_terms": {},
                "status": {},
                "type": {},
                "active": {},
                "note": {},
                "gl_post_date": {},
                "group": {},
                "payment_method": {},
                "payment_method_name": {},
                "added_purchase_orders": {
                    "items": {
                        "properties": {"id": {}, "number": {}, "currency": {}, "total_amount": {}},
                        "additionalProperties": False,
                    }
                },
                "shipping_amount": {},
                "invoice_uuid": {},
            },
            "additionalProperties": False,
        },
    },
    "additionalProperties": False,
}

# GET /api/v2/ap/items (Ap_itemsGet)
AP_ITEMS_LIST_QUERY: Schema = {
    "type": "object",
    "properties": {
        "bill": {"type": "string", "pattern": "^-?\\d+$"},
        "bill_uuid": {"type": "string"},
        "billed": {"type": "string", "enum": ["true", "false", "True", "False", "1", "0"]},
        "budget": {"type": "string", "pattern": "^-?\\d+$"},
        "created_at_0": {"type": "string", "pattern": DATE},
        "created_at_1": {"type": "string", "pattern": DATE},
        "department": {"type": "string", "pattern": "^-?\\d+(\\.\\d+)?$"},
        "exclude": {"type": "string"},
        "format": {"type": "string", "enum": ["csv", "json"]},
        "location": {"type": "string", "pattern": "^-?\\d+(\\.\\d+)?$"},
        "order_by": {"type": "string"},
        "page": {"type": "string", "pattern": "^-?\\d+$"},
        "page_size": {"type": "string", "pattern": "^-?\\d+$"},
        "received_on_0": {"type": "string", "pattern": DATE},
        "received_on_1": {"type": "string", "pattern": DATE},
        "reimburse": {"type": "string", "enum": ["true", "false", "True", "False", "1", "0"]},
        "requester": {"type": "string", "pattern": "^-?\\d+(\\.\\d+)?$"},
        "search": {"type": "string"},
        "vendor": {"type": "string", "pattern": "^-?\\d+$"},
    },
    "additionalProperties": False,
}
AP_ITEMS_LIST_ANSWER: Schema = {
    "properties": {
        "metadata": {
            "properties": {
                "summary": {
                    "properties": {"total_items": {}, "total_cost": {}},
                    "additionalProperties": False,
                },
                "pagination": PAGINATION,
            },
            "additionalProperties": False,
        },
        "data": {
            "items": {
                "properties": {
                    "description": {},
                    "id": {},
                    "orderitem": {
                        "properties": {
                            "PO": {},
                            "PO_line_num": {},
                            "account": {},
                            "accountCode": {},
                            "active": {},
                            "approved_currency_rate": {},
                            "approved_datetime": {},
                            "approved_price": {},
                            "approved_quantity": {},
                            "approved_shipping_amount": {},
                            "approved_tax_amount": {},
                            "attachments": {},
                            "catalog_item": {},
                            "created_at": {},
                            "currency": {},
                            "dateInvoiced": {},
                            "external_id": {},
                            "hot": {},
                            "id": {},
                            "inventoryItem": {},
                            "is_active": {},
                            "item_attachments": {},
                            "last_changed_by": {},
                            "last_modified": {},
                            "lineComment": {},
                            "name": {},
                            "num": {},
                            "orderNum": {},
                            "po_note": {},
                            "po_version": {},
                            "pref_vendor": {},
                            "price": {},
                            "purchase_order": {},
                            "purchaser": {},
                            "quantity": {},
                            "receivedFailQty": {},
                            "receivedPassQty": {},
                            "shipping_amount": {},
                            "sku": {},
                            "status": {},
                            "tax_amount": {},
                            "total_cost": {},
                            "unit": {},
                            "updated_at": {},
                            "vendor": {},
                            "receive_method": {},
                            "type": {},
                            "blanket": {},
                            "comments": {},
                            "confirmation_status": {},
                            "confirmation_status_description": {},
                            "cost_details": {},
                            "custom_fields": {},
                            "date_required": {},
                            "has_sibling_items": {},
                            "line_comment": {},
                            "logs": {},
                            "order_description": {},
                            "order_status": {},
                            "order_uuid": {},
                            "punchout_supplier_icon": {},
                            "punchout_supplier_name": {},
                            "punchout_system": {},
                            "punchout_vendor_reference": {},
                            "punchout_supplier_can_update_quantity": {},
                            "purchase_order_number": {},
                            "purchase_order_uuid": {},
                            "purchased_currency_rate": {},
                            "recurrence": {},
                            "requester": {},
                            "spend_allocation": {},
                            "submitted_date": {},
                            "taxes": {},
                        },
                        "additionalProperties": False,
                    },
                    "expense": {
                        "properties": {
                            "id": {},
                            "account": {},
                            "localCurrency": {},
                            "expense_type_fields": {},
                            "expenseReport": {},
                            "requester": {},
                            "approver": {},
                            "approved_date": {},
                            "is_active": {},
                            "created_at": {},
                            "updated_at": {},
                            "merchant": {},
                            "transDate": {},
                            "reimburse": {},
                            "expense_type": {},
                            "paymentType": {},
                            "amount": {},
                            "currency_rate_final": {},
                            "exchange_rate_override": {},
                            "tax_name": {},
                            "tax_percentage": {},
                            "tax_amount": {},
                            "tax_is_inclusive": {},
                            "notes": {},
                            "attachment": {},
                            "active": {},
                            "last_changed_by": {},
                            "creditcard": {},
                            "tax": {},
                        },
                        "additionalProperties": False,
                    },
                    "bill": {},
                    "vendor": VENDOR_SUMMARY,
                    "sku": {},
                    "po": {"properties": {"number": {}, "id": {}, "uuid": {}}, "additionalProperties": False},
                    "unit": {},
                    "quantity": {},
                    "currency": {
                        "properties": {
                            "description": {},
                            "id": {},
                            "name": {},
                            "rate": {},
                            "base": {},
                            "active": {},
                        },
                        "additionalProperties": False,
                    },
                    "total_cost": {},
                    "received_on": {},
                    "packing_slips": ATTACHMENTS,
                    "cost_allocations": {
                        "items": {
                            "properties": {
                                "id": {},
                                "budget": {},
                                "object_id": {},
                                "amount": {},
                                "currency": {},
                                "created_on": {},
                            },
                            "additionalProperties": False,
                        }
                    },
                    "archived": {},
                    "expense_report": {"properties": {"id": {}, "uuid": {}}, "additionalProperties": False},
                    "same_unit_cost": {},
                    "creditcard_item": {
                        "properties": {
                            "id": {},
                            "creditcard": {},
                            "po": {},
                            "expense": {},
                            "creditcard_is_editable": {},
                            "matched_statement_items": {},
                        },
                        "additionalProperties": False,
                    },
                    "is_edited": {},
                    "unit_cost_diff_log": {
                        "properties": {
                            "changed_by": {},
                            "changed_date": {},
                            "original_unit_cost": {},
                            "original_currency_label": {},
                        },
                        "additionalProperties": False,
                    },
                    "tax_name": {},
                    "tax_percentage": {},
                    "tax_amount": {},
                    "tax_is_inclusive": {},
                    "tax": {},
                    "total_cost_with_tax": {},
                    "shipping_amount": {},
                    "unit_cost": {},
                    "custom_fields": {
                        "items": {
                            "properties": {"id": {}, "value": {}, "field": {}},
                            "additionalProperties": False,
                        }
                    },
                    "item_type": {},
                    "type": {},
                    "bill_by_cost": {},
                },
                "additionalProperties": False,
            }
        },
    },
    "additionalProperties": False,
}

# GET /api/v2/ap/payments (Ap_getPayments)
LEGACY_PAYMENTS_LIST_QUERY: Schema = {
    "type": "object",
    "properties": {
        "approver": {"type": "string"},
        "currency": {"type": "string", "pattern": "^-?\\d+$"},
        "format": {"type": "string", "enum": ["csv", "json"]},
        "order_by": {"type": "string"},
        "page": {"type": "string", "pattern": "^-?\\d+$"},
        "page_size": {"type": "string", "pattern": "^-?\\d+$"},
        "payment_date_0": {"type": "string", "pattern": DATE},
        "payment_date_1": {"type": "string", "pattern": DATE},
        "payment_method__type": {"type": "string", "enum": ["0", "1", "2", "3", "4"]},
        "search": {"type": "string"},
    },
    "additionalProperties": False,
}
LEGACY_PAYMENTS_LIST_ANSWER: Schema = {
    "properties": {
        "metadata": {
            "properties": {
                "summary": {"properties": {"total_cost": {}}, "additionalProperties": False},
                "permissions": {
                    "properties": {"can_edit": {}, "can_delete": {}, "can_approve": {}},
                    "additionalProperties": False,
                },
                "pagination": PAGINATION,
            },
            "additionalProperties": False,
        },
        "data": {
            "items": {
                "properties": {
                    "id": {},
                    "bill_payments": {
                        "items": {
                            "properties": {
                                "id": {},
                                "bill": {},
                                "user": {},
                                "payment_method": {},
                                "amount": {},
                                "transaction": {},
                            },
                            "additionalProperties": False,
                        }
                    },
                    "payment_method_type": {},
                    "payment_method": {
                        "properties": {
                            "id": {},
                            "name": {},
                            "type": {},
                            "data": {},
                            "currency": {},
                            "gl_code": {},
                        },
                        "additionalProperties": False,
                    },
                    "payment_date": {},
                    "amount": {},
                    "total_amount_with_tax": {},
                    "tax_amount": {},
                    "inclusive_tax_amount": {},
                    "exclusive_tax_amount": {},
                    "currency": {
                        "properties": {
                            "description": {},
                            "id": {},
                            "name": {},
                            "rate": {},
                            "base": {},
                            "active": {},
                        },
                        "additionalProperties": False,
                    },
                    "status": {},
                    "ach_number": {},
                    "next_approver_choices": {"items": APPROVER},
                },
                "additionalProperties": False,
            }
        },
    },
    "additionalProperties": False,
}

# GET /api/v3/account-codes (Accountcodes_list)
ACCOUNT_CODES_LIST_QUERY: Schema = {
    "type": "object",
    "properties": {
        "active": {"type": "string", "enum": ["true", "false", "True", "False", "1", "0"]},
        "code": {"type": "string"},
        "format": {"type": "string", "enum": ["csv", "json"]},
        "is_parent": {"type": "string", "enum": ["true", "false", "True", "False", "1", "0"]},
        "order_by": {"type": "string"},
        "page": {"type": "string", "pattern": "^-?\\d+$"},
        "page_size": {"type": "string", "pattern": "^-?\\d+$"},
        "search": {"type": "string"},
    },
    "additionalProperties": False,
}
ACCOUNT_CODES_LIST_ANSWER: Schema = {
    "properties": {
        "metadata": {"properties": {"pagination": PAGINATION}, "additionalProperties": False},
        "data": {"items": ACCOUNT_CODE},
    },
    "additionalProperties": False,
}

# POST /api/v3/account-codes (Accountcodes_createAccountCodes)
ACCOUNT_CODE_CREATE_QUERY: Schema = VENDOR_CREATE_QUERY
ACCOUNT_CODE_CREATE_BODY: Schema = {
    "type": "object",
    "properties": {
        "description": {"type": "string", "maxLength": 200},
        "code": {"type": "string", "maxLength": 50},
        "parent": {"anyOf": [{"type": "integer"}, {"type": "null"}]},
        "account_type": {"type": "integer", "enum": [0, 1, 2, 3, 4, 5]},
        "departments": {"type": "array", "items": {"type": "integer"}},
    },
    "required": ["code", "description"],
    "additionalProperties": False,
}
ACCOUNT_CODE_CREATE_ANSWER: Schema = {
    "properties": {"metadata": {}, "data": ACCOUNT_CODE},
    "additionalProperties": False,
}

# PUT /api/v3/account-codes/{id} (Accountcodes_updateAccountCode)
ACCOUNT_CODE_PUT_QUERY: Schema = VENDOR_CREATE_QUERY
ACCOUNT_CODE_PUT_BODY: Schema = {
    "type": "object",
    "properties": {
        "description": {"type": "string", "maxLength": 200},
        "code": {"type": "string", "maxLength": 50},
        "account_type": {"type": "integer", "enum": [0, 1, 2, 3, 4, 5]},
    },
    "required": ["code", "description"],
    "additionalProperties": False,
}
ACCOUNT_CODE_PUT_ANSWER: Schema = ACCOUNT_CODE_CREATE_ANSWER

# GET /api/v3/departments (departments_list)
DEPARTMENTS_LIST_QUERY: Schema = {
    "type": "object",
    "properties": {
        "branch": {"type": "string", "pattern": "^-?\\d+$"},
        "format": {"type": "string", "enum": ["csv", "json"]},
        "include_is_active_for_account_code": {"type": "string", "pattern": "^-?\\d+$"},
        "location_perm_override": {"type": "string", "enum": ["true", "false", "True", "False", "1", "0"]},
        "locations": {"type": "string"},
        "order_by": {"type": "string"},
        "page": {"type": "string", "pattern": "^-?\\d+$"},
        "page_size": {"type": "string", "pattern": "^-?\\d+$"},
        "permission": {"type": "string", "pattern": "^-?\\d+$"},
        "requestable": {"type": "string"},
        "search": {"type": "string"},
        "user": {"type": "string", "pattern": "^-?\\d+$"},
    },
    "additionalProperties": False,
}
DEPARTMENTS_LIST_ANSWER: Schema = {
    "properties": {
        "metadata": {"properties": {"pagination": PAGINATION}, "additionalProperties": False},
        "data": {"items": DEPARTMENT},
    },
    "additionalProperties": False,
}

# POST /api/v3/departments (departments_create)
DEPARTMENT_CREATE_QUERY: Schema = VENDOR_CREATE_QUERY
DEPARTMENT_CREATE_BODY: Schema = {
    "type": "object",
    "properties": {
        "branch": {"type": "integer"},
        "external_id": {"anyOf": [{"type": "string", "maxLength": 100}, {"type": "null"}]},
        "name": {"type": "string", "maxLength": 150},
        "active": {"type": "boolean"},
        "punchout_email": {"anyOf": [{"type": "string"}, {"type": "null"}]},
    },
    "required": ["branch", "name"],
    "additionalProperties": False,
}
DEPARTMENT_CREATE_ANSWER: Schema = {
    "properties": {"metadata": {}, "data": DEPARTMENT},
    "additionalProperties": False,
}

# PUT /api/v3/departments/{id} (departments_update)
DEPARTMENT_PUT_QUERY: Schema = VENDOR_CREATE_QUERY
DEPARTMENT_PUT_BODY: Schema = DEPARTMENT_CREATE_BODY
DEPARTMENT_PUT_ANSWER: Schema = DEPARTMENT_CREATE_ANSWER

# GET /api/v3/accounts (accounts_list)
ACCOUNTS_LIST_QUERY: Schema = {
    "type": "object",
    "properties": {
        "account_code": {"type": "string", "pattern": "^-?\\d+$"},
        "active": {"type": "string", "enum": ["true", "false", "True", "False", "1", "0"]},
        "department": {"type": "string", "pattern": "^-?\\d+$"},
        "departments": {"type": "string"},
        "format": {"type": "string", "enum": ["csv", "json"]},
        "id": {"type": "string", "pattern": "^-?\\d+$"},
        "in_effect": {"type": "string", "enum": ["true", "false", "True", "False", "1", "0"]},
        "locations": {"type": "string"},
        "order_by": {"type": "string"},
        "page": {"type": "string", "pattern": "^-?\\d+$"},
        "page_size": {"type": "string", "pattern": "^-?\\d+$"},
        "search": {"type": "string"},
        "with_expired_budgets": {"type": "string", "enum": ["true", "false", "True", "False", "1", "0"]},
    },
    "additionalProperties": False,
}
ACCOUNTS_LIST_ANSWER: Schema = {
    "properties": {
        "metadata": {"properties": {"pagination": PAGINATION}, "additionalProperties": False},
        "data": {
            "items": {
                "properties": {
                    "id": {},
                    "account_code": ACCOUNT_CODE,
                    "department": {
                        "properties": {
                            "id": {},
                            "branch": {},
                            "external_id": {},
                            "name": {},
                            "active": {},
                            "punchout_email": {},
                            "is_active_for_account_code": {},
                        },
                        "additionalProperties": False,
                    },
                    "start_datetime": {},
                    "end_datetime": {},
                    "budget": {},
                    "budget_used_approved": {},
                    "budget_used_purchased": {},
                    "balance_approved": {},
                    "balance_purchased": {},
                    "active": {},
                },
                "additionalProperties": False,
            }
        },
    },
    "additionalProperties": False,
}

# GET /api/v2/locations (locations_list)
LOCATIONS_LIST_QUERY: Schema = {
    "type": "object",
    "properties": {
        "active": {"type": "string", "enum": ["true", "false", "True", "False", "1", "0"]},
        "format": {"type": "string", "enum": ["csv", "json"]},
        "headquarter": {"type": "string", "enum": ["true", "false", "True", "False", "1", "0"]},
        "order_by": {"type": "string"},
        "page": {"type": "string", "pattern": "^-?\\d+$"},
        "page_size": {"type": "string", "pattern": "^-?\\d+$"},
        "search": {"type": "string"},
    },
    "additionalProperties": False,
}
LOCATIONS_LIST_ANSWER: Schema = {
    "properties": {
        "metadata": {"properties": {"pagination": PAGINATION}, "additionalProperties": False},
        "data": {
            "items": {
                "properties": {
                    "metadata": {},
                    "data": {
                        "items": {
                            "properties": {
                                "id": {},
                                "name": {},
                                "url": {},
                                "logo": {},
                                "currency": {},
                                "phoneOne": {},
                                "fax": {},
                                "email": {},
                                "primary_billing_address": {},
                                "primary_shipping_address": {},
                                "shipping_addresses": {},
                                "language": {},
                                "locationTimezone": {},
                                "headquarter": {},
                                "department_count": {},
                                "active": {},
                                "external_id": {},
                            },
                            "additionalProperties": False,
                        }
                    },
                },
                "additionalProperties": False,
            }
        },
    },
    "additionalProperties": False,
}
