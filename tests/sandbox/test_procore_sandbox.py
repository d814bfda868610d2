"""The Procore sandbox, exercised over loopback HTTP with plain ``requests`` (not our client).

One test per documented behaviour of ``docs/reference/procore.md``: OAuth client credentials and every
failure shape, token expiry, the company header and parameters, each endpoint's list / filters / paging
/ views, create and update validation with the error bodies, uniqueness and locking rules, every fault
setting, the two rate-limit windows, and each "unconfirmed" variant switch.

Expected values are never hard-coded: they come from the stored rows (``/sandbox/records``, an oracle
independent of the list engine) or from an earlier answer of the API. Every test starts from a freshly
reseeded sandbox, so tests never see each other's writes.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import time
from collections import Counter
from collections.abc import Iterator
from functools import cached_property
from typing import Any

import pytest
import requests

from connector_sandbox.procore import ProcoreSandboxSettings, run_in_thread
from connector_sandbox.procore.settings import RateLimitSettings, WebhookSettings

from .faults import answers_no_sooner_than
from .serving import served

pytestmark = pytest.mark.timeout(120)

COMPANY = 4264807
OTHER_COMPANY = 4264808  # exists, app not installed
CLIENT_ID = "ml-connector-sandbox"
CLIENT_SECRET = "sandbox-procore-secret"
V1 = "/rest/v1.0"
RATE_TEXT = "You have surpassed the max number of requests for an hour. Please wait until your limit resets."


class Sandbox:
    """Thin helpers over ``requests``: a token per reset, the company header, the operator routes."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.http = requests.Session()
        self.http.trust_env = False

    def new_token(self) -> str:
        response = self.http.post(
            f"{self.base}/oauth/token",
            data={"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET},
            timeout=10,
        )
        assert response.status_code == 200, response.text
        return response.json()["access_token"]

    @cached_property
    def token(self) -> str:
        """The token of this reset: minted on first use, forgotten by ``reset``."""
        return self.new_token()

    def headers(self, token: str | None = None, company: int | None = COMPANY) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {token or self.token}"}
        if company is not None:
            headers["Procore-Company-Id"] = str(company)
        return headers

    def api(
        self,
        method: str,
        path: str,
        *,
        params: Any = None,
        json: Any = None,
        token: str | None = None,
        company: int | None = COMPANY,
        headers: dict[str, str] | None = None,
    ) -> requests.Response:
        url = path if path.startswith("http") else f"{self.base}{path}"
        return self.http.request(
            method, url, params=params, json=json, headers=headers or self.headers(token, company), timeout=15
        )

    def admin(self, method: str, path: str, json: Any = None, expect: int = 200) -> Any:
        response = self.http.request(method, f"{self.base}/sandbox{path}", json=json, timeout=30)
        assert response.status_code == expect, response.text
        return response.json()

    def settings(self, **groups: dict[str, Any]) -> dict[str, Any]:
        return self.admin("POST", "/settings", groups)

    def records(self, table: str, **filters: Any) -> list[dict[str, Any]]:
        query = "&".join(f"{k}={v}" for k, v in filters.items())
        return self.admin("GET", f"/records/{table}?{query}")["rows"]

    def record(self, table: str, record_id: int) -> dict[str, Any]:
        return self.admin("GET", f"/records/{table}/{record_id}")

    def reset(self) -> None:
        self.admin("POST", "/reset")
        self.__dict__.pop("token", None)

    def visible_project(self) -> dict[str, Any]:
        return next(p for p in self.records("projects") if p["permitted"] and p["active"])

    def hidden_project(self) -> dict[str, Any]:
        return next(p for p in self.records("projects") if not p["permitted"])


def fast_settings(**overrides: Any) -> ProcoreSandboxSettings:
    """Small data; rate limits out of the way unless a test sets them; quick webhook retries."""
    values: dict[str, Any] = {
        "scale": 0.05,
        "rate_limits": RateLimitSettings(spike_limit=100_000, hourly_limit=1_000_000),
        "webhooks": WebhookSettings(
            poll_interval_seconds=0.05, retry_initial_seconds=0.05, timeout_seconds=2.0
        ),
    }
    values.update(overrides)
    return ProcoreSandboxSettings(**values)


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    yield from served(run_in_thread(fast_settings()), Sandbox)


@pytest.fixture(autouse=True)
def _fresh(request: pytest.FixtureRequest) -> None:
    if "sandbox" in request.fixturenames:
        request.getfixturevalue("sandbox").reset()


def vendors_active(sandbox: Sandbox) -> list[dict[str, Any]]:
    return [v for v in sandbox.records("vendors", company_id=COMPANY) if v["is_active"]]


def walk(
    sandbox: Sandbox, path: str, params: dict[str, Any]
) -> tuple[list[dict[str, Any]], list[requests.Response]]:
    """Every page, following ``Link: rel="next"`` as a client must."""
    responses = [sandbox.api("GET", path, params=params)]
    while "next" in responses[-1].links:
        assert len(responses) < 200, "paging does not end"
        responses.append(sandbox.api("GET", responses[-1].links["next"]["url"]))
    return [item for response in responses for item in response.json()], responses


# -- OAuth ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["form", "multipart", "json"])
def test_token_endpoint_accepts_form_multipart_and_json(sandbox: Sandbox, encoding: str) -> None:
    fields = {"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
    kwargs: dict[str, Any] = {
        "form": {"data": fields},
        "multipart": {"files": {name: (None, value) for name, value in fields.items()}},
        "json": {"json": fields},
    }[encoding]
    before = int(time.time())
    response = sandbox.http.post(f"{sandbox.base}/oauth/token", timeout=10, **kwargs)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "created_at"}  # no refresh token
    assert body["token_type"] == "bearer" and body["expires_in"] == 5400
    assert before - 1 <= body["created_at"] <= time.time() + 1
    me = sandbox.api("GET", f"{V1}/me", token=body["access_token"])
    assert (
        me.status_code == 200
        and me.json()["id"] == sandbox.admin("GET", "/state")["clients"][0]["service_account_user_id"]
    )


def test_token_endpoint_failure_shapes(sandbox: Sandbox) -> None:
    url = f"{sandbox.base}/oauth/token"
    bad = sandbox.http.post(
        url,
        data={"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": "wrong"},
        timeout=10,
    )
    assert bad.status_code == 401 and bad.json()["error"] == "invalid_client"
    assert "wrong" not in bad.text
    unknown = sandbox.http.post(
        url,
        data={"grant_type": "client_credentials", "client_id": "nobody", "client_secret": CLIENT_SECRET},
        timeout=10,
    )
    assert unknown.status_code == 401 and unknown.json()["error"] == "invalid_client"
    grant = sandbox.http.post(url, data={"grant_type": "password", "client_id": CLIENT_ID}, timeout=10)
    assert grant.status_code == 400 and grant.json()["error"] == "unsupported_grant_type"
    missing = sandbox.http.post(url, data={"client_id": CLIENT_ID}, timeout=10)
    assert missing.status_code == 400 and missing.json()["error"] == "invalid_request"


def test_bad_client_status_variant(sandbox: Sandbox) -> None:
    sandbox.settings(variants={"bad_client_status": 400})
    bad = sandbox.http.post(
        f"{sandbox.base}/oauth/token",
        data={"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": "wrong"},
        timeout=10,
    )
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_client"


def test_basic_client_authentication_and_its_variant(sandbox: Sandbox) -> None:
    basic = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    url = f"{sandbox.base}/oauth/token"
    accepted = sandbox.http.post(
        url, data={"grant_type": "client_credentials"}, headers={"Authorization": basic}, timeout=10
    )
    assert accepted.status_code == 200
    sandbox.settings(variants={"accept_basic_client_auth": False})
    refused = sandbox.http.post(
        url, data={"grant_type": "client_credentials"}, headers={"Authorization": basic}, timeout=10
    )
    assert refused.status_code == 401 and refused.json()["error"] == "invalid_client"


def test_missing_or_unknown_bearer_is_401_with_www_authenticate(sandbox: Sandbox) -> None:
    for headers in ({"Procore-Company-Id": str(COMPANY)}, sandbox.headers(token="not-a-token")):
        response = sandbox.api("GET", f"{V1}/me", headers=headers)
        assert response.status_code == 401
        assert response.json() == {"errors": "The access token is invalid"}
        assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]
    sandbox.settings(variants={"www_authenticate_header": False})
    assert "WWW-Authenticate" not in sandbox.api("GET", f"{V1}/me", token="nope").headers


def test_token_expires_after_its_lifetime(sandbox: Sandbox) -> None:
    sandbox.settings(faults={"token_lifetime_seconds": 0.5})
    response = sandbox.http.post(
        f"{sandbox.base}/oauth/token",
        data={"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET},
        timeout=10,
    )
    token = response.json()["access_token"]
    assert response.json()["expires_in"] in (0, 1)
    assert sandbox.api("GET", f"{V1}/me", token=token).status_code == 200
    time.sleep(0.6)
    expired = sandbox.api("GET", f"{V1}/me", token=token)
    assert expired.status_code == 401 and expired.json()["errors"] == "The access token is invalid"
    sandbox.settings(variants={"distinct_token_messages": True})
    assert sandbox.api("GET", f"{V1}/me", token=token).json()["errors"] == "The access token expired"
    assert sandbox.api("GET", f"{V1}/me", token=sandbox.new_token()).status_code == 200  # re-auth works


def test_admin_expire_and_revoke_all_tokens(sandbox: Sandbox) -> None:
    first = sandbox.new_token()
    assert sandbox.admin("POST", "/tokens/expire")["expired"] >= 1
    assert sandbox.api("GET", f"{V1}/me", token=first).status_code == 401
    second = sandbox.new_token()
    assert sandbox.admin("POST", "/tokens/revoke")["revoked"] >= 1
    sandbox.settings(variants={"distinct_token_messages": True})
    revoked = sandbox.api("GET", f"{V1}/me", token=second)
    assert revoked.status_code == 401 and revoked.json()["errors"] == "The access token was revoked"


def test_revoke_endpoint_always_answers_200(sandbox: Sandbox) -> None:
    token = sandbox.new_token()
    url = f"{sandbox.base}/oauth/revoke"
    unknown = sandbox.http.post(
        url, data={"token": "nope", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
    )
    assert unknown.status_code == 200
    wrong_client = sandbox.http.post(url, data={"token": token, "client_id": CLIENT_ID, "client_secret": "x"})
    assert wrong_client.status_code == 200
    assert sandbox.api("GET", f"{V1}/me", token=token).status_code == 200  # not revoked by a stranger
    done = sandbox.http.post(
        url, data={"token": token, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
    )
    assert done.status_code == 200
    assert sandbox.api("GET", f"{V1}/me", token=token).status_code == 401


def test_token_info_reports_the_remaining_lifetime(sandbox: Sandbox) -> None:
    info = sandbox.http.get(
        f"{sandbox.base}/oauth/token/info", headers={"Authorization": f"Bearer {sandbox.token}"}
    )
    assert info.status_code == 200
    assert (
        info.json()["application"] == {"uid": CLIENT_ID} and 5390 <= info.json()["expires_in_seconds"] <= 5400
    )
    bad = sandbox.http.get(f"{sandbox.base}/oauth/token/info", headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401 and bad.json()["error"] == "invalid_token"


# -- company and project scoping ----------------------------------------------------------------------------


def test_company_header_is_required_even_on_me_and_companies(sandbox: Sandbox) -> None:
    for path in (f"{V1}/me", f"{V1}/companies"):
        response = sandbox.api("GET", path, company=None)
        assert response.status_code == 400
        assert response.json() == {"errors": "Missing Procore-Company-Id header!"}
    companies = sandbox.api("GET", f"{V1}/companies").json()
    assert [c["id"] for c in companies] == [c["id"] for c in sandbox.records("companies") if c["connected"]]


def test_missing_company_header_variants(sandbox: Sandbox, behind_the_contract: Any) -> None:
    sandbox.settings(variants={"missing_company_header_status": 403})
    assert sandbox.api("GET", f"{V1}/me", company=None).status_code == 403
    sandbox.settings(variants={"require_company_header": False})
    assert sandbox.api("GET", f"{V1}/me", company=None).status_code == 200
    # The parameter is still required where the endpoint takes it.
    assert sandbox.api("GET", f"{V1}/vendors", company=None).status_code == 400


def test_company_parameter_is_required_besides_the_header(sandbox: Sandbox, behind_the_contract: Any) -> None:
    response = sandbox.api("GET", f"{V1}/vendors")
    assert response.status_code == 400
    assert response.json() == {"errors": "param is missing or the value is empty: company_id"}


def test_app_not_connected_to_company_is_403(sandbox: Sandbox) -> None:
    other = sandbox.api("GET", f"{V1}/vendors", params={"company_id": OTHER_COMPANY}, company=OTHER_COMPANY)
    assert other.status_code == 403 and other.json() == {"errors": "App is not connected to this company"}
    assert sandbox.api("GET", f"{V1}/vendors", params={"company_id": COMPANY}).status_code == 200
    sandbox.admin("POST", f"/companies/{COMPANY}/connection", {"connected": False})
    uninstalled = sandbox.api("GET", f"{V1}/vendors", params={"company_id": COMPANY})
    assert (
        uninstalled.status_code == 403
        and uninstalled.json()["errors"] == "App is not connected to this company"
    )


def test_projects_not_permitted_are_403_and_unlisted(sandbox: Sandbox) -> None:
    hidden = sandbox.hidden_project()
    listed = sandbox.api("GET", f"{V1}/projects", params={"company_id": COMPANY}).json()
    assert hidden["id"] not in {p["id"] for p in listed}
    assert {p["id"] for p in listed} == {p["id"] for p in sandbox.records("projects") if p["permitted"]}
    refused = sandbox.api("GET", f"{V1}/purchase_order_contracts", params={"project_id": hidden["id"]})
    assert refused.status_code == 403
    visible = sandbox.visible_project()
    sandbox.admin("POST", f"/projects/{visible['id']}/permission", {"permitted": False})
    assert sandbox.api("GET", f"{V1}/cost_codes", params={"project_id": visible["id"]}).status_code == 403


def test_unknown_project_and_records_of_other_projects_are_404(
    sandbox: Sandbox, contract_breaches: Any
) -> None:
    assert sandbox.api("GET", f"{V1}/cost_codes", params={"project_id": 1}).status_code == 404
    projects = [p for p in sandbox.records("projects") if p["permitted"]]
    commitment = sandbox.records("commitments", project_id=projects[0]["id"], kind="PurchaseOrderContract")[0]
    elsewhere = sandbox.api(
        "GET", f"{V1}/purchase_order_contracts/{commitment['id']}", params={"project_id": projects[1]["id"]}
    )
    assert elsewhere.status_code == 404
    missing = sandbox.api("GET", f"{V1}/purchase_order_contracts", params={})
    assert missing.status_code == 400 and "project_id" in missing.json()["errors"]


def test_ids_above_32_bits_round_trip(sandbox: Sandbox) -> None:
    project = sandbox.visible_project()
    assert project["id"] > 2**32
    shown = sandbox.api("GET", f"{V1}/projects/{project['id']}", params={"company_id": COMPANY}).json()
    assert shown["id"] == project["id"] and shown["company"]["id"] == COMPANY


# -- paging, filters, sorting --------------------------------------------------------------------------------


def test_vendor_paging_headers_and_link_walk(sandbox: Sandbox) -> None:
    expected = sorted(v["id"] for v in vendors_active(sandbox))
    items, responses = walk(sandbox, f"{V1}/vendors", {"company_id": COMPANY, "per_page": 7})
    assert [v["id"] for v in items] == expected
    assert {r.headers["Total"] for r in responses} == {str(len(expected))}
    assert {r.headers["Per-Page"] for r in responses} == {"7"}
    assert set(responses[0].links) == {"next", "last"}
    assert set(responses[-1].links) == {"first", "prev"}
    assert set(responses[1].links) == {"first", "prev", "next", "last"}
    assert "company_id=4264807" in responses[0].links["next"]["url"]
    assert responses[0].links["last"]["url"] == responses[-2].links["next"]["url"]


def test_default_and_capped_per_page(sandbox: Sandbox) -> None:
    default = sandbox.api("GET", f"{V1}/vendors", params={"company_id": COMPANY})
    assert default.headers["Per-Page"] == "100"
    assert (
        sandbox.api("GET", f"{V1}/vendors", params={"company_id": COMPANY, "per_page": 5000}).headers[
            "Per-Page"
        ]
        == "5000"
    )
    sandbox.settings(variants={"max_per_page": 4, "default_per_page": 3})
    capped = sandbox.api("GET", f"{V1}/vendors", params={"company_id": COMPANY, "per_page": 5000})
    assert capped.headers["Per-Page"] == "4" and len(capped.json()) == 4
    assert sandbox.api("GET", f"{V1}/vendors", params={"company_id": COMPANY}).headers["Per-Page"] == "3"


def _mass_stamp(rows: list[dict[str, Any]]) -> tuple[str, int]:
    stamp, count = Counter(row["updated_at"] for row in rows).most_common(1)[0]
    assert count > 1
    return stamp, count


def test_updated_at_range_is_inclusive_at_both_ends(sandbox: Sandbox) -> None:
    stamp, count = _mass_stamp(vendors_active(sandbox))
    exact = sandbox.api(
        "GET", f"{V1}/vendors", params={"company_id": COMPANY, "filters[updated_at]": f"{stamp}...{stamp}"}
    )
    assert exact.status_code == 200 and int(exact.headers["Total"]) == count
    assert {v["updated_at"] for v in exact.json()} == {stamp}


def test_updated_at_range_exclusive_end_variant(sandbox: Sandbox) -> None:
    rows = vendors_active(sandbox)
    stamp, _ = _mass_stamp(rows)
    later = (dt.datetime.fromisoformat(stamp) + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    sandbox.settings(variants={"range_end": "exclusive"})
    params = {"company_id": COMPANY, "filters[updated_at]": f"{stamp}...{later}"}
    got = {v["id"] for v in walk(sandbox, f"{V1}/vendors", params)[0]}
    assert got == {v["id"] for v in rows if stamp <= v["updated_at"] < later}
    empty = sandbox.api(
        "GET", f"{V1}/vendors", params={**params, "filters[updated_at]": f"{stamp}...{stamp}"}
    )
    assert empty.headers["Total"] == "0" and "Link" not in empty.headers


def test_updated_at_dates_and_offsets(sandbox: Sandbox) -> None:
    rows = vendors_active(sandbox)
    stamp, _ = _mass_stamp(rows)
    day = stamp[:10]
    by_date = walk(
        sandbox, f"{V1}/vendors", {"company_id": COMPANY, "filters[updated_at]": f"{day}...{day}"}
    )[0]
    assert {v["id"] for v in by_date} == {v["id"] for v in rows if v["updated_at"][:10] == day}
    moment = dt.datetime.fromisoformat(stamp)
    berlin = moment.astimezone(dt.timezone(dt.timedelta(hours=2))).isoformat()
    with_offset = sandbox.api(
        "GET", f"{V1}/vendors", params={"company_id": COMPANY, "filters[updated_at]": f"{berlin}...{berlin}"}
    )
    assert with_offset.status_code == 200 and {v["updated_at"] for v in with_offset.json()} == {stamp}
    # An unencoded "+" arrives as a space: refused with a message naming the filter.
    raw = f"{sandbox.base}{V1}/vendors?company_id={COMPANY}&filters[updated_at]={berlin}...{berlin}"
    unencoded = sandbox.api("GET", raw)
    assert unencoded.status_code == 400 and "filters[updated_at]" in unencoded.json()["errors"]


def test_vendor_filters_origin_search_ids_and_trades(sandbox: Sandbox) -> None:
    rows = vendors_active(sandbox)
    synced = next(v for v in rows if v["origin_id"] and len(v["origin_id"]) < 40)
    by_origin = sandbox.api(
        "GET", f"{V1}/vendors", params={"company_id": COMPANY, "filters[origin_id]": synced["origin_id"]}
    ).json()
    assert [v["id"] for v in by_origin] == [synced["id"]]
    search = sandbox.api(
        "GET", f"{V1}/vendors", params={"company_id": COMPANY, "filters[search]": "MÜLLER"}
    ).json()
    assert [v["name"] for v in search] == ["Müller Baustoffe GmbH"]
    chosen = [rows[1]["id"], rows[3]["id"]]
    by_ids = sandbox.api(
        "GET", f"{V1}/vendors", params=[("company_id", COMPANY), *[("filters[id][]", i) for i in chosen]]
    )
    assert sorted(v["id"] for v in by_ids.json()) == sorted(chosen)
    trade = next(t for v in rows for t in json.loads(v["trade_ids"]))
    by_trade = walk(sandbox, f"{V1}/vendors", {"company_id": COMPANY, "filters[trade_id][]": trade})[0]
    assert {v["id"] for v in by_trade} == {v["id"] for v in rows if trade in json.loads(v["trade_ids"])}
    # Filters AND together: Müller's own origin id keeps it, another vendor's empties the list.
    muller = next(v for v in rows if v["name"] == "Müller Baustoffe GmbH")
    other = next(v for v in rows if v["origin_id"] and v["id"] != muller["id"])
    for origin, expected in ((muller["origin_id"], [muller["id"]]), (other["origin_id"], [])):
        combined = sandbox.api(
            "GET",
            f"{V1}/vendors",
            params={"company_id": COMPANY, "filters[search]": "MÜLLER", "filters[origin_id]": origin},
        ).json()
        assert [v["id"] for v in combined] == expected


def test_vendor_sort_and_unknown_sort_field(sandbox: Sandbox) -> None:
    rows = vendors_active(sandbox)
    listed = walk(sandbox, f"{V1}/vendors", {"company_id": COMPANY, "sort": "-name", "per_page": 100})[0]
    assert [v["id"] for v in listed] == [
        v["id"] for v in sorted(rows, key=lambda v: (v["name"], -v["id"]), reverse=True)
    ]
    bad = sandbox.api("GET", f"{V1}/vendors", params={"company_id": COMPANY, "sort": "shoe_size"})
    assert bad.status_code == 406 and "shoe_size" in bad.json()["errors"]
    sandbox.settings(variants={"non_existent_fields": "ignore"})
    assert (
        sandbox.api("GET", f"{V1}/vendors", params={"company_id": COMPANY, "sort": "shoe_size"}).status_code
        == 200
    )


def test_inactive_vendors_are_listed_separately(sandbox: Sandbox) -> None:
    everyone = sandbox.records("vendors", company_id=COMPANY)
    inactive = {v["id"] for v in everyone if not v["is_active"]}
    assert inactive, "the seed has inactive vendors"
    active_list = {v["id"] for v in walk(sandbox, f"{V1}/vendors", {"company_id": COMPANY})[0]}
    assert not active_list & inactive
    listed = {v["id"] for v in walk(sandbox, f"{V1}/companies/{COMPANY}/vendors/inactive", {})[0]}
    assert listed == inactive
    sandbox.settings(variants={"vendor_list_includes_inactive": True})
    assert {v["id"] for v in walk(sandbox, f"{V1}/vendors", {"company_id": COMPANY})[0]} == {
        v["id"] for v in everyone
    }


def test_inactive_vendor_list_takes_no_filter(sandbox: Sandbox, behind_the_contract: Any) -> None:
    """Procore documents page, per_page, view and sort there, no filter (SDK,
    rest_v10_companies_company_id_vendors_inactive_get): a filter the company list takes is unknown here,
    ignored (every inactive vendor answered) or refused, never applied."""
    inactive = [v for v in sandbox.records("vendors", company_id=COMPANY) if not v["is_active"]]
    path = f"{V1}/companies/{COMPANY}/vendors/inactive"
    one = inactive[0]
    filters = {"filters[origin_id]": "no-such-origin", "filters[updated_at]": "2000-01-01...2000-01-02"}
    ignored = walk(sandbox, path, filters)[0]
    assert {v["id"] for v in ignored} == {v["id"] for v in inactive}
    by_id = walk(sandbox, path, {"filters[id][]": str(one["id"])})[0]
    assert len(by_id) == len(inactive)
    sandbox.settings(variants={"unknown_filters": "reject"})
    refused = sandbox.api("GET", path, params={"filters[updated_at]": "2000-01-01...2000-01-02"})
    assert refused.status_code == 400 and "filters[updated_at]" in refused.json()["errors"]
    # the company list documents them: applied there
    listed = sandbox.api(
        "GET",
        f"{V1}/vendors",
        params={"company_id": COMPANY, "filters[updated_at]": "2000-01-01...2000-01-02"},
    )
    assert listed.status_code == 200 and listed.json() == []


def test_unknown_filters_are_ignored_or_refused(sandbox: Sandbox, behind_the_contract: Any) -> None:
    project = sandbox.visible_project()
    codes = [c for c in sandbox.records("cost_codes", project_id=project["id"]) if c["deleted_at"] is None]
    # cost_codes documents no updated_at filter: a client relying on it gets everything.
    ignored = sandbox.api(
        "GET",
        f"{V1}/cost_codes",
        params={"project_id": project["id"], "filters[updated_at]": "2000-01-01...2000-01-02"},
    )
    assert ignored.status_code == 200 and int(ignored.headers["Total"]) == len(codes)
    sandbox.settings(variants={"unknown_filters": "reject"})
    refused = sandbox.api(
        "GET",
        f"{V1}/cost_codes",
        params={"project_id": project["id"], "filters[updated_at]": "2000-01-01...2000-01-02"},
    )
    assert refused.status_code == 400 and "filters[updated_at]" in refused.json()["errors"]


def test_vendor_views_shape_fields(sandbox: Sandbox) -> None:
    params = {"company_id": COMPANY, "per_page": 1}
    extended = sandbox.api("GET", f"{V1}/vendors", params=params).json()[0]
    compact = sandbox.api("GET", f"{V1}/vendors", params={**params, "view": "compact"}).json()[0]
    assert {"business_register", "trades", "project_ids", "origin_data"} <= set(extended)
    assert set(compact) < set(extended) and {"id", "name", "updated_at"} <= set(compact)
    assert all(compact[key] == extended[key] for key in compact)


# -- commitments ---------------------------------------------------------------------------------------------


def _approved_po(sandbox: Sandbox, project_id: int) -> dict[str, Any]:
    rows = sandbox.records(
        "commitments", project_id=project_id, kind="PurchaseOrderContract", status="Approved"
    )
    return next(row for row in rows if row["deleted_at"] is None)


def test_commitment_list_is_compact_and_show_has_string_money(sandbox: Sandbox) -> None:
    project = sandbox.visible_project()
    listed = sandbox.api("GET", f"{V1}/purchase_order_contracts", params={"project_id": project["id"]}).json()
    assert (
        listed and "grand_total" not in listed[0] and {"id", "number", "status", "vendor"} <= set(listed[0])
    )
    po = _approved_po(sandbox, project["id"])
    shown = sandbox.api(
        "GET", f"{V1}/purchase_order_contracts/{po['id']}", params={"project_id": project["id"]}
    ).json()
    lines = [
        line
        for line in sandbox.records("commitment_line_items", commitment_id=po["id"])
        if not line["deleted_at"]
    ]
    expected_total = sum(line["amount_cents"] for line in lines)
    assert shown["grand_total"] == f"{expected_total // 100}.{expected_total % 100:02d}"
    assert isinstance(shown["revised_contract"], str) and shown["currency_configuration"]["currency_iso_code"]
    extended = sandbox.api(
        "GET",
        f"{V1}/purchase_order_contracts",
        params={"project_id": project["id"], "view": "extended", "filters[id]": str(po["id"])},
    ).json()
    assert extended == [shown]


def test_commitment_filters_status_and_soft_deletes(sandbox: Sandbox) -> None:
    project = sandbox.visible_project()
    stored = sandbox.records("commitments", project_id=project["id"], kind="PurchaseOrderContract")
    params = {"project_id": project["id"], "per_page": 200}
    approved = sandbox.api(
        "GET", f"{V1}/purchase_order_contracts", params={**params, "filters[status]": "Approved"}
    )
    assert {c["id"] for c in approved.json()} == {
        c["id"] for c in stored if c["status"] == "Approved" and c["deleted_at"] is None
    }
    draft = next(c for c in stored if c["status"] == "Draft" and c["deleted_at"] is None)
    assert (
        sandbox.api(
            "DELETE", f"{V1}/purchase_order_contracts/{draft['id']}", params={"project_id": project["id"]}
        ).status_code
        == 204
    )
    live = {c["id"] for c in sandbox.api("GET", f"{V1}/purchase_order_contracts", params=params).json()}
    assert draft["id"] not in live
    only = sandbox.api(
        "GET", f"{V1}/purchase_order_contracts", params={**params, "filters[include_deleted]": "only"}
    )
    assert draft["id"] in {c["id"] for c in only.json()} and all(c["deleted_at"] for c in only.json())
    both = sandbox.api(
        "GET", f"{V1}/purchase_order_contracts", params={**params, "filters[include_deleted]": "with"}
    )
    assert int(both.headers["Total"]) == len(stored)


def test_commitments_endpoint_lists_both_kinds_with_type(sandbox: Sandbox) -> None:
    project = sandbox.visible_project()
    stored = [c for c in sandbox.records("commitments", project_id=project["id"]) if c["deleted_at"] is None]
    listed = walk(sandbox, f"{V1}/commitments", {"project_id": project["id"]})[0]
    # Procore's Commitment (SDK) carries no type: both kinds are listed, told apart by their own lists
    assert sorted(c["id"] for c in listed) == sorted(c["id"] for c in stored)


def post_commitment(sandbox: Sandbox, project: dict[str, Any], kind: str, **fields: Any) -> requests.Response:
    """``POST`` a new commitment of ``kind`` (``work_order_contract``...) with ``fields`` in ``project``."""
    body = {"project_id": project["id"], kind: fields}
    return sandbox.api("POST", f"{V1}/{kind}s", json=body)


def test_create_commitment_and_line_items(sandbox: Sandbox) -> None:
    project = sandbox.visible_project()
    vendor = vendors_active(sandbox)[0]
    fields = {"title": "Façade – Außenputz", "vendor_id": vendor["id"], "retainage_percent": "10.0"}
    created = post_commitment(sandbox, project, "work_order_contract", **fields, origin_id="JDE-OS-990001")
    assert created.status_code == 201, created.text
    body = created.json()
    assert (
        body["status"] == "Draft" and body["title"] == "Façade – Außenputz" and body["grand_total"] == "0.00"
    )
    code = next(c for c in sandbox.records("cost_codes", project_id=project["id"]) if c["parent_id"])
    line = sandbox.api(
        "POST",
        f"{V1}/work_order_contracts/{body['id']}/line_items",
        json={
            "project_id": project["id"],
            "line_item": {"amount": "1234.565", "cost_code_id": code["id"], "description": "Scaffolding"},
        },
    )
    assert line.status_code == 201 and line.json()["amount"] == "1234.57"
    assert line.json()["id"] == sandbox.records("commitment_line_items", commitment_id=body["id"])[0]["id"]
    shown = sandbox.api(
        "GET", f"{V1}/work_order_contracts/{body['id']}", params={"project_id": project["id"]}
    )
    assert shown.json()["grand_total"] == "1234.57"
    missing = sandbox.api(
        "POST",
        f"{V1}/work_order_contracts/{body['id']}/line_items",
        json={"project_id": project["id"], "line_item": {"amount": "5"}},
    )
    assert missing.status_code == 422 and missing.json()["errors"] == {"cost_code_id": ["can't be blank"]}


def test_commitment_validation_errors_name_each_field(sandbox: Sandbox, behind_the_contract: Any) -> None:
    project = sandbox.visible_project()
    inactive = next(v for v in sandbox.records("vendors") if not v["is_active"])
    fields = {"status": "Shipped", "vendor_id": inactive["id"], "contract_date": "31/12/2025"}
    response = post_commitment(sandbox, project, "purchase_order_contract", **fields)
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert set(errors) == {"status", "contract_date"}  # vendor is checked once attributes are valid
    again = post_commitment(sandbox, project, "purchase_order_contract", vendor_id=inactive["id"])
    assert again.status_code == 422 and again.json()["errors"] == {"vendor_id": ["is not an active vendor"]}
    taken = sandbox.records("commitments", project_id=project["id"], kind="PurchaseOrderContract")[1][
        "number"
    ]
    duplicate = post_commitment(sandbox, project, "purchase_order_contract", number=taken)
    assert duplicate.status_code == 422 and duplicate.json()["errors"] == {
        "number": ["has already been taken"]
    }
    wrapper = sandbox.api("POST", f"{V1}/purchase_order_contracts", json={"project_id": project["id"]})
    assert wrapper.status_code == 400 and "purchase_order_contract" in wrapper.json()["errors"]


def test_approved_commitments_are_locked(sandbox: Sandbox) -> None:
    project = sandbox.visible_project()
    po = _approved_po(sandbox, project["id"])
    other_vendor = next(v for v in vendors_active(sandbox) if v["id"] != po["vendor_id"])
    path = f"{V1}/purchase_order_contracts/{po['id']}"
    vendor_change = sandbox.api(
        "PATCH",
        path,
        json={"project_id": project["id"], "purchase_order_contract": {"vendor_id": other_vendor["id"]}},
    )
    assert vendor_change.status_code == 422 and "vendor_id" in vendor_change.json()["errors"]
    title_change = sandbox.api(
        "PATCH", path, json={"project_id": project["id"], "purchase_order_contract": {"title": "Renamed"}}
    )
    assert title_change.status_code == 200 and title_change.json()["title"] == "Renamed"
    code = next(c for c in sandbox.records("cost_codes", project_id=project["id"]) if c["parent_id"])
    sov = sandbox.api(
        "POST",
        f"{path}/line_items",
        json={"project_id": project["id"], "line_item": {"amount": "10", "cost_code_id": code["id"]}},
    )
    assert sov.status_code == 422 and "schedule of values" in sov.json()["errors"]
    delete = sandbox.api("DELETE", path, params={"project_id": project["id"]})
    assert delete.status_code == 422
    assert sandbox.record("commitments", po["id"])["deleted_at"] is None


def test_commitment_sync_upserts_by_origin_id(sandbox: Sandbox) -> None:
    project = sandbox.visible_project()
    existing = next(
        c
        for c in sandbox.records("commitments", project_id=project["id"], kind="PurchaseOrderContract")
        if c["origin_id"] and c["deleted_at"] is None
    )
    response = sandbox.api(
        "PATCH",
        f"{V1}/purchase_order_contracts/sync",
        json={
            "project_id": project["id"],
            "updates": [
                {"origin_id": existing["origin_id"], "description": "from ERP"},
                {"origin_id": "JDE-OP-NEW-1", "title": "New from ERP"},
                {"origin_id": "JDE-OP-NEW-2", "title": "x" * 256},
            ],
        },
    )
    assert response.status_code == 200
    body = response.json()
    assert [e["id"] for e in body["entities"]][0] == existing["id"]
    assert body["entities"][1]["origin_id"] == "JDE-OP-NEW-1"
    # Procore's sync matches by origin_id (the SDK's update rows have no id); a bad row is an error row
    assert [e["origin_id"] for e in body["errors"]] == ["JDE-OP-NEW-2"] and "title" in body["errors"][0][
        "errors"
    ]
    assert sandbox.record("commitments", existing["id"])["description"] == "from ERP"


# -- change orders -------------------------------------------------------------------------------------------


def test_change_orders_are_not_paginated_by_default(sandbox: Sandbox, behind_the_contract: Any) -> None:
    project = next(
        p
        for p in sandbox.records("projects")
        if p["permitted"] and len(sandbox.records("commitment_change_orders", project_id=p["id"])) > 2
    )
    stored = sandbox.records("commitment_change_orders", project_id=project["id"])
    path = f"{V1}/projects/{project['id']}/commitment_change_orders"
    everything = sandbox.api("GET", path, params={"per_page": 1})
    assert "Total" not in everything.headers and len(everything.json()) == len(stored)
    assert all(isinstance(co["grand_total"], str) for co in everything.json())
    sandbox.settings(variants={"paginate_change_orders": True})
    paged = sandbox.api("GET", path, params={"per_page": 1})
    assert paged.headers["Total"] == str(len(stored)) and len(paged.json()) == 1
    contract = stored[0]["contract_id"]
    by_contract = sandbox.api("GET", path, params={"filters[contract_id]": contract, "per_page": 100}).json()
    assert {co["id"] for co in by_contract} == {co["id"] for co in stored if co["contract_id"] == contract}
    newest_first = sandbox.api("GET", path, params={"sort": "-id", "per_page": 100}).json()
    assert [co["id"] for co in newest_first] == sorted((co["id"] for co in stored), reverse=True)


def test_approved_change_orders_are_locked(sandbox: Sandbox) -> None:
    approved = next(
        co
        for co in sandbox.records("commitment_change_orders", status="approved")
        if next(p for p in sandbox.records("projects", id=co["project_id"]))["permitted"]
    )
    path = f"{V1}/projects/{approved['project_id']}/commitment_change_orders/{approved['id']}"
    locked = sandbox.api("PATCH", path, json={"change_order": {"title": "Changed"}})
    assert locked.status_code == 422 and locked.json()["errors"] == {"title": ["cannot be changed"]}
    paid = sandbox.api("PATCH", path, json={"change_order": {"paid": True}})
    assert paid.status_code == 200 and paid.json()["paid"] is True
    assert sandbox.api("DELETE", path).status_code == 422
    bad_status = sandbox.api("PATCH", path, json={"change_order": {"status": "shipped"}})
    assert bad_status.status_code == 422 and "status" in bad_status.json()["errors"]


@pytest.mark.off_contract_answer("the title-case status variant: Procore's SDK enum is lower case")
def test_change_order_status_vocabulary_is_a_variant(sandbox: Sandbox, behind_the_contract: Any) -> None:
    pending = next(
        co
        for co in sandbox.records("commitment_change_orders", status="pending")
        if next(p for p in sandbox.records("projects", id=co["project_id"]))["permitted"]
    )
    path = f"{V1}/projects/{pending['project_id']}/commitment_change_orders/{pending['id']}"
    assert sandbox.api("PATCH", path, json={"change_order": {"status": "Approved"}}).status_code == 422
    sandbox.settings(variants={"change_order_statuses": ["Draft", "Pending", "Approved", "Void"]})
    assert sandbox.api("PATCH", path, json={"change_order": {"status": "Approved"}}).status_code == 200


def test_change_order_packages_filter_by_updated_at_and_deleted(sandbox: Sandbox) -> None:
    project = next(
        p
        for p in sandbox.records("projects")
        if p["permitted"] and sandbox.records("change_order_packages", project_id=p["id"])
    )
    stored = sandbox.records("change_order_packages", project_id=project["id"])
    stamp = stored[0]["updated_at"]
    got = sandbox.api(
        "GET",
        f"{V1}/change_order_packages",
        params={"project_id": project["id"], "filters[updated_at]": f"{stamp}...{stamp}"},
    ).json()
    assert {p["id"] for p in got} == {p["id"] for p in stored if p["updated_at"] == stamp}


# -- requisitions --------------------------------------------------------------------------------------------


def _open_latest_requisition(sandbox: Sandbox) -> dict[str, Any]:
    permitted = {p["id"] for p in sandbox.records("projects") if p["permitted"]}
    rows = [r for r in sandbox.records("requisitions") if r["project_id"] in permitted]
    latest: dict[int, dict[str, Any]] = {}
    for row in rows:
        if row["commitment_id"] not in latest or row["number"] > latest[row["commitment_id"]]["number"]:
            latest[row["commitment_id"]] = row
    return next(
        r
        for r in latest.values()
        if r["status"] not in ("approved", "approved_as_noted") and r["origin_id"] is None and r["number"] > 1
    )


def test_requisition_list_filters_and_summary(sandbox: Sandbox) -> None:
    req = _open_latest_requisition(sandbox)
    params = {"project_id": req["project_id"], "filters[commitment_id]": req["commitment_id"]}
    listed = sandbox.api("GET", f"{V1}/requisitions", params=params).json()
    stored = sandbox.records("requisitions", commitment_id=req["commitment_id"])
    assert sorted(r["id"] for r in listed) == sorted(r["id"] for r in stored)
    shown = next(r for r in listed if r["id"] == req["id"])
    items = sandbox.records("requisition_items", requisition_id=req["id"])
    claimed = sum(
        i["work_completed_this_period_cents"] + i["materials_presently_stored_cents"] for i in items
    )
    assert shown["total_claimed_amount"] == f"{claimed // 100}.{claimed % 100:02d}"
    assert shown["percent_complete"].endswith("%") and isinstance(
        shown["summary"]["current_payment_due"], str
    )
    detail = sandbox.api(
        "GET", f"{V1}/requisitions/{req['id']}/detail", params={"project_id": req["project_id"]}
    )
    # /detail is the list of the invoice's lines, with every retainage amount (SDK)
    assert [i["id"] for i in detail.json()] == [i["id"] for i in items]
    assert all("materials_stored_retainage_retained_this_period" in i for i in detail.json())
    v11 = sandbox.api(
        "GET", "/rest/v1.1/requisitions", params={**params, "filters[status]": req["status"]}
    ).json()
    assert req["id"] in {r["id"] for r in v11} and {r["status"] for r in v11} == {req["status"]}


def test_only_the_latest_open_invoice_can_be_updated(sandbox: Sandbox) -> None:
    req = _open_latest_requisition(sandbox)
    older = next(
        r
        for r in sandbox.records("requisitions", commitment_id=req["commitment_id"])
        if r["number"] == req["number"] - 1
    )
    body = {
        "project_id": req["project_id"],
        "commitment_id": req["commitment_id"],
        "requisition": {"invoice_number": "INV-REVISED"},
    }
    refused = sandbox.api("PATCH", f"{V1}/requisitions/{older['id']}", json=body)
    assert refused.status_code == 422 and "latest open invoice" in refused.json()["errors"]
    ok = sandbox.api("PATCH", f"{V1}/requisitions/{req['id']}", json=body)
    assert ok.status_code == 200 and ok.json()["invoice_number"] == "INV-REVISED"
    item = sandbox.records("requisition_items", requisition_id=req["id"])[0]
    patched = sandbox.api(
        "PATCH",
        f"{V1}/requisitions/{req['id']}/contract_items/{item['id']}",
        params={"project_id": req["project_id"]},
        json={"requisition_contract_item": {"work_completed_this_period": "100.00"}},
    )
    assert patched.status_code == 200 and patched.json()["work_completed_this_period"] == "100.00"


def test_invoice_synced_with_erp_is_immutable(sandbox: Sandbox) -> None:
    req = _open_latest_requisition(sandbox)
    path = f"{V1}/requisitions/{req['id']}"

    def update(**fields: Any) -> requests.Response:
        body = {"project_id": req["project_id"], "commitment_id": req["commitment_id"], "requisition": fields}
        return sandbox.api("PATCH", path, json=body)

    synced = update(origin_id="JDE-INV-42")
    assert synced.status_code == 200 and synced.json()["origin_id"] == "JDE-INV-42"
    again = update(status="approved")
    assert again.status_code == 422 and "synced with ERP" in again.json()["errors"]
    assert sandbox.api("DELETE", path, params={"project_id": req["project_id"]}).status_code == 422


def test_erp_fields_on_approved_invoices_variant(sandbox: Sandbox) -> None:
    permitted = {p["id"] for p in sandbox.records("projects") if p["permitted"]}
    approved = next(
        r
        for r in sandbox.records("requisitions", status="approved")
        if r["origin_id"] is None and r["project_id"] in permitted
    )
    body = {
        "project_id": approved["project_id"],
        "commitment_id": approved["commitment_id"],
        "requisition": {"payment_date": "2025-05-30"},  # an ERP field the SDK's update takes
    }
    assert sandbox.api("PATCH", f"{V1}/requisitions/{approved['id']}", json=body).status_code == 200
    sandbox.settings(variants={"requisition_erp_fields_always_writable": False})
    body["requisition"]["payment_date"] = "2025-05-31"
    assert sandbox.api("PATCH", f"{V1}/requisitions/{approved['id']}", json=body).status_code == 422


def test_non_admin_service_account_may_only_draft_or_submit(sandbox: Sandbox) -> None:
    req = _open_latest_requisition(sandbox)
    sandbox.settings(variants={"service_account_is_invoice_admin": False})
    path = f"{V1}/requisitions/{req['id']}"
    scope = {"project_id": req["project_id"], "commitment_id": req["commitment_id"]}
    refused = sandbox.api("PATCH", path, json={**scope, "requisition": {"status": "approved"}})
    assert refused.status_code == 403 and "under_review" in refused.json()["errors"]
    allowed = sandbox.api("PATCH", path, json={**scope, "requisition": {"status": "under_review"}})
    assert allowed.status_code == 200


def test_create_requisition_needs_a_free_billing_period(sandbox: Sandbox) -> None:
    permitted = {p["id"] for p in sandbox.records("projects") if p["permitted"]}
    commitment = next(
        c
        for c in sandbox.records("commitments", status="Approved")
        if c["requisitions_are_enabled"] and c["project_id"] in permitted and not c["deleted_at"]
    )
    used = {r["period_id"] for r in sandbox.records("requisitions", commitment_id=commitment["id"])}
    periods = sandbox.records("billing_periods", project_id=commitment["project_id"])
    free = next(p for p in reversed(periods) if p["id"] not in used)
    body = {
        "project_id": commitment["project_id"],
        "commitment_id": commitment["id"],
        "requisition": {"period_id": free["id"], "invoice_number": "INV-NEW-1"},
    }
    created = sandbox.api("POST", f"{V1}/requisitions", json=body)
    assert created.status_code == 201, created.text
    assert created.json()["requisition_start"] == free["start_date"] and created.json()["status"] == "draft"
    assert created.json()["number"] == len(used) + 1
    twice = sandbox.api("POST", f"{V1}/requisitions", json=body)
    assert twice.status_code == 422 and "period_id" in twice.json()["errors"]


# -- cost codes and budget -----------------------------------------------------------------------------------


def test_cost_codes_paging_view_and_full_code(sandbox: Sandbox) -> None:
    project = sandbox.visible_project()
    stored = sandbox.records("cost_codes", project_id=project["id"])
    listed = walk(sandbox, f"{V1}/cost_codes", {"project_id": project["id"], "per_page": 15})[0]
    assert [c["id"] for c in listed] == [c["id"] for c in stored]
    by_id = {c["id"]: c for c in stored}
    for code in listed:
        parent = by_id.get(code["parent"]["id"]) if code["parent"] else None
        assert code["full_code"] == (f"{parent['full_code']}-{code['code']}" if parent else code["code"])
        assert {t["code"] for t in code["line_item_types"]} == {"L", "M", "E", "S", "O"}
    compact = sandbox.api(
        "GET", f"{V1}/cost_codes", params={"project_id": project["id"], "view": "compact"}
    ).json()
    assert "line_item_types" not in compact[0]


def test_cost_code_create_update_and_uniqueness(sandbox: Sandbox) -> None:
    project = sandbox.visible_project()
    division = next(
        c for c in sandbox.records("cost_codes", project_id=project["id"]) if c["parent_id"] is None
    )
    body = {
        "project_id": project["id"],
        "cost_code": {
            "code": "950",
            "name": "Bauleitung Überwachung",
            "parent_id": division["id"],
            "origin_id": "JDE-CC-X.950",
        },
    }
    created = sandbox.api("POST", f"{V1}/cost_codes", json=body)
    assert created.status_code == 201 and created.json()["full_code"] == f"{division['full_code']}-950"
    again = sandbox.api(
        "POST", f"{V1}/cost_codes", json={**body, "cost_code": {**body["cost_code"], "origin_id": None}}
    )
    assert again.status_code == 422 and again.json()["errors"] == {"code": ["has already been taken"]}
    origin_taken = sandbox.api(
        "POST",
        f"{V1}/cost_codes",
        json={
            "project_id": project["id"],
            "cost_code": {"code": "951", "name": "x", "origin_id": "JDE-CC-X.950"},
        },
    )
    assert origin_taken.status_code == 409


def test_budget_detail_rows_are_floats_and_summary_covers_them(sandbox: Sandbox) -> None:
    project = sandbox.visible_project()
    view = sandbox.api("GET", f"{V1}/budget_views", params={"project_id": project["id"]}).json()[0]
    stored = sandbox.records("budget_line_items", project_id=project["id"])
    rows = walk(
        sandbox, f"{V1}/budget_views/{view['id']}/detail_rows", {"project_id": project["id"], "per_page": 9}
    )[0]
    assert sorted(r["budget_line_item_id"] for r in rows) == sorted(r["id"] for r in stored)
    assert all(isinstance(r["original_budget_amount"], str) for r in rows)  # the SDK's detail row: a string
    first = rows[0]
    assert first["revised_budget"] == round(
        float(first["original_budget_amount"]) + first["approved_budget_changes"], 2
    )
    summary = sandbox.api(
        "GET", f"{V1}/budget_views/{view['id']}/summary_rows", params={"project_id": project["id"]}
    )
    ids = [i for row in summary.json() for i in row["budget_line_item_ids"]]
    assert sorted(ids) == sorted(r["id"] for r in stored)
    line = sandbox.api(
        "GET", f"/rest/v1.1/budget_line_items/{stored[0]['id']}", params={"project_id": project["id"]}
    )
    assert line.status_code == 200 and line.json()["id"] == stored[0]["id"]
    sandbox.settings(variants={"paginate_budget_detail_rows": False})
    unpaged = sandbox.api(
        "GET", f"{V1}/budget_views/{view['id']}/detail_rows", params={"project_id": project["id"]}
    )
    assert "Total" not in unpaged.headers and len(unpaged.json()) == len(stored)


def test_budget_committed_costs_come_from_approved_commitment_lines(sandbox: Sandbox) -> None:
    project = sandbox.visible_project()
    approved = {
        c["id"]
        for c in sandbox.records("commitments", project_id=project["id"])
        if c["status"] in ("Approved", "Complete") and not c["deleted_at"]
    }
    totals: Counter[tuple[int, int]] = Counter()
    for line in sandbox.records("commitment_line_items", project_id=project["id"]):
        if line["commitment_id"] in approved:
            totals[(line["cost_code_id"], line["line_item_type_id"])] += line["amount_cents"]
    stored = sandbox.records("budget_line_items", project_id=project["id"])
    target = next(b for b in stored if totals[(b["cost_code_id"], b["line_item_type_id"])])
    shown = sandbox.api(
        "GET", f"{V1}/budget_line_items/{target['id']}", params={"project_id": project["id"]}
    ).json()
    assert shown["committed_costs"] == round(
        totals[(target["cost_code_id"], target["line_item_type_id"])] / 100, 2
    )


@pytest.mark.off_contract_answer(
    "the sync answer: an object of entities and errors here, a list in the SDK as read; not settled"
)
def test_budget_line_create_rules_and_post_sync(sandbox: Sandbox, behind_the_contract: Any) -> None:
    project = sandbox.visible_project()
    budgeted = {
        (b["cost_code_id"], b["line_item_type_id"])
        for b in sandbox.records("budget_line_items", project_id=project["id"])
    }
    types = {t["code"]: t["id"] for t in sandbox.records("line_item_types")}
    code = next(
        c
        for c in sandbox.records("cost_codes", project_id=project["id"])
        if c["parent_id"] and (c["id"], types["O"]) not in budgeted
    )
    body = {
        "project_id": project["id"],
        "budget_line_item": {
            "cost_code_id": code["id"],
            "line_item_type_id": types["O"],
            "original_budget_amount": 1500.5,
        },
    }
    created = sandbox.api("POST", f"{V1}/budget_line_items", json=body)
    assert created.status_code == 201 and created.json()["original_budget_amount"] == 1500.5
    duplicate = sandbox.api("POST", f"{V1}/budget_line_items", json=body)
    assert duplicate.status_code == 422 and "cost_code_id" in duplicate.json()["errors"]
    other = "EUR" if project["currency_iso_code"] != "EUR" else "USD"
    currency = sandbox.api(
        "POST",
        f"{V1}/budget_line_items",
        json={**body, "budget_line_item": {**body["budget_line_item"], "currency_iso_code": other}},
    )
    assert currency.status_code == 422 and currency.json() == {"errors": "Unprocessable Currency"}
    sync = sandbox.api(
        "POST",
        f"{V1}/budget_line_items/sync",
        json={
            "project_id": project["id"],
            "updates": [{"id": created.json()["id"], "budget_forecast": 99.5}],
        },
    )
    assert sync.status_code == 200 and sync.json()["entities"][0]["budget_forecast"] == 99.5
    assert sandbox.api("PATCH", f"{V1}/budget_line_items/sync", json={}).status_code == 405


# -- vendor writes -------------------------------------------------------------------------------------------


def test_create_vendor_from_erp(sandbox: Sandbox, behind_the_contract: Any) -> None:
    body = {
        "company_id": COMPANY,
        "vendor": {
            "name": "Société Générale d'Équipement Nord",
            "country_code": "FR",
            "email_address": "compta@sge-nord.example",
            "origin_id": "JDE-V-55001",
            "origin_code": "55001",
            "business_register": {"type": "EIN", "identifier": "12-3456789"},
        },
    }
    created = sandbox.api("POST", f"{V1}/vendors", json=body)
    assert created.status_code == 201, created.text
    vendor = created.json()
    assert vendor["name"] == body["vendor"]["name"] and vendor["is_active"] is True
    assert vendor["business_register"]["identifier"] == "12-3456789"
    stored = sandbox.record("vendors", vendor["id"])
    assert stored["origin_owner"] == CLIENT_ID and stored["created_at"] == vendor["created_at"]
    shown = sandbox.api("GET", f"{V1}/vendors/{vendor['id']}", params={"company_id": COMPANY}).json()
    assert shown == vendor


def test_vendor_validation_errors_name_every_field(sandbox: Sandbox, behind_the_contract: Any) -> None:
    response = sandbox.api(
        "POST",
        f"{V1}/vendors",
        json={
            "company_id": COMPANY,
            "vendor": {
                "name": "x" * 256,
                "country_code": "Germany",
                "email_address": "not-an-email",
                "is_active": "maybe",
            },
        },
    )
    assert response.status_code == 422
    assert response.json() == {
        "errors": {
            "name": ["is too long (maximum is 255 characters)"],
            "country_code": ["is not a valid ISO 3166-1 alpha-2 country code"],
            "email_address": ["is invalid"],
            "is_active": ["is not a boolean"],
        }
    }
    blank = sandbox.api("POST", f"{V1}/vendors", json={"company_id": COMPANY, "vendor": {"city": "Lyon"}})
    assert blank.status_code == 422 and blank.json() == {"errors": {"name": ["can't be blank"]}}
    exactly_max = sandbox.api(
        "POST", f"{V1}/vendors", json={"company_id": COMPANY, "vendor": {"name": "é" * 255}}
    )
    assert exactly_max.status_code == 201


def test_malformed_bodies_are_400(sandbox: Sandbox, behind_the_contract: Any) -> None:
    no_wrapper = sandbox.api("POST", f"{V1}/vendors", json={"company_id": COMPANY, "name": "x"})
    assert no_wrapper.status_code == 400
    assert no_wrapper.json() == {"errors": "param is missing or the value is empty: vendor"}
    headers = {**sandbox.headers(), "Content-Type": "application/json"}
    broken = sandbox.http.post(f"{sandbox.base}{V1}/vendors", data=b"{not json", headers=headers, timeout=10)
    assert broken.status_code == 400


def test_non_existent_fields_are_406_unless_ignored(sandbox: Sandbox, behind_the_contract: Any) -> None:
    body = {"company_id": COMPANY, "vendor": {"name": "Keystone Glass", "shoe_size": 44, "id": 1}}
    refused = sandbox.api("POST", f"{V1}/vendors", json=body)
    assert (
        refused.status_code == 406
        and "shoe_size" in refused.json()["errors"]
        and "id" not in refused.json()["errors"]
    )
    sandbox.settings(variants={"non_existent_fields": "ignore", "read_only_fields": "ignore"})
    accepted = sandbox.api("POST", f"{V1}/vendors", json=body)
    assert accepted.status_code == 201 and accepted.json()["id"] != 1


def _vendor_body(_sandbox: Sandbox, extra: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
    # "name" missing too: the attribute check answers first, whatever else is wrong in the body.
    return "POST", f"{V1}/vendors", {"company_id": COMPANY, "vendor": {"abbreviated_name": "KG", **extra}}


def _vendor_update(sandbox: Sandbox, extra: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
    vendor = vendors_active(sandbox)[0]
    body = {"company_id": COMPANY, "vendor": {"name": "", **extra}}  # a blank name is wrong too
    return "PATCH", f"{V1}/vendors/{vendor['id']}", body


def _requisition_update(sandbox: Sandbox, extra: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
    req = _open_latest_requisition(sandbox)
    body = {
        "project_id": req["project_id"],
        "commitment_id": req["commitment_id"],
        "requisition": {"period_id": "not a number", **extra},
    }
    return "PATCH", f"{V1}/requisitions/{req['id']}", body


@pytest.mark.parametrize("write", [_vendor_body, _vendor_update, _requisition_update])
@pytest.mark.parametrize(
    ("extra", "status", "named"),
    [
        ({"shoe_size": 44}, 406, "shoe_size"),  # an attribute the resource does not have
        ({"id": 1}, 400, "id"),  # read-only: the server assigns it
        ({"created_at": "2026-01-01T00:00:00Z"}, 400, "created_at"),  # read-only stamp
    ],
)
def test_unknown_and_read_only_attributes_are_refused_before_other_checks(
    sandbox: Sandbox, behind_the_contract: Any, write: Any, extra: dict[str, Any], status: int, named: str
) -> None:
    """Refused on every written resource, naming the attribute, before the body's other
    faults; the lenient readings are variants."""
    method, path, body = write(sandbox, extra)
    refused = sandbox.api(method, path, json=body)
    assert refused.status_code == status, refused.text
    assert named in _error_names(refused.json()), refused.text
    sandbox.settings(variants={"non_existent_fields": "ignore", "read_only_fields": "ignore"})
    relaxed = sandbox.api(method, path, json=body)  # now the body's other fault answers, not the attribute
    assert relaxed.status_code == 422 and named not in _error_names(relaxed.json()), relaxed.text


@pytest.mark.parametrize("write", [_vendor_body, _vendor_update])
@pytest.mark.parametrize(
    ("register", "status", "named"),
    [
        ({"type": "EIN", "identifier": "12-3456789", "state": "OR"}, 406, "state"),
        ({"type": "EIN", "identifier": "12-3456789", "verification_status": "active"}, 400, None),
    ],
)
def test_a_misfit_attribute_inside_the_business_register_is_refused_first(
    sandbox: Sandbox,
    behind_the_contract: Any,
    write: Any,
    register: dict[str, Any],
    status: int,
    named: str | None,
) -> None:
    """The nested register object is screened like the body: an attribute it does not have, or the
    verification status Procore sets itself, is named before the body's other faults."""
    method, path, body = write(sandbox, {"business_register": register})
    refused = sandbox.api(method, path, json=body)
    assert refused.status_code == status, refused.text
    expected = named or "business_register.verification_status"
    assert expected in _error_names(refused.json()), refused.text


def _error_names(answer: dict[str, Any]) -> set[str]:
    """The attributes an error body names: its per-field keys, or the words of its one message."""
    errors = answer.get("errors")
    if isinstance(errors, dict):
        return set(errors)
    return set(str(errors or answer.get("message", "")).replace(",", " ").replace(":", " ").split())


def test_origin_id_is_unique_per_company(sandbox: Sandbox) -> None:
    taken = next(v for v in vendors_active(sandbox) if v["origin_id"])
    body = {"company_id": COMPANY, "vendor": {"name": "Copycat", "origin_id": taken["origin_id"]}}
    conflict = sandbox.api("POST", f"{V1}/vendors", json=body)
    assert conflict.status_code == 409
    assert conflict.json() == {"errors": {"origin_id": ["has already been taken"]}}
    sandbox.settings(variants={"origin_id_conflict_status": 422})
    assert sandbox.api("POST", f"{V1}/vendors", json=body).status_code == 422


def test_origin_id_owned_by_another_integration(sandbox: Sandbox) -> None:
    foreign = next(v for v in sandbox.records("vendors", origin_owner="legacy-erp-integration"))
    path = f"{V1}/vendors/{foreign['id']}"
    steal = sandbox.api("PATCH", path, json={"company_id": COMPANY, "vendor": {"origin_id": "JDE-V-MINE"}})
    assert steal.status_code == 409 and steal.json()["errors"] == {
        "origin_id": ["is owned by another integration"]
    }
    same = sandbox.api(
        "PATCH",
        path,
        json={"company_id": COMPANY, "vendor": {"origin_id": foreign["origin_id"], "notes": "checked"}},
    )
    assert same.status_code == 200 and same.json()["notes"] == "checked"


@pytest.mark.parametrize("style", ["message", "v2"])
def test_error_body_style_variants(sandbox: Sandbox, behind_the_contract: Any, style: str) -> None:
    sandbox.settings(variants={"error_body": style})
    response = sandbox.api("POST", f"{V1}/vendors", json={"company_id": COMPANY, "vendor": {"city": "x"}})
    assert response.status_code == 422
    body = response.json()
    if style == "message":
        assert body["errors"] == {"name": ["can't be blank"]} and "name" in body["message"]
    else:
        assert body["error"]["code"] == "UNPROCESSABLE_ENTITY"
        assert body["error"]["details"] == [
            {"reason_code": "INVALID_ATTRIBUTE", "field": "name", "message": "can't be blank"}
        ]
    missing = sandbox.api("GET", f"{V1}/me", company=None).json()
    assert (missing["message"] if style == "message" else missing["error"]["message"]) == (
        "Missing Procore-Company-Id header!"
    )


def test_vendor_sync_is_always_200_with_per_row_errors(sandbox: Sandbox) -> None:
    existing = next(v for v in vendors_active(sandbox) if v["origin_owner"] == CLIENT_ID)
    before = len(sandbox.records("vendors"))
    response = sandbox.api(
        "PATCH",
        f"{V1}/vendors/sync",
        json={
            "company_id": COMPANY,
            "updates": [
                {"origin_id": existing["origin_id"], "city": "Tacoma"},
                {"origin_id": "JDE-V-77001", "name": "Pioneer Steel Erectors"},
                {"name": "No origin, plain create"},
                {"id": 999_999_999, "name": "Bad row"},
                {"origin_id": "JDE-V-77002"},
            ],
        },
    )
    assert response.status_code == 200
    body = response.json()
    assert [e["name"] for e in body["entities"]] == [
        existing["name"],
        "Pioneer Steel Erectors",
        "No origin, plain create",
    ]
    assert body["errors"] == [
        {"id": 999_999_999, "name": "Bad row", "errors": {"id": ["Entity with this ID not found"]}},
        {"origin_id": "JDE-V-77002", "errors": {"name": ["can't be blank"]}},
    ]
    assert sandbox.record("vendors", existing["id"])["city"] == "Tacoma"
    assert len(sandbox.records("vendors")) == before + 2
    too_many = sandbox.api(
        "PATCH",
        f"{V1}/vendors/sync",
        json={"company_id": COMPANY, "updates": [{"name": f"v{i}"} for i in range(1001)]},
    )
    assert too_many.status_code == 400 and "1000" in too_many.json()["errors"]


@pytest.mark.off_contract_answer(
    "the v1.1 project vendor answer carries standard_cost_codes, not in the SDK's model; not settled"
)
def test_project_vendor_directory(sandbox: Sandbox, behind_the_contract: Any) -> None:
    project = sandbox.visible_project()
    members = {v["id"] for v in sandbox.records("vendors") if project["id"] in json.loads(v["project_ids"])}
    path = f"/rest/v1.1/projects/{project['id']}/vendors"
    assert {v["id"] for v in walk(sandbox, path, {})[0]} == members
    outsider = next(v for v in vendors_active(sandbox) if v["id"] not in members)
    added = sandbox.api("POST", path, json={"vendor": {"id": outsider["id"]}})
    assert added.status_code == 201 and project["id"] in added.json()["project_ids"]
    assert {v["id"] for v in walk(sandbox, path, {})[0]} == members | {outsider["id"]}


# -- faults --------------------------------------------------------------------------------------------------


def test_fail_next_n_with_status_and_retry_after(sandbox: Sandbox) -> None:
    sandbox.token  # noqa: B018 - the token first: faults apply to the login host as well
    sandbox.admin("POST", "/faults", {"fail_next": 2, "fail_next_status": 503, "retry_after_seconds": 7})
    statuses = [sandbox.api("GET", f"{V1}/me") for _ in range(3)]
    assert [r.status_code for r in statuses] == [503, 503, 200]
    assert statuses[0].headers["Retry-After"] == "7" and statuses[0].json() == {
        "errors": "Service Unavailable"
    }
    sandbox.admin("POST", "/faults", {"fail_next": 1, "fail_next_status": 500})
    failed = sandbox.api("GET", f"{V1}/me")
    assert failed.status_code == 500 and "Retry-After" not in failed.headers


def test_random_errors_and_html_bodies(sandbox: Sandbox) -> None:
    sandbox.token  # noqa: B018
    sandbox.admin(
        "POST",
        "/faults",
        {"random_error_rate": 1.0, "random_error_status": 502, "injected_error_body": "html"},
    )
    response = sandbox.api("GET", f"{V1}/me")
    assert response.status_code == 502 and response.headers["content-type"].startswith("text/html")
    sandbox.admin("POST", "/faults", {"random_error_rate": 0.0})
    assert sandbox.api("GET", f"{V1}/me").status_code == 200


def test_latency_is_injected(sandbox: Sandbox) -> None:
    sandbox.token  # noqa: B018
    sandbox.admin("POST", "/faults", {"latency_ms": 250})
    answers_no_sooner_than(0.25, lambda: sandbox.api("GET", f"{V1}/me"))


def test_large_unfiltered_lists_can_time_out(sandbox: Sandbox) -> None:
    sandbox.admin("POST", "/faults", {"unfiltered_list_timeout_over": 5})
    assert sandbox.api("GET", f"{V1}/vendors", params={"company_id": COMPANY}).status_code == 408
    filtered = sandbox.api(
        "GET",
        f"{V1}/vendors",
        params={"company_id": COMPANY, "filters[updated_at]": "2000-01-01...2100-01-01"},
    )
    assert filtered.status_code == 200


# -- rate limits ---------------------------------------------------------------------------------------------


def test_spike_limit_429_with_headers_and_text_body(sandbox: Sandbox) -> None:
    sandbox.token  # noqa: B018
    sandbox.settings(rate_limits={"spike_limit": 3, "spike_window_seconds": 30, "hourly_limit": 100})
    answers = [sandbox.api("GET", f"{V1}/me") for _ in range(4)]
    assert [r.status_code for r in answers] == [200, 200, 200, 429]
    assert [r.headers["X-Rate-Limit-Remaining"] for r in answers] == ["2", "1", "0", "0"]
    assert {r.headers["X-Rate-Limit-Limit"] for r in answers} == {"3"}
    reset = int(answers[3].headers["X-Rate-Limit-Reset"])
    assert time.time() < reset <= time.time() + 31
    assert 1 <= int(answers[3].headers["Retry-After"]) <= 30
    assert answers[3].text == RATE_TEXT and answers[3].headers["content-type"].startswith("text/plain")
    assert sandbox.admin("GET", "/state")["rate_limited"] == 1


def test_hourly_limit_is_reported_when_closer(sandbox: Sandbox) -> None:
    sandbox.token  # noqa: B018
    sandbox.settings(rate_limits={"spike_limit": 50, "hourly_limit": 2})
    first = sandbox.api("GET", f"{V1}/me")
    assert first.headers["X-Rate-Limit-Limit"] == "2" and first.headers["X-Rate-Limit-Remaining"] == "1"
    sandbox.api("GET", f"{V1}/me")
    refused = sandbox.api("GET", f"{V1}/me")
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 3000


def test_rate_limit_scope_client_or_token(sandbox: Sandbox) -> None:
    sandbox.settings(rate_limits={"spike_limit": 1, "spike_window_seconds": 30})
    assert sandbox.api("GET", f"{V1}/me", token=sandbox.new_token()).status_code == 200
    assert sandbox.api("GET", f"{V1}/me", token=sandbox.new_token()).status_code == 429  # same app
    sandbox.admin("POST", "/rate-limits/reset")
    sandbox.settings(rate_limits={"scope": "token"})
    assert sandbox.api("GET", f"{V1}/me", token=sandbox.new_token()).status_code == 200
    assert (
        sandbox.api("GET", f"{V1}/me", token=sandbox.new_token()).status_code == 200
    )  # a fresh token, a fresh budget


def test_rate_limit_body_and_retry_after_variants(sandbox: Sandbox) -> None:
    sandbox.token  # noqa: B018
    sandbox.settings(
        rate_limits={
            "spike_limit": 1,
            "spike_window_seconds": 30,
            "body": "json",
            "retry_after_on_429": False,
        }
    )
    sandbox.api("GET", f"{V1}/me")
    refused = sandbox.api("GET", f"{V1}/me")
    assert refused.status_code == 429 and refused.json() == {"errors": RATE_TEXT}
    assert "Retry-After" not in refused.headers and "X-Rate-Limit-Reset" in refused.headers


def test_injected_429_and_overload_503_carry_retry_after(sandbox: Sandbox) -> None:
    sandbox.token  # noqa: B018
    for status in (429, 503):
        sandbox.admin(
            "POST", "/faults", {"fail_next": 1, "fail_next_status": status, "retry_after_seconds": 3}
        )
        response = sandbox.api("GET", f"{V1}/me")
        assert response.status_code == status and response.headers["Retry-After"] == "3"


# -- activity and operator routes ----------------------------------------------------------------------------


def test_activity_creates_and_updates_records_stamped_now(sandbox: Sandbox) -> None:
    before = {v["id"] for v in sandbox.records("vendors")}
    made = sandbox.admin(
        "POST",
        "/activity",
        {
            "new_vendors": 2,
            "updated_vendors": 3,
            "new_commitments": 2,
            "updated_commitments": 2,
            "new_requisitions": 1,
            "updated_budget_line_items": 1,
        },
    )
    stamp = made["updated_at"]
    records = made["records"]
    assert len(records["new_vendors"]) == 2 and not set(records["new_vendors"]) & before
    since = sandbox.api(
        "GET", f"{V1}/vendors", params={"company_id": COMPANY, "filters[updated_at]": f"{stamp}...{stamp}"}
    ).json()
    assert {v["id"] for v in since} == set(records["new_vendors"]) | set(records["updated_vendors"])
    for commitment_id in records["new_commitments"]:
        stored = sandbox.record("commitments", commitment_id)
        assert stored["created_at"] == stamp and sandbox.records(
            "commitment_line_items", commitment_id=commitment_id
        )
    assert sandbox.record("budget_line_items", records["updated_budget_line_items"][0])["updated_at"] == stamp


def test_reset_reseeds_with_another_scale(sandbox: Sandbox) -> None:
    small = sandbox.admin("GET", "/state")["row_counts"]["commitments"]
    bigger = sandbox.admin("POST", "/reset", {"scale": 0.1})
    try:
        assert bigger["row_counts"]["commitments"] > small
    finally:
        sandbox.admin("POST", "/reset", {"scale": 0.05})


def test_state_counts_calls_per_endpoint(sandbox: Sandbox) -> None:
    sandbox.api("GET", f"{V1}/vendors", params={"company_id": COMPANY})
    vendor_id = vendors_active(sandbox)[0]["id"]
    sandbox.api("GET", f"{V1}/vendors/{vendor_id}", params={"company_id": COMPANY})
    sandbox.api("GET", f"{V1}/vendors/{vendor_id + 10**9}", params={"company_id": COMPANY})
    state = sandbox.admin("GET", "/state")
    assert state["calls"]["GET /rest/v1.0/vendors"] == 1
    assert state["calls"]["GET /rest/v1.0/vendors/{id}"] == 2
    assert state["statuses"]["GET /rest/v1.0/vendors/{id} -> 404"] == 1
    assert state["calls"]["POST /oauth/token"] == 1


def test_unknown_api_paths_answer_json_404(sandbox: Sandbox, contract_breaches: Any) -> None:
    response = sandbox.api("GET", f"{V1}/no_such_thing")
    # refused at the door by Procore's contract: a path it does not serve, named
    assert response.status_code == 404 and "no such endpoint" in str(response.json()["errors"])
    assert sandbox.api("GET", f"{V1}/vendors/abc", params={"company_id": COMPANY}).status_code == 404


def test_work_order_status_vocabulary_is_a_variant(sandbox: Sandbox) -> None:
    project = sandbox.visible_project()
    body = {
        "project_id": project["id"],
        "work_order_contract": {"title": "Site work", "status": "Out For Bid"},
    }
    assert sandbox.api("POST", f"{V1}/work_order_contracts", json=body).status_code == 201
    sandbox.settings(variants={"work_order_statuses": ["Draft", "Approved", "Complete"]})
    refused = sandbox.api("POST", f"{V1}/work_order_contracts", json=body)
    assert refused.status_code == 422 and "status" in refused.json()["errors"]


def test_project_list_filters(sandbox: Sandbox, behind_the_contract: Any) -> None:
    permitted = [p for p in sandbox.records("projects") if p["permitted"]]
    params = {"company_id": COMPANY}
    inactive = sandbox.api(
        "GET", f"{V1}/projects", params={**params, "filters[by_status]": "Inactive"}
    ).json()
    assert [p["id"] for p in inactive] == [p["id"] for p in permitted if not p["active"]]
    every = sandbox.api("GET", f"{V1}/projects", params={**params, "filters[by_status]": "All"}).json()
    assert [p["id"] for p in every] == [p["id"] for p in permitted]
    # filters[active] is not Procore's (the SDK documents by_status): unknown there, so ignored
    ignored = sandbox.api("GET", f"{V1}/projects", params={**params, "filters[active]": "false"}).json()
    assert [p["id"] for p in ignored] == [p["id"] for p in permitted]
    synced = next(p for p in permitted if p["origin_id"])
    by_origin = sandbox.api(
        "GET", f"{V1}/projects", params={**params, "filters[origin_id]": synced["origin_id"]}
    )
    assert [p["id"] for p in by_origin.json()] == [synced["id"]]
    stamp = synced["updated_at"]
    since = sandbox.api(
        "GET", f"{V1}/projects", params={**params, "filters[updated_at]": f"{stamp}...{stamp}"}
    )
    assert {p["id"] for p in since.json()} == {p["id"] for p in permitted if p["updated_at"] == stamp}


def test_standard_cost_codes_and_lists(sandbox: Sandbox, behind_the_contract: Any) -> None:
    lists = sandbox.api("GET", f"{V1}/standard_cost_code_lists", params={"company_id": COMPANY}).json()
    assert [entry["id"] for entry in lists] == [
        row["id"] for row in sandbox.records("standard_cost_code_lists")
    ]
    codes = walk(
        sandbox,
        f"{V1}/standard_cost_codes",
        {"company_id": COMPANY, "standard_cost_code_list_id": lists[0]["id"], "per_page": 11},
    )[0]
    assert [c["id"] for c in codes] == [c["id"] for c in sandbox.records("standard_cost_codes")]
    refused = sandbox.api("GET", f"{V1}/standard_cost_codes", params={"company_id": OTHER_COMPANY})
    assert refused.status_code == 403


def test_line_item_list_and_update(sandbox: Sandbox) -> None:
    project = sandbox.visible_project()
    draft = next(
        c
        for c in sandbox.records("commitments", project_id=project["id"], kind="PurchaseOrderContract")
        if c["status"] == "Draft" and c["deleted_at"] is None and c["accounting_method"] == "amount"
    )
    stored = sorted(
        sandbox.records("commitment_line_items", commitment_id=draft["id"]), key=lambda line: line["position"]
    )
    path = f"{V1}/purchase_order_contracts/{draft['id']}/line_items"
    listed = sandbox.api("GET", path, params={"project_id": project["id"]}).json()
    assert [line["id"] for line in listed] == [line["id"] for line in stored]
    assert all(isinstance(line["amount"], str) and line["cost_code"]["full_code"] for line in listed)
    changed = sandbox.api(
        "PATCH",
        f"{path}/{stored[0]['id']}",
        json={"project_id": project["id"], "line_item": {"amount": "250", "description": "Änderung"}},
    )
    assert changed.status_code == 200 and changed.json()["amount"] == "250.00"
    assert sandbox.record("commitment_line_items", stored[0]["id"])["amount_cents"] == 25_000
