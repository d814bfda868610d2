"""Auth schemes against a real loopback server: static credentials, token caching and renewal,
re-authentication on an expired session, OAuth client credentials, and secrets kept out of errors
and logs.
"""

from __future__ import annotations

import base64
import logging
import time
import uuid

import pytest
from concurrently import raised_together
from http_server import CannedResponse, OAuthTokenEndpoint, RecordedRequest, ScriptedServer

from connector_resources.http import (
    AuthenticationError,
    BasicAuth,
    ClientError,
    HeaderAuth,
    HttpClient,
    HttpPolicy,
    OAuthClientCredentials,
    ServerError,
    Token,
    TokenAuth,
    merge_json_body,
)
from connector_resources.redaction import redact, register_secret

pytest_plugins = ["http_server"]

FAST = HttpPolicy(
    connect_timeout=1, read_timeout=3, max_attempts=3, backoff_base=0.01, backoff_cap=0.03, deadline=20
)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex}"


# -- a JDE AIS-like scheme: token in the JSON body, session expiry answered with 444 ---------------


class DeviceTokenAuth(TokenAuth):
    """Logs in with a JSON body and carries ``token`` + ``deviceName`` inside each request body."""

    expired_statuses = frozenset({444})

    def __init__(self, username: str, password: str, device: str, **kwargs) -> None:
        super().__init__(**kwargs)
        register_secret(password)
        self.username, self._password, self.device = username, password, device

    def fetch_token(self, http: HttpClient) -> Token:
        login = {"username": self.username, "password": self._password, "deviceName": self.device}
        answer = http.post("/jderest/v2/tokenrequest", json=login, authenticate=False, idempotent=True)
        return Token(answer.json()["userInfo"]["token"])

    def header(self, token: Token) -> dict[str, str]:
        return {}

    def apply(self, request) -> None:
        merge_json_body(request, {"token": self.token_for(request).value, "deviceName": self.device})


class FakeAis:
    """Token request + data service with server-side session expiry, on a ScriptedServer."""

    def __init__(self, server: ScriptedServer, password: str) -> None:
        self.password = password
        self.valid: set[str] = set()
        self.issued: list[str] = []
        server.route("/jderest/v2/tokenrequest", self._login)
        server.route("/jderest/v2/dataservice", self._query)

    def _login(self, request: RecordedRequest) -> CannedResponse:
        body = request.json()
        if body.get("password") != self.password:
            return CannedResponse(403, {"message": "Authorization Failure"})
        token = unique("044Xk3")
        self.valid.add(token)
        self.issued.append(token)
        return CannedResponse(200, {"userInfo": {"token": token}})

    def _query(self, request: RecordedRequest) -> CannedResponse:
        body = request.json()
        if body.get("token") not in self.valid or body.get("deviceName") != "ml-connector":
            return CannedResponse(444, {"message": "Invalid Token", "exception": "Exception"})
        return CannedResponse(200, {"fs_DATABROWSE_F4301": {"data": {"gridData": {"rowset": []}}}})


@pytest.fixture
def ais(http_server):
    return FakeAis(http_server, password=unique("pw"))


def ais_client(server: ScriptedServer, ais: FakeAis, **auth_kwargs) -> HttpClient:
    auth = DeviceTokenAuth("JDE", ais.password, "ml-connector", **auth_kwargs)
    return HttpClient("jde", server.url, auth=auth, policy=FAST)


def test_expired_session_reauthenticates_once_and_replays_with_the_new_token(http_server, ais):
    with ais_client(http_server, ais) as jde:
        query = {"targetName": "F4301", "dataServiceType": "BROWSE"}
        jde.post("/jderest/v2/dataservice", json=query, idempotent=True)
        ais.valid.clear()  # the server drops the session (idle timeout)
        assert jde.post("/jderest/v2/dataservice", json=query, idempotent=True).status_code == 200
        metrics = jde.metrics.snapshot()
    data = http_server.hits("/jderest/v2/dataservice")
    assert [r.json()["token"] for r in data] == [ais.issued[0], ais.issued[0], ais.issued[1]]
    assert all(r.json()["targetName"] == "F4301" for r in data)  # the caller's body survives signing
    assert len(http_server.hits("/jderest/v2/tokenrequest")) == 2
    assert metrics.reauths == 1 and metrics.retries == 0 and metrics.calls == 5


def test_second_expiry_raises_authentication_error_without_looping(http_server, ais):
    http_server.enqueue(
        *[CannedResponse(444, {"message": "Invalid Token"})] * 5, path="/jderest/v2/dataservice"
    )
    with ais_client(http_server, ais) as jde, pytest.raises(AuthenticationError) as caught:
        jde.post("/jderest/v2/dataservice", json={"targetName": "F0101"}, idempotent=True)
    assert caught.value.status == 444
    assert "again right after re-authenticating" in str(caught.value)
    assert len(http_server.hits("/jderest/v2/dataservice")) == 2
    assert len(http_server.hits("/jderest/v2/tokenrequest")) == 2


def test_expired_status_is_configurable_per_instance(http_server, ais):
    with ais_client(http_server, ais, expired_statuses={401}) as jde:
        jde.post("/jderest/v2/dataservice", json={}, idempotent=True)
        ais.valid.clear()
        with pytest.raises(ClientError) as caught:  # 444 is now just an unexpected 4xx
            jde.post("/jderest/v2/dataservice", json={}, idempotent=True)
        assert caught.value.status == 444 and jde.metrics.reauths == 0
    assert len(http_server.hits("/jderest/v2/tokenrequest")) == 1


def test_bad_login_is_a_client_error_naming_the_system(http_server, ais):
    auth = DeviceTokenAuth("JDE", unique("wrong"), "ml-connector")
    with (
        HttpClient("jde", http_server.url, auth=auth, policy=FAST) as jde,
        pytest.raises(ClientError) as caught,
    ):
        jde.post("/jderest/v2/dataservice", json={}, idempotent=True)
    assert caught.value.status == 403 and str(caught.value).startswith("jde: POST")
    assert http_server.hits("/jderest/v2/dataservice") == []


def test_merge_json_body_refuses_non_object_bodies():
    import requests

    prepared = requests.Request("POST", "http://h/x", json=[1, 2]).prepare()
    with pytest.raises(ValueError, match="JSON list body"):
        merge_json_body(prepared, {"token": "t"})
    prepared = requests.Request("POST", "http://h/x", data=b"a=1").prepare()
    with pytest.raises(ValueError, match="non-JSON body of POST"):
        merge_json_body(prepared, {"token": "t"})


# -- static schemes -------------------------------------------------------------------------------


def test_header_auth_sends_its_headers_and_registers_them_as_secrets(http_server):
    key = unique("devkey")
    http_server.enqueue(CannedResponse(200))
    with HttpClient("bill", http_server.url, auth=HeaderAuth({"devKey": key}), policy=FAST) as c:
        c.get("/v3/vendors")
    assert http_server.requests[0].headers["devKey"] == key
    assert key not in redact(f"header devKey={key} and bare {key}")


def test_static_credentials_rejected_are_an_authentication_error_at_once(http_server):
    http_server.enqueue(CannedResponse(401, {"error": "invalid api key"}), CannedResponse(200))
    with HttpClient("bill", http_server.url, auth=HeaderAuth({"X-Api-Key": unique("k")}), policy=FAST) as c:
        with pytest.raises(AuthenticationError):
            c.get("/v3/vendors")
        assert c.metrics.reauths == 0
    assert len(http_server.requests) == 1


def test_basic_auth_header(http_server):
    password = unique("pw")
    http_server.enqueue(CannedResponse(200))
    with HttpClient("fusion", http_server.url, auth=BasicAuth("finuser", password), policy=FAST) as c:
        c.get("/fscmRestApi/resources/latest/suppliers")
    header = http_server.requests[0].headers["Authorization"]
    assert base64.b64decode(header.removeprefix("Basic ")).decode() == f"finuser:{password}"


def test_custom_credential_headers_do_not_follow_a_redirect_to_another_origin(
    http_server, http_server_factory
):
    elsewhere = http_server_factory()
    elsewhere.route("/landing", CannedResponse(200))
    http_server.enqueue(CannedResponse(302, headers={"Location": elsewhere.url_for("/landing")}))
    session_id = unique("sess")
    auth = HeaderAuth({"devKey": unique("dev"), "sessionId": session_id})
    with HttpClient("bill", http_server.url, auth=auth, policy=FAST) as c:
        c.get("/v3/bills")
    assert http_server.requests[0].headers["sessionId"] == session_id
    landed = elsewhere.requests[0].headers
    assert "sessionId" not in landed and "devKey" not in landed


def test_schemes_reject_empty_credentials_naming_the_field():
    with pytest.raises(ValueError, match="password for user 'finuser' is empty"):
        BasicAuth("finuser", "")
    with pytest.raises(ValueError, match="client_secret for client 'abc' is empty"):
        OAuthClientCredentials("/oauth2/token", "abc", "")
    with pytest.raises(ValueError, match="token_endpoint_auth_method 'private_key_jwt'"):
        OAuthClientCredentials("/oauth2/token", "abc", "s3cret", token_endpoint_auth_method="private_key_jwt")


# -- TokenAuth lifetime and concurrency -----------------------------------------------------------


class _ClockedAuth(TokenAuth):
    def fetch_token(self, http):  # never called: these tests only ask about the renewal window
        raise AssertionError("not used")

    def header(self, token):
        return {}


@pytest.mark.parametrize(
    ("lifetime", "renew_at"),
    [(86_400, 86_400 - 8_640), (300, 240), (2, 1)],  # 10 % of a day; 60 s leeway; half of a short token
)
def test_renewal_window(lifetime, renew_at):
    now = [0.0]
    auth = _ClockedAuth(clock=lambda: now[0])
    token = Token("t" * 8, expires_at=float(lifetime), obtained_at=0.0)
    now[0] = renew_at - 0.001
    assert not auth.needs_refresh(token)
    now[0] = renew_at
    assert auth.needs_refresh(token)
    assert auth.needs_refresh(None) and not auth.needs_refresh(Token("t" * 8, expires_at=None))


def oauth_setup(server: ScriptedServer, method: str = "client_secret_post", **endpoint_kwargs):
    client_id, secret = unique("cid"), unique("csecret")
    endpoint = OAuthTokenEndpoint(
        server, client_id=client_id, client_secret=secret, auth_method=method, **endpoint_kwargs
    )
    server.route("/api/invoices", endpoint.protected(CannedResponse(200, [{"id": 1}])))
    return endpoint, client_id, secret


def test_token_is_renewed_before_it_expires(http_server):
    endpoint, client_id, secret = oauth_setup(http_server, expires_in=1)
    auth = OAuthClientCredentials(endpoint.path, client_id, secret)
    with HttpClient("coupa", http_server.url, auth=auth, policy=FAST) as c:
        c.get("/api/invoices")
        c.get("/api/invoices")  # well inside the window: reused
        assert len(endpoint.token_requests) == 1
        time.sleep(0.6)  # past half of a 1 s lifetime, before the server would reject it
        c.get("/api/invoices")
        assert len(endpoint.token_requests) == 2
        assert c.metrics.reauths == 0  # renewed proactively, never by a 401
    assert {r.headers["Authorization"] for r in http_server.hits("/api/invoices")} == {
        f"Bearer {t}" for t in endpoint.issued
    }


def _slow_token_endpoint(endpoint: OAuthTokenEndpoint, server: ScriptedServer, delay: float) -> None:
    issue = endpoint._issue

    def slow(request: RecordedRequest) -> CannedResponse:
        time.sleep(delay)
        return issue(request)

    server.route(endpoint.path, slow)


def test_concurrent_first_use_fetches_one_token(http_server):
    endpoint, client_id, secret = oauth_setup(http_server)
    _slow_token_endpoint(endpoint, http_server, 0.2)
    auth = OAuthClientCredentials(endpoint.path, client_id, secret)
    with HttpClient("coupa", http_server.url, auth=auth, policy=FAST) as c:
        assert raised_together([lambda: c.get("/api/invoices")] * 8) == []
    assert len(endpoint.token_requests) == 1 and auth.fetch_count == 1
    assert len(http_server.hits("/api/invoices")) == 8


def test_a_burst_of_expired_answers_costs_one_new_token(http_server):
    endpoint, client_id, secret = oauth_setup(http_server)
    auth = OAuthClientCredentials(endpoint.path, client_id, secret)
    with HttpClient("coupa", http_server.url, auth=auth, policy=FAST) as c:
        c.get("/api/invoices")
        endpoint.expire_all()
        _slow_token_endpoint(endpoint, http_server, 0.2)
        assert raised_together([lambda: c.get("/api/invoices")] * 8) == []
    assert len(endpoint.token_requests) == 2


# -- OAuth client credentials ---------------------------------------------------------------------


@pytest.mark.parametrize("method", ["client_secret_post", "client_secret_basic", "client_secret_json"])
def test_oauth_client_credentials_variants(http_server, method):
    audience = "https://api.procurify.com/" if method == "client_secret_json" else None
    endpoint, client_id, secret = oauth_setup(http_server, method, audience=audience)
    auth = OAuthClientCredentials(
        endpoint.url,
        client_id,
        secret,
        scopes=["core.invoice.read", "core.supplier.read"],
        audience=audience,
        token_endpoint_auth_method=method,
    )
    with HttpClient("coupa", http_server.url, auth=auth, policy=FAST) as c:
        for _ in range(3):
            assert c.get("/api/invoices").json() == [{"id": 1}]
        assert len(endpoint.token_requests) == 1  # cached
        endpoint.expire_all()
        assert c.get("/api/invoices").status_code == 200  # 401 -> new token -> replay
        assert c.metrics.reauths == 1
    assert len(endpoint.token_requests) == 2
    sent = endpoint.token_requests[0]
    assert sent["grant_type"] == "client_credentials"
    assert sent["scope"] == "core.invoice.read core.supplier.read"
    token_call = http_server.hits(endpoint.path)[0]
    if method == "client_secret_basic":
        assert "client_secret" not in sent and token_call.headers["Authorization"].startswith("Basic ")
    else:
        assert sent["client_id"] == client_id and sent["client_secret"] == secret
    if method == "client_secret_json":
        assert token_call.headers["Content-Type"].startswith("application/json")
        assert sent["audience"] == audience
    else:
        assert token_call.headers["Content-Type"].startswith("application/x-www-form-urlencoded")
    api_calls = http_server.hits("/api/invoices")
    assert [r.headers["Authorization"] for r in api_calls] == [
        f"Bearer {endpoint.issued[0]}",
        f"Bearer {endpoint.issued[0]}",
        f"Bearer {endpoint.issued[0]}",
        f"Bearer {endpoint.issued[0]}",  # rejected: expired on the server
        f"Bearer {endpoint.issued[1]}",
    ]


def test_token_request_shares_the_clients_retries(http_server):
    endpoint, client_id, secret = oauth_setup(http_server, expires_in=None)
    http_server.enqueue(CannedResponse(503), CannedResponse(502), path=endpoint.path)
    auth = OAuthClientCredentials(endpoint.path, client_id, secret)
    with HttpClient("procore", http_server.url, auth=auth, policy=FAST) as c:
        assert c.get("/api/invoices").status_code == 200
        assert c.metrics.retries == 2 and c.metrics.calls == 4
    assert len(http_server.hits(endpoint.path)) == 3
    assert auth.token is not None and auth.token.expires_at is None


def test_token_endpoint_down_is_not_retried_twice_over(http_server):
    endpoint, client_id, secret = oauth_setup(http_server)
    http_server.enqueue(*[CannedResponse(503)] * 10, path=endpoint.path)
    auth = OAuthClientCredentials(endpoint.path, client_id, secret)
    with HttpClient("procore", http_server.url, auth=auth, policy=FAST) as c, pytest.raises(ServerError):
        c.get("/api/invoices")
    assert len(http_server.hits(endpoint.path)) == FAST.max_attempts  # not max_attempts squared
    assert http_server.hits("/api/invoices") == []


def test_wrong_client_secret_is_an_authentication_error_without_the_secret(http_server):
    endpoint, client_id, _ = oauth_setup(http_server)
    wrong = unique("wrong-secret")
    auth = OAuthClientCredentials(endpoint.path, client_id, wrong)
    with (
        HttpClient("coupa", http_server.url, auth=auth, policy=FAST) as c,
        pytest.raises(AuthenticationError) as e,
    ):
        c.get("/api/invoices")
    assert e.value.status == 401 and "invalid_client" in str(e.value) and wrong not in str(e.value)
    assert len(http_server.hits(endpoint.path)) == 1  # a 401 from the token endpoint is final


def test_token_response_without_access_token_is_an_authentication_error(http_server):
    http_server.route("/oauth/token", CannedResponse(200, {"token_type": "bearer"}))
    auth = OAuthClientCredentials("/oauth/token", "cid", unique("s"))
    with HttpClient("coupa", http_server.url, auth=auth, policy=FAST) as c:
        with pytest.raises(AuthenticationError, match="no access_token"):
            c.get("/api/invoices")
        http_server.route("/oauth/token", CannedResponse(200, {"error": "invalid_scope"}))
        with pytest.raises(AuthenticationError, match="invalid_scope"):
            c.get("/api/invoices")
    assert http_server.hits("/api/invoices") == []


# -- redaction ------------------------------------------------------------------------------------


def test_secrets_echoed_by_the_server_never_reach_errors_or_logs(http_server, caplog):
    caplog.set_level(logging.DEBUG)  # root: ours, urllib3's and authlib's records
    password = unique("pw")
    basic = BasicAuth("finuser", password)  # the process knows (and registered) this password
    endpoint, client_id, client_secret = oauth_setup(http_server)
    auth = OAuthClientCredentials(endpoint.path, client_id, client_secret)
    errors: list[Exception] = []

    with HttpClient("coupa", http_server.url, auth=auth, policy=FAST) as c:
        c.get("/api/invoices")
        token = endpoint.issued[0]
        secrets = [password, token, client_secret]
        echo = f"bad request: password={password} token {token} secret '{client_secret}'"
        http_server.route("/api/echo", endpoint.protected(CannedResponse(400, echo)))
        # A redirect whose Location carries the token and the password, landing on an error.
        leaky = f"/api/landing?access_token={token}&pwd={password}&page=3"
        http_server.route("/api/moved", endpoint.protected(CannedResponse(302, headers={"Location": leaky})))
        http_server.route("/api/landing", CannedResponse(500, {"token": token}))
        # A next-page link (as JDE AIS sends) with the session token embedded in its query.
        next_link = http_server.url_for(f"/api/page?stackId=1&token={token}&secret={client_secret}")
        http_server.route("/api/page", CannedResponse(503, {"error": f"stale {token}"}))
        for path in ("/api/echo", "/api/moved", next_link):
            with pytest.raises((ClientError, ServerError)) as caught:
                c.get(path)
            errors.append(caught.value)

    with HttpClient("fusion", http_server.url, auth=basic, policy=FAST) as b:
        http_server.route("/fscm/echo", CannedResponse(403, {"detail": f"user finuser password {password}"}))
        with pytest.raises(ClientError) as caught:
            b.get("/fscm/echo")
        errors.append(caught.value)

    echoed = " ".join(e.response.text for e in errors if e.response is not None)
    assert all(s in echoed for s in secrets)  # the server really sent them back
    assert len(http_server.hits("/api/landing")) == FAST.max_attempts  # the redirect was followed
    texts = [str(e) for e in errors] + [e.url for e in errors] + [repr(e) for e in errors]
    texts += [r.getMessage() for r in caplog.records] + [r.exc_text or "" for r in caplog.records]
    texts.append(caplog.text)
    assert any("urllib3" in r.name for r in caplog.records)  # third-party records were captured too
    for text in texts:
        for s in secrets:
            assert s not in text
