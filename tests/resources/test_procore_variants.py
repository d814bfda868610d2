"""Server behaviours the reference leaves open and the simulator does not choose, on a scripted real
HTTP server (``tests/http_server.py``; no mocks): the client must cope with each plausible variant.

Covered: a documented filter refused with a 400 (read without it, filter here), REST v2 style
``{"data": [...]}`` lists paged by ``Total`` alone, a ``next`` link naming another host, a 429 that
only carries ``X-Rate-Limit-Reset``, a server that ignores ``sort``, a range end the server treats
differently, an inactive-vendor list that does not exist, and a record without ``updated_at``.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta

import pytest
from http_server import CannedResponse, OAuthTokenEndpoint, RecordedRequest, ScriptedServer

from connector_resources.procore import ProcoreDataError, ProcoreResource

COMPANY, PROJECT = "31", "700"
START = datetime(2025, 3, 1, tzinfo=UTC)
END = START + timedelta(days=1)
VENDORS = "/rest/v1.0/vendors"
INACTIVE = f"/rest/v1.0/companies/{COMPANY}/vendors/inactive"
CHANGE_ORDERS = f"/rest/v1.0/projects/{PROJECT}/commitment_change_orders"


def iso(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def vendor(n: int, updated: datetime | None) -> dict:
    row = {"id": 5_000_000_000 + n, "name": f"Vendor {n}"}
    if updated is not None:
        row["updated_at"] = iso(updated)
    return row


# Around the window: exactly at start (in), just before end (in), exactly at end (out), before (out).
ROWS = [
    vendor(1, START),
    vendor(2, END - timedelta(seconds=1)),
    vendor(3, END),
    vendor(4, START - timedelta(seconds=1)),
    vendor(5, START + timedelta(hours=5)),
]
IN_WINDOW = {5_000_000_001, 5_000_000_002, 5_000_000_005}


@pytest.fixture
def server():
    with ScriptedServer() as scripted:
        OAuthTokenEndpoint(scripted, client_id="cid", client_secret="variant-secret-1", expires_in=5400)
        scripted.route(INACTIVE, CannedResponse(404, {"errors": "Not Found"}))
        yield scripted


def procore(server: ScriptedServer, **fields) -> ProcoreResource:
    values = {
        "base_url": server.url,
        "auth_url": server.url,
        "company_id": COMPANY,
        "client_id": "cid",
        "client_secret": "variant-secret-1",
        "project_ids": PROJECT,
        "page_size": 2,
        **fields,
    }
    return ProcoreResource(**values)


def paged(
    rows: list[dict],
    request: RecordedRequest,
    *,
    link_host: str | None = None,
    wrap: bool = False,
    size: int | None = None,
) -> CannedResponse:
    page = int(request.query.get("page", ["1"])[0])
    size = size or int(request.query.get("per_page", ["100"])[0])
    chunk = rows[(page - 1) * size : page * size]
    headers = {"Total": str(len(rows)), "Per-Page": str(size)}
    if link_host and page * size < len(rows):
        headers["Link"] = f'<{link_host}{request.path}?page={page + 1}&per_page={size}>; rel="next"'
    return CannedResponse(200, {"data": chunk} if wrap else chunk, headers)


def test_a_refused_filter_is_dropped_and_the_window_is_applied_here(server, caplog):
    def vendors(request: RecordedRequest) -> CannedResponse:
        if "filters[updated_at]" in request.query:
            return CannedResponse(400, {"errors": "filters[updated_at]: not supported here"})
        return paged(ROWS, request)

    server.route(VENDORS, vendors)
    caplog.set_level(logging.WARNING)
    with procore(server).session() as s:
        first = {r["id"] for r in s.iter_changed("vendors", START, END)}
        second = {r["id"] for r in s.iter_changed("vendors", START, END)}
    assert first == second == IN_WINDOW
    filtered = [r for r in server.hits(VENDORS) if "filters[updated_at]" in r.query]
    assert len(filtered) == 1  # refused once, then remembered for the session
    assert "refused filters[updated_at]" in caplog.text
    assert "no such list" in caplog.text  # the inactive list answered 404 and was skipped


def test_v2_style_lists_paged_by_total_alone(server):
    server.route(VENDORS, lambda request: paged(ROWS, request, wrap=True))
    with procore(server).session() as s:
        ids = [r["id"] for r in s.iter_changed("vendors", START, END)]
        assert s.pages == 3  # Total 5 at 2 per page; the inactive list answered 404
    assert sorted(ids) == sorted(IN_WINDOW)


def test_a_next_link_to_another_host_is_followed_on_our_own_host(server):
    server.route(VENDORS, lambda request: paged(ROWS, request, link_host="http://elsewhere.invalid:9"))
    with procore(server).session() as s:
        ids = {r["id"] for r in s.iter_changed("vendors", START, END)}
    assert ids == IN_WINDOW
    pages = sorted(int(r.query["page"][0]) for r in server.hits(VENDORS))
    assert pages == [1, 2, 3]
    assert all(r.query["company_id"] == [COMPANY] for r in server.hits(VENDORS))
    assert all(r.headers["Procore-Company-Id"] == COMPANY for r in server.hits(VENDORS))


HOURLY_LIMIT_TEXT = (
    "You have surpassed the max number of requests for an hour. Please wait until your limit resets."
)


def test_a_429_with_only_a_reset_header_waits_for_the_reset(server):
    server.route(VENDORS, lambda request: paged(ROWS, request))
    with procore(server).session() as s:
        # The reset is set after the session is open (its token request can be slow on a loaded machine),
        # with a second of margin, so the client demonstrably waits for it.
        reset = int(time.time()) + 2
        server.enqueue(
            CannedResponse(
                429,
                HOURLY_LIMIT_TEXT,
                {"X-Rate-Limit-Limit": "25", "X-Rate-Limit-Remaining": "0", "X-Rate-Limit-Reset": str(reset)},
            ),
            path=VENDORS,
        )
        started = time.time()
        ids = {r["id"] for r in s.iter_changed("vendors", START, END)}
        assert s.metrics.statuses[429] == 1
    assert ids == IN_WINDOW
    retried = [r for r in server.hits(VENDORS) if r.query.get("page") == ["1"]]
    assert len(retried) == 2 and time.time() >= reset and started < reset


def test_a_server_that_ignores_the_sort_is_read_to_the_end(server):
    # Oldest first although newest first was asked for, and paginated (2 a page, Link) although the
    # reference lists no paging here: every page must be read, no early stop.
    rows = [dict(vendor(n, START - timedelta(days=10 - n)), contract_id=1) for n in range(8)]
    rows.append(dict(vendor(9, START + timedelta(hours=1)), contract_id=1))
    server.route(CHANGE_ORDERS, lambda request: paged(rows, request, link_host=server.url, size=2))
    with procore(server).session() as s:
        ids = [r["id"] for r in s.iter_changed("commitment_change_orders", START, END)]
    assert ids == [5_000_000_009]
    assert all(r.query.get("sort") == ["-updated_at"] for r in server.hits(CHANGE_ORDERS))
    assert len(server.hits(CHANGE_ORDERS)) == 5


def test_a_server_that_honours_newest_first_lets_the_read_stop_early(server):
    newest = START + timedelta(hours=2)
    rows = [vendor(n, newest - timedelta(hours=n)) for n in range(30)]  # newest first, 1 h apart
    server.route(CHANGE_ORDERS, lambda request: paged(rows, request, link_host=server.url, size=5))
    with procore(server).session() as s:
        ids = [r["id"] for r in s.iter_changed("commitment_change_orders", START, END)]
    assert ids == [5_000_000_000, 5_000_000_001, 5_000_000_002]  # 02:00, 01:00, 00:00
    # Page 2 proves the order (10 rows, all descending) and ends before the window: 2 of 6 pages.
    assert len(server.hits(CHANGE_ORDERS)) == 2


def test_a_record_without_updated_at_is_named_in_the_error(server):
    server.route(VENDORS, lambda request: paged([vendor(1, START), vendor(42, None)], request))
    with procore(server).session() as s, pytest.raises(ProcoreDataError) as error:
        list(s.iter_changed("vendors", START, END))
    assert "5000000042" in str(error.value) and "'updated_at'" in str(error.value)


def test_the_inactive_vendor_list_is_asked_what_procore_documents_newest_first_and_searched_once(server):
    # The SDK documents page, per_page, view and sort there, no filter and no company_id: newest first is
    # asked, and once a page shows it (and ends before the window) the read stops; a search reads it whole,
    # once per session.
    newest = START + timedelta(hours=2)
    inactive = [vendor(100 + n, newest - timedelta(hours=n)) for n in range(30)]  # newest first, 1 h apart
    server.route(INACTIVE, lambda request: paged(inactive, request, link_host=server.url, size=5))
    server.route(VENDORS, lambda request: paged([], request))
    with procore(server).session() as s:
        ids = {r["id"] for r in s.iter_changed("vendors", START, END)}
        assert ids == {5_000_000_100, 5_000_000_101, 5_000_000_102}  # 02:00, 01:00, 00:00
        assert len(server.hits(INACTIVE)) == 2  # page 2 proves the order and ends before the window
        assert s.find_vendor_by_origin_id("JDE-V-1") is None
        assert [v["id"] for v in s.find_vendors_by_name("Vendor 129")] == [5_000_000_129]
    assert len(server.hits(INACTIVE)) == 2 + 6  # the searches: the whole list (30 at 5 a page), once
    for hit in server.hits(INACTIVE):
        assert set(hit.query) <= {"page", "per_page", "view", "sort"}, hit.query


def test_projects_changed_in_a_window_are_asked_with_the_documented_updated_at_filter(server):
    projects = "/rest/v1.0/projects"
    rows = [vendor(1, START + timedelta(hours=1)), vendor(2, START - timedelta(days=1))]
    server.route(projects, lambda request: paged(rows, request))
    with procore(server).session() as s:
        ids = [r["id"] for r in s.iter_changed("projects", START, END)]
    assert ids == [5_000_000_001]
    asked = server.hits(projects)
    assert asked and all("filters[updated_at]" in r.query for r in asked)
