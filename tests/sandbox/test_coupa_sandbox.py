"""The Coupa Core API sandbox, exercised over loopback HTTP with plain ``requests``.

Expected results are never hard-coded: filters are checked against the sandbox's full record dump
(``/sandbox/records``) filtered in Python, an oracle independent of the SQL query compiler, and writes
are read back through the API. Every "unconfirmed" switch is flipped on the live server through
``/sandbox/settings`` and restored after each test.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from decimal import Decimal
from functools import cached_property
from typing import Any

import pytest
import requests

from connector_sandbox.coupa import CoupaSandboxSettings, run_in_thread
from connector_sandbox.coupa.faults import RateLimiter
from connector_sandbox.coupa.settings import ApiClient, FaultSettings

from .faults import answers_no_sooner_than
from .serving import served

pytestmark = pytest.mark.timeout(120)

CLIENT_ID = "ml-connector-sandbox"
CLIENT_SECRET = "sandbox-coupa-secret"
READER_ID, READER_SECRET = "invoice-reader", "reader-secret"
JSON = "application/json"


class Sandbox:
    def __init__(self, base: str) -> None:
        self.base = base
        self.admin = f"{base}/sandbox"
        self.http = requests.Session()

    # --- OAuth -------------------------------------------------------------------------------------

    def token_response(self, scope: str | None = None, **overrides: str) -> requests.Response:
        form = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "grant_type": "client_credentials"}
        if scope is not None:
            form["scope"] = scope
        form.update(overrides)
        return self.http.post(f"{self.base}/oauth2/token", data=form, timeout=10)

    def mint(self, scope: str | None = None, client: tuple[str, str] = (CLIENT_ID, CLIENT_SECRET)) -> str:
        form = {"client_id": client[0], "client_secret": client[1], "grant_type": "client_credentials"}
        if scope is not None:
            form["scope"] = scope
        response = self.http.post(f"{self.base}/oauth2/token", data=form, timeout=10)
        assert response.status_code == 200, response.text
        return response.json()["access_token"]

    @cached_property
    def token(self) -> str:
        """A token minted on first use and kept until ``forget_token``."""
        return self.mint()

    def forget_token(self) -> None:
        self.__dict__.pop("token", None)

    def headers(self, token: str | None = None, accept: str | None = JSON) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {token or self.token}"}
        if accept:
            headers["Accept"] = accept
        return headers

    # --- API ---------------------------------------------------------------------------------------

    def get(self, path: str, params: Any = None, **kwargs: Any) -> requests.Response:
        headers = kwargs.pop("headers", None) or self.headers()
        return self.http.get(f"{self.base}/api/{path}", params=params, headers=headers, timeout=30, **kwargs)

    def send(
        self, method: str, path: str, body: Any = None, params: Any = None, **kwargs: Any
    ) -> requests.Response:
        headers = kwargs.pop("headers", None) or {**self.headers(), "Content-Type": JSON}
        data = None if body is None else json.dumps(body)
        return self.http.request(
            method, f"{self.base}/api/{path}", data=data, params=params, headers=headers, timeout=30, **kwargs
        )

    def ok(self, response: requests.Response, status: int = 200) -> Any:
        assert response.status_code == status, f"{response.status_code}: {response.text[:500]}"
        return response.json() if response.content else None

    def all_pages(self, path: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Every record of a query, paging with limit/offset until a short page (the documented loop)."""
        found: list[dict[str, Any]] = []
        offset = 0
        while True:
            page = self.ok(self.get(path, {**(params or {}), "limit": 50, "offset": offset}))
            found += page
            if len(page) < 50:
                return found
            offset += 50

    # --- operator routes ---------------------------------------------------------------------------

    def records(self, resource: str) -> list[dict[str, Any]]:
        response = self.http.get(f"{self.admin}/records/{resource}", timeout=30)
        assert response.status_code == 200, response.text
        return response.json()["records"]

    def record(self, resource: str, record_id: int) -> dict[str, Any]:
        response = self.http.get(f"{self.admin}/records/{resource}/{record_id}", timeout=10)
        assert response.status_code == 200, response.text
        return response.json()

    def settings(self, **changes: Any) -> dict[str, Any]:
        response = self.http.post(f"{self.admin}/settings", json=changes, timeout=10)
        assert response.status_code == 200, response.text
        return response.json()

    def faults(self, **changes: Any) -> dict[str, Any]:
        response = self.http.post(f"{self.admin}/faults", json=changes, timeout=10)
        assert response.status_code == 200, response.text
        return response.json()

    def state(self) -> dict[str, Any]:
        return self.http.get(f"{self.admin}/state", timeout=10).json()


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    reader = ApiClient(client_id=READER_ID, client_secret=READER_SECRET, scopes=("core.invoice.read",))
    settings = CoupaSandboxSettings(
        scale=0.1,
        clients=(CoupaSandboxSettings().clients[0], reader),
        # The rate limit is on in the product default; functional tests switch it off and the rate-limit
        # tests switch it back on, so timing never makes an unrelated test flaky.
        faults=FaultSettings(rate_limit_enabled=False),
    )
    yield from served(run_in_thread(settings), Sandbox)


@pytest.fixture(autouse=True)
def simulators_own_checks(behind_the_contract: Any) -> None:
    """These tests send what Coupa refuses on purpose, to hold the simulator's own checks and wording
    behind the contract (XML bodies, Rails messages, settings the contract does not model): the contract
    only records requests here (``ML_SANDBOX_CONTRACT=record``; ``test_coupa_contract`` holds the strict
    refusals). What the simulator answers must still fit Coupa's models."""


@pytest.fixture(autouse=True)
def _restore(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "sandbox" in request.fixturenames:
        sandbox: Sandbox = request.getfixturevalue("sandbox")
        sandbox.http.post(f"{sandbox.admin}/settings/reset", timeout=10)
        sandbox.http.post(f"{sandbox.admin}/calls/reset", timeout=10)
        sandbox.forget_token()


def moment(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def utc_param(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat()


def active_supplier(sandbox: Sandbox, *, number: bool = True) -> dict[str, Any]:
    return next(
        s for s in sandbox.records("suppliers") if s["status"] == "active" and (s["number"] or not number)
    )


def active_account(sandbox: Sandbox, chart: str = "US Chart of Accounts") -> dict[str, Any]:
    return next(a for a in sandbox.records("accounts") if a["active"] and a["account-type"]["name"] == chart)


def unique(prefix: str) -> str:
    return f"{prefix}-{time.monotonic_ns() % 10**9}"


# --- OAuth 2.0 client credentials ------------------------------------------------------------------


def test_token_request_returns_a_long_bearer_jwt(sandbox: Sandbox) -> None:
    response = sandbox.token_response(scope="core.invoice.read core.supplier.read")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in"}  # scope not echoed by default
    assert body["token_type"] == "bearer" and body["expires_in"] == 86399
    token = body["access_token"]
    assert len(token) > 1024 and token.count(".") == 2
    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    assert header["alg"] == "RS256"
    assert response.headers["cache-control"] == "no-store"
    assert sandbox.ok(sandbox.get("invoices", {"limit": 1}, headers=sandbox.headers(token)))


def test_token_request_without_scope_grants_every_assigned_scope(sandbox: Sandbox) -> None:
    sandbox.settings(token_echo_scope=True)
    body = sandbox.token_response().json()
    assert set(body["scope"].split(" ")) == set(CoupaSandboxSettings().clients[0].scopes)


def test_client_credentials_as_http_basic_are_accepted_unless_disabled(sandbox: Sandbox) -> None:
    form = {"grant_type": "client_credentials", "scope": "core.invoice.read"}
    url = f"{sandbox.base}/oauth2/token"
    response = requests.post(url, data=form, auth=(CLIENT_ID, CLIENT_SECRET), timeout=10)
    assert response.status_code == 200 and response.json()["access_token"]
    sandbox.settings(accept_basic_client_auth=False)
    refused = requests.post(url, data=form, auth=(CLIENT_ID, CLIENT_SECRET), timeout=10)
    assert refused.status_code == 401 and refused.json()["error"] == "invalid_client"


@pytest.mark.parametrize(
    ("overrides", "status", "error"),
    [
        ({"client_secret": "wrong-secret"}, 401, "invalid_client"),
        ({"client_id": "nobody"}, 401, "invalid_client"),
        ({"grant_type": "password"}, 400, "unsupported_grant_type"),
        ({"grant_type": ""}, 400, "invalid_request"),
        ({"scope": "core.invoice.read,core.supplier.read"}, 400, "invalid_scope"),  # commas as the UI shows
        ({"scope": "core.expense.read"}, 400, "invalid_scope"),  # not assigned to the client
    ],
    ids=["wrong-secret", "unknown-client", "password-grant", "no-grant", "comma-scopes", "unassigned-scope"],
)
def test_token_request_failures_use_oauth_error_bodies(
    sandbox: Sandbox, overrides: dict[str, str], status: int, error: str
) -> None:
    response = sandbox.token_response(**overrides)
    assert response.status_code == status
    assert response.json()["error"] == error and response.json()["error_description"]
    assert "wrong-secret" not in response.text and CLIENT_SECRET not in response.text


def test_token_request_must_be_form_encoded_unless_json_is_switched_on(sandbox: Sandbox) -> None:
    credentials = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "grant_type": "client_credentials"}
    refused = requests.post(f"{sandbox.base}/oauth2/token", json=credentials, timeout=10)
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_request"
    sandbox.settings(token_accepts_json_body=True)
    accepted = requests.post(f"{sandbox.base}/oauth2/token", json=credentials, timeout=10)
    assert accepted.status_code == 200 and accepted.json()["token_type"] == "bearer"


def test_scope_list_is_published(sandbox: Sandbox) -> None:
    scopes = requests.get(f"{sandbox.base}/oauth2/scopes", timeout=10).json()
    assert {"core.invoice.read", "core.pay.payments.write", "core.common.read"} <= set(scopes)


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({}, "Missing access token"),
        ({"Authorization": "Bearer not-a-token"}, "The access token is invalid"),
        ({"X-COUPA-API-KEY": "0123456789abcdef"}, "API keys are no longer supported"),
    ],
    ids=["no-token", "unknown-token", "legacy-api-key"],
)
def test_api_refuses_missing_unknown_and_api_key_auth_with_401(
    sandbox: Sandbox, headers: dict[str, str], message: str
) -> None:
    response = sandbox.get("invoices", headers={"Accept": JSON, **headers})
    assert response.status_code == 401
    assert response.json()["errors"]["authorization"][0].startswith(message)
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_legacy_api_key_works_only_when_configured(sandbox: Sandbox) -> None:
    sandbox.settings(legacy_api_key="legacy-key-123")
    response = sandbox.get(
        "suppliers", {"limit": 1}, headers={"Accept": JSON, "X-COUPA-API-KEY": "legacy-key-123"}
    )
    assert response.status_code == 200 and len(response.json()) == 1
    assert "legacy-key-123" not in json.dumps(sandbox.http.get(f"{sandbox.admin}/settings").json())


def test_401_body_can_be_plain_text(sandbox: Sandbox) -> None:
    sandbox.settings(unauthorized_body="text")
    response = sandbox.get("invoices", headers={"Accept": JSON, "Authorization": "Bearer nope"})
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("text/plain")
    assert response.text == "The access token is invalid"


def test_token_expires_after_its_lifetime(sandbox: Sandbox) -> None:
    sandbox.faults(token_lifetime_seconds=1.0)
    body = sandbox.token_response().json()
    assert body["expires_in"] == 1
    headers = sandbox.headers(body["access_token"])
    assert sandbox.get("currencies", headers=headers).status_code == 200
    time.sleep(1.1)
    expired = sandbox.get("currencies", headers=headers)
    assert expired.status_code == 401
    assert expired.json()["errors"]["authorization"] == ["The access token expired"]


def test_admin_can_expire_and_revoke_every_token(sandbox: Sandbox) -> None:
    first, second = sandbox.mint(), sandbox.mint()
    expired = sandbox.http.post(f"{sandbox.admin}/tokens/expire", timeout=10).json()["expired"]
    assert expired >= 2
    response = sandbox.get("currencies", headers=sandbox.headers(first))
    assert response.status_code == 401 and "expired" in response.text
    sandbox.http.post(f"{sandbox.admin}/tokens/revoke", timeout=10)
    response = sandbox.get("currencies", headers=sandbox.headers(second))
    assert response.status_code == 401 and "invalid" in response.text
    assert sandbox.get("currencies", headers=sandbox.headers(sandbox.mint())).status_code == 200


def test_fresh_token_fails_during_the_warm_up_window(sandbox: Sandbox) -> None:
    sandbox.faults(token_warmup_seconds=0.5)
    token = sandbox.mint()
    early = sandbox.get("currencies", headers=sandbox.headers(token))
    assert early.status_code == 401 and "not active yet" in early.text
    time.sleep(0.6)
    assert sandbox.get("currencies", headers=sandbox.headers(token)).status_code == 200


def test_scopes_are_enforced_per_resource_and_verb(sandbox: Sandbox) -> None:
    token = sandbox.mint(client=(READER_ID, READER_SECRET))
    assert sandbox.get("invoices", {"limit": 1}, headers=sandbox.headers(token)).status_code == 200
    denied = sandbox.get("suppliers", headers=sandbox.headers(token))
    assert denied.status_code == 403
    assert "core.supplier.read" in denied.json()["errors"]["authorization"][0]
    invoice = sandbox.records("invoices")[0]
    write = sandbox.send(
        "PUT",
        f"invoices/{invoice['id']}",
        {"payment-notes": "x"},
        headers={**sandbox.headers(token), "Content-Type": JSON},
    )
    assert write.status_code == 403 and "core.invoice.write" in write.text
    sandbox.settings(scope_denied_status=401)
    assert sandbox.get("suppliers", headers=sandbox.headers(token)).status_code == 401


def test_scope_family_of_a_resource_is_a_setting(sandbox: Sandbox) -> None:
    token = sandbox.mint(scope="core.common.read")
    assert sandbox.get("lookup_values", {"limit": 1}, headers=sandbox.headers(token)).status_code == 200
    scopes = sandbox.http.get(f"{sandbox.admin}/settings", timeout=10).json()["resource_scopes"]
    sandbox.settings(resource_scopes={**scopes, "lookup_values": "core.accounting"})
    denied = sandbox.get("lookup_values", {"limit": 1}, headers=sandbox.headers(token))
    assert denied.status_code == 403 and "core.accounting.read" in denied.text


def test_narrow_token_from_the_full_client_only_has_the_scopes_asked_for(sandbox: Sandbox) -> None:
    token = sandbox.mint(scope="core.supplier.read")
    assert sandbox.get("suppliers", {"limit": 1}, headers=sandbox.headers(token)).status_code == 200
    assert sandbox.get("invoices", {"limit": 1}, headers=sandbox.headers(token)).status_code == 403


# --- formats ---------------------------------------------------------------------------------------


def test_xml_is_the_default_without_accept_json(sandbox: Sandbox) -> None:
    response = sandbox.get("invoices", {"limit": 3}, headers=sandbox.headers(accept=None))
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/xml")
    root = ET.fromstring(response.content)
    assert root.tag == "invoice-headers" and root.get("type") == "array"
    invoices = root.findall("invoice-header")
    assert len(invoices) == 3
    assert invoices[0].find("id").get("type") == "integer"
    assert invoices[0].find("invoice-lines").get("type") == "array"
    assert invoices[0].find("invoice-lines/invoice-line/description") is not None


def test_empty_result_is_json_empty_list_but_xml_404(sandbox: Sandbox) -> None:
    params = {"invoice_number": "no-such-invoice-number"}
    json_response = sandbox.get("invoices", params)
    assert json_response.status_code == 200 and json_response.json() == []
    xml_response = sandbox.get("invoices", params, headers=sandbox.headers(accept="application/xml"))
    assert xml_response.status_code == 404
    root = ET.fromstring(xml_response.content)
    assert root.tag == "errors" and root.find("error").text == "No results match your search criteria."


def test_json_uses_hyphenated_keys_string_decimals_and_instance_offsets(sandbox: Sandbox) -> None:
    invoice = sandbox.ok(sandbox.get("invoices", {"limit": 1}))[0]
    assert {
        "invoice-number",
        "invoice-date",
        "gross-total",
        "invoice-lines",
        "updated-at",
        "exported",
    } <= set(invoice)
    assert not any("_" in key for key in invoice if key != "id")
    assert isinstance(invoice["id"], int) and isinstance(invoice["gross-total"], str)
    Decimal(invoice["gross-total"])  # a decimal string
    updated = moment(invoice["updated-at"])
    assert updated.utcoffset() in (dt.timedelta(hours=-8), dt.timedelta(hours=-7))  # America/Los_Angeles
    invoice_date = moment(invoice["invoice-date"])
    assert (invoice_date.hour, invoice_date.minute) == (0, 0)  # a date shown as local midnight
    line = invoice["invoice-lines"][0]
    assert {"line-num", "order-line-id", "po-number", "account"} <= set(line)
    assert line["account"]["code"].count("-") == 2 and "segment-1" in line["account"]
    supplier = sandbox.ok(sandbox.get(f"suppliers/{invoice['supplier']['id']}"))
    assert "postal_code" in supplier["remit-to-addresses"][0]  # the underscore quirk of address objects
    assert "postal-code" in supplier["primary-address"]


def test_decimals_can_be_numbers(sandbox: Sandbox) -> None:
    sandbox.settings(decimals_as="number")
    invoice = sandbox.ok(sandbox.get("invoices", {"limit": 1}))[0]
    assert isinstance(invoice["gross-total"], int | float)


def test_time_zone_is_a_setting(sandbox: Sandbox) -> None:
    sandbox.settings(time_zone="Europe/Berlin")
    invoice = sandbox.ok(sandbox.get("invoices", {"limit": 1}))[0]
    assert moment(invoice["updated-at"]).utcoffset() in (dt.timedelta(hours=1), dt.timedelta(hours=2))


# --- querying --------------------------------------------------------------------------------------


def _ids(records: list[dict[str, Any]]) -> list[int]:
    return sorted(record["id"] for record in records)


FILTER_CASES: list[tuple[str, dict[str, str], Callable[[dict[str, Any]], bool]]] = [
    ("invoices", {"status": "approved"}, lambda r: r["status"] == "approved"),
    ("invoices", {"status[not_eq]": "approved"}, lambda r: r["status"] != "approved"),
    ("invoices", {"status[in]": "approved,voided"}, lambda r: r["status"] in ("approved", "voided")),
    ("invoices", {"status[not_in]": "approved,voided"}, lambda r: r["status"] not in ("approved", "voided")),
    ("invoices", {"exported": "false"}, lambda r: r["exported"] is False),
    ("invoices", {"gross_total[gt]": "1000"}, lambda r: Decimal(r["gross-total"]) > 1000),
    ("invoices", {"gross-total[lt_or_eq]": "500.5"}, lambda r: Decimal(r["gross-total"]) <= Decimal("500.5")),
    ("invoices", {"id[gt_or_eq]": "40", "id[lt]": "60"}, lambda r: 40 <= r["id"] < 60),
    (
        "invoices",
        {"invoice_number[starts_with]": "inv-"},
        lambda r: r["invoice-number"].lower().startswith("inv-"),
    ),
    ("invoices", {"invoice_number[ends_with]": "7"}, lambda r: r["invoice-number"].endswith("7")),
    ("suppliers", {"name[contains]": "MÜLLER"}, lambda r: "müller" in r["name"].casefold()),
    ("suppliers", {"name": "北京建材"}, lambda r: r["name"] == "北京建材"),
    ("suppliers", {"number[blank]": "true"}, lambda r: not r["number"]),
    ("suppliers", {"number[blank]": "false"}, lambda r: bool(r["number"])),
    ("suppliers", {"status": "draft"}, lambda r: r["status"] == "draft"),
    (
        "suppliers",
        {"primary_address[country][code]": "DE"},
        lambda r: r["primary-address"]["country"]["code"] == "DE",
    ),
    ("accounts", {"active": "false"}, lambda r: r["active"] is False),
    ("accounts", {"segment-1": "00100"}, lambda r: r["segment-1"] == "00100"),
    ("accounts", {"segment_2[in]": "1000,2000"}, lambda r: r["segment-2"] in ("1000", "2000")),
    ("lookup_values", {"depth": "2"}, lambda r: r["depth"] == 2),
    ("lookup_values", {"lookup[name]": "Projects"}, lambda r: r["lookup"]["name"] == "Projects"),
    ("departments", {"active": "true"}, lambda r: r["active"] is True),
    (
        "purchase_orders",
        {"status[in]": "issued,cancelled,closed", "exported": "false"},
        lambda r: r["status"] in ("issued", "cancelled", "closed") and not r["exported"],
    ),
    (
        "payments",
        {"status[in]": "payment_initiated,completed_with_errors"},
        lambda r: r["status"] in ("payment_initiated", "completed_with_errors"),
    ),
    (
        "payments",
        {"pay_to_account[type]": "CoupaPay::SupplierPaymentAccount"},
        lambda r: r["pay-to-account"]["type"] == "CoupaPay::SupplierPaymentAccount",
    ),
]


@pytest.mark.parametrize(
    ("resource", "params", "predicate"), FILTER_CASES, ids=[str(c[1]) for c in FILTER_CASES]
)
def test_filter_operators_match_an_independent_oracle(
    sandbox: Sandbox, resource: str, params: dict[str, str], predicate: Callable[[dict[str, Any]], bool]
) -> None:
    path = "coupa_pay/payments" if resource == "payments" else resource
    expected = _ids([record for record in sandbox.records(resource) if predicate(record)])
    assert expected, f"the seed must contain matches for {params}"
    assert _ids(sandbox.all_pages(path, params)) == expected


def test_association_filters_reach_through_references_and_collections(sandbox: Sandbox) -> None:
    invoices = sandbox.records("invoices")
    supplier = invoices[0]["supplier"]
    by_name = sandbox.all_pages("invoices", {"supplier[name]": supplier["name"]})
    assert _ids(by_name) == _ids([i for i in invoices if i["supplier"]["id"] == supplier["id"]])
    assert _ids(sandbox.all_pages("invoices", {"supplier_id": supplier["id"]})) == _ids(by_name)
    code = invoices[1]["invoice-lines"][0]["account"]["code"]
    by_account = sandbox.all_pages("invoices", {"invoice_lines[account][code]": code})
    expected = [i for i in invoices if any(line["account"]["code"] == code for line in i["invoice-lines"])]
    assert _ids(by_account) == _ids(expected) and by_account
    orders = sandbox.records("purchase_orders")
    prefix = "00100"
    by_line_account = sandbox.all_pages(
        "purchase_orders", {"order_lines[account][code][starts_with]": prefix}
    )
    assert _ids(by_line_account) == _ids(
        [o for o in orders if any(line["account"]["code"].startswith(prefix) for line in o["order-lines"])]
    )


def test_updated_at_filters_accept_dash_or_underscore_and_any_offset(sandbox: Sandbox) -> None:
    invoices = sandbox.records("invoices")
    pivot = sorted(moment(i["updated-at"]) for i in invoices)[len(invoices) // 2]
    expected = _ids([i for i in invoices if moment(i["updated-at"]) > pivot])
    as_utc = pivot.astimezone(dt.UTC).isoformat()
    as_plus_two = pivot.astimezone(dt.timezone(dt.timedelta(hours=2))).isoformat()
    assert "+02:00" in as_plus_two  # requests URL-encodes '+' as %2B
    for params in (
        {"updated_at[gt]": as_utc},
        {"updated-at[gt]": as_plus_two},
        {"updated_at[gt]": pivot.isoformat()},
    ):
        assert _ids(sandbox.all_pages("invoices", params)) == expected, params
    inclusive = _ids([i for i in invoices if moment(i["updated-at"]) >= pivot])
    assert _ids(sandbox.all_pages("invoices", {"updated_at[gt_or_eq]": as_utc})) == inclusive


def test_bare_date_means_midnight_utc(sandbox: Sandbox) -> None:
    invoices = sandbox.records("invoices")
    day = moment(invoices[len(invoices) // 2]["created-at"]).astimezone(dt.UTC).date()
    midnight = dt.datetime.combine(day, dt.time(), dt.UTC)
    expected = _ids([i for i in invoices if moment(i["created-at"]) < midnight])
    assert _ids(sandbox.all_pages("invoices", {"created_at[lt]": day.isoformat()})) == expected


def test_the_clock_moves_the_stamps_of_what_is_written_and_created_at_filters_find_it(
    sandbox: Sandbox,
) -> None:
    """A day's records made on that day (``/sandbox/clock``), found again by a ``created_at`` window and
    an ``[in]`` list of their numbers, as a reconciliation of that day reads them."""
    day = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(days=30)
    now = sandbox.http.get(f"{sandbox.admin}/clock", timeout=10).json()
    assert now["offset_seconds"] == 0
    moved = sandbox.http.post(f"{sandbox.admin}/clock", json={"advance_seconds": -30 * 86400}, timeout=10)
    assert moved.status_code == 200 and moved.json()["offset_seconds"] == -30 * 86400
    try:
        numbers = [unique("CLK"), unique("CLK")]
        made = [
            sandbox.ok(sandbox.send("POST", "suppliers", {"name": unique("Uhrwerk"), "number": n}), 201)
            for n in numbers
        ]
    finally:
        back = sandbox.http.post(f"{sandbox.admin}/clock", json={"reset": True}, timeout=10)
        assert back.json()["offset_seconds"] == 0
    for supplier in made:
        created = moment(supplier["created-at"])
        assert abs(created - day) < dt.timedelta(minutes=5) and moment(supplier["updated-at"]) == created
    window = {
        "created_at[gt_or_eq]": utc_param(day - dt.timedelta(minutes=5)),
        "created_at[lt]": utc_param(day + dt.timedelta(minutes=5)),
    }
    assert _ids(sandbox.all_pages("suppliers", window)) == _ids(made)
    listed = sandbox.all_pages("suppliers", {"number[in]": ",".join([*numbers, "no-such-number"])})
    assert _ids(listed) == _ids(made)
    refused = sandbox.http.post(f"{sandbox.admin}/clock", json={"advance_seconds": "soon"}, timeout=10)
    assert refused.status_code == 400 and "advance_seconds" in refused.text


def test_fractional_seconds_compare_exactly_against_whole_second_stamps(sandbox: Sandbox) -> None:
    invoices = sandbox.records("invoices")
    stamp = moment(invoices[0]["updated-at"])
    bound = (stamp - dt.timedelta(milliseconds=500)).astimezone(dt.UTC).isoformat()
    expected = _ids([i for i in invoices if moment(i["updated-at"]) > stamp - dt.timedelta(milliseconds=500)])
    assert _ids(sandbox.all_pages("invoices", {"updated_at[gt]": bound})) == expected


def test_unencoded_plus_in_a_date_is_a_clear_400(sandbox: Sandbox) -> None:
    response = requests.get(
        f"{sandbox.base}/api/invoices?updated_at[gt]=2025-03-25T18:38:00+02:00",
        headers=sandbox.headers(),
        timeout=10,
    )
    assert response.status_code == 400
    message = response.json()["errors"]["invoice-header"][0]
    assert "updated_at[gt]" in message and "%2B" in message


def test_text_operators_are_not_valid_on_datetimes(sandbox: Sandbox) -> None:
    response = sandbox.get("invoices", {"updated_at[contains]": "2025"})
    assert response.status_code == 400
    assert "not valid on a dateTime" in response.json()["errors"]["invoice-header"][0]


def test_unknown_attribute_is_400_by_default_or_ignored(sandbox: Sandbox) -> None:
    response = sandbox.get("invoices", {"updated_att[gt]": "2025-01-01"})
    assert response.status_code == 400 and "updated_att" in response.text
    sandbox.settings(unknown_filter="ignore")
    assert len(sandbox.ok(sandbox.get("invoices", {"updated_att[gt]": "2025-01-01"}))) == 50


def test_text_comparison_case_sensitivity_is_a_setting(sandbox: Sandbox) -> None:
    assert sandbox.ok(sandbox.get("suppliers", {"name": "müller baustoffe gmbh"}))
    sandbox.settings(case_insensitive_text=False)
    assert sandbox.ok(sandbox.get("suppliers", {"name": "müller baustoffe gmbh"})) == []
    assert sandbox.ok(sandbox.get("suppliers", {"name": "Müller Baustoffe GmbH"}))


def test_paging_is_capped_at_50_in_ascending_id_order(sandbox: Sandbox) -> None:
    total = len(sandbox.records("invoices"))
    assert total > 100
    default = sandbox.ok(sandbox.get("invoices"))
    assert len(default) == 50
    assert len(sandbox.ok(sandbox.get("invoices", {"limit": 500}))) == 50
    ids = [record["id"] for record in default]
    assert ids == sorted(ids)
    second = sandbox.ok(sandbox.get("invoices", {"limit": 50, "offset": 50}))
    assert second[0]["id"] > ids[-1]
    assert [r["id"] for r in sandbox.ok(sandbox.get("invoices", {"limit": 10, "offset": 5}))] == ids[5:15]
    everything = sandbox.all_pages("invoices")
    assert len(everything) == total == len({r["id"] for r in everything})
    assert sandbox.ok(sandbox.get("invoices", {"offset": total})) == []


def test_limit_over_the_cap_can_be_an_error(sandbox: Sandbox) -> None:
    sandbox.settings(limit_over_cap="error")
    response = sandbox.get("invoices", {"limit": 51})
    assert response.status_code == 400 and "at most 50" in response.text
    assert sandbox.get("invoices", {"limit": "x"}).status_code == 400


def test_many_records_share_one_updated_at_across_pages(sandbox: Sandbox) -> None:
    counts: dict[str, int] = {}
    for invoice in sandbox.records("invoices"):
        counts[invoice["updated-at"]] = counts.get(invoice["updated-at"], 0) + 1
    stamp, ties = max(counts.items(), key=lambda item: item[1])
    assert ties >= 20
    # A page boundary inside the tie: gt_or_eq with id paging still returns every tied record once.
    tied = sandbox.all_pages("invoices", {"updated_at[gt_or_eq]": stamp, "updated_at[lt_or_eq]": stamp})
    assert len(tied) == ties
    page = sandbox.ok(sandbox.get("invoices", {"updated_at": stamp, "limit": 7}))
    assert len(page) == 7 and all(record["updated-at"] == stamp for record in page)


def test_order_by_and_dir_sort_server_side_unless_switched_off(sandbox: Sandbox) -> None:
    page = sandbox.ok(sandbox.get("invoices", {"order_by": "updated_at", "dir": "desc", "limit": 20}))
    keys = [(moment(r["updated-at"]), r["id"]) for r in page]
    assert keys == sorted(keys, reverse=True)
    newest = max(moment(r["updated-at"]) for r in sandbox.records("invoices"))
    assert keys[0][0] == newest
    sandbox.settings(sort_parameters=False)
    ids = [r["id"] for r in sandbox.ok(sandbox.get("invoices", {"order_by": "updated_at", "dir": "desc"}))]
    assert ids == sorted(ids)
    assert sandbox.get("invoices", {"order_by": "no_such"}).status_code == 200  # ignored when off


def test_fields_picks_nested_elements(sandbox: Sandbox) -> None:
    fields = json.dumps(
        ["id", "invoice-number", {"invoice-lines": ["id", "line-num"]}, {"supplier": ["name"]}]
    )
    invoice = sandbox.ok(sandbox.get("invoices", {"fields": fields, "limit": 1}))[0]
    assert set(invoice) == {"id", "invoice-number", "invoice-lines", "supplier"}
    assert all(set(line) == {"id", "line-num"} for line in invoice["invoice-lines"])
    assert set(invoice["supplier"]) == {"name"}
    bad = sandbox.get("invoices", {"fields": "[id"})
    assert bad.status_code == 400 and "fields" in bad.text


def test_return_object_limited_and_shallow(sandbox: Sandbox) -> None:
    limited = sandbox.ok(sandbox.get("invoices", {"return_object": "limited", "limit": 3}))
    assert all(set(record) == {"id"} for record in limited)
    shallow = sandbox.ok(sandbox.get("invoices", {"return_object": "shallow", "limit": 1}))[0]
    assert set(shallow["supplier"]) == {"id", "name", "number"}
    assert set(shallow["currency"]) == {"id", "code"}
    assert all(set(line) == {"id"} for line in shallow["invoice-lines"])
    full = sandbox.ok(sandbox.get(f"invoices/{shallow['id']}"))
    assert {"po-method", "status", "tax-id"} <= set(full["supplier"])  # full associations by default
    assert len(json.dumps(full)) > 2 * len(json.dumps(shallow))


def test_named_api_filter_applies_its_query(sandbox: Sandbox) -> None:
    named = _ids(sandbox.all_pages("invoices", {"filter": "erp_export_invoices"}))
    explicit = _ids(sandbox.all_pages("invoices", {"exported": "false", "status[in]": "approved,voided"}))
    assert named == explicit and named
    assert sandbox.get("invoices", {"filter": "nope"}).status_code == 400


def test_show_by_id_by_query_and_missing(sandbox: Sandbox) -> None:
    supplier = sandbox.records("suppliers")[3]
    assert sandbox.ok(sandbox.get(f"suppliers/{supplier['id']}"))["name"] == supplier["name"]
    assert [s["id"] for s in sandbox.ok(sandbox.get("suppliers", {"id": supplier["id"]}))] == [supplier["id"]]
    missing = sandbox.get("suppliers/99999999")
    assert missing.status_code == 404 and "supplier" in missing.json()["errors"]


def test_purchase_order_invoice_total_only_with_the_default_api_filter(sandbox: Sandbox) -> None:
    order = sandbox.ok(sandbox.get("purchase_orders", {"limit": 1}))[0]
    assert "invoice-total" not in order
    sandbox.settings(po_default_filter_includes_invoice_total=True)
    assert "invoice-total" in sandbox.ok(sandbox.get("purchase_orders", {"limit": 1}))[0]


def test_read_only_reference_resources(sandbox: Sandbox) -> None:
    for path in ("departments", "currencies", "payment_terms", "account_types", "lookups"):
        assert sandbox.ok(sandbox.get(path)), path
    refused = sandbox.send("POST", "departments", {"name": "New"})
    assert refused.status_code == 405


# --- writes: suppliers -----------------------------------------------------------------------------


def test_create_supplier_defaults_to_draft(sandbox: Sandbox) -> None:
    name = unique("Œuvre Fournitures")
    created = sandbox.ok(sandbox.send("POST", "suppliers", {"name": name, "number": unique("J")}), 201)
    assert created["status"] == "draft" and created["payment-method"] == "invoice"
    assert created["created-by"]["login"] == CLIENT_ID
    assert moment(created["created-at"]) == moment(created["updated-at"])
    assert sandbox.ok(sandbox.get(f"suppliers/{created['id']}"))["name"] == name


def test_supplier_names_and_numbers_are_unique(sandbox: Sandbox) -> None:
    existing = active_supplier(sandbox)
    response = sandbox.send(
        "POST", "suppliers", {"name": existing["name"].upper(), "number": existing["number"]}
    )
    assert response.status_code == 400
    assert response.json() == {
        "errors": {"supplier": ["Name has already been taken", "Number has already been taken"]}
    }


def test_supplier_validation_reports_every_problem(sandbox: Sandbox) -> None:
    body = {"name": "Ä" * 101, "status": "approved", "po-method": "email", "payment-method": "cash"}
    response = sandbox.send("POST", "suppliers", body)
    assert response.status_code == 400
    messages = response.json()["errors"]["supplier"]
    assert "Name is too long (maximum is 100 characters)" in messages
    assert "Status is not included in the list" in messages
    assert "Payment method is not included in the list" in messages
    assert any(m.startswith("Po email can't be blank") for m in messages)
    blank = sandbox.send("POST", "suppliers", {"number": "1"})
    assert blank.json()["errors"]["supplier"] == ["Name can't be blank"]


def test_validation_status_can_be_422(sandbox: Sandbox) -> None:
    sandbox.settings(validation_error_status=422)
    response = sandbox.send("POST", "suppliers", {})
    assert response.status_code == 422 and "supplier" in response.json()["errors"]


def test_validation_errors_come_as_xml_without_accept_json(sandbox: Sandbox) -> None:
    headers = {**sandbox.headers(accept=None), "Content-Type": JSON}
    response = sandbox.send("POST", "suppliers", {}, headers=headers)
    assert response.status_code == 400
    assert [e.text for e in ET.fromstring(response.content).findall("error")] == ["Name can't be blank"]


def test_supplier_update_and_inactivation_by_put(sandbox: Sandbox) -> None:
    supplier = sandbox.ok(
        sandbox.send("POST", "suppliers", {"name": unique("Zürich Tiefbau"), "status": "active"}), 201
    )
    address = {
        "street1": "Bahnhofstrasse 1",
        "city": "Zürich",
        "postal_code": "8001",
        "country": {"code": "CH"},
    }
    updated = sandbox.ok(sandbox.send("PUT", f"suppliers/{supplier['id']}", {"primary-address": address}))
    assert updated["primary-address"]["postal-code"] == "8001"
    assert moment(updated["updated-at"]) >= moment(supplier["updated-at"])
    swap = sandbox.send("PUT", f"suppliers/{supplier['id']}", {"primary-address": {"id": 1, "city": "Bern"}})
    assert swap.status_code == 400 and "Primary address cannot be replaced" in swap.text
    inactive = sandbox.ok(sandbox.send("PUT", f"suppliers/{supplier['id']}", {"status": "inactive"}))
    assert inactive["status"] == "inactive"


def test_custom_fields_only_when_api_editable(sandbox: Sandbox) -> None:
    body = {"name": unique("Custom"), "custom-fields": {"jde-address-number": "4242", "secret-flag": "x"}}
    created = sandbox.ok(sandbox.send("POST", "suppliers", body), 201)
    assert created["custom-fields"] == {"jde-address-number": "4242"}


def test_delete_is_not_supported(sandbox: Sandbox) -> None:
    supplier = sandbox.records("suppliers")[0]
    assert sandbox.send("DELETE", f"suppliers/{supplier['id']}").status_code == 405
    sandbox.settings(unsupported_method_status=404)
    assert sandbox.send("DELETE", f"suppliers/{supplier['id']}").status_code == 404
    assert sandbox.ok(sandbox.get(f"suppliers/{supplier['id']}"))["id"] == supplier["id"]


def test_bodies_must_be_json(sandbox: Sandbox) -> None:
    headers = {**sandbox.headers(), "Content-Type": "application/xml"}
    response = sandbox.http.post(
        f"{sandbox.base}/api/suppliers",
        data="<supplier><name>X</name></supplier>",
        headers=headers,
        timeout=10,
    )
    assert response.status_code == 415
    broken = sandbox.http.post(
        f"{sandbox.base}/api/suppliers",
        data="{nope",
        headers={**sandbox.headers(), "Content-Type": JSON},
        timeout=10,
    )
    assert broken.status_code == 400 and "not valid JSON" in broken.text


def test_create_status_and_return_object_none(sandbox: Sandbox) -> None:
    sandbox.settings(create_status=200)
    response = sandbox.send("POST", "suppliers", {"name": unique("Status")}, params={"return_object": "none"})
    assert response.status_code == 200 and response.content == b""
    limited = sandbox.send(
        "POST", "suppliers", {"name": unique("Limited")}, params={"return_object": "limited"}
    )
    assert set(limited.json()) == {"id"}


# --- writes: purchase orders -----------------------------------------------------------------------


def _external_po(
    sandbox: Sandbox, supplier: dict[str, Any], account: dict[str, Any], **extra: Any
) -> dict[str, Any]:
    body = {
        "type": "ExternalOrderHeader",
        "po-number": unique("JDE")[:20],
        "supplier": {"number": supplier["number"]},
        "currency": {"code": "USD"},
        "order-lines": [
            {
                "line-num": 1,
                "description": "Rebar #5",
                "quantity": "12",
                "price": "11.40",
                "account": {"code": account["code"]},
            },
            {
                "description": "Engineering services",
                "price": "1500.00",
                "type": "OrderAmountLine",
                "account": {"id": account["id"]},
                "need-by-date": "2025-06-30",
            },
        ],
    }
    body.update(extra)
    return body


def test_create_external_purchase_order_with_lines(sandbox: Sandbox) -> None:
    supplier, account = active_supplier(sandbox), active_account(sandbox)
    body = _external_po(sandbox, supplier, account)
    created = sandbox.ok(sandbox.send("POST", "purchase_orders", body), 201)
    assert created["type"] == "ExternalOrderHeader" and created["status"] == "issued"
    assert created["supplier"]["id"] == supplier["id"] and created["exported"] is False
    assert [line["line-num"] for line in created["order-lines"]] == [1, 2]
    assert created["order-lines"][0]["total"] == "136.80" and created["order-lines"][1]["quantity"] is None
    assert created["total"] == "1636.80"
    assert created["order-lines"][0]["order-header-id"] == created["id"]
    found = sandbox.ok(sandbox.get("purchase_orders", {"po_number": body["po-number"]}))
    assert [order["id"] for order in found] == [created["id"]]


def test_purchase_order_post_rules(sandbox: Sandbox) -> None:
    supplier, account = active_supplier(sandbox), active_account(sandbox)
    internal = sandbox.send(
        "POST", "purchase_orders", {**_external_po(sandbox, supplier, account), "type": "OrderHeader"}
    )
    assert (
        internal.status_code == 400 and "ExternalOrderHeader" in internal.json()["errors"]["order-header"][0]
    )
    first = _external_po(sandbox, supplier, account)
    sandbox.ok(sandbox.send("POST", "purchase_orders", first), 201)
    duplicate = sandbox.send("POST", "purchase_orders", first)
    assert duplicate.json() == {"errors": {"order-header": ["Po number has already been taken"]}}
    too_long = sandbox.send("POST", "purchase_orders", {**first, "po-number": "P" * 21})
    assert "Po number is too long (maximum is 20 characters)" in too_long.json()["errors"]["order-header"]
    bad_line = {
        **first,
        "po-number": unique("L")[:20],
        "order-lines": [{"quantity": "1", "account": {"code": "nope"}}],
    }
    messages = sandbox.send("POST", "purchase_orders", bad_line).json()["errors"]["order-header"]
    assert "Order line 1: Description can't be blank" in messages
    assert "Order line 1: Price can't be blank" in messages
    assert "Order line 1: Account is invalid" in messages


def test_orders_need_an_active_supplier_unless_relaxed(sandbox: Sandbox) -> None:
    draft = sandbox.ok(
        sandbox.send("POST", "suppliers", {"name": unique("Draft Co"), "number": unique("D")}), 201
    )
    body = _external_po(sandbox, draft, active_account(sandbox))
    refused = sandbox.send("POST", "purchase_orders", body)
    assert refused.status_code == 400
    assert refused.json()["errors"]["order-header"] == ["Supplier is draft; orders need an active supplier"]
    sandbox.settings(po_requires_active_supplier=False)
    assert sandbox.send("POST", "purchase_orders", body).status_code == 201


def test_po_revision_resets_exported_and_lines_can_be_deleted(sandbox: Sandbox) -> None:
    supplier, account = active_supplier(sandbox), active_account(sandbox)
    order = sandbox.ok(sandbox.send("POST", "purchase_orders", _external_po(sandbox, supplier, account)), 201)
    marked = sandbox.ok(sandbox.send("PUT", f"purchase_orders/{order['id']}", params={"exported": "true"}))
    assert marked["exported"] is True and marked["last-exported-at"]
    first, second = order["order-lines"]
    revised = sandbox.ok(
        sandbox.send(
            "PUT",
            f"purchase_orders/{order['id']}",
            {"order-lines": [{"id": first["id"], "quantity": "20"}, {"id": second["id"], "_delete": True}]},
        )
    )
    assert revised["version"] == order["version"] + 1 and revised["exported"] is False
    assert [line["id"] for line in revised["order-lines"]] == [first["id"]]
    assert revised["total"] == "228.00"
    shown = sandbox.ok(sandbox.get(f"purchase_orders/{order['id']}", {"show_deleted_lines": "true"}))
    deleted = [line for line in shown["order-lines"] if line["id"] == second["id"]]
    assert deleted and deleted[0]["deleted-at"]
    patched = sandbox.ok(
        sandbox.send("PATCH", f"purchase_orders/{order['id']}", {"custom-fields": {"jde-company": "00001"}})
    )
    assert patched["custom-fields"]["jde-company"] == "00001" and patched["version"] == revised["version"]


def test_purchase_order_state_actions(sandbox: Sandbox) -> None:
    supplier, account = active_supplier(sandbox), active_account(sandbox)
    order = sandbox.ok(
        sandbox.send(
            "POST", "purchase_orders", _external_po(sandbox, supplier, account, status="buyer_hold")
        ),
        201,
    )
    assert order["status"] == "buyer_hold"
    reopen = sandbox.send("PUT", f"purchase_orders/{order['id']}/reopen")
    assert reopen.status_code == 400 and "does not allow reopen" in reopen.text
    sandbox.settings(external_po_default_status="draft")
    draft = sandbox.ok(sandbox.send("POST", "purchase_orders", _external_po(sandbox, supplier, account)), 201)
    assert draft["status"] == "draft"
    assert sandbox.ok(sandbox.send("PUT", f"purchase_orders/{draft['id']}/issue"))["status"] == "issued"
    released = sandbox.ok(sandbox.send("PUT", f"purchase_orders/{order['id']}/release_from_buyer_hold"))
    assert released["status"] == "issued"
    closed = sandbox.ok(sandbox.send("PUT", f"purchase_orders/{order['id']}/close"))
    assert closed["status"] == "closed" and closed["exported"] is False
    frozen = sandbox.send("PUT", f"purchase_orders/{order['id']}", {"po-number": "NEW"})
    assert frozen.status_code == 400 and "cannot be changed" in frozen.text
    assert sandbox.send("PUT", f"purchase_orders/{order['id']}/explode").status_code == 404


# --- writes: invoices and payments -----------------------------------------------------------------


def _invoice_body(supplier: dict[str, Any], account: dict[str, Any], **extra: Any) -> dict[str, Any]:
    body = {
        "invoice-number": unique("RE"),
        "invoice-date": "2025-03-10",
        "supplier": {"id": supplier["id"]},
        "currency": {"code": "USD"},
        "invoice-lines": [
            {
                "description": "Safety gloves (box)",
                "quantity": "10",
                "price": "24.50",
                "account": {"code": account["code"]},
            },
            {"description": "Freight", "price": "30", "account": {"id": account["id"]}},
        ],
        "tax-amount": "19.60",
    }
    body.update(extra)
    return body


def test_create_invoice_in_draft_with_computed_totals(sandbox: Sandbox) -> None:
    supplier, account = active_supplier(sandbox), active_account(sandbox)
    created = sandbox.ok(sandbox.send("POST", "invoices", _invoice_body(supplier, account)), 201)
    assert created["status"] == "draft" and created["exported"] is False and created["paid"] is False
    assert created["gross-total"] == "275.00" and created["total-with-taxes"] == "294.60"
    assert [line["type"] for line in created["invoice-lines"]] == ["InvoiceQuantityLine", "InvoiceAmountLine"]
    assert moment(created["invoice-date"]).date() == dt.date(2025, 3, 10)
    assert created["net-due-date"] and created["payment-term"]["code"]


def test_invoice_date_sent_as_utc_datetime_shifts_to_the_instance_day(sandbox: Sandbox) -> None:
    supplier, account = active_supplier(sandbox), active_account(sandbox)
    body = _invoice_body(supplier, account, **{"invoice-date": "2025-03-10T00:00:00Z"})
    created = sandbox.ok(sandbox.send("POST", "invoices", body), 201)
    assert moment(created["invoice-date"]).date() == dt.date(2025, 3, 9)  # why Coupa asks for date-only


def test_invoice_numbers_are_unique_per_supplier(sandbox: Sandbox) -> None:
    suppliers = [s for s in sandbox.records("suppliers") if s["status"] == "active"][:2]
    account = active_account(sandbox)
    body = _invoice_body(suppliers[0], account)
    sandbox.ok(sandbox.send("POST", "invoices", body), 201)
    duplicate = sandbox.send("POST", "invoices", body)
    assert duplicate.json() == {"errors": {"invoice-header": ["Invoice number has already been taken"]}}
    other_supplier = {**body, "supplier": {"id": suppliers[1]["id"]}}
    assert sandbox.send("POST", "invoices", other_supplier).status_code == 201


def test_invoice_validation_names_header_fields_and_lines(sandbox: Sandbox) -> None:
    body = {"invoice-number": "X" * 41, "invoice-lines": [{"quantity": "1"}]}
    messages = sandbox.send("POST", "invoices", body).json()["errors"]["invoice-header"]
    assert "Invoice number is too long (maximum is 40 characters)" in messages
    assert "Supplier can't be blank" in messages and "Invoice date can't be blank" in messages
    assert {
        "Invoice line 1: Description can't be blank",
        "Invoice line 1: Price can't be blank",
        "Invoice line 1: Account can't be blank",
    } <= set(messages)


def test_invoice_matched_to_an_order_line_takes_the_po_number(sandbox: Sandbox) -> None:
    order = next(
        o
        for o in sandbox.records("purchase_orders")
        if o["status"] == "issued" and o["supplier"]["status"] == "active"
    )
    line = order["order-lines"][0]
    body = _invoice_body(
        order["supplier"],
        {"code": line["account"]["code"], "id": line["account"]["id"]},
        **{
            "invoice-lines": [
                {
                    "description": line["description"],
                    "price": line["price"],
                    "quantity": line["quantity"] or None,
                    "account": {"id": line["account"]["id"]},
                    "order-line-id": line["id"],
                }
            ]
        },
    )
    response = sandbox.send("POST", "invoices", body)
    if not line["account"]["active"]:
        assert "Invoice line 1: Account is inactive" in response.json()["errors"]["invoice-header"]
        return
    created = sandbox.ok(response, 201)
    assert created["invoice-lines"][0]["po-number"] == order["po-number"]
    other = next(s for s in sandbox.records("suppliers") if s["id"] != order["supplier"]["id"])
    mismatch = sandbox.send(
        "POST", "invoices", {**body, "invoice-number": unique("M"), "supplier": {"id": other["id"]}}
    )
    assert "Invoice line 1: Order line id belongs to an order of another supplier" in mismatch.text


def test_submit_and_edit_rules(sandbox: Sandbox) -> None:
    supplier, account = active_supplier(sandbox), active_account(sandbox)
    invoice = sandbox.ok(sandbox.send("POST", "invoices", _invoice_body(supplier, account)), 201)
    edited = sandbox.ok(sandbox.send("PUT", f"invoices/{invoice['id']}", {"invoice-date": "2025-03-11"}))
    assert moment(edited["invoice-date"]).date() == dt.date(2025, 3, 11)
    assert edited["lock-version-key"] == invoice["lock-version-key"] + 1
    submitted = sandbox.ok(sandbox.send("PUT", f"invoices/{invoice['id']}/submit"))
    assert submitted["status"] == "pending_approval"
    approved = sandbox.ok(sandbox.send("PUT", f"invoices/{invoice['id']}/bypass_approvals"))
    assert approved["status"] == "approved"
    locked = sandbox.send("PUT", f"invoices/{invoice['id']}", {"invoice-date": "2025-03-12"})
    assert locked.json()["errors"]["invoice-header"] == [
        "Invoice date can't be changed while the invoice is approved"
    ]
    sandbox.settings(invoice_submit_status="approved")
    second = sandbox.ok(sandbox.send("POST", "invoices", _invoice_body(supplier, account)), 201)
    assert sandbox.ok(sandbox.send("PUT", f"invoices/{second['id']}/submit"))["status"] == "approved"
    voided = sandbox.ok(sandbox.send("PUT", f"invoices/{second['id']}/void"))
    assert voided["status"] == "voided"
    assert sandbox.send("PUT", f"invoices/{second['id']}/abandon").status_code == 400


def test_record_erp_payments_on_an_invoice(sandbox: Sandbox) -> None:
    invoice = next(
        i
        for i in sandbox.records("invoices")
        if i["status"] == "approved" and not i["paid"] and not i["is-credit-note"]
    )
    half = (Decimal(invoice["total-with-taxes"]) / 2).quantize(Decimal("0.01"))
    first = {"payments": [{"amount-paid": str(half), "notes": "100234", "payment-date": "2025-04-05"}]}
    partial = sandbox.ok(sandbox.send("PUT", f"invoices/{invoice['id']}", first))
    assert len(partial["payments"]) == 1 and partial["paid"] is False
    payment = partial["payments"][0]
    assert payment["amount-paid"] == str(half) and payment["payable-type"] == "InvoiceHeader"
    assert payment["payable-id"] == invoice["id"] and isinstance(payment["id"], int)
    # A bare date is midnight UTC, which the instance shows as the evening before.
    assert moment(payment["payment-date"]).astimezone(dt.UTC) == dt.datetime(2025, 4, 5, tzinfo=dt.UTC)
    rest = str(Decimal(invoice["total-with-taxes"]) - half)
    final = {
        "paid": True,
        "payment-date": "2025-04-06T00:00:00Z",
        "payment-notes": "JDE check 100235",
        "payments": [{"amount-paid": rest, "check-number": "100235", "payment-date": "2025-04-06"}],
    }
    paid = sandbox.ok(sandbox.send("PUT", f"invoices/{invoice['id']}", final))
    assert paid["paid"] is True and paid["payment-notes"] == "JDE check 100235"
    assert sum(Decimal(p["amount-paid"]) for p in paid["payments"]) == Decimal(invoice["total-with-taxes"])
    assert paid["payments"][1]["notes"] == "100235"
    bad = sandbox.send("PUT", f"invoices/{invoice['id']}", {"payments": [{"amount-paid": "ten"}]})
    assert bad.json()["errors"]["invoice-header"] == ["Payment 1: Amount paid is not a number"]


def test_mark_exported_is_a_separate_put(sandbox: Sandbox) -> None:
    invoice = next(i for i in sandbox.records("invoices") if i["status"] == "approved" and not i["exported"])
    queued = _ids(sandbox.all_pages("invoices", {"exported": "false", "status": "approved"}))
    assert invoice["id"] in queued
    marked = sandbox.ok(
        sandbox.send(
            "PUT", f"invoices/{invoice['id']}", {"payment-notes": "ignored"}, params={"exported": "true"}
        )
    )
    assert marked["exported"] is True and marked["payment-notes"] == invoice["payment-notes"]
    assert moment(marked["last-exported-at"]) == moment(marked["updated-at"])
    assert moment(marked["updated-at"]) > moment(invoice["updated-at"])
    assert invoice["id"] not in _ids(
        sandbox.all_pages("invoices", {"exported": "false", "status": "approved"})
    )
    body_style = sandbox.ok(sandbox.send("PUT", f"invoices/{invoice['id']}", {"exported": False}))
    assert body_style["exported"] is False


def test_exported_update_modes(sandbox: Sandbox) -> None:
    invoice = next(i for i in sandbox.records("invoices") if i["status"] == "approved")
    sandbox.settings(exported_update_mode="reject")
    refused = sandbox.send("PUT", f"invoices/{invoice['id']}", {"exported": True, "payment-notes": "x"})
    assert refused.status_code == 400 and "separate request" in refused.text
    sandbox.settings(exported_update_mode="apply_all", export_mark_touches_updated_at=False)
    applied = sandbox.ok(
        sandbox.send("PUT", f"invoices/{invoice['id']}", {"exported": True, "payment-notes": "both"})
    )
    assert applied["exported"] is True and applied["payment-notes"] == "both"
    sandbox.settings(exported_update_mode="ignore_other_fields")
    before = sandbox.record("invoices", invoice["id"])
    untouched = sandbox.ok(sandbox.send("PUT", f"invoices/{invoice['id']}", params={"exported": "false"}))
    assert untouched["updated-at"] == before["updated-at"]  # export marks do not move updated-at here


def test_coupa_pay_payments_accept_only_exported(sandbox: Sandbox) -> None:
    payment = next(p for p in sandbox.records("payments") if not p["exported"])
    listed = sandbox.all_pages("coupa_pay/payments", {"exported": "false"})
    assert payment["id"] in _ids(listed)
    detail = payment["payment-details"][0]
    invoice = sandbox.ok(sandbox.get(f"invoices/{detail['source-transaction-id']}"))
    assert invoice["invoice-number"] == detail["source-transaction-reference"]
    ignored = sandbox.ok(sandbox.send("PUT", f"coupa_pay/payments/{payment['id']}", {"status": "draft"}))
    assert ignored["status"] == payment["status"] and ignored["exported"] is False
    marked = sandbox.ok(
        sandbox.send("PUT", f"coupa_pay/payments/{payment['id']}", params={"exported": "true"})
    )
    assert marked["exported"] is True
    assert sandbox.send("POST", "coupa_pay/payments", {"status": "draft"}).status_code == 405


# --- writes: accounts and lookup values ------------------------------------------------------------


def test_create_account_needs_an_existing_chart_and_unique_code(sandbox: Sandbox) -> None:
    body = {
        "name": "Fleet fuel",
        "account-type": {"name": "US Chart of Accounts"},
        "segment-1": "00001",
        "segment-2": "7000",
        "segment-3": unique("67")[-4:],
    }
    created = sandbox.ok(sandbox.send("POST", "accounts", body), 201)
    assert created["code"] == f"00001-7000-{body['segment-3']}" and created["active"] is True
    assert created["account-type"]["name"] == "US Chart of Accounts"
    duplicate = sandbox.send("POST", "accounts", body)
    assert duplicate.json() == {"errors": {"account": ["Code has already been taken"]}}
    no_chart = sandbox.send("POST", "accounts", {**body, "account-type": {"name": "Mars Chart"}})
    assert no_chart.json()["errors"]["account"] == ["Account type is invalid"]
    missing = sandbox.send("POST", "accounts", {"name": "x"}).json()["errors"]["account"]
    assert missing == ["Account type can't be blank", "Segment 1 can't be blank"]
    deactivated = sandbox.ok(sandbox.send("PUT", f"accounts/{created['id']}", {"active": False}))
    assert deactivated["active"] is False


def test_create_lookup_value_under_a_parent(sandbox: Sandbox) -> None:
    parent = next(v for v in sandbox.records("lookup_values") if v["depth"] == 2)
    body = {
        "name": "Drones",
        "lookup": {"name": "Chart of Accounts Segments"},
        "parent": {"external-ref-code": parent["external-ref-code"]},
        # Letters keep it clear of the seeded numeric segment codes a bare 4-digit number can hit.
        "external-ref-num": f"DRN{unique('9')[-6:]}",
    }
    created = sandbox.ok(sandbox.send("POST", "lookup_values", body), 201)
    assert created["external-ref-code"] == f"{parent['external-ref-code']}-{body['external-ref-num']}"
    assert created["depth"] == 3 and created["parent"]["id"] == parent["id"]
    duplicate = sandbox.send("POST", "lookup_values", body)
    assert duplicate.json() == {"errors": {"lookup-value": ["Name has already been taken"]}}
    no_lookup = sandbox.send("POST", "lookup_values", {"name": "x", "lookup": {"name": "Nope"}})
    assert no_lookup.json()["errors"]["lookup-value"] == ["Lookup is invalid"]


# --- faults ----------------------------------------------------------------------------------------


def test_fail_next_n_with_a_status(sandbox: Sandbox) -> None:
    assert sandbox.token  # minted before the token endpoint starts failing too
    sandbox.faults(fail_next=2, fail_next_status=503)
    statuses = [sandbox.get("currencies").status_code for _ in range(3)]
    assert statuses == [503, 503, 200]
    assert sandbox.state()["statuses"]["503"] == 2


def test_random_errors_at_a_rate(sandbox: Sandbox) -> None:
    assert sandbox.token
    sandbox.faults(random_error_rate=1.0, random_error_status=502)
    response = sandbox.get("currencies")
    assert response.status_code == 502 and "injected" in response.json()["errors"]["base"][0]
    sandbox.faults(random_error_rate=0.5)
    statuses = {sandbox.get("currencies").status_code for _ in range(30)}
    assert statuses == {200, 502}


def test_faults_apply_to_the_token_endpoint_too(sandbox: Sandbox) -> None:
    sandbox.faults(fail_next=1, fail_next_status=503)
    response = sandbox.token_response()
    assert response.status_code == 503 and response.json()["error"] == "server_error"
    assert sandbox.token_response().status_code == 200


def test_latency_is_injected(sandbox: Sandbox) -> None:
    sandbox.faults(latency_ms=300)
    answers_no_sooner_than(0.3, lambda: sandbox.get("currencies"))


def test_large_responses_are_slow_and_can_time_out(sandbox: Sandbox) -> None:
    sandbox.faults(latency_per_record_ms=10, gateway_timeout_ms=300)
    # 50 records at 10 ms: past the gateway's 300 ms, which answers 504 at 300 ms (no sooner).
    answers_no_sooner_than(0.3, lambda: sandbox.get("invoices", {"limit": 50}), status=504)
    small = sandbox.get("invoices", {"limit": 5, "fields": json.dumps(["id"])})
    assert small.status_code == 200 and len(small.json()) == 5


# --- rate limiting ---------------------------------------------------------------------------------


def test_burst_of_20_passes_then_429_without_retry_headers(sandbox: Sandbox) -> None:
    # The documented burst of 20; a slow refill (1/s) so that 60 calls in a row pass it on any machine
    # (at 25/s a busy machine's calls may come slower than the refill). The rate itself: below.
    sandbox.faults(rate_limit_enabled=True, rate_limit_per_second=1)
    headers = sandbox.headers()
    statuses = [sandbox.get("currencies", headers=headers) for _ in range(60)]
    assert [r.status_code for r in statuses[:20]] == [200] * 20
    limited = [r for r in statuses if r.status_code == 429]
    assert limited, "60 back-to-back calls must exceed the 20-call burst"
    assert "Retry-After" not in limited[0].headers
    assert not any(name.lower().startswith("x-ratelimit") for name in limited[0].headers)
    assert limited[0].json()["errors"]["base"][0].startswith("Too many requests")
    assert sandbox.state()["rate_limited"] == len(limited)


def _admitted(instants: list[float], rate: float = 25.0, burst: int = 20) -> list[bool]:
    """Whether the simulator's limiter (``RateLimiter``, as the app runs it per client) admits calls
    arriving at each of ``instants`` (seconds, on a clock of the test's own)."""
    limiter = RateLimiter()
    return [limiter.take("client:test", rate, burst, now=at).allowed for at in instants]


def test_sustained_rate_above_25_per_second_gets_429s() -> None:
    instants = [n / 60 for n in range(90)]  # 60/s for 1.5 s
    admitted = _admitted(instants)
    assert not all(admitted)
    for n in range(len(instants)):  # never more than the burst plus what refilled meanwhile
        assert sum(admitted[: n + 1]) <= 20 + 25 * instants[n] + 1e-9


def test_sustained_rate_at_25_per_second_after_a_burst_never_gets_429() -> None:
    burst = [0.0] * 20
    paced = [0.9 + n / 24 for n in range(36)]  # after 0.9 s of refill, 24/s for 1.5 s
    assert _admitted(burst + paced) == [True] * 56
    assert _admitted(burst + [0.01]) == [True] * 20 + [False]  # no refill yet: the 21st is refused


def test_rate_limit_headers_and_retry_after_are_switches(sandbox: Sandbox) -> None:
    sandbox.faults(
        rate_limit_enabled=True, rate_limit_burst=2, rate_limit_retry_after=True, rate_limit_headers=True
    )
    responses = [sandbox.get("currencies") for _ in range(4)]
    assert responses[0].headers["X-RateLimit-Limit"] == "25"
    limited = next(r for r in responses if r.status_code == 429)
    assert int(limited.headers["Retry-After"]) >= 1 and limited.headers["X-RateLimit-Remaining"] == "0"


def test_rate_limit_bucket_is_per_client_or_per_instance(sandbox: Sandbox) -> None:
    sandbox.faults(rate_limit_enabled=True, rate_limit_burst=3, rate_limit_per_second=0.5)
    main, reader = sandbox.token, sandbox.mint(client=(READER_ID, READER_SECRET))
    statuses = [
        sandbox.get("invoices", {"limit": 1}, headers=sandbox.headers(main)).status_code for _ in range(4)
    ]
    assert statuses[-1] == 429
    assert sandbox.get("invoices", {"limit": 1}, headers=sandbox.headers(reader)).status_code == 200
    sandbox.settings(rate_limit_scope="instance")
    sandbox.http.post(f"{sandbox.admin}/calls/reset", timeout=10)
    statuses = [
        sandbox.get("invoices", {"limit": 1}, headers=sandbox.headers(main)).status_code for _ in range(3)
    ]
    assert statuses == [200, 200, 200]
    assert sandbox.get("invoices", {"limit": 1}, headers=sandbox.headers(reader)).status_code == 429


# --- operator routes -------------------------------------------------------------------------------


def test_state_counts_calls_per_endpoint_and_status(sandbox: Sandbox) -> None:
    sandbox.get("invoices", {"limit": 1})
    sandbox.get("invoices/99999999")
    sandbox.get("suppliers", headers={"Accept": JSON})
    state = sandbox.state()
    assert state["calls"]["GET /api/invoices"] == 1 and state["calls"]["GET /api/invoices/{id}"] == 1
    assert state["calls_by_status"]["GET /api/invoices/{id} 404"] == 1
    assert state["calls_by_status"]["GET /api/suppliers 401"] == 1
    assert state["row_counts"]["invoices"] == len(sandbox.records("invoices"))


def test_settings_page_masks_secrets_and_refuses_bad_values(sandbox: Sandbox) -> None:
    text = sandbox.http.get(f"{sandbox.admin}/settings", timeout=10).text
    assert CLIENT_SECRET not in text and READER_SECRET not in text and "sandbox-coupa-webhook" not in text
    bad = sandbox.http.post(f"{sandbox.admin}/settings", json={"page_size_cap": -1}, timeout=10)
    assert bad.status_code == 400
    unknown = sandbox.http.post(f"{sandbox.admin}/faults", json={"no_such_fault": 1}, timeout=10)
    assert unknown.status_code == 400
