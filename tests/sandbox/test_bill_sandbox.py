"""The BILL v3 sandbox over loopback HTTP with plain ``requests``: sessions, login failures, rate and
concurrency limits, injected faults, error shapes and their unconfirmed variants, operator routes.

Lifetimes and budgets are shrunk on the live server so every limit is reached in milliseconds.
Resource endpoints are in test_bill_data.py, webhooks in test_bill_webhooks.py.
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections import Counter
from typing import Any

import pytest
import requests

from connector_sandbox.bill import BillSandboxSettings
from connector_sandbox.bill.testing import SandboxHandle, running

pytestmark = pytest.mark.timeout(120)

BILL_SETTINGS = {"scale": 0.05}  # the `bill` fixture's (tests/sandbox/conftest.py)
ORG_2 = "00801SANDBOXORG00002"
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+00:00$")


def get(bill: SandboxHandle, session: str, path: str, **params: Any) -> requests.Response:
    return requests.get(f"{bill.base}{path}", headers=bill.headers(session), params=params, timeout=15)


def assert_error(response: requests.Response, status: int, code: str) -> dict[str, Any]:
    """The documented v3 error shape: a JSON array of {timestamp, code, severity, category, message}, with
    ``detail`` and ``help`` as BILL's error model has them (``variants.error_detail_keys``, on)."""
    assert response.status_code == status, response.text
    body = response.json()
    assert isinstance(body, list) and body, body
    codes = [entry["code"] for entry in body]
    assert code in codes, body
    entry = body[codes.index(code)]
    assert {"timestamp", "code", "severity", "category", "message"} <= set(entry)
    assert set(entry) <= {"timestamp", "code", "severity", "category", "message", "detail", "help", "params"}
    assert TIMESTAMP.match(entry["timestamp"])
    assert entry["severity"] in ("ERROR", "WARNING", "INFORMATION")
    assert entry["category"] in ("REQUEST", "APPLICATION", "SERVER", "DOWNSTREAM")
    return entry


# -- login and sessions -----------------------------------------------------------------------------


def test_login_returns_a_session_that_authenticates_later_calls(bill: SandboxHandle) -> None:
    response = requests.post(f"{bill.base}/v3/login", json=bill.login_body(), timeout=15)
    assert response.status_code == 200
    body = response.json()
    assert body["userId"].startswith("006") and len(body["userId"]) == 20
    assert body["organizationId"] == "00801SANDBOXORG00001"
    assert body["trusted"] is False
    info = get(bill, body["sessionId"], "/v3/login/session")
    assert info.status_code == 200
    assert info.json() == {
        "organizationId": "00801SANDBOXORG00001",
        "userId": body["userId"],
        "mfaStatus": "NOT_TRUSTED",
    }


def test_wrong_password_or_unknown_organization_is_bdc_1101(bill: SandboxHandle) -> None:
    for changes in (
        {"password": "not-it"},
        {"username": "someone@else.invalid"},
        {"organizationId": ORG_2[:-1] + "9"},
    ):
        response = requests.post(f"{bill.base}/v3/login", json={**bill.login_body(), **changes}, timeout=15)
        entry = assert_error(response, 401, "BDC_1101")
        assert "not-it" not in entry["message"]


def test_wrong_dev_key_is_bdc_1102_at_login_and_on_calls(bill: SandboxHandle) -> None:
    response = requests.post(
        f"{bill.base}/v3/login", json={**bill.login_body(), "devKey": "other"}, timeout=15
    )
    assert_error(response, 401, "BDC_1102")
    session = bill.login()
    response = requests.get(
        f"{bill.base}/v3/vendors", headers={"devKey": "other", "sessionId": session}, timeout=15
    )
    assert_error(response, 401, "BDC_1102")


def test_login_takes_v3_field_names_and_the_dev_key_in_the_body(
    bill: SandboxHandle, contract_breaches
) -> None:  # type: ignore[no-untyped-def]
    v2_style = {
        "devKey": bill.initial.dev_key,
        "userName": bill.initial.username,
        "password": bill.initial.password,
        "orgId": "00801SANDBOXORG00001",
    }
    body = requests.post(f"{bill.base}/v3/login", json=v2_style, timeout=15).json()
    codes = Counter(entry["code"] for entry in body)
    assert codes["BDC_1002"] == 2  # userName and orgId are unknown (misspelt) fields
    assert any("'username' required" in entry["message"] for entry in body)
    no_key = {key: value for key, value in bill.login_body().items() if key != "devKey"}
    response = requests.post(
        f"{bill.base}/v3/login", json=no_key, headers={"devKey": bill.initial.dev_key}, timeout=15
    )
    assert "devKey" in assert_error(response, 400, "BDC_1000")["message"]
    response = requests.post(
        f"{bill.base}/v3/login", json={**bill.login_body(), "organizationId": "12345"}, timeout=15
    )
    assert "organizationId" in assert_error(response, 400, "BDC_1000")["message"]
    form = requests.post(f"{bill.base}/v3/login", data=bill.login_body(), timeout=15)
    assert_error(form, 400, "BDC_1000")  # the contract takes JSON only: a form body is no object


def test_missing_or_made_up_session_is_bdc_1109(bill: SandboxHandle) -> None:
    for headers in (
        {"devKey": bill.initial.dev_key},
        {"devKey": bill.initial.dev_key, "sessionId": "!made-up"},
    ):
        response = requests.get(f"{bill.base}/v3/vendors", headers=headers, timeout=15)
        entry = assert_error(response, 401, "BDC_1109")
        assert entry["message"] == "Session is invalid.  Please log in."


def test_sessions_die_silently_after_idle_time_and_every_call_resets_the_timer(bill: SandboxHandle) -> None:
    bill.settings(limits={"session_idle_timeout_seconds": 1.0})
    session = bill.login()
    for _ in range(5):  # 1.5 s in total, never 1 s idle
        time.sleep(0.3)
        assert get(bill, session, "/v3/login/session").status_code == 200
    time.sleep(1.2)
    assert_error(get(bill, session, "/v3/vendors"), 401, "BDC_1109")
    assert get(bill, bill.login(), "/v3/vendors").status_code == 200  # the client's fix: log in again


def test_logout_ends_the_session(bill: SandboxHandle) -> None:
    session = bill.login()
    response = requests.post(f"{bill.base}/v3/logout", headers=bill.headers(session), timeout=15)
    assert response.status_code == 200
    assert_error(get(bill, session, "/v3/vendors"), 401, "BDC_1109")


def test_operator_can_expire_every_session(bill: SandboxHandle) -> None:
    sessions = [bill.login(), bill.login(ORG_2)]
    expired = requests.post(f"{bill.admin}/sessions/expire", timeout=15).json()["expired"]
    assert expired >= 2
    for session in sessions:
        assert_error(get(bill, session, "/v3/bills"), 401, "BDC_1109")


def test_unknown_path_is_bdc_1121_not_found(bill: SandboxHandle, contract_breaches) -> None:  # type: ignore[no-untyped-def]
    session = bill.login()
    assert_error(get(bill, session, "/v3/purchase-orders"), 404, "BDC_1121")
    assert_error(get(bill, session, "/v2/List/Vendor.json"), 404, "BDC_1121")
    wrong_method = requests.delete(f"{bill.base}/v3/vendors", headers=bill.headers(session), timeout=15)
    assert_error(wrong_method, 404, "BDC_1121")


# -- rate limits ------------------------------------------------------------------------------------


def test_hourly_request_cap_is_bdc_1144_for_every_call_until_the_window_ends(bill: SandboxHandle) -> None:
    bill.settings(limits={"requests_per_hour": 4})
    session = bill.login()  # call 1
    for _ in range(3):  # calls 2-4
        assert get(bill, session, "/v3/vendors").status_code == 200
    response = get(bill, session, "/v3/vendors")
    entry = assert_error(response, 400, "BDC_1144")  # default: a 4xx, not 429
    assert entry["message"] == "Max number of allowed requests per hour reached: 4."
    assert "Retry-After" not in response.headers  # none documented
    login = requests.post(f"{bill.base}/v3/login", json=bill.login_body(), timeout=15)
    assert_error(login, 400, "BDC_1144")  # every further call fails, logins included
    requests.post(f"{bill.admin}/rate-limits/reset", timeout=15)
    assert get(bill, session, "/v3/vendors").status_code == 200


def _next_window(length: float) -> None:
    """Sleep until just after the next multiple of ``length`` seconds (a window boundary)."""
    now = time.time()
    time.sleep(math.ceil(now / length) * length - now + 0.02)


def test_hourly_cap_resets_at_the_top_of_the_window(bill: SandboxHandle) -> None:
    session = bill.login()
    bill.settings(limits={"requests_per_hour": 2, "rate_window_seconds": 1.0})
    _next_window(1.0)
    answers = [get(bill, session, "/v3/vendors").status_code for _ in range(3)]
    assert answers == [200, 200, 400]
    _next_window(1.0)
    assert get(bill, session, "/v3/vendors").status_code == 200


def test_login_budget_makes_session_caching_mandatory(bill: SandboxHandle) -> None:
    bill.settings(limits={"logins_per_hour": 2})
    cached = bill.login()
    bill.login()
    response = requests.post(f"{bill.base}/v3/login", json=bill.login_body(), timeout=15)
    assert assert_error(response, 400, "BDC_1144")["message"].endswith("logins per hour reached: 2.")
    assert get(bill, cached, "/v3/vendors").status_code == 200  # a cached session keeps working


def _parallel(bill: SandboxHandle, calls: list[tuple[str, str]]) -> list[requests.Response]:
    """Fire (session, path) GETs at the same instant from separate threads."""
    barrier = threading.Barrier(len(calls))
    answers: list[requests.Response | None] = [None] * len(calls)

    def worker(position: int, session: str, path: str) -> None:
        barrier.wait()
        answers[position] = get(bill, session, path)

    threads = [threading.Thread(target=worker, args=(i, *call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert all(answer is not None for answer in answers)
    return answers  # type: ignore[return-value]


def test_at_most_three_requests_in_flight_per_org_the_rest_get_bdc_1322(bill: SandboxHandle) -> None:
    session, other_org = bill.login(), bill.login(ORG_2)
    requests.post(f"{bill.admin}/calls/reset", timeout=15)
    bill.faults(latency_ms=1000)  # long enough that all eleven calls overlap even on a busy machine
    answers = _parallel(bill, [(session, "/v3/vendors")] * 10 + [(other_org, "/v3/vendors")])
    mine, theirs = answers[:10], answers[10]
    assert sorted(answer.status_code for answer in mine) == [200] * 3 + [400] * 7
    for answer in mine:
        if answer.status_code != 200:
            entry = assert_error(answer, 400, "BDC_1322")
            assert entry["message"] == "Max number of concurrent requests per organization reached."
    assert theirs.status_code == 200  # the cap is per organization
    state = bill.state()
    assert state["limits"]["max_in_flight"]["00801SANDBOXORG00001"] == 3
    assert state["error_codes"]["BDC_1322"] == 7
    assert get(bill, session, "/v3/vendors").status_code == 200  # slots free when requests complete


def test_rate_limit_status_and_retry_after_are_variants(bill: SandboxHandle) -> None:
    bill.settings(
        variants={"rate_limit_status": 429, "rate_limit_retry_after": True}, limits={"requests_per_hour": 2}
    )
    session = bill.login()
    get(bill, session, "/v3/vendors")
    response = get(bill, session, "/v3/vendors")
    assert_error(response, 429, "BDC_1144")
    assert 1 <= int(response.headers["Retry-After"]) <= 3600
    bill.settings(limits={"requests_per_hour": 20_000})
    bill.faults(latency_ms=800)
    answers = _parallel(bill, [(session, "/v3/vendors")] * 5)
    rejected = [answer for answer in answers if answer.status_code != 200]
    assert rejected and all(answer.status_code == 429 for answer in rejected)
    assert all(answer.json()[0]["code"] == "BDC_1322" for answer in rejected)
    assert all(answer.headers["Retry-After"] == "1" for answer in rejected)


@pytest.mark.parametrize("counted", [True, False])
def test_login_counting_against_the_in_flight_cap_is_a_variant(bill: SandboxHandle, counted: bool) -> None:
    bill.settings(variants={"login_counts_in_flight": counted})
    session = bill.login()
    bill.faults(latency_ms=1000)
    results: list[requests.Response] = []
    threads = [
        threading.Thread(target=lambda: results.append(get(bill, session, "/v3/vendors"))) for _ in range(3)
    ]
    for thread in threads:
        thread.start()
    time.sleep(0.4)  # the three calls now hold every slot of the organization
    login = requests.post(f"{bill.base}/v3/login", json=bill.login_body(), timeout=15)
    for thread in threads:
        thread.join(timeout=15)
    if counted:
        assert_error(login, 400, "BDC_1322")
    else:
        assert login.status_code == 200
    assert [answer.status_code for answer in results] == [200, 200, 200]


def test_sms_challenges_are_limited_per_minute(bill: SandboxHandle) -> None:
    bill.settings(limits={"sms_per_minute": 2})
    session = bill.login()
    url = f"{bill.base}/v3/mfa/challenge"
    answers = [requests.post(url, headers=bill.headers(session), json={}, timeout=15) for _ in range(3)]
    assert [answer.status_code for answer in answers[:2]] == [200, 200]
    assert_error(answers[2], 400, "BDC_1006")


# -- MFA --------------------------------------------------------------------------------------------


def test_mfa_validation_trusts_the_session_and_remember_me_trusts_later_logins(bill: SandboxHandle) -> None:
    session = bill.login()
    headers = bill.headers(session)
    challenge = requests.post(f"{bill.base}/v3/mfa/challenge", headers=headers, json={}, timeout=15).json()
    wrong = {"challengeId": challenge["challengeId"], "token": "000000"}
    assert_error(
        requests.post(f"{bill.base}/v3/mfa/challenge/validate", headers=headers, json=wrong, timeout=15),
        400,
        "BDC_1000",
    )
    challenge = requests.post(f"{bill.base}/v3/mfa/challenge", headers=headers, json={}, timeout=15).json()
    good = {
        "challengeId": challenge["challengeId"],
        "token": "123456",
        "rememberMe": True,
        "device": "ci-runner",
    }
    answer = requests.post(f"{bill.base}/v3/mfa/challenge/validate", headers=headers, json=good, timeout=15)
    assert answer.status_code == 200, answer.text
    remember_id = answer.json()["rememberMeId"]
    assert get(bill, session, "/v3/login/session").json()["mfaStatus"] == "TRUSTED"
    trusted = requests.post(
        f"{bill.base}/v3/login",
        json=bill.login_body(rememberMeId=remember_id, device="ci-runner"),
        timeout=15,
    ).json()
    assert trusted["trusted"] is True
    other_device = requests.post(
        f"{bill.base}/v3/login", json=bill.login_body(rememberMeId=remember_id, device="laptop"), timeout=15
    ).json()
    assert other_device["trusted"] is False


# -- faults -----------------------------------------------------------------------------------------


def test_latency_fault_delays_answers(bill: SandboxHandle) -> None:
    session = bill.login()
    bill.faults(latency_ms=300, latency_jitter_ms=200)
    durations = []
    for _ in range(3):
        started = time.perf_counter()
        assert get(bill, session, "/v3/vendors", max=1).status_code == 200
        durations.append(time.perf_counter() - started)
    assert min(durations) >= 0.3
    assert len({round(duration, 3) for duration in durations}) > 1  # jitter varies the delay


def test_fail_next_n_answers_the_chosen_status_then_recovers(bill: SandboxHandle) -> None:
    session = bill.login()
    bill.faults(fail_next=2, fail_next_status=503)
    first, second, third = (get(bill, session, "/v3/vendors") for _ in range(3))
    assert assert_error(first, 503, "BDC_1001")["category"] == "SERVER"
    assert_error(second, 503, "BDC_1001")
    assert third.status_code == 200


def test_random_errors_follow_the_rate(bill: SandboxHandle) -> None:
    session = bill.login()
    bill.faults(random_error_rate=1.0, random_error_status=502)
    assert all(get(bill, session, "/v3/vendors").status_code == 502 for _ in range(5))
    bill.faults(random_error_rate=0.5)
    statuses = Counter(get(bill, session, "/v3/vendors").status_code for _ in range(40))
    assert statuses[502] + statuses[200] == 40
    assert 5 <= statuses[502] <= 35


def test_gateway_html_fault_body(bill: SandboxHandle) -> None:
    session = bill.login()
    bill.faults(fail_next=1, fail_next_status=504, fault_body="gateway_html")
    response = get(bill, session, "/v3/bills")
    assert response.status_code == 504
    assert response.headers["content-type"].startswith("text/html")
    assert "<html>" in response.text


# -- error-shape variants ---------------------------------------------------------------------------


def test_errors_with_http_200_variant(bill: SandboxHandle, contract_breaches) -> None:  # type: ignore[no-untyped-def]
    """An unconfirmed variant: BILL's collection answers errors with 4xx/5xx only, so the contract check
    records the 200 error array as an answer BILL does not give."""
    bill.settings(variants={"errors_as_http_200": True})
    response = requests.get(f"{bill.base}/v3/vendors", headers={"devKey": bill.initial.dev_key}, timeout=15)
    assert response.status_code == 200
    assert response.json()[0]["code"] == "BDC_1109"  # only the body tells it is an error
    assert {b.side for b in contract_breaches.seen()} == {"answer"}


def test_error_detail_keys_variant(bill: SandboxHandle) -> None:
    bill.settings(variants={"error_detail_keys": True})
    response = requests.get(f"{bill.base}/v3/vendors", headers={"devKey": bill.initial.dev_key}, timeout=15)
    entry = response.json()[0]
    assert {"detail", "help"} <= set(entry) and entry["code"] == "BDC_1109"


@pytest.mark.parametrize("knob", ["session_invalid_status", "login_failure_status", "not_found_status"])
def test_undocumented_error_statuses_are_variants(bill: SandboxHandle, knob: str) -> None:
    bill.settings(variants={knob: 400})
    session = bill.login()
    if knob == "session_invalid_status":
        response = get(bill, "!gone", "/v3/vendors")
        code = "BDC_1109"
    elif knob == "login_failure_status":
        response = requests.post(
            f"{bill.base}/v3/login", json={**bill.login_body(), "password": "x"}, timeout=15
        )
        code = "BDC_1101"
    else:
        response = get(bill, session, "/v3/bills/00n02NOSUCHBILL00000")
        code = "BDC_1205"
    assert_error(response, 400, code)


def test_login_response_extras_variant(bill: SandboxHandle) -> None:
    bill.settings(variants={"login_response_extras": False})
    body = requests.post(f"{bill.base}/v3/login", json=bill.login_body(), timeout=15).json()
    assert set(body) == {"sessionId", "userId"}


# -- operator routes --------------------------------------------------------------------------------


def test_state_counts_calls_statuses_and_codes(bill: SandboxHandle) -> None:
    requests.post(f"{bill.admin}/calls/reset", timeout=15)
    session = bill.login()
    get(bill, session, "/v3/vendors")
    get(bill, "!nope", "/v3/vendors")
    state = bill.state()
    assert state["calls"]["GET /connect/v3/vendors"] == 2
    assert state["calls"]["POST /connect/v3/login"] == 1
    assert state["statuses"]["401"] == 1 and state["error_codes"] == {"BDC_1109": 1}
    assert state["row_counts"]["vendors"] > 0 and state["active_sessions"] >= 1


def test_settings_changes_are_validated_and_never_echo_credentials(bill: SandboxHandle) -> None:
    bad = requests.post(f"{bill.admin}/settings", json={"limits": {"max_concurrent_per_org": 0}}, timeout=15)
    assert bad.status_code == 400 and "max_concurrent_per_org" in bad.text
    unknown = requests.post(f"{bill.admin}/settings", json={"variants": {"no_such_switch": True}}, timeout=15)
    assert unknown.status_code == 400
    shown = requests.get(f"{bill.admin}/settings", timeout=15).text
    for secret in (
        bill.initial.password,
        bill.initial.dev_key,
        "sandbox-bill-webhook",
        bill.initial.mfa_code,
    ):
        assert secret not in shown


def test_reset_reseeds_the_same_data_and_drops_sessions() -> None:
    with running(BillSandboxSettings(scale=0.02, seed=7)) as small:
        session = small.login()
        first = get(small, session, "/v3/vendors", sort="name:asc", max=5).json()["results"]
        seeded = small.state()["row_counts"]["vendors"]
        small.activity(new_vendors=3)
        assert small.state()["row_counts"]["vendors"] == seeded + 3
        report = requests.post(f"{small.admin}/reset", json={}, timeout=60).json()
        assert report["row_counts"]["vendors"] == seeded == small.state()["row_counts"]["vendors"]
        assert_error(get(small, session, "/v3/vendors"), 401, "BDC_1109")
        again = get(small, small.login(), "/v3/vendors", sort="name:asc", max=5).json()["results"]
        assert [vendor["id"] for vendor in again] == [vendor["id"] for vendor in first]
        bigger = requests.post(f"{small.admin}/reset", json={"scale": 0.05}, timeout=60).json()
        assert bigger["row_counts"]["bills"] > report["row_counts"]["bills"]
