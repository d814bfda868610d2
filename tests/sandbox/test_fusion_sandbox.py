"""The Oracle Fusion sandbox pod, read side: authentication, framework versions, query syntax, paging,
shaping, item keys and every resource, exercised over loopback HTTP with plain ``requests``.

Expected results are never hard-coded: they come from the pod's own unfiltered reads (filtered in
Python, an independent oracle for the query engine) or from the operator routes that show stored
records. Variant switches are flipped on the live pod and reset after every test.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from typing import Any

import pytest
import requests
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from .fusion_pod import CLIENT, DEFAULT_IDENTITIES, SCOPE, USER, VERSION, Pod

pytestmark = pytest.mark.timeout(120)


def self_href(item: dict[str, Any]) -> str:
    return next(link["href"] for link in item["links"] if link["rel"] == "self")


# --- authentication ------------------------------------------------------------------------------


def test_basic_auth_lists_invoices_in_the_collection_envelope(pod: Pod) -> None:
    response = pod.get("invoices")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/vnd.oracle.adf.resourcecollection+json")
    body = response.json()
    assert list(body) == ["items", "count", "hasMore", "limit", "offset", "links"]
    assert body["limit"] == 25 and body["offset"] == 0 and body["count"] == len(body["items"]) == 25
    assert body["hasMore"] is True
    assert body["links"][0] == {
        "rel": "self",
        "href": f"{pod.api}/invoices",
        "name": "invoices",
        "kind": "collection",
    }
    invoice = body["items"][0]
    assert isinstance(invoice["InvoiceId"], int) and invoice["InvoiceId"] > 2**32
    assert isinstance(invoice["InvoiceAmount"], int | float) and isinstance(invoice["PayAloneFlag"], bool)
    assert invoice["LastUpdateDate"].endswith("+00:00")


@pytest.mark.parametrize(
    "auth",
    [("ml.integration", "wrong"), ("nobody", "sandbox-fusion"), None],
    ids=["wrong-password", "unknown-user", "no-credentials"],
)
def test_bad_or_missing_credentials_are_401_with_a_challenge(pod: Pod, auth: Any) -> None:
    response = pod.get("invoices", auth=auth)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Basic")


def test_basic_auth_can_be_disabled(pod: Pod) -> None:
    pod.set("behaviour", allow_basic_auth=False)
    assert pod.get("invoices").status_code == 401
    assert requests.get(f"{pod.api}/invoices", headers=pod.bearer(), timeout=30).status_code == 200


def test_client_credentials_token_is_a_bearer_for_an_hour(pod: Pod) -> None:
    response = pod.token()
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600 and "refresh_token" not in body
    assert body["access_token"].count(".") == 2  # JWT-shaped, opaque to clients
    headers = {"Authorization": f"Bearer {body['access_token']}"}
    assert requests.get(f"{pod.api}/suppliers", headers=headers, timeout=30).status_code == 200


def test_instance_prefixed_scope_and_client_secret_post_are_accepted(pod: Pod) -> None:
    scope = f"urn:opc:resource:fa:instanceid=100000001{SCOPE}"
    secret_post = {
        "grant_type": "client_credentials",
        "scope": scope,
        "client_id": CLIENT[0],
        "client_secret": CLIENT[1],
    }
    response = requests.post(pod.token_url, data=secret_post, timeout=30)
    assert response.status_code == 200, response.text
    pod.set("behaviour", allow_client_secret_post=False)
    response = requests.post(pod.token_url, data=secret_post, timeout=30)
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"


@pytest.mark.parametrize(
    ("form", "auth", "status", "error"),
    [
        ({}, (CLIENT[0], "wrong"), 401, "invalid_client"),
        ({"scope": "urn:opc:resource:other::all"}, CLIENT, 400, "invalid_scope"),
        ({"scope": ""}, CLIENT, 400, "invalid_scope"),
        ({"grant_type": "authorization_code"}, CLIENT, 400, "unsupported_grant_type"),
        (
            {"grant_type": "password", "username": USER[0], "password": USER[1]},
            CLIENT,
            400,
            "unsupported_grant_type",
        ),
        ({"grant_type": ""}, CLIENT, 400, "invalid_request"),
        ({"grant_type": "refresh_token", "refresh_token": "nope"}, CLIENT, 400, "invalid_grant"),
    ],
    ids=[
        "bad-secret",
        "foreign-scope",
        "no-scope",
        "unknown-grant",
        "password-off",
        "no-grant",
        "bad-refresh",
    ],
)
def test_token_endpoint_errors_follow_rfc6749(
    pod: Pod, form: dict[str, str], auth: tuple[str, str], status: int, error: str
) -> None:
    data = {"grant_type": "client_credentials", "scope": SCOPE, **form}
    response = requests.post(pod.token_url, data=data, auth=auth, timeout=30)
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"] == error and body["error_description"]
    assert CLIENT[1] not in response.text


def test_token_endpoint_wants_a_form_body(pod: Pod) -> None:
    response = requests.post(
        pod.token_url, json={"grant_type": "client_credentials"}, auth=CLIENT, timeout=30
    )
    assert response.status_code == 400 and response.json()["error"] == "invalid_request"


def test_password_grant_variant(pod: Pod) -> None:
    pod.set("behaviour", allow_password_grant=True)
    response = pod.token(grant_type="password", username=USER[0], password=USER[1])
    assert response.status_code == 200, response.text
    response = pod.token(grant_type="password", username=USER[0], password="wrong")
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"


def test_expired_token_is_401_and_a_new_token_works(pod: Pod) -> None:
    headers = pod.bearer()
    assert requests.get(f"{pod.api}/suppliers", headers=headers, timeout=30).status_code == 200
    pod.set("clock", advance_seconds=3601)
    expired = requests.get(f"{pod.api}/suppliers", headers=headers, timeout=30)
    assert expired.status_code == 401
    assert expired.headers["WWW-Authenticate"].startswith("Bearer")
    assert requests.get(f"{pod.api}/suppliers", headers=pod.bearer(), timeout=30).status_code == 200


def test_token_lifetime_is_a_live_setting(pod: Pod) -> None:
    pod.set("faults", token_lifetime_seconds=60)
    assert pod.token().json()["expires_in"] == 60
    headers = pod.bearer()
    pod.set("clock", advance_seconds=61)
    assert requests.get(f"{pod.api}/suppliers", headers=headers, timeout=30).status_code == 401


@pytest.mark.parametrize("operation", ["revoke", "expire"])
def test_operator_can_revoke_or_expire_every_token(pod: Pod, operation: str) -> None:
    headers = pod.bearer()
    pod.set(f"tokens/{operation}")
    assert requests.get(f"{pod.api}/suppliers", headers=headers, timeout=30).status_code == 401


def test_tampered_token_is_401(pod: Pod) -> None:
    token = pod.bearer()["Authorization"].removeprefix("Bearer ")
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = "someone.else"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    response = requests.get(
        f"{pod.api}/suppliers", headers={"Authorization": f"Bearer {header}.{forged}.{signature}"}, timeout=30
    )
    assert response.status_code == 401


def _jwt(key: rsa.RSAPrivateKey, claims: dict[str, Any]) -> str:
    def encode(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    signing_input = f"{encode({'alg': 'RS256', 'typ': 'JWT'})}.{encode(claims)}"
    signature = key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{base64.urlsafe_b64encode(signature).rstrip(b'=').decode()}"


def test_jwt_user_assertion_grant_and_refresh_token(pod: Pod) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    pod.set(
        "identities",
        users=[
            *DEFAULT_IDENTITIES["users"],
            {"username": "jane.buyer", "password": "x", "privileges": ["suppliers:read"]},
        ],
        clients=[{**DEFAULT_IDENTITIES["clients"][0], "trusted_certificates": [pem.decode()]}],
    )
    now = int(time.time()) + int(pod.state()["clock"]["offset_seconds"])
    assertion = _jwt(key, {"sub": "jane.buyer", "iss": CLIENT[0], "exp": now + 300})
    grant = "urn:ietf:params:oauth:grant-type:jwt-bearer"
    response = pod.token(grant_type=grant, assertion=assertion, scope=f"{SCOPE} offline_access")
    assert response.status_code == 200, response.text
    body = response.json()
    headers = {"Authorization": f"Bearer {body['access_token']}"}
    # The token acts as jane.buyer: her role reads suppliers but not invoices.
    assert requests.get(f"{pod.api}/suppliers", headers=headers, timeout=30).status_code == 200
    assert requests.get(f"{pod.api}/invoices", headers=headers, timeout=30).status_code == 403
    refreshed = pod.token(grant_type="refresh_token", refresh_token=body["refresh_token"])
    assert refreshed.status_code == 200, refreshed.text
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = pod.token(grant_type=grant, assertion=_jwt(other_key, {"sub": "jane.buyer", "exp": now + 300}))
    assert forged.status_code == 400 and forged.json()["error"] == "invalid_grant"
    expired = pod.token(grant_type=grant, assertion=_jwt(key, {"sub": "jane.buyer", "exp": now - 10}))
    assert expired.status_code == 400 and expired.json()["error"] == "invalid_grant"


def test_token_relay_gives_a_fusion_jwt(pod: Pod) -> None:
    response = requests.get(f"{pod.base}/fscmRestApi/tokenrelay", auth=USER, timeout=30)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "JWT" and body["principal"] == USER[0] and body["expires_in"] > 0
    headers = {"Authorization": f"Bearer {body['access_token']}"}
    assert requests.get(f"{pod.api}/invoices", headers=headers, timeout=30).status_code == 200
    pod.set("behaviour", token_relay=False)
    assert requests.get(f"{pod.base}/fscmRestApi/tokenrelay", auth=USER, timeout=30).status_code == 404


def test_user_without_the_role_gets_403_not_401(pod: Pod, behind_the_contract: Any) -> None:
    pod.set(
        "identities",
        users=[
            *DEFAULT_IDENTITIES["users"],
            {"username": "ap.viewer", "password": "pw", "privileges": ["invoices:read"]},
        ],
    )
    viewer = ("ap.viewer", "pw")
    assert pod.get("invoices", auth=viewer).status_code == 200
    assert pod.get("purchaseOrders", auth=viewer).status_code == 403
    response = requests.post(f"{pod.api}/invoices", json={}, auth=viewer, timeout=30)
    assert response.status_code == 403


def test_data_security_returns_fewer_rows_not_403(pod: Pod) -> None:
    everything = pod.all_items("invoices")
    pod.set(
        "identities",
        users=[
            *DEFAULT_IDENTITIES["users"],
            {"username": "eu.clerk", "password": "pw", "business_units": ["EU1 Business Unit"]},
        ],
    )
    clerk = ("eu.clerk", "pw")
    seen = pod.ok("invoices", auth=clerk, limit=500)["items"]
    expected = [item["InvoiceId"] for item in everything if item["BusinessUnit"] == "EU1 Business Unit"]
    assert [item["InvoiceId"] for item in seen] == expected
    assert 0 < len(seen) < len(everything)
    hidden = next(item for item in everything if item["BusinessUnit"] != "EU1 Business Unit")
    assert pod.get(self_href(hidden), auth=clerk).status_code == 404


# --- framework versions and the context root -----------------------------------------------------


def test_context_root_lists_the_version_and_framework_versions(pod: Pod) -> None:
    body = pod.ok(f"{pod.base}/fscmRestApi/resources/")
    version = body["items"][0]
    assert version["version"] == VERSION
    assert version["adf:extension"]["defaultFrameworkVersion"] == "1"
    assert version["adf:extension"]["allowedFrameworkVersions"] == [str(n) for n in range(1, 10)]
    listing = pod.ok(pod.api)
    assert {"invoices", "purchaseOrders", "draftPurchaseOrders", "suppliers"} <= {
        item["name"] for item in listing["items"]
    }


def test_latest_alias_serves_the_same_data(pod: Pod) -> None:
    latest = pod.ok(f"{pod.base}/fscmRestApi/resources/latest/suppliers", limit=5)
    pinned = pod.ok("suppliers", limit=5)
    assert [item["SupplierId"] for item in latest["items"]] == [
        item["SupplierId"] for item in pinned["items"]
    ]
    assert pod.get(f"{pod.base}/fscmRestApi/resources/11.13.18.04/suppliers").status_code == 404


@pytest.mark.parametrize("header", ["0", "10", "two"])
def test_unsupported_framework_version_is_400(pod: Pod, header: str) -> None:
    response = requests.get(
        f"{pod.api}/invoices", auth=USER, headers={"REST-Framework-Version": header}, timeout=30
    )
    assert response.status_code == 400


def test_default_framework_version_is_a_setting(pod: Pod) -> None:
    expression = "InvoiceAmount > 1000 and InvoiceCurrency = 'USD'"
    assert pod.get("invoices", q=expression).status_code == 400  # v1 reads it as query-by-example
    pod.set("behaviour", default_framework_version=2)
    assert pod.get("invoices", q=expression).status_code == 200
    pod.set("behaviour", default_framework_version=1, resource_framework_versions={"invoices": 2})
    assert pod.get("invoices", q=expression).status_code == 200
    assert pod.get("suppliers", q="SupplierId > 1 and Status = 'ACTIVE'").status_code == 400


# --- q: framework v1 (query by example) ----------------------------------------------------------


@pytest.fixture(scope="module")
def invoices(pod: Pod) -> list[dict[str, Any]]:
    return pod.all_items("invoices")


def _ids(items: list[dict[str, Any]], key: str = "InvoiceId") -> list[int]:
    return sorted(item[key] for item in items)


def test_v1_query_by_example(pod: Pod, invoices: list[dict[str, Any]]) -> None:
    found = pod.all_items("invoices", q="InvoiceCurrency=USD;InvoiceAmount>=100 and <=5000", **{})
    expected = [i for i in invoices if i["InvoiceCurrency"] == "USD" and 100 <= i["InvoiceAmount"] <= 5000]
    assert _ids(found) == _ids(expected) and expected
    found = pod.all_items("invoices", q="ValidationStatus!=Validated")
    assert _ids(found) == _ids([i for i in invoices if i["ValidationStatus"] != "Validated"])
    found = pod.all_items("invoices", q="BusinessUnit=US1 Business Unit;PayAloneFlag=false")
    assert _ids(found) == _ids([i for i in invoices if i["BusinessUnit"] == "US1 Business Unit"])


def test_v1_wildcards_are_a_variant(pod: Pod) -> None:
    found = pod.ok("suppliers", q="Supplier=Müller*")["items"]
    assert [item["Supplier"] for item in found] == ["Müller Baustoffe GmbH"]
    pod.set("behaviour", qbe_wildcards=False)
    assert pod.ok("suppliers", q="Supplier=Müller*")["items"] == []


def test_v1_needs_an_operator(pod: Pod) -> None:
    response = pod.get("invoices", q="InvoiceCurrency USD")
    assert response.status_code == 400 and "q" in response.text


# --- q: framework v2+ (expressions) --------------------------------------------------------------

V2_CASES: list[tuple[str, Callable[[dict[str, Any]], bool]]] = [
    ("InvoiceCurrency = 'EUR'", lambda i: i["InvoiceCurrency"] == "EUR"),
    ("InvoiceCurrency <> 'USD'", lambda i: i["InvoiceCurrency"] != "USD"),
    ("InvoiceCurrency != 'USD'", lambda i: i["InvoiceCurrency"] != "USD"),
    ("InvoiceAmount > 2000", lambda i: i["InvoiceAmount"] > 2000),
    ("InvoiceAmount < 2000.5", lambda i: i["InvoiceAmount"] < 2000.5),
    ("InvoiceAmount >= 0 and InvoiceAmount <= 900", lambda i: 0 <= i["InvoiceAmount"] <= 900),
    (
        "(InvoiceCurrency = 'CNY' or InvoiceCurrency = 'EUR') and ValidationStatus = Validated",
        lambda i: i["InvoiceCurrency"] in ("CNY", "EUR") and i["ValidationStatus"] == "Validated",
    ),
    ("PaidStatus in ('Paid', 'Partially paid')", lambda i: i["PaidStatus"] in ("Paid", "Partially paid")),
    ("PaidStatus not in ('Paid')", lambda i: i["PaidStatus"] != "Paid"),
    (
        "InvoiceDate between '2024-06-01' and '2024-12-31'",
        lambda i: "2024-06-01" <= i["InvoiceDate"] <= "2024-12-31",
    ),
    ("InvoiceNumber like 'INV-%'", lambda i: i["InvoiceNumber"].startswith("INV-")),
    ("upper(Supplier) like '%GMBH%'", lambda i: "GMBH" in i["Supplier"].upper()),
    ("upper(Supplier) = 'MÜLLER BAUSTOFFE GMBH'", lambda i: i["Supplier"] == "Müller Baustoffe GmbH"),
    ("CanceledDate is null", lambda i: i["CanceledDate"] is None),
    ("CanceledDate is not null", lambda i: i["CanceledDate"] is not None),
    ("CanceledFlag = true", lambda i: i["CanceledFlag"] is True),
    (
        "BusinessUnit = 'US1 Business Unit' AND InvoiceAmount > 500",
        lambda i: i["BusinessUnit"] == "US1 Business Unit" and i["InvoiceAmount"] > 500,
    ),
]


@pytest.mark.parametrize(("expression", "predicate"), V2_CASES, ids=[case[0] for case in V2_CASES])
def test_v2_expression_operators(
    pod: Pod, invoices: list[dict[str, Any]], expression: str, predicate: Callable[[dict[str, Any]], bool]
) -> None:
    found = pod.all_items("invoices", q=expression, version=2)
    expected = [item for item in invoices if predicate(item)]
    assert expected, "the seeded data should exercise this operator"
    assert _ids(found) == _ids(expected)


def test_semicolon_query_under_v2_is_400_unless_the_variant_allows_it(
    pod: Pod, invoices: list[dict[str, Any]]
) -> None:
    query = "InvoiceCurrency='USD';InvoiceAmount>1000"
    assert pod.get("invoices", q=query, version=2).status_code == 400
    pod.set("behaviour", reject_semicolon_in_v2=False)
    found = pod.all_items("invoices", q=query, version=2)
    assert _ids(found) == _ids(
        [i for i in invoices if i["InvoiceCurrency"] == "USD" and i["InvoiceAmount"] > 1000]
    )


@pytest.mark.parametrize(
    "query",
    ["NoSuchAttribute = 1", "invoiceid = 1", "InvoiceAmount > 'lots'", "InvoiceDate > 'yesterday'",
     "InvoiceAmount >", "(InvoiceAmount > 1", "InvoiceAmount ~ 3", "InvoiceAmount like '1%'"],
)  # fmt: skip
def test_bad_v2_queries_are_400_not_empty(pod: Pod, query: str) -> None:
    response = pod.get("invoices", q=query, version=2)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("text/plain")


@pytest.mark.parametrize(
    "literal", ["2025-01-15", "2025-01-15T00:00:00", "2025-01-15 00:00:00", "2025-01-15T00:00:00+00:00"]
)
def test_timestamp_literal_forms(pod: Pod, invoices: list[dict[str, Any]], literal: str) -> None:
    found = pod.all_items("invoices", q=f"LastUpdateDate >= '{literal}'", version=2)
    assert _ids(found) == _ids([i for i in invoices if i["LastUpdateDate"] >= "2025-01-15T00:00:00"])


def test_accepted_timestamp_literals_are_a_variant(pod: Pod) -> None:
    pod.set("behaviour", q_timestamp_literals=["iso"])
    assert pod.get("invoices", q="LastUpdateDate >= '2025-01-15'", version=2).status_code == 400
    assert pod.get("invoices", q="LastUpdateDate >= '2025-01-15T00:00:00'", version=2).status_code == 200


# --- finders, paging, ordering --------------------------------------------------------------------


def test_finders(pod: Pod) -> None:
    orders = pod.ok("purchaseOrders", limit=3)["items"]
    target = orders[1]
    found = pod.ok("purchaseOrders", finder=f"PrimaryKey;POHeaderId={target['POHeaderId']}")["items"]
    assert [item["POHeaderId"] for item in found] == [target["POHeaderId"]]
    assert pod.ok("purchaseOrders", finder="findByIntent;Intent=Procurement")["count"] > 0
    assert pod.get("purchaseOrders", finder="NoSuchFinder;X=1").status_code == 400
    assert pod.get("purchaseOrders", finder="PrimaryKey;Nope=1").status_code == 400


def test_paid_invoices_finder_matches_related_invoices(pod: Pod) -> None:
    payment = pod.ok("payablesPayments", limit=1, expand="relatedInvoices")["items"][0]
    number = payment["relatedInvoices"][0]["InvoiceNumber"]
    found = pod.ok("payablesPayments", finder=f"PaidInvoicesFinder;InvoiceNumber={number}", onlyData="true")
    assert payment["CheckId"] in [item["CheckId"] for item in found["items"]]
    for item in found["items"]:
        related = pod.ok(f"payablesPayments/{item['CheckId']}/child/relatedInvoices")["items"]
        assert number in [row["InvoiceNumber"] for row in related]


def test_paging_by_count_visits_every_row_once(pod: Pod, invoices: list[dict[str, Any]]) -> None:
    seen, offset, pages = [], 0, 0
    while True:
        page = pod.ok("invoices", limit=7, offset=offset, orderBy="LastUpdateDate:asc,InvoiceId:asc")
        assert page["limit"] == 7 and page["offset"] == offset
        seen += [item["InvoiceId"] for item in page["items"]]
        offset += page["count"]
        pages += 1
        if not page["hasMore"]:
            break
    assert sorted(seen) == _ids(invoices) and len(seen) == len(set(seen))
    assert pages == -(-len(invoices) // 7)


def test_limit_above_the_cap_is_silently_capped(pod: Pod) -> None:
    page = pod.ok("accountCombinationsLOV", limit=1000)
    assert page["limit"] == 500 and page["count"] == len(page["items"]) < 500 and page["hasMore"] is False
    pod.set("behaviour", page_caps={"accountCombinationsLOV": 499}, page_cap=10)
    assert pod.ok("accountCombinationsLOV", limit=1000)["limit"] == 499
    page = pod.ok("suppliers", limit=50)
    assert page["limit"] == 10 and page["count"] == 10 and page["hasMore"] is True


@pytest.mark.parametrize("params", [{"limit": "0"}, {"limit": "x"}, {"offset": "-1"}])
def test_bad_limit_or_offset_is_400(pod: Pod, params: dict[str, str], behind_the_contract: Any) -> None:
    assert pod.get("invoices", **params).status_code == 400


def test_total_results_only_when_asked(pod: Pod, invoices: list[dict[str, Any]]) -> None:
    assert "totalResults" not in pod.ok("invoices", limit=1)
    body = pod.ok("invoices", limit=1, totalResults="true")
    assert list(body)[:2] == ["items", "totalResults"] and body["totalResults"] == len(invoices)
    assert pod.ok("invoices", limit=1, totalResults="true", q="InvoiceCurrency=EUR")["totalResults"] == len(
        [i for i in invoices if i["InvoiceCurrency"] == "EUR"]
    )


def test_order_by(pod: Pod, invoices: list[dict[str, Any]], behind_the_contract: Any) -> None:
    found = pod.all_items("invoices", orderBy="InvoiceAmount:desc,InvoiceId")
    expected = sorted(invoices, key=lambda i: (-i["InvoiceAmount"], i["InvoiceId"]))
    assert [i["InvoiceId"] for i in found] == [i["InvoiceId"] for i in expected]
    assert pod.get("invoices", orderBy="Nope:asc").status_code == 400
    assert pod.get("invoices", orderBy="InvoiceId:sideways").status_code == 400


# --- shaping: fields, expand, onlyData, links -------------------------------------------------------


def test_fields_pick_attributes_and_child_attributes(pod: Pod) -> None:
    item = pod.ok("invoices", limit=1, fields="InvoiceId,InvoiceNumber;invoiceLines:LineNumber,LineAmount")[
        "items"
    ][0]
    assert [key for key in item if key != "links"] == ["InvoiceId", "InvoiceNumber", "invoiceLines"]
    assert all(set(line) == {"LineNumber", "LineAmount", "links"} for line in item["invoiceLines"])
    only = pod.ok("invoices", limit=1, fields="InvoiceId", expand="invoiceLines")["items"][0]
    assert [key for key in only if key != "links"] == ["InvoiceId"]  # fields wins over expand
    assert pod.get("invoices", fields="InvoiceId,Nope").status_code == 400
    assert pod.get("invoices", fields="InvoiceId;nope:X").status_code == 400


def test_expand_arrays_before_v3_and_collections_from_v3(pod: Pod) -> None:
    v1 = pod.ok("purchaseOrders", limit=1, expand="lines.schedules.distributions")["items"][0]
    assert isinstance(v1["lines"], list) and isinstance(v1["lines"][0]["schedules"], list)
    assert isinstance(v1["lines"][0]["schedules"][0]["distributions"][0]["POChargeAccount"], str)
    v3 = pod.ok("purchaseOrders", limit=1, expand="lines", version=3)["items"][0]
    lines = v3["lines"]
    assert set(lines) == {"items", "count", "hasMore", "limit", "offset", "links"}
    assert lines["count"] == len(v1["lines"]) and "schedules" not in lines["items"][0]
    child = pod.ok(next(link["href"] for link in v3["links"] if link["name"] == "lines"))
    assert [line["POLineId"] for line in child["items"]] == [line["POLineId"] for line in lines["items"]]
    everything = pod.ok("invoices", limit=1, expand="all")["items"][0]
    assert "invoiceLines" in everything and "invoiceInstallments" in everything
    assert "invoiceDistributions" not in everything["invoiceLines"][0]
    assert pod.get("purchaseOrders", expand="nope").status_code == 400


def test_expanded_child_limit_variant(pod: Pod) -> None:
    pod.set("behaviour", expanded_child_limit=1)
    orders = pod.ok("purchaseOrders", limit=25, expand="lines", version=3)["items"]
    multi = next(order for order in orders if order["lines"]["hasMore"])
    assert multi["lines"]["count"] == 1 and multi["lines"]["limit"] == 1


def test_only_data_strips_item_links(pod: Pod) -> None:
    body = pod.ok("purchaseOrders", limit=2, onlyData="true", expand="lines", version=3)
    assert all("links" not in item for item in body["items"])
    assert all("links" not in line for item in body["items"] for line in item["lines"]["items"])
    assert body["links"][0]["rel"] == "self"


def test_item_links_and_the_links_parameter(pod: Pod) -> None:
    item = pod.ok("invoices", limit=1)["items"][0]
    rels = [(link["rel"], link["name"]) for link in item["links"]]
    assert rels == [
        ("self", "invoices"),
        ("canonical", "invoices"),
        ("child", "invoiceLines"),
        ("child", "invoiceInstallments"),
    ]
    assert item["links"][0]["properties"]["changeIndicator"]
    assert item["links"][0]["href"] == item["links"][1]["href"]
    trimmed = pod.ok("invoices", limit=1, links="canonical")["items"][0]
    assert [link["rel"] for link in trimmed["links"]] == ["canonical"]


def test_timestamp_millis_variant(pod: Pod) -> None:
    stamp = pod.ok("suppliers", limit=1)["items"][0]["LastUpdateDate"]
    assert len(stamp) == len("2024-01-01T00:00:00.000+00:00")
    pod.set("behaviour", timestamp_millis=False)
    assert len(pod.ok("suppliers", limit=1)["items"][0]["LastUpdateDate"]) == len("2024-01-01T00:00:00+00:00")


# --- item keys ---------------------------------------------------------------------------------


def test_hashed_item_keys_must_come_from_self_links(pod: Pod) -> None:
    order = pod.ok("purchaseOrders", limit=1)["items"][0]
    href = self_href(order)
    assert not href.endswith(str(order["POHeaderId"]))
    item = pod.get(href)
    assert item.status_code == 200 and item.json()["POHeaderId"] == order["POHeaderId"]
    assert item.headers["content-type"].startswith("application/vnd.oracle.adf.resourceitem+json")
    assert pod.get(f"purchaseOrders/{order['POHeaderId']}").status_code == 404
    assert pod.get(href[:-1] + ("0" if href[-1] != "0" else "1")).status_code == 404
    pod.set("behaviour", hash_key_accepts_plain_id=True)
    assert pod.get(f"purchaseOrders/{order['POHeaderId']}").status_code == 200


def test_plain_id_item_keys_variant(pod: Pod) -> None:
    pod.set("behaviour", item_keys="id")
    invoice = pod.ok("invoices", limit=1)["items"][0]
    assert self_href(invoice) == f"{pod.api}/invoices/{invoice['InvoiceId']}"
    assert pod.ok(f"invoices/{invoice['InvoiceId']}")["InvoiceNumber"] == invoice["InvoiceNumber"]


def test_suppliers_use_numeric_keys_with_sites_and_addresses(pod: Pod) -> None:
    supplier = pod.ok("suppliers", q="Supplier=北京建材")["items"][0]
    assert self_href(supplier) == f"{pod.api}/suppliers/{supplier['SupplierId']}"
    sites = pod.ok(f"suppliers/{supplier['SupplierId']}/child/sites")["items"]
    assert sites and all(site["ProcurementBU"].endswith("Business Unit") for site in sites)
    site = pod.ok(f"suppliers/{supplier['SupplierId']}/child/sites/{sites[0]['SupplierSiteId']}")
    assert site["SupplierSite"] == sites[0]["SupplierSite"]
    addresses = pod.ok(f"suppliers/{supplier['SupplierId']}/child/addresses")["items"]
    assert {address["SupplierAddressId"] for address in addresses} >= {site["SupplierAddressId"]}
    lov = pod.ok(f"suppliersLOV/{supplier['SupplierId']}")
    assert set(lov) - {"links"} == {"SupplierId", "Supplier", "SupplierNumber", "Status"}


def test_purchase_orders_lov_has_the_confirmed_attributes(pod: Pod) -> None:
    item = pod.ok("purchaseOrdersLOV", limit=1, onlyData="true")["items"][0]
    assert set(item) == {
        "POHeaderId", "OrderNumber", "Supplier", "SupplierId", "SupplierSite", "SupplierSiteId", "BillToBU",
        "BillToBUId", "Buyer", "BuyerId", "Currency", "CurrencyCode", "SoldToLegalEntity",
    }  # fmt: skip


def test_purchase_order_children_down_to_distributions(pod: Pod) -> None:
    order = pod.ok("purchaseOrders", limit=1)["items"][0]
    lines = pod.ok(f"{self_href(order)}/child/lines")["items"]
    line = pod.ok(self_href(lines[0]))
    assert self_href(line).endswith(f"/child/lines/{line['POLineId']}")
    schedules = pod.ok(f"{self_href(line)}/child/schedules")["items"]
    distributions = pod.ok(f"{self_href(schedules[0])}/child/distributions")["items"]
    account = distributions[0]["POChargeAccount"]
    segments = account.split("-")
    combos = pod.ok(
        "accountCombinationsLOV",
        q=f"_SEGMENT1={segments[0]};_SEGMENT2={segments[1]};_SEGMENT3={segments[2]};_SEGMENT4={segments[3]}",
    )
    assert (
        combos["count"] == 1
        and combos["items"][0]["_CODE_COMBINATION_ID"] == distributions[0]["POChargeAccountId"]
    )


def test_account_combinations_and_value_sets(pod: Pod) -> None:
    combo = pod.ok("accountCombinationsLOV", limit=1)["items"][0]
    assert {
        "_CODE_COMBINATION_ID",
        "_CHART_OF_ACCOUNTS_ID",
        "EnabledFlag",
        "DetailPostingAllowed",
        "AccountType",
    } <= set(combo)
    assert (
        pod.ok(f"accountCombinationsLOV/{combo['_CODE_COMBINATION_ID']}")["_SEGMENT3"] == combo["_SEGMENT3"]
    )
    disabled = pod.ok("accountCombinationsLOV", q="EnabledFlag=false")
    assert disabled["count"] > 0
    value_set = pod.ok("valueSets", q="ValueSetCode=SBX_ACCOUNT")["items"][0]
    values = pod.all_items(f"valueSets/{value_set['ValueSetId']}/child/values")
    assert combo["_SEGMENT3"] in {value["Value"] for value in values}
    pod.set("behaviour", value_sets=False)
    assert pod.get("valueSets").status_code == 404


def test_payments_and_related_invoices_agree_with_invoices(pod: Pod, invoices: list[dict[str, Any]]) -> None:
    by_id = {invoice["InvoiceId"]: invoice for invoice in invoices}
    paid: dict[int, float] = {}
    for payment in pod.all_items("payablesPayments", expand="relatedInvoices"):
        assert payment["PaymentAmount"] == pytest.approx(
            sum(r["AmountPaid"] for r in payment["relatedInvoices"])
        )
        if payment["VoidDate"] is None:
            for related in payment["relatedInvoices"]:
                paid[related["InvoiceId"]] = paid.get(related["InvoiceId"], 0) + related["AmountPaid"]
    assert paid
    for invoice_id, amount in paid.items():
        assert by_id[invoice_id]["AmountPaid"] == pytest.approx(amount)
        assert by_id[invoice_id]["PaidStatus"] in ("Paid", "Partially paid")


def test_requisitions_and_the_number_attribute_variant(pod: Pod) -> None:
    requisition = pod.ok("purchaseRequisitions", limit=1, expand="lines")["items"][0]
    assert "Requisition" in requisition and requisition["lines"]
    pod.set("behaviour", requisition_number_attribute="RequisitionNumber")
    renamed = pod.ok("purchaseRequisitions", limit=1)["items"][0]
    assert renamed["RequisitionNumber"] == requisition["Requisition"] and "Requisition" not in renamed
    assert pod.ok("purchaseRequisitions", q=f"RequisitionNumber={requisition['Requisition']}")["count"] >= 1


def test_unconfirmed_attribute_names_can_be_renamed(pod: Pod) -> None:
    order = pod.ok("purchaseOrders", limit=1)["items"][0]
    pod.set("behaviour", attribute_names={"purchaseOrders": {"Ordered": "TotalAmount"}})
    renamed = pod.ok("purchaseOrders", limit=1)["items"][0]
    assert renamed["TotalAmount"] == order["Ordered"] and "Ordered" not in renamed
    assert pod.get("purchaseOrders", q=f"TotalAmount={order['Ordered']}").status_code == 200
    assert pod.get("purchaseOrders", q="Ordered>0").status_code == 400


def test_drafts_in_purchase_orders_variant(pod: Pod) -> None:
    drafts = pod.all_items("draftPurchaseOrders")
    assert drafts and {draft["StatusCode"] for draft in drafts} == {"INCOMPLETE"}
    all_orders = pod.all_items("purchaseOrders")
    assert {draft["POHeaderId"] for draft in drafts} <= {order["POHeaderId"] for order in all_orders}
    pod.set("behaviour", drafts_in_purchase_orders=False)
    visible = pod.all_items("purchaseOrders")
    assert len(visible) == len(all_orders) - len(drafts)


def test_same_order_number_exists_in_two_business_units(pod: Pod) -> None:
    orders = pod.all_items("purchaseOrders")
    units_by_number: dict[str, set[str]] = {}
    for order in orders:
        units_by_number.setdefault(order["OrderNumber"], set()).add(order["BillToBU"])
    assert any(len(units) > 1 for units in units_by_number.values())
    assert all(len([o for o in orders if o["OrderNumber"] == n and o["BillToBU"] == bu]) == 1
               for n, units in units_by_number.items() for bu in units)  # fmt: skip


def test_describe(pod: Pod) -> None:
    response = pod.get("invoices/describe")
    assert response.headers["content-type"].startswith("application/vnd.oracle.adf.description+json")
    described = response.json()["Resources"]["invoices"]
    names = {attribute["name"]: attribute for attribute in described["attributes"]}
    assert names["InvoiceNumber"]["type"] == "string" and names["InvoiceNumber"]["maxLength"] == "50"
    assert names["ValidationStatus"]["updatable"] is False
    assert {finder["name"] for finder in described["collection"]["finders"]} == {"PrimaryKey"}
    assert "invoiceDistributions" in described["children"]["invoiceLines"]["children"]
    everything = pod.ok(f"{pod.api}/describe")["Resources"]
    assert {"invoices", "purchaseOrders", "payablesPayments"} <= set(everything)


# --- protocol details ------------------------------------------------------------------------------


def test_unknown_resource_and_item_are_404(pod: Pod, behind_the_contract: Any) -> None:
    assert pod.get("nonsense").status_code == 404
    assert pod.get("suppliers/1").status_code == 404
    assert pod.get("suppliers/abc").status_code == 404


def test_accept_must_allow_json(pod: Pod) -> None:
    response = requests.get(f"{pod.api}/suppliers", auth=USER, headers={"Accept": "text/html"}, timeout=30)
    assert response.status_code == 406
    response = requests.get(
        f"{pod.api}/suppliers",
        auth=USER,
        headers={"Accept": "application/json, application/vnd.oracle.adf.error+json"},
        timeout=30,
    )  # fmt: skip
    assert response.status_code == 200


def test_calls_are_counted_per_endpoint(pod: Pod) -> None:
    requests.post(f"{pod.admin}/calls/reset", timeout=30)
    pod.get("suppliers")
    pod.get("suppliers/1")
    pod.get("suppliers", auth=None)
    state = pod.state()
    assert state["calls"]["GET /fscmRestApi/resources/{version}/suppliers"] == 2
    assert state["calls"]["GET /fscmRestApi/resources/{version}/suppliers/{id}"] == 1
    assert state["statuses"] == {"200": 1, "404": 1, "401": 1}


# --- remaining variant switches ------------------------------------------------------------------


def test_default_limit_and_allowed_framework_versions_are_settings(pod: Pod) -> None:
    pod.set("behaviour", default_limit=5, allowed_framework_versions=[1, 2])
    assert pod.ok("invoices")["limit"] == 5
    assert pod.get("invoices", version=3).status_code == 400
    assert pod.get("invoices", version=2).status_code == 200


def test_accepted_scope_is_a_setting(pod: Pod) -> None:
    pod.set("behaviour", accepted_scope="urn:opc:resource:fusion:all")
    assert pod.token().json()["error"] == "invalid_scope"
    assert pod.token(scope="urn:opc:resource:fusion:all").status_code == 200


def test_www_authenticate_can_be_left_out(pod: Pod) -> None:
    pod.set("behaviour", www_authenticate=False)
    response = pod.get("invoices", auth=None)
    assert response.status_code == 401 and "WWW-Authenticate" not in response.headers


def test_put_is_not_an_update(pod: Pod, behind_the_contract: Any) -> None:
    supplier = pod.ok("suppliers", limit=1)["items"][0]
    response = requests.put(self_href(supplier), json={}, auth=USER, timeout=30)
    assert response.status_code == 405
