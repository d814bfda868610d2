"""What the JDE read path does to be fast must not change what it reads.

* pages are decoded by msgspec (``connector_resources.jde.decode``): the values must be the standard
  library's with ``parse_float=Decimal``, exact decimals and AIS's blanks included;
* a page's columns are taken from its first row's keys (``RowConverter.columns``): rows with other
  keys must still come out as ``browse`` gives them;
* the whole-day staging leaves the type scan of character and amount columns to pyarrow
  (``columnar._typed_page``): the same batch, or the same refusal, as ``staging.typed_batch``;
* one AIS call at a time per session unless ``ML_JDE_OVERLAP_CALLS``: the AIS reference is silent on
  two requests in flight on one token;
* a page's next link is read before its rows are decoded (``pages.read_page``): the same page, the
  same refusal, as decoding it whole; and the prefetch thread sends the request after a page itself only
  when the caller already waits for that page (``paging.PageAhead``), so at most two pages are held.
"""

from __future__ import annotations

import gc
import json
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime
from datetime import time as time_of_day
from decimal import Decimal

import msgspec
import pyarrow as pa
import pytest
import requests
from http_server import CannedResponse, ScriptedServer
from test_jde_client import PREFIX, browse_answer, scripted_jde, scripted_login, supplier_row

from connector_assets.jde.columnar import PY_WHITESPACE, _saw_batch, _typed_page, updated_at
from connector_assets.jde.tables import PO_LINES
from connector_assets.runtime.incremental import DayRead
from connector_assets.runtime.staging import StagingError, arrow_schema, typed_batch
from connector_resources.jde import JdeAisResource
from connector_resources.jde.dates import DatePattern
from connector_resources.jde.decode import page_json, rowset, rowset_columns
from connector_resources.jde.errors import JdeQueryError
from connector_resources.jde.pages import Page, ReadInterrupted, parse_page, read_page
from connector_resources.jde.paging import PageAhead
from connector_resources.jde.rows import RowConverter


def _response(body: bytes) -> requests.Response:
    response = requests.Response()
    response.status_code = 200
    response._content = body
    return response


# -- decoding ----------------------------------------------------------------------------------------

PAGE = (
    b'{"fs_DATABROWSE_F4311": {"data": {"gridData": {"rowset": ['
    b'{"F4311_DOCO": 4033, "F4311_LNID": 1.000, "F4311_PRRC": 12186.03, "F4311_AEXP": 1827904.50,'
    b' "F4311_UORG": 150, "F4311_LITM": " ", "F4311_MCU": "          30", "F4311_DSC1": "Caf\\u00e9 \\"A\\"",'
    b' "F4311_UPMJ": "11/02/2026", "F4311_DSVJ": null, "F4311_CRR": 1.2E-7,'
    b' "F4311_AN8": 123456789012345678901234567890}'
    b'], "summary": {"records": 1, "moreRecords": false}}}, "errors": []}, "sysErrors": []}'
)


@pytest.mark.parametrize(
    "body",
    [
        PAGE,
        b"[0.1, 1.10, -0.0, 1e5, 1E-7, -0, 18446744073709551616, true, false, null]",
        b'{"a": 1, "a": 2.50}',  # the last of duplicate keys wins, as in json
        b'"\\ud800"',  # a lone surrogate: msgspec refuses, the standard library decodes it
        b'\xef\xbb\xbf{"a": 1.5}',  # a byte-order mark: the same
        b"NaN",  # accepted by the standard library (AIS never sends it): decoded as it would be
    ],
)
def test_pages_decode_to_the_standard_librarys_values(body):
    got = page_json(_response(body))
    expected = json.loads(body, parse_float=Decimal)
    assert repr(got) == repr(expected)  # repr: Decimal("1.10") != "1.1" in digits, NaN != NaN


def test_amounts_keep_their_digits_and_blanks_stay_for_the_converter_to_trim():
    row = page_json(_response(PAGE))["fs_DATABROWSE_F4311"]["data"]["gridData"]["rowset"][0]
    assert row["F4311_AEXP"] == Decimal("1827904.50") and str(row["F4311_AEXP"]) == "1827904.50"
    assert str(row["F4311_LNID"]) == "1.000" and str(row["F4311_CRR"]) == "1.2E-7"
    assert type(row["F4311_UORG"]) is int and row["F4311_AN8"] == 123456789012345678901234567890
    assert row["F4311_LITM"] == " " and row["F4311_MCU"] == "          30" and row["F4311_DSVJ"] is None
    converted = RowConverter(DatePattern("MM/dd/yyyy"))(row)
    assert converted["LITM"] == "" and converted["MCU"] == "30" and converted["DSC1"] == 'Café "A"'
    assert converted["UPMJ"] == date(2026, 11, 2) and converted["DSVJ"] is None


@pytest.mark.parametrize("body", [b"", b"<html>502 Bad Gateway</html>", b'{"truncated": '])
def test_a_body_that_is_not_json_is_none_as_before(body):
    assert page_json(_response(body)) is None


def _grid(rowset: str, summary: str = '{"moreRecords": true}', extra: str = "") -> bytes:
    links = '[{"rel": "self", "href": "s"}, {"rel": "next", "href": "http://h/jderest/n?x=1"}]'
    grid = '{"rowset": ' + rowset + ', "summary": ' + summary + "}"
    return (
        '{"fs_DATABROWSE_F4311": {"data": {"gridData": ' + grid + "}" + extra + '}, "links": ' + links + "}"
    ).encode()


@pytest.mark.parametrize(
    "body",
    [
        PAGE,
        _grid('[{"F4311_DOCO": 1, "F4311_AEXP": 1.50}, 7, {"F4311_DOCO": 2}]'),  # a non-object row is dropped
        _grid("[]"),
        _grid("null"),
        _grid('{"F4311_DOCO": 1}'),  # a rowset that is not a list: refused
        _grid('"rows"'),
        _grid("[]", summary="null"),  # no summary: the next link decides
        _grid("[]", summary='{"moreRecords": false}'),
        _grid("[]", extra=', "errors": [{"CODE": "X", "MSG": "refused"}]'),
        b'{"fs_DATABROWSE_F4311": {"data": [1]}, "links": []}',  # data of another shape: as before
        b'{"fs_DATABROWSE_F4311": {"data": {"gridData": 5}}}',
        b'{"fs_DATABROWSE_F4311": {"data": {}, "links": [{"rel": "NEXT", "href": "x"}]}}',  # the form's link
        b'{"fs_DATABROWSE_F4311": null, "fs_DATABROWSE_F0101": {"data": {"gridData": {"rowset": []}}}}',
        b'{"fs_DATABROWSE_F0101": {"data": {"gridData": {"rowset": [{"a": 1}]}}}}',  # another form's name
        b'{"sysErrors": [{"TITLE": "JAS_MSG347: result set expired"}]}',
        b'{"sysErrors": [{"TITLE": "JAS_MSG999: broken"}], "fs_DATABROWSE_F4311": {}}',
        b'{"links": []}',
        b"[]",
        b"<html>502</html>",
        b'\xef\xbb\xbf{"fs_DATABROWSE_F4311": {"data": {"gridData": {"rowset": [{"a": 1.5}]}}}}',
    ],
)
def test_a_page_read_head_first_is_the_page_decoded_whole(body):
    def outcome(read):
        try:
            page = read()
        except (JdeQueryError, ReadInterrupted) as exc:
            return type(exc), str(exc)
        return repr(page.decoded_rows()), page.more, page.next_href

    whole = outcome(lambda: parse_page(page_json(_response(body)), "F4311"))
    assert outcome(lambda: read_page(_response(body), "F4311")) == whole


def test_the_usual_page_leaves_its_rows_encoded_until_they_are_taken():
    page = read_page(_response(_grid('[{"F4311_DOCO": 1, "F4311_AEXP": 1.50}]')), "F4311")
    assert page.rows == [] and page.encoded_rows is not None  # the link is known, the rows not decoded
    assert (page.more, page.next_href) == (True, "http://h/jderest/n?x=1")
    assert page.decoded_rows() == [{"F4311_DOCO": 1, "F4311_AEXP": Decimal("1.50")}]
    assert page.encoded_rows is None


@pytest.mark.parametrize("collecting", [True, False])
def test_rows_by_column_are_the_rows_decoded_whole_and_collection_is_left_as_it_was(collecting):
    rows = [
        {"F4311_DOCO": n, "F4311_AEXP": 1.5 + n, "F4311_LITM": f" item {n} ", "F4311_DSVJ": None}
        for n in range(3)
    ]
    raw = msgspec.Raw(json.dumps(rows).encode())
    keys = ("F4311_LITM", "F4311_DOCO", "F4311_DSVJ", "F4311_AEXP")  # not the rows' own key order
    was = gc.isenabled()
    gc.enable() if collecting else gc.disable()
    try:
        page = rowset_columns(raw, keys)
        assert gc.isenabled() is collecting
    finally:
        gc.enable() if was else gc.disable()
    assert page is not None and list(page.columns) == list(keys)
    assert list(page) == rowset(raw)  # the same values, Decimal amounts included, in order
    assert rowset_columns(msgspec.Raw(b"[]"), keys).columns == {key: [] for key in keys}
    assert rowset_columns(raw, keys[:3]) is None  # a row with a key not asked for: decoded the general way


class _Pages:
    """What ``PageAhead`` asks of its reader: a prefetch thread and next pages, each answered when the test
    lets it (``release``), recording the order of the requests."""

    def __init__(self) -> None:
        self.pool = ThreadPoolExecutor(max_workers=1)
        self.asked: list[str] = []
        self.answer = {f"p{i}": threading.Event() for i in range(1, 5)}

    def prefetcher(self) -> ThreadPoolExecutor:
        return self.pool

    def next_page(self, href: str, table: str) -> Page:
        self.asked.append(href)
        assert self.answer[href].wait(10)
        number = int(href[1:])
        return Page(rows=[{"n": number}], more=number < 4, next_href=f"p{number + 1}")


def _wait_for(condition) -> None:
    deadline = time.monotonic() + 10
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.005)


def test_the_prefetch_thread_asks_for_the_page_after_only_when_the_caller_already_waits():
    pages = _Pages()
    try:
        first = PageAhead(pages, "p1", "F4311")  # type: ignore[arg-type]
        _wait_for(lambda: pages.asked == ["p1"])
        # The caller is done with the page before and waits: once p1 arrives, p2 is asked at once.
        taker = ThreadPoolExecutor(max_workers=1)
        taken = taker.submit(first.take)
        time.sleep(0.05)
        pages.answer["p1"].set()
        page, second = taken.result(timeout=10)
        assert page.rows == [{"n": 1}] and second is not None
        _wait_for(lambda: pages.asked == ["p1", "p2"])
        assert pages.asked == ["p1", "p2"]
        # The caller is still busy with p1 when p2 arrives: p3 waits until the caller asks for it.
        pages.answer["p2"].set()
        _wait_for(lambda: second._future.done())
        time.sleep(0.05)
        assert pages.asked == ["p1", "p2"]  # p1 held by the caller, p2 arrived: nothing more in flight
        page, third = second.take()
        assert page.rows == [{"n": 2}] and third is None
        taker.shutdown()
    finally:
        for event in pages.answer.values():
            event.set()
        pages.pool.shutdown(wait=True)


def test_an_abandoned_read_ahead_lets_the_call_in_flight_end():
    pages = _Pages()
    try:
        ahead = PageAhead(pages, "p1", "F4311")  # type: ignore[arg-type]
        _wait_for(lambda: pages.asked == ["p1"])
        threading.Timer(0.05, pages.answer["p1"].set).start()
        ahead.abandon()
        assert ahead._future.done() and ahead._then is None and pages.asked == ["p1"]
    finally:
        for event in pages.answer.values():
            event.set()
        pages.pool.shutdown(wait=True)


# -- a page by column --------------------------------------------------------------------------------


def test_columns_equal_the_rows_whatever_keys_the_rows_have():
    convert = RowConverter(DatePattern("MM/dd/yyyy"), table="F4311", key_fields=("F4311_DOCO",))
    same = [
        {"F4311_DOCO": 1, "F4311_MCU": "  M30 ", "F4311_UPMJ": "11/02/2026", "F4311_TDAY": 93015},
        {"F4311_DOCO": 2, "F4311_MCU": None, "F4311_UPMJ": "11/03/2026", "F4311_TDAY": 0},
        {"F4311_DOCO": 3, "F4311_MCU": 7, "F4311_UPMJ": None, "F4311_TDAY": None},
    ]
    swapped = [*same[:2], {"F4311_DOCO": 4, "F4311_LITM": " X ", "F4311_UPMJ": "11/02/2026", "F4311_TDAY": 1}]
    fewer = [*same[:2], {"F4311_DOCO": 5, "F4311_MCU": "A"}]
    for rows in (same, swapped, fewer):
        by_column = convert.columns(rows)
        by_row = [convert(row) for row in rows]
        keys = list(dict.fromkeys(k for row in by_row for k in row))
        assert list(by_column) == keys
        assert by_column == {k: [row.get(k) for row in by_row] for k in keys}
    assert convert.columns(swapped)["LITM"] == [None, None, "X"]  # a key only the last row has
    assert convert.columns(same)["MCU"] == ["M30", None, 7]
    assert convert.columns([]) == {}


# -- typing a page -----------------------------------------------------------------------------------


def _po_page(**changes: list) -> dict[str, list]:
    page: dict[str, list] = {
        column.name: {
            "str": [" A\u3000", " "],  # as AIS sends them: browse_columns(strip_strings=False)
            "int": [1, None],
            "decimal": [Decimal("12186.03"), 5],
            "date": [date(2026, 11, 2), None],
            "time": [time_of_day(9, 30, 15), 0],
        }[column.kind]
        for column in PO_LINES.columns
    }
    page.update(changes)
    return page


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"DSC2": [None, None]},
        {"MCU": ["         M30", "\x1c\t x \x85"]},  # right-justified; separators str.strip strips
        {"AEXP": [Decimal("1.5"), None]},
        {"AN8": [True, 1]},  # a bool is not an int
        {"DOCO": [Decimal("5.5"), 1]},  # pyarrow would take it as 5: staging's scan refuses it
        {"DSC1": [5, "x"]},  # a number in a character column
        {"DSC1": [True, "x"]},
        {"AEXP": ["12.50", None]},  # an amount sent as text
        {"AEXP": [True, None]},
        {"AEXP": [1.5, None]},  # a binary float is never staged as an amount
        {"AEXP": [Decimal("1.123456789"), None]},  # more decimals than the staged type keeps
        {"UPMJ": ["31/31/2025", None]},  # an unreadable date passed on as text
        {"UPMJ": [datetime(2026, 11, 2, 1), None]},
        {"TDAY": ["93015", None]},
        {"PRRC": [Decimal("1"), Decimal("2"), Decimal("3")]},  # a column of the wrong length
    ],
)
def test_a_page_is_typed_as_staging_types_it_or_refused_as_it_refuses_it(changes):
    page = _po_page(**changes)
    schema = arrow_schema(PO_LINES.columns)
    stripped = {name: [v.strip() if type(v) is str else v for v in values] for name, values in page.items()}
    try:
        expected = typed_batch(PO_LINES.columns, stripped, 2, trimmed=True)
    except StagingError:
        with pytest.raises(StagingError):
            _typed_page(PO_LINES, schema, page, 2)
        return
    got = _typed_page(PO_LINES, schema, page, 2)
    assert got.equals(expected) and got.schema == expected.schema


def test_arrow_strips_what_str_strip_strips():
    assert "".join(chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace()) == PY_WHITESPACE


def test_first_and_last_change_of_a_page_are_the_row_paths():
    days = [date(2026, 11, 3), None, date(2026, 11, 2), date(2026, 11, 3), date(2026, 11, 2)]
    clocks = [10000, 235959, None, 93015, 120000]
    page = {c.name: [None] * 5 for c in PO_LINES.columns} | {"UPMJ": days, "TDAY": clocks}
    batch = typed_batch(PO_LINES.columns, page, 5, trimmed=True)
    read = DayRead(None, "whole table")
    _saw_batch(PO_LINES, read, batch)
    rows = [{"UPMJ": d, "TDAY": t} for d, t in zip(days, clocks, strict=True)]
    moments = [updated_at(PO_LINES, row) for row in rows if row["UPMJ"] is not None]
    assert (read.first, read.last) == (min(moments), max(moments))
    assert (read.first, read.last) == (datetime(2026, 11, 2), datetime(2026, 11, 3, 9, 30, 15))
    nothing = DayRead(None, "whole table")
    blank = typed_batch(PO_LINES.columns, {}, 3, trimmed=True)
    _saw_batch(PO_LINES, nothing, blank)
    assert (nothing.first, nothing.last) == (None, None)
    assert isinstance(blank, pa.RecordBatch)


# -- one call at a time on one token -----------------------------------------------------------------


def _slow_next_page(server: ScriptedServer) -> None:
    link = {"rel": "next", "href": f"http://ignored{PREFIX}/v2/dataservice/next?stackId=1&token=x"}
    first = browse_answer("F0101", [supplier_row(1), supplier_row(2)], more=True, links=[link])

    def dataservice(request) -> CannedResponse:
        if request.json().get("dataServiceType") == "COUNT":
            return CannedResponse(200, {"fs_DATABROWSE_F0101": {"data": {"count": 2}, "errors": []}})
        return first

    server.route(f"{PREFIX}/v2/dataservice", dataservice)
    last = browse_answer("F0101", [supplier_row(3)], more=False)
    server.route(f"{PREFIX}/v2/dataservice/next", CannedResponse(200, last.body, delay=0.5))


@pytest.mark.parametrize("overlap", [False, True])
def test_a_call_made_while_a_page_is_fetched_ahead_waits_unless_overlap_is_allowed(overlap):
    with ScriptedServer() as server:
        server.route(f"{PREFIX}/v2/tokenrequest", scripted_login)
        server.route(f"{PREFIX}/v2/tokenrequest/logout", CannedResponse(200, {}))
        _slow_next_page(server)
        with scripted_jde(server, overlap_calls=overlap).session() as s:
            rows = s.browse("F0101")
            got = [next(rows)["AN8"]]
            deadline = time.monotonic() + 10
            while not server.hits(f"{PREFIX}/v2/dataservice/next") and time.monotonic() < deadline:
                time.sleep(0.01)  # the next page is now being fetched (answered after 0.5 s)
            assert s.count("F0101") == 2
            got += [row["AN8"] for row in rows]
        assert got == [1, 2, 3]
        (ahead,) = server.hits(f"{PREFIX}/v2/dataservice/next")
        count = server.hits(f"{PREFIX}/v2/dataservice")[-1]
        assert count.json()["dataServiceType"] == "COUNT"
        # The page ahead is answered 0.5 s after it arrives. Serialised, the count went out after that
        # answer; overlapped, during the wait, two requests in flight on one token.
        answered = ahead.started_at + 0.5
        assert (count.started_at >= answered) is not overlap
        if overlap:
            assert server.max_concurrency == 2


def test_overlapping_calls_is_a_setting_off_by_default(monkeypatch):
    assert JdeAisResource.from_settings().overlap_calls is False
    monkeypatch.setenv("ML_JDE_OVERLAP_CALLS", "true")
    assert JdeAisResource.from_settings().overlap_calls is True


def test_dates_by_column_are_parsed_once_and_an_unreadable_one_is_named(caplog):
    convert = RowConverter(DatePattern("MM/dd/yyyy"), table="F4311", key_fields=("F4311_DOCO",))
    page = [{"F4311_DOCO": n, "F4311_UPMJ": "11/02/2026", "F4311_TDAY": 90000 + n} for n in range(5)]
    assert convert.columns(page)["TDAY"] == [time_of_day(9, 0, n) for n in range(5)]
    assert set(convert._values["TDAY"]) == {90000 + n for n in range(5)}  # cached for the next page
    bad = [*page[:2], {"F4311_DOCO": 7, "F4311_UPMJ": "31/31/2025", "F4311_TDAY": 90001}]
    with caplog.at_level("WARNING", logger="ml_connector.jde"):
        columns = convert.columns(bad)
    assert columns["UPMJ"] == [date(2026, 11, 2), date(2026, 11, 2), "31/31/2025"]  # passed on as text
    assert columns == {k: [convert(row)[k] for row in bad] for k in columns}
    assert "F4311 7: field UPMJ has '31/31/2025'" in caplog.text
