"""The Procurify sandbox over loopback HTTP with plain ``requests``: auth, paths, paging, faults, admin.

Expected values are never hard-coded from the data: they come from the sandbox's own full reads (all
pages, filtered in Python as an independent oracle) or from the operator routes. Lifetimes are
shortened, or the sandbox clock moved, so expiry tests take milliseconds. Endpoint-specific filters and
writes are in ``test_procurify_endpoints.py``.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import math
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from connector_sandbox.procurify import ProcurifySandboxSettings, run_in_thread
from connector_sandbox.procurify.seed import seed
from connector_sandbox.procurify.settings import SandboxApplication
from connector_sandbox.procurify.store import Store

from .faults import answers_no_sooner_than
from .sandbox_operator import OperatorRoutes
from .serving import served

pytestmark = pytest.mark.timeout(120)


# Tests of the simulator's own answers to requests Procurify's published contract refuses (Django's 301 /
# 404 / 405, its validators, its variants, filters it ignores): the contract check in front of it records
# them instead of refusing (ML_SANDBOX_CONTRACT=record), so what is tested is the layer behind it. What the
# contract itself refuses is tested in test_procurify_contract.py.
BEHIND_THE_CONTRACT = pytest.mark.usefixtures("behind_the_contract")


CLIENT_ID = "ml-connector-sandbox"
CLIENT_SECRET = "sandbox-procurify-secret"
AUDIENCE = "https://api.procurify.com/"
OTHER_DOMAIN_APP = SandboxApplication(
    client_id="othercorp-app", client_secret="othercorp-secret", domain="othercorp"
)
VENDORS_ONLY_APP = SandboxApplication(
    client_id="vendors-only", client_secret="vendors-only-secret", permissions=frozenset({"vendors"})
)
TEST_SETTINGS = ProcurifySandboxSettings(
    scale=0.05,
    applications=(
        SandboxApplication(client_id=CLIENT_ID, client_secret=CLIENT_SECRET),
        OTHER_DOMAIN_APP,
        VENDORS_ONLY_APP,
    ),
)


class Sandbox(OperatorRoutes):
    """A running sandbox and the calls tests make against it."""

    def __init__(self, base: str) -> None:
        super().__init__(base)
        self._token: str | None = None

    # --- operator routes ---
    def faults(self, **changes: Any) -> dict[str, Any]:
        return self.post_admin("faults", **changes)

    def variants(self, **changes: Any) -> dict[str, Any]:
        return self.post_admin("variants", **changes)

    # --- the API ---
    def token_response(self, body: dict[str, Any] | None = None, **kwargs: Any) -> requests.Response:
        body = body if body is not None else token_body()
        return requests.post(f"{self.base}/oauth/token", json=body, timeout=10, **kwargs)

    def token(self, client_id: str = CLIENT_ID, secret: str = CLIENT_SECRET, host: str | None = None) -> str:
        headers = {"Host": host} if host else {}
        response = self.token_response(token_body(client_id, secret), headers=headers)
        assert response.status_code == 200, response.text
        return response.json()["access_token"]

    def forget_token(self) -> None:
        """Drop the cached token (after a reset made it worthless)."""
        self._token = None

    def headers(self, token: str | None = None) -> dict[str, str]:
        if token is None:
            self._token = self._token or self.token()
            token = self._token
        return {"Authorization": f"Bearer {token}", "X-Procurify-Client": "api"}

    def get(
        self, path: str, params: Any = None, token: str | None = None, **kwargs: Any
    ) -> requests.Response:
        headers = {**self.headers(token), **kwargs.pop("headers", {})}
        return requests.get(f"{self.base}{path}", params=params, headers=headers, timeout=30, **kwargs)

    def send(self, method: str, path: str, body: Any, token: str | None = None) -> requests.Response:
        return requests.request(
            method, f"{self.base}{path}", json=body, headers=self.headers(token), timeout=30
        )

    def ok(self, path: str, params: Any = None) -> dict[str, Any]:
        response = self.get(path, params)
        assert response.status_code == 200, response.text
        return response.json()

    def all_pages(self, path: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Every record of a list, following ``next`` links (no duplicates allowed)."""
        body = self.ok(path, {**(params or {}), "page_size": 100})
        records = list(body["data"])
        while body["metadata"]["pagination"]["next"]:
            response = requests.get(
                body["metadata"]["pagination"]["next"], headers=self.headers(), timeout=30
            )
            assert response.status_code == 200, response.text
            body = response.json()
            records += body["data"]
        return records


def token_body(client_id: str = CLIENT_ID, secret: str = CLIENT_SECRET, **changes: Any) -> dict[str, Any]:
    body = {
        "client_id": client_id,
        "client_secret": secret,
        "audience": AUDIENCE,
        "grant_type": "client_credentials",
    }
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


def start(settings: ProcurifySandboxSettings = TEST_SETTINGS) -> tuple[Sandbox, Any]:
    base, stop = run_in_thread(settings)
    return Sandbox(base), stop


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    yield from served(start())


@pytest.fixture(autouse=True)
def _back_to_defaults(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "sandbox" in request.fixturenames:
        box: Sandbox = request.getfixturevalue("sandbox")
        for path in ("faults/reset", "variants/reset", "suspensions/clear"):
            requests.post(f"{box.admin}/{path}", timeout=10)
        requests.post(f"{box.admin}/clock", json={"reset": True}, timeout=10)


def jwt_part(token: str, index: int) -> dict[str, Any]:
    part = token.split(".")[index]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


# --- OAuth token endpoint ---------------------------------------------------------------------------------


def test_token_has_the_documented_shape(sandbox: Sandbox) -> None:
    response = sandbox.token_response()
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access_token", "scope", "expires_in", "token_type"}  # no refresh token
    assert body["token_type"] == "Bearer" and body["expires_in"] == 86400
    assert (
        body["scope"]
        == "urn:procurify-api:domain:ml-sandbox urn:procurify-api:email:integration@ml-sandbox.example"
    )
    assert jwt_part(body["access_token"], 0)["alg"] == "HS256"
    claims = jwt_part(body["access_token"], 1)
    assert claims["aud"] == AUDIENCE and claims["exp"] - claims["iat"] == 86400
    assert response.headers["cache-control"] == "no-store"
    assert CLIENT_SECRET not in response.text


def test_each_token_request_mints_a_new_token_and_is_counted(sandbox: Sandbox) -> None:
    before = sandbox.state()["calls"].get("POST /oauth/token", 0)
    assert sandbox.token() != sandbox.token()
    assert sandbox.state()["calls"]["POST /oauth/token"] == before + 2


@pytest.mark.parametrize(
    ("body", "status", "error", "description"),
    [
        (token_body(secret="wrong-secret"), 401, "access_denied", "Unauthorized"),
        (token_body(client_id="nobody"), 401, "access_denied", "Unauthorized"),
        (token_body(client_id=None), 401, "access_denied", "Unauthorized"),
        (token_body(grant_type=None), 400, "invalid_request", "Missing required parameter: grant_type"),
        (
            token_body(grant_type="password"),
            403,
            "unauthorized_client",
            "Grant type 'password' not allowed for the client.",
        ),
        (token_body(grant_type="magic"), 400, "unsupported_grant_type", "Unsupported grant type: magic"),
        (
            token_body(audience=None),
            403,
            "access_denied",
            "No audience parameter was provided, and no default audience has been configured",
        ),
        (
            token_body(audience="https://acme.procurify.com/"),
            403,
            "access_denied",
            "Service not found: https://acme.procurify.com/",
        ),
    ],
    ids=[
        "wrong-secret",
        "unknown-client",
        "no-client",
        "no-grant",
        "password-grant",
        "unknown-grant",
        "no-audience",
        "wrong-audience",
    ],
)
def test_token_failures_answer_auth0_errors(
    sandbox: Sandbox, body: dict[str, Any], status: int, error: str, description: str
) -> None:
    response = sandbox.token_response(body)
    assert response.status_code == status
    assert response.json() == {"error": error, "error_description": description}
    assert "wrong-secret" not in response.text


def test_token_error_style_variant_drf(sandbox: Sandbox) -> None:
    sandbox.variants(token_error_style="drf")
    response = sandbox.token_response(token_body(secret="nope"))
    assert response.status_code == 401 and response.json() == {"detail": "Unauthorized"}


@BEHIND_THE_CONTRACT
def test_token_form_body_accepted_by_default_and_refused_by_variant(sandbox: Sandbox) -> None:
    form = token_body()
    assert requests.post(f"{sandbox.base}/oauth/token", data=form, timeout=10).status_code == 200
    sandbox.variants(token_form_body=False)
    refused = requests.post(f"{sandbox.base}/oauth/token", data=form, timeout=10)
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_request"
    assert "application/x-www-form-urlencoded" in refused.json()["error_description"]


def test_token_client_header_variant(sandbox: Sandbox) -> None:
    assert sandbox.token_response().status_code == 200  # not required by default
    sandbox.variants(token_requires_client_header=True)
    assert sandbox.token_response().status_code == 403
    assert sandbox.token_response(headers={"X-Procurify-Client": "api"}).status_code == 200


@BEHIND_THE_CONTRACT
def test_token_endpoint_has_no_trailing_slash_and_takes_only_post(sandbox: Sandbox) -> None:
    assert requests.post(f"{sandbox.base}/oauth/token/", json=token_body(), timeout=10).status_code == 404
    wrong = requests.get(f"{sandbox.base}/oauth/token", timeout=10)
    assert wrong.status_code == 405 and wrong.headers["allow"] == "POST"


# --- bearer authentication ------------------------------------------------------------------------------


def test_missing_client_header_is_refused_with_403_by_default(sandbox: Sandbox) -> None:
    headers = {"Authorization": f"Bearer {sandbox.token()}"}
    response = requests.get(f"{sandbox.base}/api/v3/vendors/", headers=headers, timeout=10)
    assert response.status_code == 403
    assert response.json() == {"detail": "Authentication credentials were not provided."}
    wrong_value = requests.get(
        f"{sandbox.base}/api/v3/vendors/", headers={**headers, "X-Procurify-Client": "web"}, timeout=10
    )
    assert wrong_value.status_code == 403


def test_missing_client_header_status_variant_401(sandbox: Sandbox) -> None:
    sandbox.variants(missing_client_header_status=401)
    headers = {"Authorization": f"Bearer {sandbox.token()}"}
    assert requests.get(f"{sandbox.base}/api/v3/vendors/", headers=headers, timeout=10).status_code == 401


@pytest.mark.parametrize(
    ("authorization", "detail"),
    [
        (None, "Authentication credentials were not provided."),
        ("Token abc", "Invalid Authorization header. Expected 'Bearer <token>'."),
        ("Bearer not.a.jwt", "Invalid token."),
    ],
    ids=["none", "wrong-scheme", "garbage"],
)
def test_bad_bearer_answers_401_with_detail(sandbox: Sandbox, authorization: str | None, detail: str) -> None:
    headers = {"X-Procurify-Client": "api", **({"Authorization": authorization} if authorization else {})}
    response = requests.get(f"{sandbox.base}/api/v3/vendors/", headers=headers, timeout=10)
    assert response.status_code == 401
    assert response.json() == {"detail": detail}
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_token_expires_after_24_hours_and_a_new_one_works(sandbox: Sandbox) -> None:
    token = sandbox.token()
    assert sandbox.get("/api/v3/vendors/", token=token).status_code == 200
    sandbox.post_admin("clock", advance_seconds=86_399)
    assert sandbox.get("/api/v3/vendors/", token=token).status_code == 200
    sandbox.post_admin("clock", advance_seconds=2)
    expired = sandbox.get("/api/v3/vendors/", token=token)
    assert expired.status_code == 401 and expired.json() == {"detail": "Token has expired."}
    assert sandbox.get("/api/v3/vendors/", token=sandbox.token()).status_code == 200


def test_token_lifetime_setting_is_reported_and_enforced(sandbox: Sandbox) -> None:
    sandbox.faults(token_lifetime_seconds=5)
    response = sandbox.token_response()
    assert response.json()["expires_in"] == 5
    token = response.json()["access_token"]
    assert sandbox.get("/api/v3/vendors/", token=token).status_code == 200
    sandbox.post_admin("clock", advance_seconds=6)
    assert sandbox.get("/api/v3/vendors/", token=token).status_code == 401


def test_invalid_token_status_variant_403(sandbox: Sandbox) -> None:
    sandbox.variants(invalid_token_status=403)
    response = sandbox.get("/api/v3/vendors/", token="x.y.z")
    assert response.status_code == 403 and response.json() == {"detail": "Invalid token."}


def test_admin_expire_and_revoke_all_tokens(sandbox: Sandbox) -> None:
    first = sandbox.token()
    assert sandbox.post_admin("tokens/expire")["expired"] >= 1
    assert sandbox.get("/api/v3/vendors/", token=first).json() == {"detail": "Token has expired."}
    second = sandbox.token()
    assert sandbox.post_admin("tokens/revoke")["revoked"] >= 1
    assert sandbox.get("/api/v3/vendors/", token=second).json() == {"detail": "Invalid token."}
    assert sandbox.get("/api/v3/vendors/", token=sandbox.token()).status_code == 200


def test_tokens_are_bound_to_their_domain(sandbox: Sandbox) -> None:
    other_host = "othercorp.localhost"
    minted = sandbox.token_response(
        token_body(OTHER_DOMAIN_APP.client_id, OTHER_DOMAIN_APP.client_secret), headers={"Host": other_host}
    )
    assert minted.status_code == 200 and "urn:procurify-api:domain:othercorp" in minted.json()["scope"]
    other_token = minted.json()["access_token"]
    assert sandbox.get("/api/v3/vendors/", token=other_token, headers={"Host": other_host}).status_code == 200
    refused = sandbox.get("/api/v3/vendors/", token=other_token)
    assert refused.status_code == 401 and refused.json() == {"detail": "Token is not valid for this domain."}
    # Another customer's credential on this customer's host is simply unknown.
    wrong_host = sandbox.token_response(
        token_body(OTHER_DOMAIN_APP.client_id, OTHER_DOMAIN_APP.client_secret)
    )
    assert wrong_host.status_code == 401 and wrong_host.json()["error"] == "access_denied"
    # ml-sandbox.procurify.com is the sandbox's own domain, like the bare IP.
    own = sandbox.get("/api/v3/vendors/", headers={"Host": "ml-sandbox.procurify.com"})
    assert own.status_code == 200
    assert own.json()["metadata"]["pagination"]["next"].startswith("http://ml-sandbox.procurify.com/")
    for host in ("nobody.procurify.com", "deep.ml-sandbox.procurify.com"):
        unknown = sandbox.get("/api/v3/vendors/", headers={"Host": host})
        assert unknown.status_code == 404 and unknown.headers["content-type"].startswith("text/html"), host


def test_the_credentials_user_permissions_apply(sandbox: Sandbox) -> None:
    token = sandbox.token(VENDORS_ONLY_APP.client_id, VENDORS_ONLY_APP.client_secret)
    assert sandbox.get("/api/v3/vendors/", token=token).status_code == 200
    for path in ("/api/v3/ap/bills/", "/api/public/v1/payments/", "/api/v3/account-codes/"):
        denied = sandbox.get(path, token=token)
        assert denied.status_code == 403
        assert denied.json() == {"detail": "You do not have permission to perform this action."}


@BEHIND_THE_CONTRACT
def test_wrong_method_answers_drf_405(sandbox: Sandbox) -> None:
    response = sandbox.send("DELETE", "/api/v3/vendors/3/", None)
    assert response.status_code == 405
    assert response.json() == {"detail": 'Method "DELETE" not allowed.'}
    assert response.headers["allow"] == "GET, PATCH, PUT"


# --- paths ---------------------------------------------------------------------------------------------


@BEHIND_THE_CONTRACT
def test_missing_slash_get_is_301_to_the_slashed_url_with_query(sandbox: Sandbox) -> None:
    response = requests.get(
        f"{sandbox.base}/api/v3/vendors?page=2&page_size=5", allow_redirects=False, timeout=10
    )
    assert response.status_code == 301
    assert response.headers["location"] == f"{sandbox.base}/api/v3/vendors/?page=2&page_size=5"


@BEHIND_THE_CONTRACT
def test_missing_slash_post_redirect_loses_the_body(sandbox: Sandbox) -> None:
    body = {"name": "Slashless Supply", "email": ["ap@slashless.example"]}
    first = requests.post(
        f"{sandbox.base}/api/v3/vendors",
        json=body,
        headers=sandbox.headers(),
        allow_redirects=False,
        timeout=10,
    )
    assert first.status_code == 301
    followed = requests.post(
        f"{sandbox.base}/api/v3/vendors", json=body, headers=sandbox.headers(), timeout=10
    )
    # requests turns a redirected POST into a GET: the client sees a list, and nothing was created.
    assert followed.history[0].status_code == 301 and followed.request.method == "GET"
    assert "pagination" in followed.json()["metadata"]
    assert not sandbox.all_pages("/api/v3/vendors/", {"name": "Slashless Supply"})


@BEHIND_THE_CONTRACT
def test_missing_slash_variants(sandbox: Sandbox) -> None:
    sandbox.variants(missing_trailing_slash="debug_post_error")
    assert (
        requests.get(f"{sandbox.base}/api/v3/vendors", allow_redirects=False, timeout=10).status_code == 301
    )
    post = requests.post(f"{sandbox.base}/api/v3/vendors", json={}, allow_redirects=False, timeout=10)
    assert post.status_code == 500 and post.headers["content-type"].startswith("text/html")
    sandbox.variants(missing_trailing_slash="not_found")
    assert (
        requests.get(f"{sandbox.base}/api/v3/vendors", allow_redirects=False, timeout=10).status_code == 404
    )


@BEHIND_THE_CONTRACT
def test_unknown_paths_answer_djangos_html_404(sandbox: Sandbox) -> None:
    for path in ("/api/v3/nothing/", "/api/v3/webhooks/", "/api/v3/webhooks", "/api/v1/vendors/"):
        response = sandbox.get(path)
        assert response.status_code == 404, path
        assert response.headers["content-type"].startswith("text/html")


@BEHIND_THE_CONTRACT
def test_no_webhooks_exist(sandbox: Sandbox) -> None:
    subscribe = sandbox.send("POST", "/api/v3/webhooks/", {"url": "http://127.0.0.1:9/hook"})
    assert subscribe.status_code == 404
    info = requests.get(f"{sandbox.admin}/webhooks", timeout=10).json()
    assert info["supported"] is False


# --- pagination -----------------------------------------------------------------------------------------


def test_pagination_metadata_and_absolute_links(sandbox: Sandbox) -> None:
    everything = sandbox.all_pages("/api/v3/vendors/")
    body = sandbox.ok("/api/v3/vendors/", {"page": 2, "page_size": 7})
    pagination = body["metadata"]["pagination"]
    assert pagination["count"] == len(everything)
    assert pagination["num_pages"] == math.ceil(len(everything) / 7)
    assert (pagination["page_size"], pagination["current_page"]) == (7, 2)
    assert pagination["next"] == f"{sandbox.base}/api/v3/vendors/?page=3&page_size=7"
    assert pagination["previous"] == f"{sandbox.base}/api/v3/vendors/?page_size=7"  # DRF drops page=1
    assert [v["id"] for v in body["data"]] == [v["id"] for v in everything[7:14]]


def test_following_next_visits_every_record_once(sandbox: Sandbox) -> None:
    ids: list[int] = []
    url: str | None = f"{sandbox.base}/api/v2/global/order_items/?page_size=45"
    while url:
        body = requests.get(url, headers=sandbox.headers(), timeout=10).json()
        ids += [item["id"] for item in body["data"]]
        url = body["metadata"]["pagination"]["next"]
    assert (
        len(ids)
        == len(set(ids))
        == sandbox.ok("/api/v2/global/order_items/")["metadata"]["pagination"]["count"]
    )
    assert body["metadata"]["pagination"]["previous"] is not None


@BEHIND_THE_CONTRACT
def test_page_size_default_cap_and_fallback(sandbox: Sandbox) -> None:
    assert sandbox.ok("/api/v2/global/orders/")["metadata"]["pagination"]["page_size"] == 10
    capped = sandbox.ok("/api/v2/global/orders/", {"page_size": 1000})
    assert capped["metadata"]["pagination"]["page_size"] == 100 and len(capped["data"]) == 100
    for bad in ("abc", "0", "-5"):
        assert (
            sandbox.ok("/api/v2/global/orders/", {"page_size": bad})["metadata"]["pagination"]["page_size"]
            == 10
        )


def test_page_size_variants(sandbox: Sandbox) -> None:
    sandbox.variants(default_page_size=50, max_page_size=60)
    assert sandbox.ok("/api/v2/global/orders/")["metadata"]["pagination"]["page_size"] == 50
    assert (
        sandbox.ok("/api/v2/global/orders/", {"page_size": 500})["metadata"]["pagination"]["page_size"] == 60
    )


@BEHIND_THE_CONTRACT
@pytest.mark.parametrize("page", ["9999", "0", "abc"])
def test_invalid_page_is_404(sandbox: Sandbox, page: str) -> None:
    response = sandbox.get("/api/v3/vendors/", {"page": page})
    assert response.status_code == 404 and response.json() == {"detail": "Invalid page."}


def test_page_out_of_range_variant_empty(sandbox: Sandbox) -> None:
    sandbox.variants(page_out_of_range="empty")
    body = sandbox.ok("/api/v3/vendors/", {"page": 9999})
    assert body["data"] == [] and body["metadata"]["pagination"]["next"] is None


def test_previous_link_variant_keeps_page_one(sandbox: Sandbox) -> None:
    sandbox.variants(previous_link_page_one="keep")
    body = sandbox.ok("/api/v3/vendors/", {"page": 2, "page_size": 5})
    assert parse_qs(urlsplit(body["metadata"]["pagination"]["previous"]).query) == {
        "page": ["1"],
        "page_size": ["5"],
    }


@BEHIND_THE_CONTRACT
def test_page_last(sandbox: Sandbox) -> None:
    body = sandbox.ok("/api/v3/vendors/", {"page": "last", "page_size": 10})
    pagination = body["metadata"]["pagination"]
    assert pagination["current_page"] == pagination["num_pages"] and pagination["next"] is None


@BEHIND_THE_CONTRACT
def test_csv_format_and_unknown_format(sandbox: Sandbox) -> None:
    response = sandbox.get("/api/v3/account-codes/", {"format": "csv", "page_size": 5})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    lines = response.text.strip().splitlines()
    assert lines[0].split(",")[:3] == ["id", "code", "description"] and len(lines) == 6
    assert sandbox.get("/api/v3/account-codes/", {"format": "xml"}).json() == {"detail": "Not found."}


def test_json_is_utf8_without_escapes(sandbox: Sandbox) -> None:
    response = sandbox.get("/api/v3/vendors/", {"search": "Müller"})
    assert response.headers["content-type"].startswith("application/json")
    assert "Müller".encode() in response.content and b"\\u00fc" not in response.content


@BEHIND_THE_CONTRACT
def test_error_style_variant_wraps_drf_bodies(sandbox: Sandbox) -> None:
    sandbox.variants(error_style="enveloped")
    response = sandbox.get("/api/v2/global/orders/", {"modified_date_0": "yesterday"})
    assert response.status_code == 400
    assert response.json() == {"metadata": {}, "errors": {"modified_date": ["Enter a valid date."]}}


# --- faults --------------------------------------------------------------------------------------------


def test_fail_next_answers_html_5xx_then_recovers(sandbox: Sandbox) -> None:
    sandbox.faults(fail_next=2, fail_next_status=502)
    first, second = sandbox.get("/api/v3/vendors/"), sandbox.get("/api/v3/vendors/")
    assert (first.status_code, second.status_code) == (502, 502)
    assert first.headers["content-type"].startswith("text/html") and "Bad Gateway" in first.text
    assert sandbox.get("/api/v3/vendors/").status_code == 200


def test_fail_next_path_prefix_spares_other_paths(sandbox: Sandbox) -> None:
    sandbox.faults(fail_next=1, fail_next_status=503, fail_next_path_prefix="/api/v3/ap/")
    assert sandbox.token_response().status_code == 200
    assert sandbox.get("/api/v3/vendors/").status_code == 200
    assert sandbox.get("/api/v3/ap/bills/").status_code == 503
    assert sandbox.get("/api/v3/ap/bills/").status_code == 200


def test_fail_next_on_the_token_endpoint(sandbox: Sandbox) -> None:
    sandbox.faults(fail_next=1, fail_next_status=500, fail_next_path_prefix="/oauth/")
    failed = sandbox.token_response()
    assert failed.status_code == 500 and failed.text == "<h1>Server Error (500)</h1>"
    assert sandbox.token_response().status_code == 200


def test_fail_next_429_carries_retry_after(sandbox: Sandbox) -> None:
    sandbox.faults(fail_next=1, fail_next_status=429)
    response = sandbox.get("/api/v3/vendors/")
    assert response.status_code == 429 and response.headers["retry-after"] == "1"


def test_random_errors_at_the_chosen_rate(sandbox: Sandbox) -> None:
    sandbox.faults(random_error_rate=1.0, random_error_status=503)
    assert {sandbox.get("/api/v3/vendors/").status_code for _ in range(3)} == {503}
    sandbox.faults(random_error_rate=0.0)
    assert sandbox.get("/api/v3/vendors/").status_code == 200


def test_latency_is_added(sandbox: Sandbox) -> None:
    sandbox.faults(latency_ms=300)
    answers_no_sooner_than(0.3, lambda: sandbox.get("/api/v3/vendors/"))


def test_large_pages_time_out_and_repeated_timeouts_suspend_the_application(sandbox: Sandbox) -> None:
    sandbox.faults(latency_per_row_ms=10, gateway_timeout_seconds=0.2, suspend_after_timeouts=2)
    assert sandbox.get("/api/v3/vendors/", {"page_size": 5}).status_code == 200  # 50 ms: fine
    for _ in range(2):
        timed_out = sandbox.get("/api/v3/vendors/", {"page_size": 100})  # 1 s planned > 0.2 s
        assert timed_out.status_code == 504 and "Gateway Time-out" in timed_out.text
    suspended = sandbox.get("/api/v3/vendors/", {"page_size": 5})
    assert suspended.status_code == 403 and "suspended" in suspended.json()["detail"]
    assert sandbox.state()["suspended_applications"] == [CLIENT_ID]
    assert sandbox.post_admin("suspensions/clear")["cleared"] == 1
    assert sandbox.get("/api/v3/vendors/", {"page_size": 5}).status_code == 200


def test_rate_limit_answers_429_with_retry_after(sandbox: Sandbox) -> None:
    token = sandbox.token()
    before = sandbox.state()["throttled_429"]
    sandbox.faults(rate_limit_requests=3, rate_limit_window_seconds=30)
    assert [sandbox.get("/api/v3/vendors/", token=token).status_code for _ in range(3)] == [200, 200, 200]
    throttled = sandbox.get("/api/v3/vendors/", token=token)
    assert throttled.status_code == 429
    wait = int(throttled.headers["retry-after"])
    assert 1 <= wait <= 30
    assert throttled.json() == {"detail": f"Request was throttled. Expected available in {wait} seconds."}
    assert sandbox.state()["throttled_429"] == before + 1


def test_rate_limit_window_frees_up(sandbox: Sandbox) -> None:
    token = sandbox.token()
    sandbox.faults(rate_limit_requests=2, rate_limit_window_seconds=0.5)
    assert sandbox.get("/api/v3/vendors/", token=token).status_code == 200
    assert sandbox.get("/api/v3/vendors/", token=token).status_code == 200
    assert sandbox.get("/api/v3/vendors/", token=token).status_code == 429
    time.sleep(0.6)
    assert sandbox.get("/api/v3/vendors/", token=token).status_code == 200


def test_token_rate_limit_answers_auth0_429(sandbox: Sandbox) -> None:
    sandbox.faults(token_rate_limit_requests=2, token_rate_limit_window_seconds=30)
    ok = sandbox.token_response()
    assert ok.status_code == 200 and ok.headers["x-ratelimit-limit"] == "2"
    assert sandbox.token_response().status_code == 200
    limited = sandbox.token_response()
    assert limited.status_code == 429
    assert limited.json() == {"error": "too_many_requests", "error_description": "Too Many Requests"}
    assert (
        limited.headers["x-ratelimit-remaining"] == "0"
        and int(limited.headers["x-ratelimit-reset"]) > time.time()
    )


def test_fault_settings_are_validated(sandbox: Sandbox) -> None:
    response = requests.post(f"{sandbox.admin}/faults", json={"random_error_rate": 2}, timeout=10)
    assert response.status_code == 400 and "random_error_rate" in response.json()["error"]
    response = requests.post(f"{sandbox.admin}/variants", json={"no_such_switch": True}, timeout=10)
    assert response.status_code == 400


# --- operator routes and data ----------------------------------------------------------------------------


def test_calls_and_answers_are_counted_per_endpoint(sandbox: Sandbox) -> None:
    sandbox.post_admin("calls/reset")
    sandbox.get("/api/v3/vendors/")
    sandbox.get("/api/v3/vendors/3/")
    sandbox.get("/api/v3/vendors/", {"page": 9999})
    state = sandbox.state()
    assert state["calls"]["GET /api/v3/vendors/"] == 2
    assert state["calls"]["GET /api/v3/vendors/{id:int}/"] == 1
    assert (
        state["answers"]["GET /api/v3/vendors/ 200"] == 1
        and state["answers"]["GET /api/v3/vendors/ 404"] == 1
    )


def test_records_show_the_stored_row_and_its_rendering(sandbox: Sandbox) -> None:
    payment = sandbox.ok("/api/public/v1/payments/", {"page_size": 1})["data"][0]
    stored = sandbox.record("payments", payment["id"])
    assert stored["api"] == payment
    assert f"{stored['row']['amount'] / 100:.2f}" == payment["amount"]


def test_activity_stamps_new_and_changed_records_with_one_now(sandbox: Sandbox) -> None:
    result = sandbox.post_admin(
        "activity",
        new_vendors=2,
        updated_vendors=3,
        new_requisitions=2,
        updated_requisitions=1,
        new_purchase_orders=2,
        updated_purchase_orders=2,
        new_bills=2,
        updated_bills=2,
        new_payments=1,
        updated_payments=1,
        new_account_codes=1,
        updated_account_codes=1,
        new_departments=1,
        updated_departments=1,
    )
    now = result["now"]
    touched_vendors = result["vendors"]["created"] + result["vendors"]["updated"]
    assert len(touched_vendors) == 5
    assert {sandbox.record("vendors", v)["api"]["dateModified"] for v in touched_vendors} == {now}
    today = now[:10]
    orders = sandbox.all_pages("/api/v2/global/orders/", {"modified_date_0": today})
    assert set(result["requisitions"]["created"]) <= {o["num"] for o in orders}
    assert all(o["dateModified"] >= f"{today}T00:00:00" for o in orders)
    bills = sandbox.all_pages("/api/v3/ap/bills/", {"last_modified_datetime_0": now})
    assert set(result["bills"]["created"]) | set(result["bills"]["updated"]) <= {b["uuid"] for b in bills}
    payments = sandbox.all_pages("/api/public/v1/payments/", {"updated_at_after": now})
    touched = set(result["payments"]["created"]) | set(result["payments"]["updated"])
    assert touched and touched <= {p["id"] for p in payments}
    pos = sandbox.all_pages("/api/v2/purchase_orders/purchased/all/", {"modified_date_0": today})
    assert set(result["purchase_orders"]["created"]) | set(result["purchase_orders"]["updated"]) <= {
        p["procurify_PO"] for p in pos
    }


def test_activity_request_is_validated(sandbox: Sandbox) -> None:
    response = requests.post(f"{sandbox.admin}/activity", json={"new_widgets": 1}, timeout=10)
    assert response.status_code == 400 and "new_widgets" in response.json()["error"]


def test_seed_is_realistic(sandbox: Sandbox) -> None:
    vendors = sandbox.all_pages("/api/v3/vendors/")
    names = [v["name"] for v in vendors]
    for name in ("Müller Baustoffe GmbH", "Société Générale d'Équipement", "北京建材"):
        assert name in names
    assert max(len(name) for name in names) == 150
    assert max(len(v["external_id"] or "") for v in vendors) == 100
    # Deleted vendors stay as inactive rows, so names repeat.
    assert any(names.count(v["name"]) > 1 and not v["active"] for v in vendors)
    assert vendors[0]["id"] == 1 and vendors[0]["type"] == 1  # the OTHER bucket
    # Many records share one modified timestamp (cursor boundaries).
    stamps = [v["dateModified"] for v in vendors]
    assert max(stamps.count(stamp) for stamp in stamps) >= 5
    # DRF renders microseconds only when there are some.
    assert any(len(s) == 20 for s in stamps) and any(len(s) == 27 for s in stamps)


def test_seed_is_deterministic_for_a_seed_and_anchor() -> None:
    settings = ProcurifySandboxSettings(scale=0.02, anchor_date=dt.date(2025, 3, 1))
    dumps = []
    for _ in range(2):
        store = Store()
        try:
            report = seed(store, settings)
            dumps.append(
                (report.row_counts, [tuple(r) for r in store.all("SELECT * FROM bills ORDER BY id")])
            )
        finally:
            store.close()
    assert dumps[0] == dumps[1] and dumps[0][0]["bills"] > 0


@BEHIND_THE_CONTRACT
def test_reset_reseeds_and_forgets_tokens() -> None:
    box, stop = start(ProcurifySandboxSettings(scale=0.02))
    try:
        token = box.token()
        first = box.all_pages("/api/v3/vendors/")
        box.send("POST", "/api/v3/vendors/", {"name": "Temporary", "email": ["t@temp.example"]}, token=token)
        report = box.post_admin("reset")
        assert report["row_counts"]["vendors"] == len(first)
        assert box.get("/api/v3/vendors/", token=token).status_code == 401
        box.forget_token()
        assert box.all_pages("/api/v3/vendors/") == first
        assert box.post_admin("reset", scale=0.04)["row_counts"]["vendors"] >= len(first)
    finally:
        stop()


def test_latency_jitter_varies_the_delay(sandbox: Sandbox) -> None:
    sandbox.faults(latency_jitter_ms=150)
    durations = []
    for _ in range(5):
        started = time.perf_counter()
        assert sandbox.get("/api/v3/account-codes/", {"page_size": 1}).status_code == 200
        durations.append(time.perf_counter() - started)
    # Uniform 0-150 ms per call (seeded): five calls add up to well above nothing, and not all alike. (No
    # upper bound: a busy machine only lengthens a call.)
    assert sum(durations) >= 0.1 and len({round(duration, 3) for duration in durations}) > 1
