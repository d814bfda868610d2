"""The JD Edwards AIS sandbox, exercised over loopback HTTP with plain ``requests``.

Expected results are never hard-coded: they come from the sandbox's own full-table reads (filtered
in Python, an independent oracle for the query engine) or from the operator routes that show stored
rows. Lifetimes are shortened on the live server so expiry tests take well under a second each.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import pytest
import requests
from requests.adapters import HTTPAdapter

from connector_sandbox.jde_ais import JdeSandboxSettings, run_in_thread

from .faults import answers_no_sooner_than
from .serving import served_jde_open_in_february

pytestmark = pytest.mark.timeout(120)

PASSWORDS = {"INTEGR8": "integr8-sandbox", "EUROINT": "euroint-sandbox"}
DEVICE = "pytest-device"
JAS_MSG347 = "JAS_MSG347"
# What ``POST /sandbox/activity`` makes: new and updated suppliers, purchase orders and vouchers.
ACTIVITY_KINDS = tuple(
    f"{c}_{k}" for k in ("suppliers", "purchase_orders", "vouchers") for c in ("new", "updated")
)


class Sandbox:
    def __init__(self, base: str) -> None:
        self.base = base  # http://127.0.0.1:port/jderest
        self.admin = base.removesuffix("/jderest") + "/sandbox"

    def faults(self, **changes: Any) -> dict[str, Any]:
        response = requests.post(f"{self.admin}/faults", json=changes, timeout=10)
        assert response.status_code == 200, response.text
        return response.json()

    def stored_rows(self, table: str, **filters: Any) -> list[dict[str, Any]]:
        response = requests.get(f"{self.admin}/rows/{table}", params=filters, timeout=10)
        assert response.status_code == 200, response.text
        return response.json()["rows"]

    def row_counts(self) -> dict[str, int]:
        return requests.get(f"{self.admin}/state", timeout=10).json()["row_counts"]

    def activity(self, *, others: int | None = None, **counts: int) -> dict[str, Any]:
        """Business activity made now, ``counts`` of each kind named (``new_suppliers=3``); of the kinds
        not named ``others`` each, or the sandbox's default of 2. Its report of what it made."""
        rest = {} if others is None else dict.fromkeys(ACTIVITY_KINDS, others)
        response = requests.post(f"{self.admin}/activity", json=rest | counts, timeout=10)
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    # The documents these tests post are dated February to April 2025: the companies are open there.
    yield from served_jde_open_in_february(Sandbox)


@pytest.fixture(autouse=True)
def _default_faults(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "sandbox" in request.fixturenames:
        sandbox = request.getfixturevalue("sandbox")
        requests.post(f"{sandbox.admin}/faults/reset", timeout=10)


def login(sandbox: Sandbox, user: str = "INTEGR8", device: str | None = DEVICE) -> str:
    body = {"username": user, "password": PASSWORDS[user]}
    if device is not None:
        body["deviceName"] = device
    response = requests.post(f"{sandbox.base}/v2/tokenrequest", json=body, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()["userInfo"]["token"]


def headers(token: str, device: str | None = DEVICE) -> dict[str, str]:
    return {"jde-AIS-Auth": token, **({"jde-AIS-Auth-Device": device} if device else {})}


def condition(column: str, operator: str, *contents: str, special: str = "LITERAL") -> dict[str, Any]:
    return {
        "controlId": column,
        "operator": operator,
        "value": [{"content": c, "specialValueId": special} for c in contents],
    }


def browse(
    sandbox: Sandbox,
    token: str,
    table: str,
    columns: list[str] | None = None,
    conditions: list[dict[str, Any]] | None = None,
    *,
    device: str | None = DEVICE,
    match: str = "MATCH_ALL",
    **extra: Any,
) -> requests.Response:
    body: dict[str, Any] = {
        "targetName": table,
        "targetType": "table",
        "dataServiceType": "BROWSE",
        "outputType": "GRID_DATA",
    }
    if columns:
        body["returnControlIDs"] = "|".join(f"{table}.{column}" for column in columns)
    if conditions is not None:
        body["query"] = {"autoFind": True, "matchType": match, "condition": conditions}
    body.update(extra)
    return requests.post(
        f"{sandbox.base}/v2/dataservice", json=body, headers=headers(token, device), timeout=30
    )


def count(
    sandbox: Sandbox,
    token: str,
    table: str,
    conditions: list[dict[str, Any]] | None = None,
    *,
    device: str | None = DEVICE,
) -> int:
    """How many rows of ``table`` match ``conditions`` (all of them when None), by a COUNT data request."""
    body: dict[str, Any] = {"targetName": table, "targetType": "table", "dataServiceType": "COUNT"}
    if conditions is not None:
        body["query"] = {"matchType": "MATCH_ALL", "condition": conditions}
    url = f"{sandbox.base}/v2/dataservice"
    answer = requests.post(url, json=body, headers=headers(token, device), timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()[f"fs_DATABROWSE_{table}"]["count"]


def grid(response: requests.Response, table: str) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    return response.json()[f"fs_DATABROWSE_{table}"]["data"]["gridData"]


def rows_where(
    sandbox: Sandbox, token: str, table: str, columns: list[str], column: str, value: str
) -> list[dict[str, Any]]:
    """The rows of ``table`` (``columns``) whose ``column`` equals ``value``, through the data service."""
    return grid(
        browse(sandbox, token, table, columns, [condition(f"{table}.{column}", "EQUAL", value)]), table
    )["rowset"]


def all_rows(sandbox: Sandbox, token: str, table: str, columns: list[str]) -> list[dict[str, Any]]:
    data = grid(browse(sandbox, token, table, columns, maxPageSize="No Max"), table)
    assert data["summary"]["moreRecords"] is False, "test tables must fit under the DB fetch limit"
    return data["rowset"]


def julian(day: dt.date) -> int:
    return (day.year - 1900) * 1000 + day.timetuple().tm_yday


def today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


# --- token request, validate, logout ---------------------------------------------------------------


def test_v2_token_request_has_the_documented_shape(sandbox: Sandbox) -> None:
    response = requests.post(
        f"{sandbox.base}/v2/tokenrequest",
        json={"username": "INTEGR8", "password": PASSWORDS["INTEGR8"], "deviceName": DEVICE, "role": "*ALL"},
        timeout=10,
    )
    assert response.status_code == 200
    body = response.json()
    info = body["userInfo"]
    assert info["token"].startswith("044") and len(info["token"]) > 60
    assert (info["simpleDateFormat"], info["dateFormat"], info["dateSeperator"]) == ("MM/dd/yyyy", "MDE", "/")
    assert info["country"] == " " and info["username"] == "INTEGR8"
    assert body["environment"] == "JPS920" and body["role"] == "*ALL"
    assert {"aisSessionCookie", "machineName", "userAuthorized", "passwordAboutToExpire"} <= body.keys()
    assert "deprecated" not in body
    assert PASSWORDS["INTEGR8"] not in response.text


def test_v1_token_request_and_orchestrator_login_aliases(sandbox: Sandbox) -> None:
    credentials = {"username": "EUROINT", "password": PASSWORDS["EUROINT"], "deviceName": DEVICE}
    v1 = requests.post(f"{sandbox.base}/tokenrequest", json=credentials, timeout=10)
    assert v1.status_code == 200 and v1.json()["deprecated"] is True
    assert v1.json()["userInfo"]["simpleDateFormat"] == "dd/MM/yyyy"
    assert v1.json()["userInfo"]["dateFormat"] == "DME"
    for path in ("/orchestrator/jde-login", "/v2/orchestrator/jde-login", "/v3/orchestrator/jde-login"):
        response = requests.post(f"{sandbox.base}{path}", json=credentials, timeout=10)
        assert response.status_code == 200, path
        assert response.json()["userInfo"]["token"].startswith("044")


def test_http_basic_login_takes_device_from_header(sandbox: Sandbox) -> None:
    response = requests.post(
        f"{sandbox.base}/v2/tokenrequest",
        auth=("INTEGR8", PASSWORDS["INTEGR8"]),
        headers={"jde-AIS-Auth-Device": "basic-device", "jde-AIS-Auth-Environment": "JPS920"},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    token = response.json()["userInfo"]["token"]
    assert grid(browse(sandbox, token, "F0101", ["AN8"], device="basic-device", maxPageSize="1"), "F0101")
    assert browse(sandbox, token, "F0101", ["AN8"], device=DEVICE).status_code == 444


@pytest.mark.parametrize(
    ("kwargs"),
    [
        {"json": {"username": "INTEGR8", "password": "wrong"}},
        {"json": {"username": "NOBODY", "password": "whatever"}},
        {"json": {"deviceName": DEVICE}},
        {"auth": ("INTEGR8", "wrong")},
        {"json": {"username": "INTEGR8", "password": PASSWORDS["INTEGR8"], "environment": "JDV920"}},
    ],
    ids=["wrong-password", "unknown-user", "no-credentials", "basic-wrong-password", "other-environment"],
)
def test_bad_credentials_answer_403(sandbox: Sandbox, kwargs: dict[str, Any]) -> None:
    response = requests.post(f"{sandbox.base}/v2/tokenrequest", timeout=10, **kwargs)
    assert response.status_code == 403
    assert response.json()["message"] == "Authorization Failure"
    assert "wrong" not in response.text and "whatever" not in response.text


def test_wrong_content_type_answers_415_and_bad_json_400(sandbox: Sandbox) -> None:
    body = json.dumps({"username": "INTEGR8", "password": PASSWORDS["INTEGR8"]})
    wrong = requests.post(
        f"{sandbox.base}/v2/tokenrequest", data=body, headers={"Content-Type": "text/plain"}, timeout=10
    )
    assert wrong.status_code == 415
    form = requests.post(f"{sandbox.base}/v2/tokenrequest", data={"username": "INTEGR8"}, timeout=10)
    assert form.status_code == 415
    broken = requests.post(
        f"{sandbox.base}/v2/tokenrequest",
        data="{not json",
        headers={"Content-Type": "application/json"},
        timeout=10,
    )
    assert broken.status_code == 400


def test_validate_touch_and_logout(sandbox: Sandbox) -> None:
    token = login(sandbox)
    validate = f"{sandbox.base}/v2/tokenrequest/validate"
    assert requests.post(
        validate, json={"token": token, "deviceName": DEVICE, "touch": True}, timeout=10
    ).json() == {"isValidSession": True}
    session = requests.get(
        f"{sandbox.base}/v3/orchestrator/jde-validate-session", headers=headers(token), timeout=10
    )
    assert session.status_code == 200 and session.json()["isValidSession"] is True

    logout = requests.post(
        f"{sandbox.base}/v2/tokenrequest/logout", json={"token": token, "deviceName": DEVICE}, timeout=10
    )
    assert logout.status_code == 200
    assert requests.post(validate, json={"token": token, "deviceName": DEVICE}, timeout=10).status_code == 403
    again = requests.get(
        f"{sandbox.base}/v3/orchestrator/jde-validate-session", headers=headers(token), timeout=10
    )
    assert again.status_code == 444 and again.json()["message"] == "Invalid Token"
    assert browse(sandbox, token, "F0101", ["AN8"]).status_code == 444


def test_touch_extends_the_idle_timeout_and_ttl_is_absolute(sandbox: Sandbox) -> None:
    sandbox.faults(token_idle_timeout_seconds=0.6)
    token = login(sandbox)
    validate = f"{sandbox.base}/v2/tokenrequest/validate"
    time.sleep(0.4)
    assert requests.post(validate, json={"token": token, "deviceName": DEVICE, "touch": True}, timeout=10).ok
    time.sleep(0.4)  # 0.8 s since login, 0.4 s since the touch
    assert grid(browse(sandbox, token, "F0101", ["AN8"], maxPageSize="1"), "F0101")["rowset"]
    time.sleep(0.7)
    expired = browse(sandbox, token, "F0101", ["AN8"])
    assert expired.status_code == 444 and expired.json()["message"] == "Invalid Token"

    sandbox.faults(token_idle_timeout_seconds=60, token_ttl_seconds=0.3)
    token = login(sandbox)
    assert browse(sandbox, token, "F0101", ["AN8"], maxPageSize="1").status_code == 200
    time.sleep(0.4)
    assert browse(sandbox, token, "F0101", ["AN8"]).status_code == 444


class _SourceAddress(HTTPAdapter):
    """Connect from another loopback address, so the server sees a different client IP."""

    def __init__(self, address: str) -> None:
        self._address = address
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["source_address"] = (self._address, 0)
        super().init_poolmanager(*args, **kwargs)


def test_token_is_bound_to_device_name_or_ip(sandbox: Sandbox) -> None:
    token = login(sandbox, device="device-a")
    assert browse(sandbox, token, "F0101", ["AN8"], device="device-a", maxPageSize="1").status_code == 200
    assert browse(sandbox, token, "F0101", ["AN8"], device="device-b").status_code == 444
    assert browse(sandbox, token, "F0101", ["AN8"], device=None).status_code == 444

    ip_bound = login(sandbox, device=None)
    assert browse(sandbox, ip_bound, "F0101", ["AN8"], device=None, maxPageSize="1").status_code == 200
    other_ip = requests.Session()
    other_ip.mount("http://", _SourceAddress("127.0.0.2"))
    body = {"targetName": "F0101", "targetType": "table", "dataServiceType": "BROWSE", "maxPageSize": "1"}
    response = other_ip.post(
        f"{sandbox.base}/v2/dataservice", json=body, headers=headers(ip_bound, None), timeout=10
    )
    assert response.status_code == 444


def test_restart_invalidates_every_token(sandbox: Sandbox) -> None:
    tokens = [login(sandbox), login(sandbox, "EUROINT")]
    restart = requests.post(f"{sandbox.admin}/restart", timeout=10)
    assert restart.json()["invalidated_sessions"] >= 2
    for token in tokens:
        response = browse(sandbox, token, "F0101", ["AN8"])
        assert response.status_code == 444
        assert response.json()["message"] == "Invalid Token" and "timeStamp" in response.json()
    assert browse(sandbox, login(sandbox), "F0101", ["AN8"], maxPageSize="1").status_code == 200


def test_allowed_hosts_fault_answers_405(sandbox: Sandbox) -> None:
    sandbox.faults(refuse_allowed_hosts=True)
    response = requests.post(
        f"{sandbox.base}/v2/tokenrequest",
        json={"username": "INTEGR8", "password": PASSWORDS["INTEGR8"]},
        timeout=10,
    )
    assert response.status_code == 405
    assert "Allowed Hosts on the HTML server is not configured" in response.json()["message"]
    sandbox.faults(refuse_allowed_hosts=False)
    assert login(sandbox)


def test_session_cap_refuses_one_session_too_many() -> None:
    base, stop = run_in_thread(JdeSandboxSettings(scale=0.02, max_sessions=2))
    try:
        sandbox = Sandbox(base)
        first = login(sandbox)
        login(sandbox)
        credentials = {"username": "INTEGR8", "password": PASSWORDS["INTEGR8"]}
        refused = requests.post(f"{base}/v2/tokenrequest", json=credentials, timeout=10)
        assert refused.status_code == 500 and "2 concurrent sessions" in refused.json()["message"]
        requests.post(
            f"{base}/v2/tokenrequest/logout", json={"token": first, "deviceName": DEVICE}, timeout=10
        )
        assert login(sandbox)  # logging out frees the slot
    finally:
        stop()


# --- data service ----------------------------------------------------------------------------------


def test_return_control_ids_pick_columns_and_titles(sandbox: Sandbox) -> None:
    token = login(sandbox)
    response = browse(sandbox, token, "F4301", ["KCOO", "DOCO", "DCTO", "UPMJ", "TDAY"], maxPageSize="3")
    body = response.json()
    assert body["currentApp"] == "DATABROWSE_F4301" and body["sysErrors"] == []
    assert body["fs_DATABROWSE_F4301"]["title"] == "Data Browser - F4301 [Purchase Order Header File]"
    data = grid(response, "F4301")
    expected = ["F4301_KCOO", "F4301_DOCO", "F4301_DCTO", "F4301_UPMJ", "F4301_TDAY"]
    assert list(data["columns"]) == expected
    assert all(list(row) == expected for row in data["rowset"])
    assert data["summary"] == {"records": 3, "moreRecords": True}
    assert isinstance(data["rowset"][0]["F4301_DOCO"], int) and isinstance(
        data["rowset"][0]["F4301_TDAY"], int
    )


@pytest.mark.parametrize(
    ("body_change", "field"),
    [
        ({"returnControlIDs": "F4301.DOCO|F4301.UPMT"}, "returnControlIDs"),
        ({"targetName": "F9999"}, "targetName"),
        ({"query": {"condition": [condition("F4301.DOCO", "LIKE", "1")]}}, "query.condition[0].operator"),
        ({"query": {"condition": [condition("F4301.DOCO", "EQUAL", "abc")]}}, "query.condition[0].value[0]"),
        (
            {"aggregation": {"orderBy": [{"column": "F0101.AN8", "direction": "ASC"}]}},
            "aggregation.orderBy[0]",
        ),
    ],
)
def test_bad_data_requests_name_the_field(sandbox: Sandbox, body_change: dict[str, Any], field: str) -> None:
    body = {"targetName": "F4301", "targetType": "table", "dataServiceType": "BROWSE", **body_change}
    token = login(sandbox)
    response = requests.post(f"{sandbox.base}/v2/dataservice", json=body, headers=headers(token), timeout=10)
    assert response.status_code == 400
    assert field in response.json()["message"]


def _an8_oracle(rows: list[dict[str, Any]], test: Any) -> list[int]:
    return sorted(row["F0101_AN8"] for row in rows if test(row))


@pytest.mark.parametrize(
    "operator", ["EQUAL", "NOT_EQUAL", "LESS", "LESS_EQUAL", "GREATER", "GREATER_EQUAL", "BETWEEN", "LIST"]
)
def test_numeric_operators_match_an_independent_filter(sandbox: Sandbox, operator: str) -> None:
    token = login(sandbox)
    everything = all_rows(sandbox, token, "F0101", ["AN8", "ALPH"])
    numbers = sorted(row["F0101_AN8"] for row in everything)
    low, pivot, high = numbers[5], numbers[len(numbers) // 2], numbers[-5]
    tests = {
        "EQUAL": (lambda r: r["F0101_AN8"] == pivot, [pivot]),
        "NOT_EQUAL": (lambda r: r["F0101_AN8"] != pivot, [pivot]),
        "LESS": (lambda r: r["F0101_AN8"] < pivot, [pivot]),
        "LESS_EQUAL": (lambda r: r["F0101_AN8"] <= pivot, [pivot]),
        "GREATER": (lambda r: r["F0101_AN8"] > pivot, [pivot]),
        "GREATER_EQUAL": (lambda r: r["F0101_AN8"] >= pivot, [pivot]),
        "BETWEEN": (lambda r: low <= r["F0101_AN8"] <= high, [low, high]),
        "LIST": (lambda r: r["F0101_AN8"] in (low, pivot, high), [low, pivot, high]),
    }
    test, values = tests[operator]
    response = browse(
        sandbox,
        token,
        "F0101",
        ["AN8"],
        [condition("F0101.AN8", operator, *map(str, values))],
        maxPageSize="No Max",
    )
    found = sorted(row["F0101_AN8"] for row in grid(response, "F0101")["rowset"])
    assert found == _an8_oracle(everything, test)
    assert found, "the oracle must select something for the comparison to mean anything"


@pytest.mark.parametrize("operator", ["STR_START_WITH", "STR_END_WITH", "STR_CONTAIN"])
def test_string_operators_are_case_sensitive_and_unicode_safe(sandbox: Sandbox, operator: str) -> None:
    token = login(sandbox)
    everything = all_rows(sandbox, token, "F0101", ["AN8", "ALPH"])
    fragment = {"STR_START_WITH": "Sociét", "STR_END_WITH": "GmbH", "STR_CONTAIN": "建材"}[operator]
    python_test = {
        "STR_START_WITH": str.startswith,
        "STR_END_WITH": str.endswith,
        "STR_CONTAIN": str.__contains__,
    }
    response = browse(
        sandbox,
        token,
        "F0101",
        ["AN8", "ALPH"],
        [condition("F0101.ALPH", operator, fragment)],
        maxPageSize="No Max",
    )
    found = sorted(row["F0101_AN8"] for row in grid(response, "F0101")["rowset"])
    assert found == _an8_oracle(everything, lambda r: python_test[operator](r["F0101_ALPH"], fragment))
    assert found
    lower = browse(
        sandbox,
        token,
        "F0101",
        ["AN8"],
        [condition("F0101.ALPH", operator, fragment.lower())],
        maxPageSize="No Max",
    )
    assert sorted(r["F0101_AN8"] for r in grid(lower, "F0101")["rowset"]) == _an8_oracle(
        everything, lambda r: python_test[operator](r["F0101_ALPH"], fragment.lower())
    )


def test_match_all_match_any_and_complex_query(sandbox: Sandbox) -> None:
    token = login(sandbox)
    everything = all_rows(sandbox, token, "F0101", ["AN8", "AT1"])
    numbers = sorted(row["F0101_AN8"] for row in everything)
    pivot = numbers[len(numbers) // 2]
    pair = [condition("F0101.AT1", "EQUAL", "V"), condition("F0101.AN8", "LESS", str(pivot))]
    both = browse(sandbox, token, "F0101", ["AN8"], pair, match="MATCH_ALL", maxPageSize="No Max")
    either = browse(sandbox, token, "F0101", ["AN8"], pair, match="MATCH_ANY", maxPageSize="No Max")
    assert sorted(r["F0101_AN8"] for r in grid(both, "F0101")["rowset"]) == _an8_oracle(
        everything, lambda r: r["F0101_AT1"] == "V" and r["F0101_AN8"] < pivot
    )
    assert sorted(r["F0101_AN8"] for r in grid(either, "F0101")["rowset"]) == _an8_oracle(
        everything, lambda r: r["F0101_AT1"] == "V" or r["F0101_AN8"] < pivot
    )
    nested = {
        "matchType": "MATCH_ALL",
        "complexQuery": [
            {
                "andOr": "AND",
                "query": {"matchType": "MATCH_ALL", "condition": [condition("F0101.AT1", "EQUAL", "E")]},
            },
            {
                "andOr": "OR",
                "query": {
                    "matchType": "MATCH_ALL",
                    "condition": [condition("F0101.AN8", "EQUAL", str(pivot))],
                },
            },
        ],
    }
    response = browse(sandbox, token, "F0101", ["AN8"], query=nested, maxPageSize="No Max")
    assert sorted(r["F0101_AN8"] for r in grid(response, "F0101")["rowset"]) == _an8_oracle(
        everything, lambda r: r["F0101_AT1"] == "E" or r["F0101_AN8"] == pivot
    )


def test_dates_render_in_each_users_format_and_filter_by_it(sandbox: Sandbox) -> None:
    us, eu = login(sandbox), login(sandbox, "EUROINT")
    columns = ["KCOO", "DOCO", "DCTO", "TRDJ", "UPMJ", "TDAY"]
    us_rows = all_rows(sandbox, us, "F4301", columns)
    eu_rows = all_rows(sandbox, eu, "F4301", columns)
    us_dates = [dt.datetime.strptime(row["F4301_UPMJ"], "%m/%d/%Y").date() for row in us_rows]
    eu_dates = [dt.datetime.strptime(row["F4301_UPMJ"], "%d/%m/%Y").date() for row in eu_rows]
    assert us_dates == eu_dates
    assert any(day.day > 12 for day in eu_dates), "dd/MM vs MM/dd is only proven by a day above 12"
    boundary = sorted(us_dates)[len(us_dates) // 2]
    for token, text in ((us, boundary.strftime("%m/%d/%Y")), (eu, boundary.strftime("%d/%m/%Y"))):
        response = browse(
            sandbox,
            token,
            "F4301",
            ["DOCO", "UPMJ"],
            [condition("F4301.UPMJ", "GREATER_EQUAL", text)],
            maxPageSize="No Max",
        )
        assert len(grid(response, "F4301")["rowset"]) == sum(day >= boundary for day in us_dates)
    # Strict by default: a raw CYYDDD is not the user's date format.
    raw = browse(
        sandbox, us, "F4301", ["DOCO"], [condition("F4301.UPMJ", "GREATER_EQUAL", str(julian(boundary)))]
    )
    assert raw.status_code == 400 and "MM/dd/yyyy" in raw.json()["message"]


def test_times_are_hhmmss_numbers_and_blanks_a_single_space(sandbox: Sandbox) -> None:
    token = login(sandbox)
    for table, time_column in (("F0101", "UPMT"), ("F0411", "UPMT"), ("F4301", "TDAY"), ("F4311", "TDAY")):
        rows = all_rows(sandbox, token, table, [time_column])
        for row in rows:
            value = row[f"{table}_{time_column}"]
            assert isinstance(value, int) and 0 <= value <= 235959
            assert value % 100 < 60 and value // 100 % 100 < 60
        assert any(row[f"{table}_{time_column}"] < 100000 for row in rows), "leading zero lost (e.g. 93015)"
    book = all_rows(sandbox, token, "F0101", ["ALKY", "DUNS"])
    assert any(row["F0101_ALKY"] == " " for row in book)
    assert all(row["F0101_DUNS"] != "" for row in book)


def test_today_specials(sandbox: Sandbox) -> None:
    sandbox.activity(new_suppliers=2)
    token = login(sandbox)

    def updated(columns: list[str], operator: str, content: str, special: str, **extra: Any) -> list[dict]:
        """F0101 rows whose UPMJ compares by ``operator`` to the special value (TODAY...)."""
        where = [condition("F0101.UPMJ", operator, content, special=special)]
        return grid(browse(sandbox, token, "F0101", columns, where, **extra), "F0101")["rowset"]

    rows = updated(["AN8", "UPMJ"], "EQUAL", "", "TODAY", maxPageSize="No Max")
    assert rows and {row["F0101_UPMJ"] for row in rows} == {today().strftime("%m/%d/%Y")}
    since_yesterday = updated(["AN8"], "GREATER_EQUAL", "1", "TODAY_MINUS_DAY", maxPageSize="No Max")
    assert {r["F0101_AN8"] for r in rows} <= {r["F0101_AN8"] for r in since_yesterday}
    assert updated(["AN8"], "GREATER_EQUAL", "1", "TODAY_PLUS_DAY") == []
    old_rows = updated(["AN8"], "LESS", "1", "TODAY_MINUS_YEAR", maxPageSize="No Max")
    everything = all_rows(sandbox, token, "F0101", ["AN8", "UPMJ"])
    cutoff = (
        today().replace(year=today().year - 1) if not (today().month == 2 and today().day == 29) else None
    )
    if cutoff:
        expected = [
            r for r in everything if dt.datetime.strptime(r["F0101_UPMJ"], "%m/%d/%Y").date() < cutoff
        ]
        assert len(old_rows) == len(expected)


def test_order_by_and_default_key_order(sandbox: Sandbox) -> None:
    token = login(sandbox)
    order = {
        "orderBy": [
            {"column": "F4301.UPMJ", "direction": "DESC"},
            {"column": "F4301.TDAY", "direction": "DESC"},
        ]
    }
    rows = grid(
        browse(sandbox, token, "F4301", ["DOCO", "UPMJ", "TDAY"], aggregation=order, maxPageSize="No Max"),
        "F4301",
    )["rowset"]
    keys = [(dt.datetime.strptime(r["F4301_UPMJ"], "%m/%d/%Y").date(), r["F4301_TDAY"]) for r in rows]
    assert keys == sorted(keys, reverse=True)
    key = ["KCOO", "DOCO", "DCTO", "SFXO", "LNID"]
    default = grid(browse(sandbox, token, "F4311", key, maxPageSize="No Max"), "F4311")["rowset"]
    keys = [tuple(row[f"F4311_{alias}"] for alias in key) for row in default]
    assert keys == sorted(keys)  # primary-key order when no orderBy is given
    assert all(isinstance(r["F4311_LNID"], float) for r in default)  # 1000 stored = line 1.0


def test_page_size_defaults_to_100_and_count_tells_the_total(sandbox: Sandbox) -> None:
    token = login(sandbox)
    total = count(sandbox, token, "F4311")
    assert total > 100
    data = grid(browse(sandbox, token, "F4311", ["DOCO"]), "F4311")
    assert data["summary"] == {"records": 100, "moreRecords": True}
    assert "links" not in browse(sandbox, token, "F4311", ["DOCO"]).json()
    no_max = grid(browse(sandbox, token, "F4311", ["DOCO"], maxPageSize="No Max"), "F4311")
    assert no_max["summary"] == {"records": total, "moreRecords": False}
    filtered = count(sandbox, token, "F4311", [condition("F4311.LNTY", "EQUAL", "J")])
    lines = all_rows(sandbox, token, "F4311", ["LNTY"])
    assert filtered == sum(r["F4311_LNTY"] == "J" for r in lines)


def test_no_max_is_capped_by_the_db_fetch_limit() -> None:
    base, stop = run_in_thread(JdeSandboxSettings(scale=0.02, db_fetch_limit=150))
    try:
        sandbox = Sandbox(base)
        token = login(sandbox)
        for size in ("No Max", "5000"):
            data = grid(browse(sandbox, token, "F4311", ["DOCO"], maxPageSize=size), "F4311")
            assert data["summary"] == {"records": 150, "moreRecords": True}
    finally:
        stop()


def _walk(
    sandbox: Sandbox, token: str, first: requests.Response, method: str = "POST"
) -> tuple[list, list[str]]:
    rows, hrefs = [], []
    response = first
    while True:
        body = response.json()
        rows.extend(body["fs_DATABROWSE_F4311"]["data"]["gridData"]["rowset"])
        if "links" not in body:
            assert body["fs_DATABROWSE_F4311"]["data"]["gridData"]["summary"]["moreRecords"] is False
            return rows, hrefs
        href = body["links"][0]["href"]
        hrefs.append(href)
        response = requests.request(method, href, headers={"jde-AIS-Auth-Device": DEVICE}, timeout=10)
        assert response.status_code == 200, response.text


def test_next_page_links_carry_the_token_and_walk_every_row_once(sandbox: Sandbox) -> None:
    token = login(sandbox)
    expected = [
        (r["F4311_DOCO"], r["F4311_LNID"]) for r in all_rows(sandbox, token, "F4311", ["DOCO", "LNID"])
    ]
    first = browse(sandbox, token, "F4311", ["DOCO", "LNID"], maxPageSize="40", enableNextPageProcessing=True)
    assert grid(first, "F4311")["summary"] == {"records": 40, "moreRecords": True}
    rows, hrefs = _walk(sandbox, token, first)
    assert [(r["F4311_DOCO"], r["F4311_LNID"]) for r in rows] == expected
    assert len(hrefs) == (len(expected) - 1) // 40
    parts = urlsplit(hrefs[0])
    assert parts.path == "/jderest/v2/dataservice/next"
    assert f"token={quote(token, safe='')}" in parts.query  # URL-encoded, '=' and '+' included
    query = parse_qs(parts.query)
    assert (
        query["token"] == [token] and query["formOID"] == ["F4311"] and query["outputType"] == ["GRID_DATA"]
    )
    assert query["returnControlIDs"] == ["F4311.DOCO|F4311.LNID"]
    # GET works on the href too.
    again = browse(
        sandbox, token, "F4311", ["DOCO", "LNID"], maxPageSize="100", enableNextPageProcessing=True
    )
    rows, _ = _walk(sandbox, token, again, method="GET")
    assert len(rows) == len(expected)


def test_open_result_set_is_a_snapshot(sandbox: Sandbox) -> None:
    token = login(sandbox)
    before = len(all_rows(sandbox, token, "F0101", ["AN8"]))
    first = browse(sandbox, token, "F0101", ["AN8"], maxPageSize="10", enableNextPageProcessing=True)
    sandbox.activity(new_suppliers=3)
    rows = list(grid(first, "F0101")["rowset"])
    response = first
    while "links" in response.json():
        response = requests.post(
            response.json()["links"][0]["href"], headers={"jde-AIS-Auth-Device": DEVICE}, timeout=10
        )
        rows.extend(grid(response, "F0101")["rowset"])
    assert len(rows) == before
    assert len(all_rows(sandbox, token, "F0101", ["AN8"])) == before + 3


def test_result_set_expiry_answers_500_jas_msg347(sandbox: Sandbox) -> None:
    sandbox.faults(result_set_timeout_seconds=0.3)
    token = login(sandbox)
    first = browse(sandbox, token, "F4311", ["DOCO"], maxPageSize="10", enableNextPageProcessing=True)
    href = first.json()["links"][0]["href"]
    assert requests.post(href, headers={"jde-AIS-Auth-Device": DEVICE}, timeout=10).status_code == 200
    time.sleep(0.45)
    expired = requests.post(href, headers={"jde-AIS-Auth-Device": DEVICE}, timeout=10)
    assert expired.status_code == 500
    assert expired.json()["sysErrors"][0]["TITLE"].startswith(JAS_MSG347)
    # Restarting the query works.
    assert grid(
        browse(sandbox, token, "F4311", ["DOCO"], maxPageSize="10", enableNextPageProcessing=True), "F4311"
    )


def test_stateless_basic_auth_and_simple_get_query(sandbox: Sandbox) -> None:
    before = requests.get(f"{sandbox.admin}/state", timeout=10).json()["stateless_sessions_created"]
    body = {
        "targetName": "F0101",
        "targetType": "table",
        "dataServiceType": "BROWSE",
        "maxPageSize": "5",
        "enableNextPageProcessing": True,
        "returnControlIDs": "F0101.AN8",
    }
    response = requests.post(
        f"{sandbox.base}/v2/dataservice", json=body, auth=("INTEGR8", PASSWORDS["INTEGR8"]), timeout=10
    )
    assert grid(response, "F0101")["summary"]["records"] == 5
    assert "links" not in response.json()  # the temporary session died with the call
    simple = requests.get(
        f"{sandbox.base}/v2/dataservice/table/F0101",
        params=[
            ("$field", "F0101.AN8"),
            ("$field", "F0101.AT1"),
            ("$filter", "F0101.AT1 EQ V"),
            ("$limit", "7"),
        ],
        auth=("INTEGR8", PASSWORDS["INTEGR8"]),
        timeout=10,
    )
    rows = grid(simple, "F0101")["rowset"]
    assert len(rows) == 7 and {row["F0101_AT1"] for row in rows} == {"V"}
    after = requests.get(f"{sandbox.admin}/state", timeout=10).json()["stateless_sessions_created"]
    assert after == before + 2


# --- fault injection ---------------------------------------------------------------------------------


def test_latency_fault_slows_every_call(sandbox: Sandbox) -> None:
    token = login(sandbox)
    sandbox.faults(latency_ms=300)
    answers_no_sooner_than(0.3, lambda: browse(sandbox, token, "F0101", ["AN8"], maxPageSize="1"))


def test_fail_next_n_then_recover(sandbox: Sandbox) -> None:
    token = login(sandbox)
    requests.post(f"{sandbox.admin}/calls/reset", timeout=10)
    sandbox.faults(fail_next=2, fail_next_status=503)
    statuses = [browse(sandbox, token, "F0101", ["AN8"], maxPageSize="1").status_code for _ in range(3)]
    assert statuses == [503, 503, 200]
    calls = requests.get(f"{sandbox.admin}/state", timeout=10).json()["calls"]
    assert calls["POST /jderest/v2/dataservice"] == 3


def test_random_5xx_rate(sandbox: Sandbox) -> None:
    token = login(sandbox)
    sandbox.faults(random_error_rate=1.0, random_error_status=502)
    assert browse(sandbox, token, "F0101", ["AN8"]).status_code == 502
    sandbox.faults(random_error_rate=0.5)
    outcomes = Counter(
        browse(sandbox, token, "F0101", ["AN8"], maxPageSize="1").status_code for _ in range(40)
    )
    assert set(outcomes) == {200, 502}
    assert (
        requests.post(f"{sandbox.admin}/faults", json={"random_error_rate": 2}, timeout=10).status_code == 400
    )
    assert requests.post(f"{sandbox.admin}/faults", json={"no_such_knob": 1}, timeout=10).status_code == 400


# --- business activity ------------------------------------------------------------------------------


def test_activity_makes_new_and_updated_records_stamped_now(sandbox: Sandbox) -> None:
    report = sandbox.activity(new_suppliers=3, others=2)
    assert report["UPMJ"] == julian(today())
    token = login(sandbox)
    todays = [condition("F0101.UPMJ", "EQUAL", today().strftime("%m/%d/%Y"))]
    rows = grid(browse(sandbox, token, "F0101", ["AN8", "UPMT"], todays, maxPageSize="No Max"), "F0101")[
        "rowset"
    ]
    stamped = {row["F0101_AN8"] for row in rows if row["F0101_UPMT"] == report["time"]}
    assert set(report["new_suppliers"]) | set(report["updated_suppliers"]) <= stamped
    for order in report["new_purchase_orders"]:
        header = sandbox.stored_rows("F4301", DOCO=order["DOCO"])[0]
        lines = sandbox.stored_rows("F4311", DOCO=order["DOCO"])
        assert (header["UPMJ"], header["TDAY"]) == (report["UPMJ"], report["time"])
        assert len(lines) == order["lines"] and {line["AN8"] for line in lines} == {header["AN8"]}
        assert sandbox.stored_rows("F0401", AN8=header["AN8"])
    for order in report["updated_purchase_orders"]:
        assert sandbox.stored_rows("F4301", DOCO=order["DOCO"])[0]["UPMJ"] == report["UPMJ"]
    for voucher in report["new_vouchers"] + report["updated_vouchers"]:
        stored = sandbox.stored_rows("F0411", DOC=voucher["DOC"], KCO=voucher["KCO"])
        assert any(row["UPMJ"] == report["UPMJ"] and row["UPMT"] == report["time"] for row in stored)


# --- orchestrations -----------------------------------------------------------------------------------


def _orchestrate(
    sandbox: Sandbox, token: str, name: str, inputs: dict[str, Any], device: str = DEVICE
) -> requests.Response:
    return requests.post(
        f"{sandbox.base}/v3/orchestrator/{name}", json=inputs, headers=headers(token, device), timeout=10
    )


@pytest.fixture(scope="module")
def reference_data(sandbox: Sandbox) -> dict[str, Any]:
    """Real keys from the seeded data, read through the data service."""
    token = login(sandbox)
    supplier = grid(browse(sandbox, token, "F0401", ["AN8", "KCOP", "MCUP"], maxPageSize="1"), "F0401")[
        "rowset"
    ][0]
    accounts = all_rows(sandbox, token, "F0901", ["MCU", "OBJ", "SUB", "PEC", "CO"])

    def number(row: dict[str, Any]) -> str:
        sub = row["F0901_SUB"].strip()
        return f"{row['F0901_MCU'].strip()}.{row['F0901_OBJ']}" + (f".{sub}" if sub else "")

    postable = [number(r) for r in accounts if r["F0901_PEC"] == " " and r["F0901_OBJ"] == "8150"]
    non_postable = [number(r) for r in accounts if r["F0901_PEC"] == "N"]
    return {
        "supplier": supplier["F0401_AN8"],
        "company": supplier["F0401_KCOP"],
        "business_unit": supplier["F0401_MCUP"].strip(),
        "account": postable[0],
        "other_account": postable[1],
        "non_postable": non_postable[0],
    }


def _voucher(ref: dict[str, Any], edtn: str, **overrides: Any) -> dict[str, Any]:
    inputs = {
        "EDI_User_ID": "MLCONNECTR",
        "EDI_Batch_Number": "BATCH-TEST-001",
        "EDI_Transaction_Number": edtn,
        "Company": ref["company"],
        "Supplier": str(ref["supplier"]),
        "Invoice_Number": f"INV-{edtn}",
        "Invoice_Date": "02/13/2025",
        "GL_Date": "02/14/2025",
        "Pay_Items": [
            {"EDI_Line_Number": "1", "Gross_Amount": "1000.00"},
            {"EDI_Line_Number": "2", "Gross_Amount": "250.55"},
        ],
        "Distribution": [
            {
                "EDI_Line_Number": "1",
                "Account": ref["account"],
                "Amount": "1250.55",
                "Explanation": "Crane hire – Zürich",
            }
        ],
    }
    inputs.update(overrides)
    return inputs


def _first_error(body: dict[str, Any]) -> dict[str, Any]:
    (service_request,) = body["message"].values()
    (form,) = service_request["JAS Response"].values()
    assert service_request["App Stack Form Exception"]["Expected Form"]
    return form["errors"][0]


def test_voucher_batch_writes_pay_items_and_distribution(
    sandbox: Sandbox, reference_data: dict[str, Any]
) -> None:
    token = login(sandbox)
    response = _orchestrate(sandbox, token, "ML_CreateVoucherBatch", _voucher(reference_data, "SRC-INV-0001"))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["jde__status"] == "SUCCESS" and body["Pay_Item_Rows"] == 2 and body["Distribution_Rows"] == 1
    assert {"jde__startTimestamp", "jde__endTimestamp", "jde__serverExecutionSeconds"} <= body.keys()
    pay_items = sandbox.stored_rows("F0411Z1", EDTN="SRC-INV-0001")
    assert [(r["EDLN"], r["SFX"], r["AG"], r["AAP"]) for r in pay_items] == [
        (1, "001", 100000, 100000),
        (2, "002", 25055, 25055),
    ]
    assert {(r["EDUS"], r["EDBT"], r["EDSP"], r["EDTR"], r["DCT"]) for r in pay_items} == {
        ("MLCONNECTR", "BATCH-TEST-001", "0", "V", "PV")
    }
    assert {r["DIVJ"] for r in pay_items} == {julian(dt.date(2025, 2, 13))}
    assert {r["DGJ"] for r in pay_items} == {julian(dt.date(2025, 2, 14))}
    assert {r["UPMJ"] for r in pay_items} == {julian(today())} and {r["USER"] for r in pay_items} == {
        "INTEGR8"
    }
    (distribution,) = sandbox.stored_rows("F0911Z1", EDTN="SRC-INV-0001")
    assert (distribution["ANI"], distribution["AA"], distribution["AM"]) == (
        reference_data["account"],
        125055,
        "2",
    )
    assert distribution["EXA"] == "Crane hire – Zürich"
    # And readable through the data service like any other table.
    rows = rows_where(sandbox, token, "F0411Z1", ["EDTN", "EDLN", "AG", "DIVJ"], "EDTN", "SRC-INV-0001")
    assert [(r["F0411Z1_AG"], r["F0411Z1_DIVJ"]) for r in rows] == [
        (1000.0, "02/13/2025"),
        (250.55, "02/13/2025"),
    ]


def test_duplicate_batch_key_is_rejected_without_a_second_row(
    sandbox: Sandbox, reference_data: dict[str, Any]
) -> None:
    token = login(sandbox)
    inputs = _voucher(reference_data, "SRC-INV-DUP")
    assert _orchestrate(sandbox, token, "ML_CreateVoucherBatch", inputs).json()["jde__status"] == "SUCCESS"
    counts = sandbox.row_counts()
    again = _orchestrate(sandbox, token, "ML_CreateVoucherBatch", inputs)
    assert again.status_code == 500
    assert again.json()["jde__status"] == "ERROR" and _first_error(again.json())["CODE"] == "59A4"
    # A different line number on the same transaction would be a new key, but one clashing line is enough.
    clashing = _voucher(
        reference_data, "SRC-INV-DUP", Pay_Items=[{"EDI_Line_Number": "2", "Gross_Amount": "1250.55"}]
    )
    assert (
        _first_error(_orchestrate(sandbox, token, "ML_CreateVoucherBatch", clashing).json())["CODE"] == "59A4"
    )
    assert sandbox.row_counts() == counts
    assert len(sandbox.stored_rows("F0411Z1", EDTN="SRC-INV-DUP")) == 2


@pytest.mark.parametrize(
    ("change", "code", "words"),
    [
        ({"Supplier": "99999999"}, "59A1", "Supplier 99999999"),
        (
            {"Distribution": [{"EDI_Line_Number": "1", "Account": "20.9999.NOPE", "Amount": "1250.55"}]},
            "59A2",
            "20.9999.NOPE",
        ),
        ("non_postable", "59A3", "posting edit code"),
        (
            {"Distribution": [{"EDI_Line_Number": "1", "Account": "ACCOUNT", "Amount": "1250.55"}]},
            "59A2",
            "BU.OBJ.SUB",
        ),
        ("unbalanced", "59A5", "1250.55"),
        ({"Invoice_Number": "X" * 26}, "59A0", "Invoice_Number"),
        ({"Invoice_Date": "2025-02-13"}, "59A0", "Invoice_Date"),
        ({"Pay_Items": []}, "59A0", "Pay_Items"),
        ({"Order_Number": "99999999"}, "59A6", "99999999"),
    ],
    ids=[
        "unknown-supplier",
        "unknown-account",
        "non-postable",
        "bad-account-form",
        "unbalanced",
        "too-long",
        "wrong-date-format",
        "no-pay-items",
        "unknown-order",
    ],
)
def test_voucher_business_errors_use_the_nested_error_body(
    sandbox: Sandbox,
    reference_data: dict[str, Any],
    change: Any,
    code: str,
    words: str,
    behind_the_contract: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # An input the orchestration contract refuses (too long, an empty grid) is a request breach: recorded
    # only here, so the simulator's own refusal (59A0) is what the test reads.
    if change == "non_postable":
        change = {
            "Distribution": [
                {"EDI_Line_Number": "1", "Account": reference_data["non_postable"], "Amount": "1250.55"}
            ]
        }
    elif change == "unbalanced":
        change = {
            "Distribution": [
                {"EDI_Line_Number": "1", "Account": reference_data["account"], "Amount": "1250.00"}
            ]
        }
    token = login(sandbox)
    counts = sandbox.row_counts()
    response = _orchestrate(
        sandbox, token, "ML_CreateVoucherBatch", _voucher(reference_data, f"SRC-ERR-{code}", **change)
    )
    assert response.status_code == 500
    body = response.json()
    assert body["jde__status"] == "ERROR" and body["exception"] == "Exception" and body["exceptionId"]
    error = _first_error(body)
    assert error["CODE"] == code and error["TITLE"].startswith("Error: ")
    assert words in error["DESC"] and words in error["MOBILE"]
    assert body["jde__simpleMessage"] == f"SR_ML_InsertVoucherBatch failed: {error['TITLE']}"
    assert sandbox.row_counts() == counts
    # The contract (docs/jde_orchestrations) names the same inputs: maxLength 25, at least one pay item.
    named = change if isinstance(change, dict) else {}
    expected = {name for name in ("Invoice_Number", "Pay_Items") if name in named}
    assert {b.violation.field for b in behind_the_contract.seen()} == expected


def test_orchestration_dates_follow_the_callers_date_format(
    sandbox: Sandbox, reference_data: dict[str, Any]
) -> None:
    token = login(sandbox, "EUROINT")
    inputs = _voucher(reference_data, "SRC-INV-EU", Invoice_Date="13/02/2025", GL_Date="14/02/2025")
    assert _orchestrate(sandbox, token, "ML_CreateVoucherBatch", inputs).json()["jde__status"] == "SUCCESS"
    assert {r["DIVJ"] for r in sandbox.stored_rows("F0411Z1", EDTN="SRC-INV-EU")} == {
        julian(dt.date(2025, 2, 13))
    }
    us_format = _voucher(reference_data, "SRC-INV-EU2", Invoice_Date="02/13/2025")
    assert (
        _first_error(_orchestrate(sandbox, token, "ML_CreateVoucherBatch", us_format).json())["CODE"]
        == "59A0"
    )


def test_batch_processor_turns_the_batch_into_a_voucher(
    sandbox: Sandbox, reference_data: dict[str, Any]
) -> None:
    token = login(sandbox)
    _orchestrate(
        sandbox, token, "ML_CreateVoucherBatch", _voucher(reference_data, "SRC-INV-PROC")
    ).raise_for_status()
    result = requests.post(f"{sandbox.admin}/process-vouchers", timeout=10).json()
    (processed,) = [p for p in result["processed"] if p["EDTN"] == "SRC-INV-PROC"]
    vouchers = rows_where(
        sandbox, token, "F0411", ["DOC", "SFX", "AG", "AAP", "VINV", "AN8"], "DOC", str(processed["DOC"])
    )
    assert [(v["F0411_SFX"], v["F0411_AG"]) for v in vouchers] == [("001", 1000.0), ("002", 250.55)]
    assert {v["F0411_VINV"] for v in vouchers} == {"INV-SRC-INV-PROC"}
    assert {r["EDSP"] for r in sandbox.stored_rows("F0411Z1", EDTN="SRC-INV-PROC")} == {"1"}


def test_journal_batch(sandbox: Sandbox, reference_data: dict[str, Any]) -> None:
    token = login(sandbox)
    lines = [
        {"EDI_Line_Number": "1", "Account": reference_data["account"], "Amount": "500.00"},
        {"EDI_Line_Number": "2", "Account": reference_data["other_account"], "Amount": "-500.00"},
    ]
    inputs = {
        "EDI_User_ID": "MLCONNECTR",
        "EDI_Batch_Number": "JE-001",
        "EDI_Transaction_Number": "JE-SRC-1",
        "Company": reference_data["company"],
        "GL_Date": "03/31/2025",
        "Explanation": "Accrual",
        "Lines": lines,
    }
    response = _orchestrate(sandbox, token, "ML_CreateJournalBatch", inputs)
    assert response.json()["jde__status"] == "SUCCESS" and response.json()["Journal_Rows"] == 2
    stored = sandbox.stored_rows("F0911Z1", EDTN="JE-SRC-1")
    assert [(r["AA"], r["DCT"], r["EXA"]) for r in stored] == [
        (50000, "JE", "Accrual"),
        (-50000, "JE", "Accrual"),
    ]
    unbalanced = {
        **inputs,
        "EDI_Transaction_Number": "JE-SRC-2",
        "Lines": [lines[0], {**lines[1], "Amount": "-499.99"}],
    }
    assert (
        _first_error(_orchestrate(sandbox, token, "ML_CreateJournalBatch", unbalanced).json())["CODE"]
        == "59A5"
    )
    assert sandbox.stored_rows("F0911Z1", EDTN="JE-SRC-2") == []


def test_purchase_order_create_and_update(sandbox: Sandbox, reference_data: dict[str, Any]) -> None:
    token = login(sandbox)
    created = _orchestrate(
        sandbox,
        token,
        "ML_CreatePurchaseOrder",
        {
            "Order_Company": reference_data["company"],
            "Business_Unit": reference_data["business_unit"],
            "Supplier": str(reference_data["supplier"]),
            "Order_Date": "03/01/2025",
            "Reference": "PF-2025-000777",
            "Lines": [
                {
                    "Line_Type": "J",
                    "Description": "Gerüstmiete März",
                    "Quantity": "3",
                    "Unit_Cost": "125.5",
                    "Account": reference_data["account"],
                },
                {"Line_Type": "S", "Item_Number": "CEM-PORT-50KG", "Quantity": "40", "Unit_Cost": "12.3456"},
                {
                    "Line_Type": "J",
                    "Description": "Skip hire",
                    "Quantity": "1",
                    "Unit_Cost": "90",
                    "Account": reference_data["account"],
                },
            ],
        },
    )
    body = created.json()
    assert body["jde__status"] == "SUCCESS", body
    assert body["Line_Count"] == 3 and body["Order_Total"] == f"{3 * 125.5 + round(40 * 12.3456, 2) + 90:.2f}"
    doco = body["Order_Number"]
    header = rows_where(sandbox, token, "F4301", ["DOCO", "VR01", "TRDJ", "UPMJ"], "DOCO", str(doco))
    assert header == [
        {
            "F4301_DOCO": doco,
            "F4301_VR01": "PF-2025-000777",
            "F4301_TRDJ": "03/01/2025",
            "F4301_UPMJ": today().strftime("%m/%d/%Y"),
        }
    ]

    updated = _orchestrate(
        sandbox,
        token,
        "ML_UpdatePurchaseOrder",
        {
            "Order_Company": reference_data["company"],
            "Order_Number": str(doco),
            "Remark": "Qty changed",
            "Lines": [
                {"Line_Number": "1", "Quantity": "5"},
                {"Line_Number": "2.000", "Cancel": "Y"},
                {
                    "Description": "Extra line",
                    "Quantity": "2",
                    "Unit_Cost": "10",
                    "Account": reference_data["account"],
                },
            ],
        },
    )
    assert updated.json()["jde__status"] == "SUCCESS", updated.text
    assert (
        updated.json()["Lines_Updated"],
        updated.json()["Lines_Added"],
        updated.json()["Lines_Cancelled"],
    ) == (1, 1, 1)
    lines = {line["LNID"]: line for line in sandbox.stored_rows("F4311", DOCO=doco)}
    assert (lines[1000]["UORG"], lines[1000]["AEXP"]) == (5, 62750)
    assert (lines[2000]["LTTR"], lines[2000]["NXTR"]) == ("980", "999") and 4000 in lines
    closed = _orchestrate(
        sandbox,
        token,
        "ML_UpdatePurchaseOrder",
        {
            "Order_Company": reference_data["company"],
            "Order_Number": str(doco),
            "Lines": [{"Line_Number": "2", "Quantity": "1"}],
        },
    )
    assert _first_error(closed.json())["CODE"] == "59A7"
    missing = _orchestrate(
        sandbox, token, "ML_UpdatePurchaseOrder", {"Order_Company": "00001", "Order_Number": "99999999"}
    )
    assert _first_error(missing.json())["CODE"] == "59A6"
    bad_unit = _orchestrate(
        sandbox,
        token,
        "ML_CreatePurchaseOrder",
        {
            "Order_Company": reference_data["company"],
            "Business_Unit": "NOSUCHBU",
            "Supplier": str(reference_data["supplier"]),
            "Order_Date": "03/01/2025",
            "Lines": [{"Quantity": "1", "Unit_Cost": "1", "Account": reference_data["account"]}],
        },
    )
    assert _first_error(bad_unit.json())["CODE"] == "0052"


def test_add_and_update_supplier(sandbox: Sandbox) -> None:
    token = login(sandbox)
    name = "Šťastný & Søn Baustoffe 北京 GmbH"
    added = _orchestrate(
        sandbox,
        token,
        "ML_AddUpdateSupplier",
        {"Alpha_Name": name, "Tax_ID": "DE123456789", "Company": "00050", "Payment_Terms": "N45"},
    )
    assert added.json()["Action"] == "ADDED", added.text
    an8 = added.json()["Address_Number"]
    book = rows_where(sandbox, token, "F0101", ["AN8", "ALPH", "AT1", "TAX"], "AN8", str(an8))
    assert book == [{"F0101_AN8": an8, "F0101_ALPH": name, "F0101_AT1": "V", "F0101_TAX": "DE123456789"}]
    (supplier,) = sandbox.stored_rows("F0401", AN8=an8)
    assert (supplier["TRAP"], supplier["KCOP"], supplier["CRRP"]) == ("N45", "00050", "EUR")
    updated = _orchestrate(
        sandbox, token, "ML_AddUpdateSupplier", {"Address_Number": str(an8), "Hold_Payment": "Y"}
    )
    assert updated.json()["Action"] == "UPDATED" and sandbox.stored_rows("F0401", AN8=an8)[0]["HDPY"] == "Y"
    unknown = _orchestrate(
        sandbox, token, "ML_AddUpdateSupplier", {"Address_Number": "99999999", "Hold_Payment": "Y"}
    )
    assert _first_error(unknown.json())["CODE"] == "59AA"
    nameless = _orchestrate(sandbox, token, "ML_AddUpdateSupplier", {"Tax_ID": "X"})
    assert _first_error(nameless.json())["CODE"] == "59A0"


def test_record_payment(sandbox: Sandbox) -> None:
    token = login(sandbox)
    vouchers = all_rows(sandbox, token, "F0411", ["KCO", "DOC", "DCT", "SFX", "AAP", "PST"])
    per_doc: dict[tuple, list[dict[str, Any]]] = {}
    for row in vouchers:
        per_doc.setdefault((row["F0411_KCO"], row["F0411_DOC"], row["F0411_DCT"]), []).append(row)
    key, items = next(
        (k, v) for k, v in per_doc.items() if all(i["F0411_PST"] == "A" and i["F0411_AAP"] > 1 for i in v)
    )
    open_total = round(sum(item["F0411_AAP"] for item in items), 2)
    payment = {
        "Document_Company": key[0],
        "Document_Number": str(key[1]),
        "Document_Type": key[2],
        "Payment_Amount": "1.00",
        "Payment_Date": "04/01/2025",
        "Payment_Reference": "BILL-PAY-0001",
    }
    first = _orchestrate(sandbox, token, "ML_RecordPayment", payment)
    assert first.json()["jde__status"] == "SUCCESS", first.text
    assert first.json()["Open_Amount"] == f"{open_total - 1:.2f}"
    assert _first_error(_orchestrate(sandbox, token, "ML_RecordPayment", payment).json())["CODE"] == "59AB"
    too_much = {**payment, "Payment_Reference": "BILL-PAY-0002", "Payment_Amount": f"{open_total:.2f}"}
    assert _first_error(_orchestrate(sandbox, token, "ML_RecordPayment", too_much).json())["CODE"] == "59AC"
    rest = {**payment, "Payment_Reference": "BILL-PAY-0003", "Payment_Amount": f"{open_total - 1:.2f}"}
    paid = _orchestrate(sandbox, token, "ML_RecordPayment", rest).json()
    assert (paid["Open_Amount"], paid["Pay_Status"]) == ("0.00", "P")
    stored = sandbox.stored_rows("F0411", KCO=key[0], DOC=key[1], DCT=key[2])
    assert {(row["AAP"], row["PST"], row["UPMJ"]) for row in stored} == {(0, "P", julian(today()))}
    missing = {**payment, "Document_Number": "1"}
    assert _first_error(_orchestrate(sandbox, token, "ML_RecordPayment", missing).json())["CODE"] == "59A8"


def test_orchestration_auth_and_unknown_name(sandbox: Sandbox) -> None:
    token = login(sandbox)
    assert _orchestrate(sandbox, token, "ML_NoSuchThing", {}).status_code == 404
    assert _orchestrate(sandbox, token, "ML_AddUpdateSupplier", {}, device="other-device").status_code == 444
    basic = requests.post(
        f"{sandbox.base}/v3/orchestrator/ML_AddUpdateSupplier",
        json={"Alpha_Name": "Basic Auth GmbH"},
        auth=("INTEGR8", PASSWORDS["INTEGR8"]),
        timeout=10,
    )
    assert basic.json()["Action"] == "ADDED"
    listing = requests.get(f"{sandbox.base}/discover", headers=headers(token), timeout=10).json()
    assert {item["name"] for item in listing["orchestrations"]} >= {
        "ML_CreateVoucherBatch",
        "ML_RecordPayment",
    }


def test_basic_header_is_never_echoed(sandbox: Sandbox) -> None:
    secret = base64.b64encode(b"INTEGR8:not-the-password").decode()
    response = requests.post(
        f"{sandbox.base}/v2/tokenrequest", headers={"Authorization": f"Basic {secret}"}, timeout=10
    )
    assert response.status_code == 403
    assert secret not in response.text and "not-the-password" not in response.text


def _open_sets(sandbox: Sandbox) -> tuple[int, int]:
    state = requests.get(f"{sandbox.admin}/state", timeout=10).json()
    return state["open_result_sets"], state["dripping_result_sets"]


def _close(sandbox: Sandbox, token: str, href: str, **change: Any) -> requests.Response:
    query = parse_qs(urlsplit(href).query)
    body = {
        "action": "close",
        "stackId": int(query["stackId"][0]),
        "stateId": int(query["stateId"][0]),
        "rid": query["rid"][0],
        **change,
    }
    return requests.post(f"{sandbox.base}/v2/appstack", json=body, headers=headers(token), timeout=10)


def test_a_result_set_stays_open_until_read_to_its_end_closed_or_timed_out(sandbox: Sandbox) -> None:
    token = login(sandbox)
    before, _ = _open_sets(sandbox)
    paged = {"maxPageSize": "40", "enableNextPageProcessing": True, "nextPageTimeInterval": 1000}
    read_whole = browse(sandbox, token, "F4311", ["DOCO"], **paged)
    assert _open_sets(sandbox)[0] == before + 1
    _walk(sandbox, token, read_whole)
    assert _open_sets(sandbox)[0] == before  # the server closes a set read to its end

    closed = browse(sandbox, token, "F4311", ["DOCO"], **paged)
    href = closed.json()["links"][0]["href"]
    assert _open_sets(sandbox)[0] == before + 1
    answer = _close(sandbox, token, href)
    assert answer.status_code == 200, answer.text
    assert answer.json()["rid"] == parse_qs(urlsplit(href).query)["rid"][0]
    assert _open_sets(sandbox)[0] == before
    gone = requests.post(href, headers={"jde-AIS-Auth-Device": DEVICE}, timeout=10)
    assert gone.status_code == 500 and gone.json()["sysErrors"][0]["TITLE"].startswith(JAS_MSG347)
    again = _close(sandbox, token, href)
    assert again.status_code == 500 and again.json()["sysErrors"][0]["TITLE"].startswith(JAS_MSG347)

    other = browse(sandbox, token, "F4311", ["DOCO"], **paged)
    refused = _close(sandbox, login(sandbox), other.json()["links"][0]["href"])
    assert refused.status_code == 500  # another session's set is not this one's to close
    sandbox.faults(result_set_timeout_seconds=0.3)
    time.sleep(0.45)
    assert _open_sets(sandbox)[0] == 0  # timed out, with every other set left idle that long


def test_an_application_stack_request_the_sandbox_cannot_do_is_refused(
    sandbox: Sandbox, contract_breaches: Any
) -> None:
    token = login(sandbox)
    first = browse(sandbox, token, "F4311", ["DOCO"], maxPageSize="40", enableNextPageProcessing=True)
    href = first.json()["links"][0]["href"]
    opening = _close(sandbox, token, href, action="open")
    assert opening.status_code == 400 and "action" in opening.json()["message"]
    bad_action = _close(sandbox, token, href, action="shut")
    assert bad_action.status_code == 400  # not one of Oracle's open / execute / close
    assert [b.words for b in contract_breaches.seen()] == [
        "client request: jde_ais POST /jderest/v2/appstack: body field 'action' form: 'shut' is not one of "
        "['open', 'execute', 'close']"
    ]
    no_rid = _close(sandbox, token, href, rid="")
    assert no_rid.status_code == 400
    assert _close(sandbox, token, href).status_code == 200


def test_next_page_time_interval_says_whether_the_server_drips(
    sandbox: Sandbox, contract_breaches: Any
) -> None:
    token = login(sandbox)

    def paged(**interval: Any) -> requests.Response:
        """A browse of F4311 asking the server to page (40 rows), with ``nextPageTimeInterval`` if given."""
        return browse(
            sandbox, token, "F4311", ["DOCO"], maxPageSize="40", enableNextPageProcessing=True, **interval
        )

    open_before, dripping_before = _open_sets(sandbox)
    for interval in (None, 0, 1000, "1000", 5000):
        answer = paged() if interval is None else paged(nextPageTimeInterval=interval)
        assert grid(answer, "F4311")["summary"]["moreRecords"] is True
    # Omitted: every 5 s in the background; 1000 ms or less: never; more: for that long (Oracle).
    assert _open_sets(sandbox) == (open_before + 5, dripping_before + 2)
    sandbox.faults(result_set_timeout_seconds=2)
    too_long = paged(nextPageTimeInterval=2000)
    assert too_long.status_code == 400 and "nextPageTimeInterval" in too_long.json()["message"]
    not_a_number = paged(nextPageTimeInterval="soon")
    assert not_a_number.status_code == 400
    assert ["nextPageTimeInterval" in b.words for b in contract_breaches.seen()] == [True]
