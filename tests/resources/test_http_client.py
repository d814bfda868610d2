"""HttpClient against a real loopback server: retries, timeouts, limits, metrics, logging, redaction.

No mocks: every test talks HTTP to ``tests/http_server.py`` and checks what the server saw.
Policies use tiny backoffs so the file stays fast.
"""

from __future__ import annotations

import email.utils
import logging
import pickle
import random
import threading
import time
import uuid
from functools import partial

import pytest
import requests
from concurrently import raised_together
from http_server import CannedResponse, ScriptedServer, closed_port
from tenacity import Future as TenacityFuture
from tenacity import RetryCallState, Retrying

from connector_resources.http import (
    ApiError,
    BackoffWait,
    ClientError,
    HttpClient,
    HttpPolicy,
    InFlightLimit,
    RateLimit,
    RateLimitedError,
    ServerError,
    SlotTimeout,
    TransportError,
    parse_retry_after,
)
from connector_resources.http import client as client_module
from connector_resources.http.policy import TransientFailure, quick_calls
from connector_resources.redaction import register_secret

pytest_plugins = ["http_server"]

FAST = HttpPolicy(
    connect_timeout=1,
    read_timeout=2,
    max_attempts=4,
    backoff_base=0.01,
    backoff_cap=0.05,
    retry_after_cap=2,
    deadline=20,
)


def gaps(server: ScriptedServer) -> list[float]:
    starts = [r.started_at for r in server.requests]
    return [b - a for a, b in zip(starts, starts[1:], strict=False)]


@pytest.fixture
def client(http_server: ScriptedServer):
    with HttpClient("acme", http_server.url, policy=FAST) as c:
        yield c


# -- Retry-After and backoff ---------------------------------------------------------------------


def test_429_retry_after_seconds_is_honoured(http_server, client):
    http_server.enqueue(CannedResponse(429, headers={"Retry-After": "1"}), CannedResponse(200, {"ok": True}))
    response = client.get("/items")
    assert response.json() == {"ok": True}
    assert len(http_server.hits("/items")) == 2
    assert gaps(http_server)[0] >= 0.95
    assert client.metrics.retries == 1


def test_retry_after_http_date_is_honoured(http_server, client):
    when = email.utils.formatdate(time.time() + 1.5, usegmt=True)  # whole seconds: waits 0.5-1.5 s
    http_server.enqueue(CannedResponse(503, headers={"Retry-After": when}), CannedResponse(200))
    client.get("/items")
    assert 0.45 <= gaps(http_server)[0] < 2.0  # the policy's own backoff would be <= 0.05 s


def test_retry_after_is_capped_by_policy(http_server):
    policy = FAST.model_copy(update={"retry_after_cap": 0.2})
    http_server.enqueue(CannedResponse(429, headers={"Retry-After": "120"}), CannedResponse(200))
    with HttpClient("acme", http_server.url, policy=policy) as c:
        c.get("/items")
    assert 0.19 <= gaps(http_server)[0] < 1.0


def test_429_without_retry_after_sleeps_the_seeded_full_jitter_waits(http_server):
    policy = FAST.model_copy(update={"backoff_base": 0.1, "backoff_cap": 0.3, "max_attempts": 5})
    http_server.enqueue(*[CannedResponse(429)] * 3, CannedResponse(200))
    with HttpClient("acme", http_server.url, policy=policy, wait=BackoffWait(policy, random.Random(42))) as c:
        c.get("/items")
    # Same seed, same draws: the windows are 0.1, 0.2, 0.3 (capped) for retries 1..3.
    rng = random.Random(42)
    expected = [rng.uniform(0, min(0.3, 0.1 * 2**n)) for n in range(3)]
    observed = gaps(http_server)
    assert len(observed) == 3
    for got, want in zip(observed, expected, strict=True):
        assert want <= got < want + 0.25


def test_full_jitter_waits_fill_the_whole_window():
    policy = HttpPolicy(backoff_base=0.5, backoff_cap=30)
    wait = BackoffWait(policy, random.Random(1234))
    for attempt in range(1, 10):
        state = _failed_state(attempt, TransientFailure(_an_error()))
        ceiling = min(30.0, 0.5 * 2 ** (attempt - 1))
        assert wait.jitter_ceiling(state) == pytest.approx(ceiling)
        samples = [wait(state) for _ in range(2000)]
        assert all(0.0 <= s <= ceiling for s in samples)
        # Full jitter, not "half fixed + half random": both ends of the window are reached.
        assert min(samples) < 0.05 * ceiling
        assert max(samples) > 0.95 * ceiling


def test_wait_prefers_retry_after_and_caps_it():
    policy = HttpPolicy(backoff_base=0.5, backoff_cap=30, retry_after_cap=10)
    wait = BackoffWait(policy, random.Random(0))
    assert wait(_failed_state(1, TransientFailure(_an_error(), retry_after=3.5))) == 3.5
    assert wait(_failed_state(1, TransientFailure(_an_error(), retry_after=500))) == 10
    assert wait(_failed_state(1, TransientFailure(_an_error(), retry_after=0))) == 0


def test_parse_retry_after_forms():
    now = 1_445_412_480.0  # Wed, 21 Oct 2015 07:28:00 GMT
    assert parse_retry_after("120") == 120
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now=now) == pytest.approx(30)
    assert parse_retry_after("Wed, 21 Oct 2015 07:27:00 GMT", now=now) == 0  # in the past: now
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None
    assert parse_retry_after("-5") == 0


def _an_error() -> ApiError:
    return ServerError("acme", "GET", "http://x/y", status=503)


def _failed_state(attempt_number: int, exc: BaseException) -> RetryCallState:
    state = RetryCallState(Retrying(), fn=None, args=(), kwargs={})
    state.attempt_number = attempt_number
    state.outcome = TenacityFuture.construct(attempt_number, exc, True)
    return state


# -- status handling and idempotency -------------------------------------------------------------


def test_503_several_times_then_200(http_server, client):
    http_server.enqueue(*[CannedResponse(503)] * 3, CannedResponse(200, {"n": 1}))
    assert client.get("/items").json() == {"n": 1}
    assert len(http_server.hits("/items")) == 4
    assert client.metrics.retries == 3
    assert client.metrics.statuses[503] == 3


def test_500_on_post_is_not_replayed(http_server, client):
    http_server.enqueue(CannedResponse(500, {"error": "boom"}), CannedResponse(200))
    with pytest.raises(ServerError) as caught:
        client.post("/purchase_orders", json={"po": "PO-1"})
    assert caught.value.status == 500
    assert caught.value.attempts == 1
    assert len(http_server.hits("/purchase_orders")) == 1


def test_500_on_post_is_replayed_when_caller_says_idempotent(http_server, client):
    http_server.enqueue(CannedResponse(500), CannedResponse(200, {"rows": []}))
    response = client.post("/dataservice", json={"query": 1}, idempotent=True)
    assert response.json() == {"rows": []}
    assert len(http_server.hits("/dataservice")) == 2


def test_503_and_429_on_post_are_replayed_because_nothing_was_processed(http_server, client):
    http_server.enqueue(CannedResponse(503), CannedResponse(429), CannedResponse(201, {"id": 7}))
    assert client.post("/purchase_orders", json={"po": "PO-1"}).status_code == 201
    posts = http_server.hits("/purchase_orders", "POST")
    assert len(posts) == 3
    assert all(p.json() == {"po": "PO-1"} for p in posts)  # the body is replayed intact


def test_non_retryable_400_raises_at_once(http_server, client):
    http_server.enqueue(CannedResponse(400, {"errors": {"supplier": ["can't be blank"]}}))
    with pytest.raises(ClientError) as caught:
        client.get("/items")
    assert len(http_server.requests) == 1
    assert "400" in str(caught.value) and "can't be blank" in str(caught.value)


def test_expected_statuses_are_returned_instead_of_raised(http_server, client):
    http_server.enqueue(CannedResponse(404, {"detail": "not found"}))
    assert client.get("/suppliers/99", expected={200, 404}).status_code == 404
    http_server.enqueue(CannedResponse(200))
    with pytest.raises(ClientError, match="-> 200"):
        client.post("/suppliers", json={}, expected={201})


def test_exhausted_attempts_raise_the_right_error_with_a_redacted_message(http_server, client):
    secret = f"sess-{uuid.uuid4().hex}"
    register_secret(secret)
    echo = {"error": f"backend down for session {secret}"}
    http_server.enqueue(*[CannedResponse(503, echo)] * FAST.max_attempts)
    with pytest.raises(ServerError) as caught:
        client.get(f"/items?page=2&sessionId={secret}&api_key=k-{uuid.uuid4().hex}")
    error = caught.value
    assert error.status == 503 and error.attempts == FAST.max_attempts
    assert len(http_server.requests) == FAST.max_attempts
    text = str(error)
    assert secret in error.response.text  # the server really echoed it...
    assert secret not in text and secret not in error.url  # ...and the error does not
    assert "api_key=***" in text and "page=2" in text
    assert text.startswith("acme: GET http://127.0.0.1") and "\n" not in text
    assert f"after {FAST.max_attempts} attempts" in text
    assert client.metrics.errors == 1


def test_429_exhausted_is_a_rate_limited_error(http_server, client):
    http_server.enqueue(*[CannedResponse(429, headers={"Retry-After": "0"})] * FAST.max_attempts)
    with pytest.raises(RateLimitedError):
        client.get("/items")


def test_api_error_survives_pickling():
    error = ServerError(
        "acme", "GET", "http://h/x?token=abc123456", status=502, body_excerpt="bad", attempts=3
    )
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is ServerError and str(copy) == str(error) and "abc123456" not in str(copy)


def test_vendor_refusal_recognised_by_retry_when_is_replayed_even_for_post(http_server):
    refusal = CannedResponse(400, {"code": "BDC_1322", "message": "Max number of concurrent requests"})
    http_server.enqueue(refusal, CannedResponse(200, {"id": "00n1"}))

    def concurrency_refusal(response):
        return response.status_code == 400 and "BDC_1322" in response.text

    with HttpClient("bill", http_server.url, policy=FAST, retry_when=concurrency_refusal) as c:
        assert c.post("/v3/bills", json={"invoice": "1"}).json() == {"id": "00n1"}
        http_server.enqueue(*[refusal] * FAST.max_attempts)
        with pytest.raises(RateLimitedError):
            c.post("/v3/bills", json={"invoice": "2"})
    assert len(http_server.hits("/v3/bills")) == 2 + FAST.max_attempts


def test_deadline_stops_retrying_before_max_attempts(http_server):
    policy = FAST.model_copy(update={"max_attempts": 50, "deadline": 1.0, "retry_after_cap": 5})
    http_server.route("/slow", CannedResponse(503, headers={"Retry-After": "0.4"}))
    with HttpClient("acme", http_server.url, policy=policy) as c, pytest.raises(ServerError) as caught:
        c.get("/slow")
    # Waits of 0.4 s: a fourth attempt would start past the 1 s deadline, so at most three of the 50 were
    # made (three on a quiet machine; fewer when the attempts themselves take long).
    assert 1 <= caught.value.attempts == len(http_server.hits("/slow")) <= 3


# -- transport failures ---------------------------------------------------------------------------


def test_read_timeout_is_retried_on_get(http_server):
    policy = FAST.model_copy(update={"read_timeout": 0.3})
    http_server.enqueue(CannedResponse(200, {"late": True}, delay=2), CannedResponse(200, {"late": False}))
    with HttpClient("acme", http_server.url, policy=policy) as c:
        assert c.get("/items").json() == {"late": False}
    assert len(http_server.hits("/items")) == 2


def test_read_timeout_on_post_is_not_replayed(http_server):
    policy = FAST.model_copy(update={"read_timeout": 0.3})
    http_server.enqueue(CannedResponse(201, delay=2), CannedResponse(201))
    with HttpClient("acme", http_server.url, policy=policy) as c, pytest.raises(TransportError) as caught:
        c.post("/payments", json={"amount": "10.00"})
    assert len(http_server.hits("/payments")) == 1
    assert caught.value.status is None and "timed out" in str(caught.value)


def test_per_call_timeout_override_and_no_timeout_is_refused(http_server, client):
    http_server.enqueue(CannedResponse(200, delay=1), CannedResponse(200))
    with pytest.raises(TransportError):
        client.post("/x", timeout=(1, 0.2))
    with pytest.raises(TypeError, match="None is not allowed"):
        client.get("/x", timeout=None)
    with pytest.raises(TypeError, match="stream"):
        client.get("/x", stream=True)
    assert len(http_server.requests) == 1


def test_connection_reset_is_retried_on_get_but_not_post(http_server, client):
    http_server.enqueue(CannedResponse(reset=True), CannedResponse(200, {"ok": 1}))
    assert client.get("/items").json() == {"ok": 1}
    assert len(http_server.hits("/items")) == 2
    http_server.enqueue(CannedResponse(reset=True), CannedResponse(201))
    with pytest.raises(TransportError, match="reset|aborted"):
        client.post("/vouchers", json={"v": 1})
    assert len(http_server.hits("/vouchers")) == 1


def test_connection_refused_post_is_retried_until_the_server_appears():
    port = closed_port()
    policy = FAST.model_copy(update={"max_attempts": 40, "backoff_base": 0.05, "backoff_cap": 0.1})
    servers: list[ScriptedServer] = []

    def start_later() -> None:
        time.sleep(0.3)
        server = ScriptedServer(port=port).start()
        server.route("/orders", CannedResponse(201, {"id": 1}))
        servers.append(server)

    starter = threading.Thread(target=start_later)
    starter.start()
    try:
        with HttpClient(
            "acme", f"http://127.0.0.1:{port}", policy=policy, wait=BackoffWait(policy, random.Random(3))
        ) as c:
            response = c.post("/orders", json={"po": 1})
            metrics = c.metrics.snapshot()
    finally:
        starter.join()
        for server in servers:
            server.close()
    assert response.status_code == 201
    assert len(servers[0].hits("/orders")) == 1  # refused attempts never reached a server
    assert metrics.calls > 1 and metrics.retries == metrics.calls - 1


def test_a_client_made_inside_quick_calls_keeps_to_its_limit_and_one_made_after_it_to_its_own():
    own = FAST.model_copy(update={"max_attempts": 6, "connect_timeout": 10.0, "deadline": 300.0})
    limit = HttpPolicy(connect_timeout=3, read_timeout=15, max_attempts=2, backoff_cap=1, deadline=20)
    url = f"http://127.0.0.1:{closed_port()}"
    with quick_calls(limit), HttpClient("acme", url, policy=own) as c:
        with pytest.raises(TransportError, match="refused") as caught:
            c.get("/items")
        assert caught.value.attempts == 2 == c.metrics.calls  # the limit's, not the client's six
        assert (c.policy.connect_timeout, c.policy.read_timeout, c.policy.deadline) == (
            3,
            min(15, FAST.read_timeout),
            20,
        )
    with HttpClient("acme", url, policy=own) as after:
        assert after.policy == own


def test_connection_refused_exhausts_attempts_as_transport_error():
    with HttpClient("acme", f"http://127.0.0.1:{closed_port()}", policy=FAST) as c:
        with pytest.raises(TransportError, match="refused") as caught:
            c.get("/items")
        assert caught.value.attempts == FAST.max_attempts == c.metrics.calls
        assert caught.value.__cause__ is None and caught.value.__context__ is None


# -- URLs -----------------------------------------------------------------------------------------


def test_absolute_next_link_is_used_as_is_and_paths_keep_trailing_slash(http_server, client):
    http_server.enqueue(CannedResponse(200, {"page": 2}), CannedResponse(200, {"page": 1}))
    assert client.get(http_server.url_for("/api/v3/vendors/?page=2")).json() == {"page": 2}
    client.get("api/v3/vendors/", params={"page": 1})
    first, second = http_server.requests
    assert first.path == second.path == "/api/v3/vendors/"
    assert first.query == {"page": ["2"]} and second.query == {"page": ["1"]}


def test_credentials_are_not_sent_to_another_origin(http_server, http_server_factory, client):
    other = http_server_factory()
    with pytest.raises(ValueError, match="refusing to send credentials"):
        client.get(other.url_for("/elsewhere"))
    other.enqueue(CannedResponse(200))
    assert client.get(other.url_for("/elsewhere"), authenticate=False).status_code == 200
    assert http_server.requests == []


def test_netrc_is_read_once_per_host_and_still_gives_its_credentials(http_server, tmp_path, monkeypatch):
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login alice password wonderland\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    looked_up: list[str] = []
    real = client_module.get_netrc_auth
    monkeypatch.setattr(client_module, "get_netrc_auth", lambda url: looked_up.append(url) or real(url))
    http_server.enqueue(*[CannedResponse(200)] * 3)
    with HttpClient("acme", http_server.url, policy=FAST) as c:
        c.get("a"), c.get("b"), c.get("c", auth=("bob", "builder"), authenticate=False)
    basic = [r.headers.get("Authorization") for r in http_server.requests]
    assert basic[0] == basic[1] == requests.auth._basic_auth_str("alice", "wonderland")
    assert basic[2] == requests.auth._basic_auth_str("bob", "builder")  # a call's own auth wins
    assert looked_up == [http_server.url_for("a")]


def test_without_a_netrc_entry_nothing_is_added(http_server, tmp_path, monkeypatch):
    monkeypatch.setenv("NETRC", str(tmp_path / "absent"))
    http_server.enqueue(CannedResponse(200), CannedResponse(200))
    with HttpClient("acme", http_server.url, policy=FAST) as c:
        c.get("a")
        c.get(http_server.url.replace("//", "//carol:pw@", 1) + "/b")  # credentials in the URL still count
    assert http_server.requests[0].headers.get("Authorization") is None
    in_url = requests.auth._basic_auth_str("carol", "pw")
    assert http_server.requests[1].headers.get("Authorization") == in_url


def test_bad_base_url_is_a_clear_error():
    with pytest.raises(ValueError, match="acme: base_url must be an absolute http"):
        HttpClient("acme", "acme.coupahost.com")


# -- limits ---------------------------------------------------------------------------------------


def _parallel(clients: list[HttpClient], per_client: int, path: str) -> list[BaseException]:
    return raised_together([partial(c.get, path) for c in clients for _ in range(per_client)])


def test_max_in_flight_caps_concurrency(http_server):
    http_server.route("/slow", CannedResponse(200, delay=0.15))
    with HttpClient("bill", http_server.url, policy=FAST, max_in_flight=3) as c:
        assert _parallel([c], 10, "/slow") == []
    assert len(http_server.hits("/slow")) == 10
    assert http_server.max_concurrency == 3


def test_unlimited_client_does_run_in_parallel(http_server):
    # Guards the test above: without a cap the same load really overlaps more than 3 deep.
    http_server.route("/slow", CannedResponse(200, delay=0.15))
    with HttpClient("bill", http_server.url, policy=FAST) as c:
        assert _parallel([c], 10, "/slow") == []
    assert http_server.max_concurrency > 3


def test_same_limit_key_shares_the_cap_across_clients(http_server):
    http_server.route("/slow", CannedResponse(200, delay=0.15))
    key = f"bill:org-{uuid.uuid4().hex[:8]}"
    with (
        HttpClient("bill", http_server.url, policy=FAST, limit_key=key, max_in_flight=3) as a,
        HttpClient("bill", http_server.url, policy=FAST, limit_key=key, max_in_flight=3) as b,
    ):
        assert _parallel([a, b], 5, "/slow") == []
        with pytest.raises(ValueError, match="already 3"):
            HttpClient("bill", http_server.url, limit_key=key, max_in_flight=5)
    assert http_server.max_concurrency == 3


def test_rate_limit_paces_requests_across_clients_sharing_a_key(http_server):
    http_server.route("/items", CannedResponse(200))
    key = f"coupa:{uuid.uuid4().hex[:8]}"
    rate, burst, n = 20.0, 2, 10
    started = time.monotonic()
    with (
        HttpClient(
            "coupa", http_server.url, policy=FAST, limit_key=key, rate_per_second=rate, rate_burst=burst
        ) as a,
        HttpClient(
            "coupa", http_server.url, policy=FAST, limit_key=key, rate_per_second=rate, rate_burst=burst
        ) as b,
    ):
        for i in range(n):
            (a if i % 2 else b).get("/items")
        waited = a.metrics.wait_seconds + b.metrics.wait_seconds
    elapsed = time.monotonic() - started
    assert elapsed >= (n - burst) / rate - 0.01
    # The bucket refills while requests are in flight: on a loaded machine slow requests leave less to wait
    # for, so the wait the metrics count is what the pacing needed beyond the requests' own time.
    busy = elapsed - waited
    assert waited >= (n - burst) / rate - busy - 0.05
    assert len(http_server.hits("/items")) == n


def test_waiting_for_a_slot_is_bounded_and_limits_reject_bad_settings():
    limit = InFlightLimit("bill:org-x", 1)
    with limit.slot(timeout=1):
        started = time.monotonic()
        with pytest.raises(SlotTimeout, match="bill:org-x"), limit.slot(timeout=0.1):
            pass  # bounded: it gives up, after waiting what it was told
        assert time.monotonic() - started >= 0.09
    with limit.slot(timeout=0.1):  # released again after the failed wait
        pass
    with pytest.raises(ValueError, match="max_in_flight for 'k' must be at least 1"):
        InFlightLimit("k", 0)
    with pytest.raises(ValueError, match="rate_per_second for 'k' must be positive"):
        RateLimit("k", 0)


def test_unknown_request_keywords_are_rejected_before_sending(http_server, client):
    with pytest.raises(TypeError, match=r"unexpected request keyword\(s\) \['jsn'\]"):
        client.post("/orders", jsn={"po": 1})
    with pytest.raises(TypeError, match="auth= only together with authenticate=False"):
        client.get("/orders", auth=("u", "p"))
    assert http_server.requests == []


# -- metrics and logging --------------------------------------------------------------------------


def test_metrics_match_the_server_log(http_server, client):
    answers = [
        CannedResponse(200, {"items": list(range(20))}),
        CannedResponse(503, "try later"),
        CannedResponse(201, {"id": "PO-9"}),
        CannedResponse(404, {"detail": "gone"}),
    ]
    http_server.enqueue(*answers)
    before = client.metrics.snapshot()
    client.get("/items")
    client.post("/orders", json={"lines": [1, 2, 3]})  # 503 (replay-safe) then 201
    with pytest.raises(ClientError):
        client.put("/orders/9", data=b"x" * 1000)
    seen = http_server.requests
    metrics = client.metrics.since(before)
    assert metrics.calls == len(seen) == 4
    assert metrics.retries == 1 and metrics.reauths == 0 and metrics.errors == 1
    assert metrics.bytes_sent == sum(len(r.body) for r in seen)
    assert metrics.bytes_received == sum(len(a.encoded()[0]) for a in answers)
    assert dict(metrics.statuses) == {200: 1, 503: 1, 201: 1, 404: 1}
    assert metrics.seconds > 0
    meta = metrics.as_metadata()
    assert meta["http_calls"] == 4 and meta["http_status_503"] == 1
    assert all(isinstance(v, int | float) for v in meta.values())
    total = client.metrics.snapshot().merge(metrics)
    assert total.calls == 8 and total.statuses[503] == 2


def test_one_debug_line_per_attempt_and_one_warning_per_retry(http_server, client, caplog):
    caplog.set_level(logging.DEBUG, logger="ml_connector")
    http_server.enqueue(CannedResponse(502), CannedResponse(504), CannedResponse(200))
    client.get("/items")
    ours = [r for r in caplog.records if r.name == "ml_connector.http.client"]
    attempts = [r for r in ours if r.levelno == logging.DEBUG and "/items ->" in r.getMessage()]
    retries = [r for r in ours if r.levelno == logging.WARNING]
    assert len(attempts) == 3 and len(retries) == 2
    assert "502" in retries[0].getMessage() and "attempt 1/4" in retries[0].getMessage()
