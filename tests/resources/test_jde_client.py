"""The JD Edwards AIS client against the AIS simulator, over loopback: no mocks anywhere.

The simulator (``connector_sandbox.jde_ais``) is driven only through its AIS routes and its
operator routes under ``/sandbox/...``: ``restart`` (every token dies: 444), ``faults`` (result-set
timeout, allowed-hosts refusal), ``rows`` (stored values: Julian dates, HHMMSS times) and ``state``.

The 100k-row memory test runs the simulator in a separate process, started in the background when
the module starts (seeding ~100k PO lines takes a few seconds), so ``tracemalloc`` measures the
client alone and the seeding overlaps the other tests.
"""

from __future__ import annotations

import gc
import logging
import pickle
import socket
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Iterator
from datetime import date, datetime
from datetime import time as time_of_day
from decimal import Decimal

import pytest
import requests
from dagster import EnvVar, MaterializeResult, asset, materialize
from http_server import CannedResponse, RecordedRequest, ScriptedServer
from instances import instance_for_test
from roots import ROOT
from sandbox.serving import served
from sandbox_admin import SandboxAdmin
from step_processes import stop_process

from connector_resources import ping as ping_registry
from connector_resources.jde import (
    Condition,
    JdeAisResource,
    JdeAllowlistError,
    JdeAuthError,
    JdeError,
    JdeInputError,
    JdeOrchestrationError,
    JdeQueryError,
    OrchestrationResult,
    hhmmss_to_time,
    julian_to_date,
    register_jde_ping,
    row_updated_at,
)
from connector_resources.token_store import release_process_tokens
from connector_sandbox.jde_ais import JdeSandboxSettings, create_app
from connector_sandbox.jde_ais.settings import PeriodSettings
from connector_sandbox.serve import serve_in_thread

US_USER, US_PASSWORD = "INTEGR8", "integr8-sandbox"
EU_USER, EU_PASSWORD = "EUROINT", "euroint-sandbox"
ENVIRONMENT = "JPS920"
PO_LINE_KEY = ("KCOO", "DOCO", "DCTO", "SFXO", "LNID")
BIG_SCALE = 8.5  # about 101k F4311 rows
MEMORY_TEST = "test_paging_100k_rows_keeps_memory_flat"


class Sandbox(SandboxAdmin):
    """The simulator at its root (``url``); the AIS routes hang under ``base_url``."""

    @property
    def base_url(self) -> str:
        return f"{self.url}/jderest"

    def stored_rows(self, table: str, **filters) -> list[dict]:
        return self.admin("GET", f"rows/{table}", params={"limit": 100_000, **filters}).json()["rows"]


def serve(**settings) -> tuple[Sandbox, object]:
    base_url, stop = serve_in_thread(create_app(JdeSandboxSettings(**settings)), path="/jderest")
    return Sandbox(base_url.removesuffix("/jderest")), stop


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    # Its companies open on February 2025, where the vouchers these tests write are dated.
    yield from served(serve(scale=0.1, periods=PeriodSettings(current_period_date=date(2025, 2, 1))))


@pytest.fixture(autouse=True)
def _reset_faults(sandbox: Sandbox) -> Iterator[None]:
    yield
    sandbox.admin("POST", "faults/reset")


def jde(box: Sandbox, user: str = US_USER, password: str = US_PASSWORD, **fields) -> JdeAisResource:
    values = {
        "base_url": box.base_url,
        "username": user,
        "password": password,
        "environment": ENVIRONMENT,
        "role": "*ALL",
        "device_name": "ml-connector-test",
        **fields,
    }
    return JdeAisResource(**values)


def po_line_key(row: dict) -> tuple:
    return tuple(row[k] for k in PO_LINE_KEY)


# -- login, dates, paging ----------------------------------------------------------------------------


def test_login_reads_each_users_date_format_and_the_process_logs_out_at_exit(sandbox):
    before = sandbox.state()["active_sessions"]
    with jde(sandbox).session() as us, jde(sandbox, EU_USER, EU_PASSWORD).session() as eu:
        assert us.date_format == "MM/dd/yyyy"
        assert eu.date_format == "dd/MM/yyyy"
        assert us.login_info.username == US_USER
        assert us.login_info.environment == ENVIRONMENT
        assert us.login_info.date_pattern_source == "simpleDateFormat"
        assert sandbox.state()["active_sessions"] == before + 2
    assert sandbox.state()["active_sessions"] == before + 2  # kept by the process for its next batch
    release_process_tokens()  # as the process does at its exit
    assert sandbox.state()["active_sessions"] == before


def test_a_multi_page_read_streams_every_row_once_and_equals_count(sandbox):
    with jde(sandbox, page_size=25).session() as s:
        total = s.count("F0101")
        pages_before = s.pages
        rows = s.browse("F0101", columns=["AN8", "ALPH", "AT1", "MCU", "UPMJ", "UPMT"])
        assert isinstance(rows, Iterator)  # a generator, not a list
        numbers = []
        for row in rows:
            numbers.append(row["AN8"])
            assert isinstance(row["UPMJ"], date)
            assert isinstance(row["UPMT"], time_of_day)
            assert row["MCU"] == row["MCU"].strip()  # right-justified business units arrive trimmed
            assert set(row) >= {"AN8", "ALPH", "AT1", "MCU", "UPMJ", "UPMT"}
        pages = s.pages - pages_before
        suppliers = s.count("F0101", [Condition("AT1", "EQUAL", "V")])
        supplier_rows = list(
            s.browse("F0101", columns=["AN8"], conditions=[Condition("F0101.AT1", "EQUAL", "V")])
        )
    assert total == sandbox.state()["row_counts"]["F0101"] > 100
    assert len(numbers) == total
    assert numbers == sorted(set(numbers))  # in key order, none twice
    assert pages == -(-total // 25)
    assert 0 < suppliers == len(supplier_rows) < total


def test_dates_and_times_match_the_stored_julian_and_hhmmss_values(sandbox):
    stored = {(r["KCOO"], r["DOCO"], r["DCTO"], r["SFXO"]): r for r in sandbox.stored_rows("F4301")}
    date_columns = ["TRDJ", "DRQJ", "PDDJ", "CNDJ", "UPMJ"]
    with jde(sandbox).session() as s:
        rows = list(s.browse("F4301", columns=[*date_columns, "TDAY"]))
    assert len(rows) == len(stored)
    blank_dates = 0
    for row in rows:
        raw = stored[(row["KCOO"], row["DOCO"], row["DCTO"], row["SFXO"])]
        for column in date_columns:
            assert row[column] == julian_to_date(raw[column]), (row["DOCO"], column)
            blank_dates += row[column] is None
        assert row["TDAY"] == hhmmss_to_time(raw["TDAY"])
        assert row_updated_at(row).date() == row["UPMJ"]
        assert row_updated_at(row).time() == row["TDAY"]
    assert blank_dates > 0  # a blank date (Julian 0 / null) is None, not an error


def test_a_dd_mm_yyyy_user_reads_and_queries_the_same_dates(sandbox):
    with jde(sandbox).session() as us, jde(sandbox, EU_USER, EU_PASSWORD).session() as eu:
        columns = ["TRDJ", "DRQJ", "PDDJ", "UPMJ", "TDAY", "VR01"]
        us_rows = list(us.browse("F4301", columns=columns))
        eu_rows = list(eu.browse("F4301", columns=columns))
        assert us_rows == eu_rows
        # Days in the first half of a month read differently in the two formats if mixed up.
        day = next(
            r["TRDJ"]
            for r in us_rows
            if r["TRDJ"] and r["TRDJ"].day <= 12 and r["TRDJ"].month != r["TRDJ"].day
        )
        # The condition value is written in each user's own format; a strict server refuses any other.
        wanted = [Condition("TRDJ", "EQUAL", day)]
        us_day = list(us.browse("F4301", columns=["TRDJ"], conditions=wanted))
        eu_day = list(eu.browse("F4301", columns=["TRDJ"], conditions=wanted))
        since = list(
            eu.browse("F4301", columns=["TRDJ"], conditions=[Condition("TRDJ", "GREATER_EQUAL", day)])
        )
    expected = [r for r in us_rows if r["TRDJ"] == day]
    assert us_day == eu_day
    assert [(r["DOCO"], r["TRDJ"]) for r in us_day] == [(r["DOCO"], r["TRDJ"]) for r in expected]
    assert len(since) == sum(1 for r in us_rows if r["TRDJ"] and r["TRDJ"] >= day)


@pytest.mark.parametrize("row_date_format", ["yyyyMMdd", "yyyy-MM-dd"])
def test_servers_that_render_row_dates_another_way_read_the_same(row_date_format):
    # The reference leaves the row date format unconfirmed; the simulator can play the other servers.
    box, stop = serve(scale=0.02, row_date_format=row_date_format)
    try:
        stored = {r["AN8"]: r for r in box.stored_rows("F0101")}
        with jde(box, EU_USER, EU_PASSWORD).session() as s:
            rows = list(s.browse("F0101", columns=["UPMJ", "UPMT"]))
    finally:
        stop()
    assert len(rows) == len(stored) > 0
    for row in rows:
        assert row["UPMJ"] == julian_to_date(stored[row["AN8"]]["UPMJ"])


# -- surviving the server ----------------------------------------------------------------------------


@pytest.mark.parametrize("dead_token_status", [444, 403])  # 403 "Token is Invalid": Oracle documents both
def test_a_444_in_the_middle_of_a_read_loses_and_doubles_nothing(sandbox, caplog, dead_token_status):
    sandbox.admin("POST", "faults", json={"dead_token_status": dead_token_status})
    with jde(sandbox, page_size=40).session() as s:
        expected = [po_line_key(r) for r in s.browse("F4311", columns=["DOCO"])]
        got = []
        with caplog.at_level(logging.DEBUG, logger="ml_connector"):
            for index, row in enumerate(s.browse("F4311", columns=["DOCO", "UPMJ"])):
                got.append(po_line_key(row))
                if index == 100:  # mid-page: the next link already handed out now carries a dead token
                    sandbox.admin("POST", "restart")
        assert s.reauths == 1
        assert s.restarts >= 1
    assert len(expected) == sandbox.state()["row_counts"]["F4311"] > 1000
    assert got == expected
    assert "re-authenticating" in caplog.text
    assert "token=***" in caplog.text  # the dead next link is logged with its token masked


def test_an_expired_result_set_restarts_after_the_last_row_read(sandbox):
    with jde(sandbox, page_size=40).session() as s:
        expected = [po_line_key(r) for r in s.browse("F4311", columns=["DOCO"])]
        sandbox.admin("POST", "faults", json={"result_set_timeout_seconds": 0.5})
        got = []
        for index, row in enumerate(s.browse("F4311", columns=["DOCO"])):
            got.append(po_line_key(row))
            if index in (50, 700):
                time.sleep(1.1)  # the consumer is slow; the server drops the open result set
        restarts = s.restarts
        reauths = s.reauths
    assert got == expected
    assert restarts >= 2  # (more only if a loaded machine lets another page idle past 0.5 s)
    assert reauths == 0  # expiry is not a login problem


def test_a_match_any_read_resumes_by_re_reading_and_skipping(sandbox):
    # Key conditions cannot be ANDed to an OR query without complexQuery, so this path re-reads and skips.
    either = [Condition("AT1", "EQUAL", "V"), Condition("AT1", "EQUAL", "C")]
    with jde(sandbox, page_size=20).session() as s:
        everyone = list(s.browse("F0101", columns=["AT1"]))
        got = []
        for index, row in enumerate(s.browse("F0101", columns=["AT1"], conditions=either, match="MATCH_ANY")):
            got.append(row["AN8"])
            if index == 30:
                sandbox.admin("POST", "restart")
        assert s.restarts >= 1
    assert got == [r["AN8"] for r in everyone if r["AT1"] in ("V", "C")]


def test_the_next_page_is_fetched_ahead_and_every_row_comes_once_in_order(sandbox):
    with jde(sandbox, page_size=2000).session() as s:
        expected = list(s.browse("F4311", columns=["DOCO", "UPMJ", "TDAY", "AEXP", "MCU"]))
    with jde(sandbox, page_size=9).session() as s:
        logged_in = s.metrics.calls  # none: the session adopted the process's token
        rows = s.browse("F4311", columns=["DOCO", "UPMJ", "TDAY", "AEXP", "MCU"])
        first = next(rows)
        calls = s.metrics.calls - logged_in  # the first page, the next page requested ahead
        deadline = time.monotonic() + 10
        while calls < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
            calls = s.metrics.calls - logged_in
        time.sleep(0.3)  # never more than one page ahead, however long the caller takes
        assert calls == s.metrics.calls - logged_in == 2
        got = [first, *rows]
        pages = s.pages
        by_column = list(s.browse_columns("F4311", columns=["DOCO", "UPMJ", "TDAY", "AEXP", "MCU"]))
    assert len(expected) == sandbox.state()["row_counts"]["F4311"] > 1000
    assert got == expected  # same rows, same values, same order as one big page at a time
    assert pages == -(-len(expected) // 9) > 100
    assert all(len(set(map(len, page.values()))) == 1 and len(page["DOCO"]) <= 9 for page in by_column)
    rebuilt = [
        dict(zip(page, values, strict=True))
        for page in by_column
        for values in zip(*page.values(), strict=True)
    ]
    assert rebuilt == expected  # the column-wise pages hold browse's values


def _open_sets(box: Sandbox) -> tuple[int, int]:
    state = box.state()
    return state["open_result_sets"], state["dripping_result_sets"]


def test_a_read_stopped_early_leaves_no_result_set_open(sandbox):
    """Stopping after a few pages, an error in the caller, a suspended read whose session closes: each
    closes its result set at once (the token is kept, so only the close can end it before the timeout),
    and the sets a read has open meanwhile are not dripping (nextPageTimeInterval 1000)."""
    sandbox.admin("POST", "faults", json={"result_set_timeout_seconds": 600})
    with jde(sandbox, page_size=20).session() as s:
        before, _ = _open_sets(sandbox)
        rows = s.browse("F4311", columns=["DOCO"])
        for index, _row in enumerate(rows):
            if index == 0:
                assert _open_sets(sandbox) == (before + 1, 0)
            if index == 45:  # the third page, the fourth asked for ahead
                break
        rows.close()
        assert _open_sets(sandbox)[0] == before
        assert s.closed_result_sets == 1

        with pytest.raises(ZeroDivisionError):
            for index, _row in enumerate(s.browse("F0101", columns=["AN8"])):
                if index == 30:
                    raise ZeroDivisionError  # the caller's own failure, mid-read
        assert _open_sets(sandbox)[0] == before
        whole = list(s.browse("F0101", columns=["AN8"]))  # read to its end: the server closes it
        assert len(whole) > 20 and s.closed_result_sets == 2
        suspended = s.browse_columns("F4311", columns=["DOCO"])
        next(suspended)
        assert _open_sets(sandbox)[0] == before + 1
    assert _open_sets(sandbox)[0] == before  # the session's end closed the read it left suspended
    assert s.closed_result_sets == 3


def test_the_next_page_interval_setting_is_sent_with_every_paged_read(sandbox, monkeypatch):
    monkeypatch.setenv("ML_JDE_NEXT_PAGE_INTERVAL_MS", "4000")
    resource = JdeAisResource.from_settings(base_url=sandbox.base_url, page_size=20)
    assert resource.next_page_interval_ms == 4000
    with resource.session() as s:
        before = _open_sets(sandbox)
        rows = s.browse("F0101", columns=["AN8"])
        next(rows)
        assert _open_sets(sandbox) == (before[0] + 1, before[1] + 1)  # over 1000 ms: AIS pre-fetches
        rows.close()
        assert _open_sets(sandbox) == before


def test_a_failure_on_a_page_read_ahead_surfaces_after_the_page_before_it(scripted_ais):
    link = {"rel": "next", "href": f"http://ignored{PREFIX}/v2/dataservice/next?stackId=1&token=x"}
    scripted_ais.route(
        f"{PREFIX}/v2/dataservice",
        browse_answer("F0101", [supplier_row(1), supplier_row(2)], more=True, links=[link]),
    )
    refusal = {"message": {"TITLE": "JAS_MSG999: grid is locked", "DESC": "JAS_MSG999: grid is locked"}}
    scripted_ais.route(f"{PREFIX}/v2/dataservice/next", CannedResponse(400, refusal))
    got, asked_ahead = [], []
    with scripted_jde(scripted_ais).session() as s, pytest.raises(JdeQueryError) as failure:
        for row in s.browse("F0101"):
            got.append(row["AN8"])
            deadline = time.monotonic() + 10
            while not scripted_ais.hits(f"{PREFIX}/v2/dataservice/next") and time.monotonic() < deadline:
                time.sleep(0.01)
            asked_ahead.append(len(scripted_ais.hits(f"{PREFIX}/v2/dataservice/next")))
    assert asked_ahead[0] == 1  # the refused page was asked for while the caller held the first row
    assert got == [1, 2]  # the page before the failure is delivered whole, as without read-ahead
    assert str(failure.value).startswith("JD Edwards AIS refused the next-page link of F0101: ")
    assert "grid is locked" in str(failure.value)
    assert len(scripted_ais.hits(f"{PREFIX}/v2/dataservice/next")) == 1  # a refusal is not retried


def test_the_page_size_setting_sets_the_requests_a_read_costs(sandbox, monkeypatch):
    monkeypatch.setenv("ML_JDE_PAGE_SIZE", "37")
    resource = JdeAisResource.from_settings(base_url=sandbox.base_url)
    assert resource.page_size == 37
    with resource.session() as s:
        total = s.count("F0101")
        before = dict(sandbox.state()["calls"])
        rows = list(s.browse("F0101", columns=["AN8"]))
        after = sandbox.state()["calls"]
    sent = {k: after.get(k, 0) - before.get(k, 0) for k in after}
    pages = -(-total // 37)
    assert len(rows) == total > 37 * 3
    assert sent["POST /jderest/v2/dataservice"] == 1
    assert sent["POST /jderest/v2/dataservice/next"] == pages - 1


@pytest.fixture(scope="module")
def big_sandbox(tmp_path_factory) -> Iterator[Sandbox]:
    """A simulator process with ~100k PO lines; yields once it answers (seeding takes seconds)."""
    folder = tmp_path_factory.mktemp("jde_big")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log_file = (folder / "sandbox.log").open("wb")
    command = [
        sys.executable,
        "-m",
        "connector_sandbox.jde_ais",
        "--port",
        str(port),
        "--scale",
        str(BIG_SCALE),
    ]
    command += ["--db-path", str(folder / "jde.sqlite"), "--log-level", "warning"]
    process = subprocess.Popen(command, stdout=log_file, stderr=subprocess.STDOUT, cwd=ROOT)
    box = Sandbox(f"http://127.0.0.1:{port}")
    try:
        yield box
    finally:
        stop_process(process)
        log_file.close()


@pytest.fixture(scope="module", autouse=True)
def _start_big_sandbox_early(request) -> None:
    """Start seeding at module start, but only when the memory test is part of this run."""
    if any(item.name == MEMORY_TEST for item in request.session.items):
        request.getfixturevalue("big_sandbox")


def wait_until_up(box: Sandbox, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            box.state()
            return
        except requests.RequestException:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.25)


def test_paging_100k_rows_keeps_memory_flat(big_sandbox):
    wait_until_up(big_sandbox)
    with jde(big_sandbox, page_size=2000).session() as s:
        total = s.count("F4311")
        # The DOCO bound that selects the first ~20k lines, found with COUNTs (cheap).
        low, high = 0, 100_000_000
        while low < high:
            middle = (low + high) // 2
            if s.count("F4311", [Condition("DOCO", "LESS_EQUAL", middle)]) >= 20_000:
                high = middle
            else:
                low = middle + 1
        first_20k = [Condition("DOCO", "LESS_EQUAL", low)]
        expected_small = s.count("F4311", first_20k)

        def read(conditions: list[Condition]) -> tuple[int, int, Decimal]:
            gc.collect()
            tracemalloc.start()
            rows, amount, previous = 0, Decimal(0), None
            # Only the amount (plus the key the client always adds): tracemalloc slows every
            # allocation, and date parsing is covered elsewhere.
            for row in s.browse("F4311", columns=["AEXP"], conditions=conditions):
                key = po_line_key(row)
                assert previous is None or key > previous  # ordered by key: nothing twice
                previous = key
                amount += row["AEXP"]
                rows += 1
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            return rows, peak, amount

        small_rows, small_peak, _ = read(first_20k)
        big_rows, big_peak, big_amount = read([])
    assert total >= 100_000
    assert small_rows == expected_small >= 20_000
    assert big_rows == total
    assert isinstance(big_amount, Decimal)  # amounts stay exact decimals, never floats
    assert big_peak < 50 * 1024 * 1024
    # Five times the rows must not cost (anything like) five times the memory: bounded by the page.
    assert big_peak < small_peak * 1.5 + 2 * 1024 * 1024, (small_peak, big_peak)


# -- orchestrations ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def voucher_parts(sandbox) -> dict:
    """A postable account and a real supplier billed in its company's currency (F0401 CRRP = F0010 CRCD),
    read through the client: a voucher with a blank currency is in the supplier's, and a foreign one would
    need Currency_Mode F, which these tests of the client are not about."""
    with jde(sandbox).session() as s:
        account = next(
            a for a in s.browse("F0901", columns=["CO", "MCU", "OBJ", "SUB", "PEC"]) if a["PEC"] == ""
        )
        currency = next(
            c["CRCD"] for c in s.browse("F0010", columns=["CO", "CRCD"]) if c["CO"] == account["CO"]
        )
        supplier = next(r["AN8"] for r in s.browse("F0401", columns=["AN8", "CRRP"]) if r["CRRP"] == currency)
    number = ".".join(part for part in (account["MCU"], account["OBJ"], account["SUB"]) if part)
    return {"supplier": supplier, "company": account["CO"], "account": number}


def voucher(parts: dict, transaction: str, *, account: str | None = None) -> dict:
    return {
        "EDI_User_ID": "MLCONNECTR",
        "EDI_Batch_Number": "TEST-BATCH-1",
        "EDI_Transaction_Number": transaction,
        "Company": parts["company"],
        "Supplier": parts["supplier"],
        "Invoice_Number": transaction,
        "Invoice_Date": date(2025, 2, 1),
        "GL_Date": date(2025, 2, 3),
        "Pay_Items": [{"EDI_Line_Number": 1, "Gross_Amount": Decimal("1250.40")}],
        "Distribution": [
            {"EDI_Line_Number": 1, "Account": account or parts["account"], "Amount": Decimal("1250.40")},
        ],
    }


def test_a_duplicate_voucher_batch_key_is_refused_with_jdes_message_and_no_second_row(sandbox, voucher_parts):
    inputs = voucher(voucher_parts, "INV-DUP-0001")
    with jde(sandbox, EU_USER, EU_PASSWORD).session() as s:  # dates go out as dd/MM/yyyy
        result = s.orchestrate("ML_CreateVoucherBatch", inputs)
        with pytest.raises(JdeOrchestrationError) as caught:
            s.orchestrate("ML_CreateVoucherBatch", inputs)
    assert isinstance(result, OrchestrationResult)
    assert result.status == "SUCCESS"
    assert result["Pay_Item_Rows"] == 1 and result["Distribution_Rows"] == 1
    error = caught.value
    assert error.codes == ("59A4",)
    assert error.is_business_error
    assert error.orchestration == "ML_CreateVoucherBatch"
    assert error.input_keys == tuple(inputs)
    assert "Duplicate Batch Key" in str(error)
    assert error.messages[0].code == "59A4"
    rows = sandbox.stored_rows("F0411Z1", EDTN="INV-DUP-0001")
    assert len(rows) == 1
    # The dd/MM/yyyy inputs landed as the intended days (1 and 3 February, not 2 January / 2 March).
    assert julian_to_date(rows[0]["DIVJ"]) == date(2025, 2, 1)
    assert julian_to_date(rows[0]["DGJ"]) == date(2025, 2, 3)
    assert rows[0]["AG"] == 125040  # stored with 2 implied decimals: the Decimal went out exactly


def test_a_bad_account_is_refused_naming_the_account(sandbox, voucher_parts):
    inputs = voucher(voucher_parts, "INV-BADACCT-1", account="99.9999.NOPE")
    with jde(sandbox).session() as s, pytest.raises(JdeOrchestrationError) as caught:
        s.orchestrate("ML_CreateVoucherBatch", inputs)
    error = caught.value
    assert "99.9999.NOPE" in str(error)
    assert error.codes == ("59A2",)
    assert error.status == 500
    assert sandbox.stored_rows("F0411Z1", EDTN="INV-BADACCT-1") == []


def test_inputs_jde_cannot_take_exactly_are_refused_before_sending(sandbox, voucher_parts):
    inputs = voucher(voucher_parts, "INV-FLOAT-1")
    inputs["Pay_Items"] = [{"EDI_Line_Number": 1, "Gross_Amount": 1250.4}]
    with jde(sandbox).session() as s:
        calls_before = sandbox.state()["calls"]
        with pytest.raises(JdeInputError, match=r"Pay_Items\[0\]\.Gross_Amount.*float"):
            s.orchestrate("ML_CreateVoucherBatch", inputs)
        with pytest.raises(JdeInputError, match="datetime"):
            list(s.browse("F0101", conditions=[Condition("UPMJ", "EQUAL", datetime(2025, 2, 1, 9, 30))]))
        assert sandbox.state()["calls"] == calls_before


# -- configuration faults and ping -------------------------------------------------------------------


def test_a_405_tells_the_operator_to_allow_the_connectors_ip(sandbox):
    sandbox.admin("POST", "faults", json={"refuse_allowed_hosts": True})
    with pytest.raises(JdeAllowlistError) as caught:
        jde(sandbox).open_session()
    message = str(caught.value)
    assert caught.value.status == 405
    assert "allowedHosts" in message
    assert "egress IP" in message


def test_a_wrong_password_is_an_auth_error_that_never_shows_the_password(sandbox, caplog):
    wrong = "Wr0ng-Passw0rd-7781"
    with caplog.at_level(logging.DEBUG), pytest.raises(JdeAuthError) as caught:
        jde(sandbox, password=wrong).open_session()
    error = caught.value
    assert error.status == 403
    assert US_USER in str(error)
    assert wrong not in str(error)
    assert wrong not in repr(error)
    assert wrong not in caplog.text


def test_ping_proves_reachability_credentials_and_every_table(sandbox):
    tables = {"F0101": ["a_flow"], "F0911": ["a_flow", "another_flow"]}
    detail = jde(sandbox).ping(tables, {"ML_CreateVoucherBatch": ["a_flow"]})
    assert "AIS reachable" in detail
    assert f"logged in as {US_USER}" in detail
    assert "read 2 table(s) (F0101, F0911)" in detail
    assert "orchestrations offered (ML_CreateVoucherBatch)" in detail
    sandbox.admin("POST", "faults", json={"refuse_tables": ["F0911"]})
    with pytest.raises(JdeError, match=r"F0911 not readable \(.*403.*\): needed by a_flow, another_flow"):
        jde(sandbox).ping(tables)
    assert "date conditions in MM/dd/yyyy understood" in detail
    with pytest.raises(JdeAuthError):
        jde(sandbox, password="not-the-password").ping()


def test_ping_says_when_the_server_reads_dates_in_conditions_another_way(sandbox):
    # This user's dates are MM/dd/yyyy; a Julian date in a condition cannot match any row's UPMJ.
    with pytest.raises(JdeError, match=r"with the date written as CYYDDD, .*set ML_JDE_QUERY_DATE_FORMAT"):
        jde(sandbox, query_date_format="CYYDDD").ping()


def test_the_registered_ping_builds_the_resource_from_settings(sandbox, monkeypatch):
    monkeypatch.setattr(ping_registry, "_checks", dict(ping_registry._checks))  # leave the registry as found
    monkeypatch.setenv("ML_JDE_AIS_URL", sandbox.base_url)
    monkeypatch.setenv("ML_JDE_USERNAME", US_USER)
    monkeypatch.setenv("ML_JDE_PASSWORD", US_PASSWORD)
    monkeypatch.setenv("ML_JDE_ENVIRONMENT", ENVIRONMENT)
    register_jde_ping()
    assert "jde_ais" in ping_registry.registered_pings()
    [good] = ping_registry.run_pings(["jde_ais"])
    assert good.ok, good.detail
    monkeypatch.setenv("ML_JDE_PASSWORD", "a-wrong-sandbox-password")
    [bad] = ping_registry.run_pings(["jde_ais"])
    assert not bad.ok
    assert "JdeAuthError" in bad.detail
    assert "a-wrong-sandbox-password" not in bad.detail


@asset
def jde_supplier_count(jde: JdeAisResource) -> MaterializeResult:
    with jde.session() as s:
        suppliers = s.count("F0401")
        first = next(iter(s.browse("F0401", columns=["AN8", "UPMJ"], page_size=5)))
        metadata = {
            "suppliers": suppliers,
            "first_updated": str(row_updated_at(first)),
            **s.metrics.as_metadata(),
        }
    return MaterializeResult(metadata=metadata)


def test_the_resource_runs_inside_dagster_with_the_password_from_an_env_var(sandbox, monkeypatch):
    monkeypatch.setenv("ML_TEST_JDE_PASSWORD", US_PASSWORD)
    resource = jde(sandbox, password=EnvVar("ML_TEST_JDE_PASSWORD"))
    with instance_for_test() as instance:
        result = materialize([jde_supplier_count], resources={"jde": resource}, instance=instance)
        run_config = instance.get_run_by_id(result.run_id).run_config
    metadata = result.get_asset_materialization_events()[0].materialization.metadata
    assert metadata["suppliers"].value == sandbox.state()["row_counts"]["F0401"]
    assert metadata["http_calls"].value >= 3  # login, count, browse (and logout)
    assert US_PASSWORD not in repr(run_config)
    assert US_PASSWORD not in repr(metadata)


# -- answers the simulator does not give -------------------------------------------------------------
# The reference leaves several shapes unconfirmed and the simulator plays one variant of each. A
# scripted loopback server (real HTTP, no mocks) plays the others, with bodies composed from the
# reference: a login without simpleDateFormat, paging without next links (v1 style), a next link that
# names another host, orchestration errors as a plain string or on a 200, warnings, old servers.

PREFIX = "/proxy/jderest"  # an AIS published under a path prefix, as behind a reverse proxy
SCRIPTED_TOKEN = "044ScriptedToken+/=MDE5MDEy"


def scripted_login(request: RecordedRequest) -> CannedResponse:
    # No simpleDateFormat: only the JDE format code and Oracle's spelling "dateSeperator".
    return CannedResponse(
        200,
        {
            "username": request.json()["username"],
            "environment": "JPD920",
            "role": "*ALL",
            "userInfo": {"token": SCRIPTED_TOKEN, "dateFormat": "DME", "dateSeperator": ".", "country": " "},
            "aisSessionCookie": "AkB7N6U0r65v!-302166512!1775888737588",
        },
    )


def supplier_row(number: int) -> dict:
    return {
        "F0101_AN8": number,
        "F0101_ALPH": f"Supplier {number}   ",
        "F0101_AT1": " ",
        "F0101_UPMJ": f"{number:02d}.02.2025",
        "F0101_UPMT": 93015,
    }


def browse_answer(table: str, rows: list[dict], more: bool, links: list | None = None) -> CannedResponse:
    body: dict = {
        f"fs_DATABROWSE_{table}": {
            "title": f"Data Browser - {table}",
            "data": {
                "gridData": {"id": 54, "rowset": rows, "summary": {"records": len(rows), "moreRecords": more}}
            },
            "errors": [],
            "warnings": [],
        },
        "currentApp": f"DATABROWSE_{table}",
        "sysErrors": [],
    }
    if links is not None:
        body["links"] = links
    return CannedResponse(200, body)


@pytest.fixture
def scripted_ais() -> Iterator[ScriptedServer]:
    with ScriptedServer() as server:
        server.route(f"{PREFIX}/v2/tokenrequest", scripted_login)
        server.route(f"{PREFIX}/v2/tokenrequest/logout", CannedResponse(200, {}))
        yield server


def scripted_jde(server: ScriptedServer, **fields) -> JdeAisResource:
    return JdeAisResource(
        base_url=server.url + PREFIX,
        username="INTEGR8",
        password="scripted-secret",
        environment="JPD920",
        device_name="ml-connector-test",
        **fields,
    )


def test_paging_without_next_links_continues_by_key_and_dates_follow_the_format_code(scripted_ais):
    everyone = [supplier_row(n) for n in range(1, 6)]

    def dataservice(request: RecordedRequest) -> CannedResponse:
        # A v1-style server: pages of two, "moreRecords" but never a next link.
        after = 0
        for condition in request.json().get("query", {}).get("condition", []):
            if condition["controlId"] == "F0101.AN8" and condition["operator"] == "GREATER":
                after = int(condition["value"][0]["content"])
        rest = [r for r in everyone if r["F0101_AN8"] > after]
        return browse_answer("F0101", rest[:2], more=len(rest) > 2)

    scripted_ais.route(f"{PREFIX}/v2/dataservice", dataservice)
    with scripted_jde(scripted_ais).session() as s:
        assert s.date_format == "dd.MM.yyyy"  # from dateFormat DME + dateSeperator "."
        rows = list(s.browse("F0101", columns=["ALPH", "AT1", "UPMJ", "UPMT"]))
        list(s.browse("F0101", conditions=[Condition("UPMJ", "GREATER_EQUAL", date(2025, 2, 3))]))
        restarts = s.restarts
    assert [r["AN8"] for r in rows] == [1, 2, 3, 4, 5]
    assert rows[0] == {
        "AN8": 1,
        "ALPH": "Supplier 1",
        "AT1": "",
        "UPMJ": date(2025, 2, 1),
        "UPMT": time_of_day(9, 30, 15),
    }
    assert restarts == 0  # paging by key is not a failure
    reads = scripted_ais.hits(f"{PREFIX}/v2/dataservice")
    first, second = reads[0].json(), reads[1].json()
    assert first["maxPageSize"] == "500" and first["enableNextPageProcessing"] is True
    assert first["aggregation"]["orderBy"] == [{"column": "F0101.AN8", "direction": "ASC"}]
    assert second["query"]["condition"] == [
        {
            "controlId": "F0101.AN8",
            "operator": "GREATER",
            "value": [{"content": "2", "specialValueId": "LITERAL"}],
        }
    ]
    dated = reads[3].json()["query"]["condition"][0]
    assert dated["controlId"] == "F0101.UPMJ" and dated["value"][0]["content"] == "03.02.2025"
    # The token travels in the body (every AIS release) and in the headers; the login got no token.
    assert first["token"] == SCRIPTED_TOKEN and first["deviceName"] == "ml-connector-test"
    assert reads[0].headers["jde-AIS-Auth"] == SCRIPTED_TOKEN
    assert reads[0].headers["jde-AIS-Auth-Device"] == "ml-connector-test"
    login = scripted_ais.hits(f"{PREFIX}/v2/tokenrequest")[0].json()
    assert login == {
        "username": "INTEGR8",
        "password": "scripted-secret",
        "deviceName": "ml-connector-test",
        "environment": "JPD920",
    }
    assert scripted_ais.hits(f"{PREFIX}/v2/tokenrequest/logout") == []  # kept for the process's next batch
    release_process_tokens()  # as the process does at its exit
    [logout] = scripted_ais.hits(f"{PREFIX}/v2/tokenrequest/logout")
    assert logout.json()["token"] == SCRIPTED_TOKEN


def test_a_next_link_naming_another_host_is_followed_on_the_configured_server(scripted_ais):
    href = f"https://ais.example.com:9443/jderest/v2/dataservice/next?stackId=1&stateId=2&rid=4e&token={SCRIPTED_TOKEN}"
    scripted_ais.enqueue(
        browse_answer("F0101", [supplier_row(1)], more=True, links=[{"rel": "next", "href": href}]),
        path=f"{PREFIX}/v2/dataservice",
    )
    scripted_ais.route(f"{PREFIX}/v2/dataservice/next", browse_answer("F0101", [supplier_row(2)], more=False))
    with scripted_jde(scripted_ais).session() as s:
        rows = list(s.browse("F0101"))
    assert [r["AN8"] for r in rows] == [1, 2]
    [follow] = scripted_ais.hits(f"{PREFIX}/v2/dataservice/next")
    assert follow.method == "POST"
    assert follow.query["stackId"] == ["1"] and follow.query["rid"] == ["4e"]
    assert follow.json()["token"] == SCRIPTED_TOKEN


def test_count_is_found_wherever_the_server_puts_it(scripted_ais):
    scripted_ais.enqueue(
        CannedResponse(200, {"fs_DATABROWSE_F0401": {"data": {"totalCount": 42}, "errors": []}}),
        CannedResponse(200, {"count": 7}),
        path=f"{PREFIX}/v2/dataservice",
    )
    with scripted_jde(scripted_ais).session() as s:
        assert s.count("F0401") == 42
        assert s.count("F0401", [Condition("HDPY", "EQUAL", "Y")]) == 7
    assert scripted_ais.hits(f"{PREFIX}/v2/dataservice")[0].json()["dataServiceType"] == "COUNT"


ORCHESTRATION = f"{PREFIX}/v3/orchestrator/ML_CreateVoucherBatch"


def test_orchestration_answers_in_every_documented_shape(scripted_ais):
    nested_error = {
        "message": {
            "ServiceRequest: SR_CreateVoucher": {
                "App Stack Form Exception": {"Expected Form": "P0411_W0411A"},
                "JAS Response": {
                    "fs_P0411_W0411A": {
                        "errors": [
                            {
                                "CODE": "0052",
                                "TITLE": "Error: Business Unit Invalid",
                                "DESC": "CAUSE . . . . The Business Unit entered does not exist...",
                                "MOBILE": "The Business Unit entered does not exist...",
                            }
                        ]
                    }
                },
            }
        },
        "exception": "Exception",
        "exceptionId": "9dd5a5b6-69dc-4e11-a7ee-7ce03da55e92",
        "jde__status": "ERROR",
        "jde__simpleMessage": "SR_CreateVoucher failed: Error: Business Unit Invalid",
    }
    warning = {"CODE": "0005", "TITLE": "Warning: Date outside period", "DESC": "d", "MOBILE": "m"}
    scripted_ais.enqueue(
        # 1. the reference's observed failure, on a 200 (the HTTP code of business errors is unconfirmed)
        CannedResponse(200, nested_error),
        # 2. an old server (before Tools 9.2.5.4): a plain ServiceErrorResponse with a string message
        CannedResponse(500, {"message": "Invalid input: Supplier", "exception": "Exception"}),
        # 3. a step that continued on error: partial failure on a 200
        CannedResponse(
            200,
            {
                "VoucherDocument": 20501,
                "continuedOnError": [{"step": "SR_Attach", "message": "Media object failed"}],
            },
        ),
        # 4. success with a warning, amounts as JSON numbers
        CannedResponse(
            200,
            {
                "VoucherDocument": 20502,
                "Gross": 1250.4,
                "Errors/Warnings": [{"Application ID": "P0411_W0411A", "Errors": [], "Warnings": [warning]}],
                "jde__status": "SUCCESS",
                "jde__startTimestamp": "2025-02-01T10:09:51.726+0000",
                "jde__serverExecutionSeconds": 0.043,
            },
        ),
        # 5. an old server's success: only the designer's outputs
        CannedResponse(200, {"VoucherDocument": 20503}),
        path=ORCHESTRATION,
    )
    inputs = {
        "Supplier": 4343,
        "Invoice_Date": date(2025, 2, 1),
        "Gross_Amount": Decimal("1250.40"),
        "Remark": None,
    }
    with scripted_jde(scripted_ais).session() as s:
        with pytest.raises(JdeOrchestrationError) as nested:
            s.orchestrate("ML_CreateVoucherBatch", inputs)
        with pytest.raises(JdeOrchestrationError) as plain:
            s.orchestrate("ML_CreateVoucherBatch", inputs)
        with pytest.raises(JdeOrchestrationError) as partial:
            s.orchestrate("ML_CreateVoucherBatch", inputs)
        warned = s.orchestrate("ML_CreateVoucherBatch", inputs)
        old = s.orchestrate("ML_CreateVoucherBatch", inputs)
    assert nested.value.codes == ("0052",)
    assert nested.value.messages[0].source == "ServiceRequest: SR_CreateVoucher / fs_P0411_W0411A"
    assert "Business Unit Invalid" in str(nested.value) and nested.value.status == 200
    assert nested.value.exception_id == "9dd5a5b6-69dc-4e11-a7ee-7ce03da55e92"
    assert "Invalid input: Supplier" in str(plain.value) and plain.value.status == 500
    assert not plain.value.is_business_error  # no JDE code: technical, not a data problem
    assert partial.value.partial and "Media object failed" in str(partial.value)
    assert warned.status == "SUCCESS"
    assert warned.outputs == {"VoucherDocument": 20502, "Gross": Decimal("1250.4")}
    assert [(w.code, w.severity) for w in warned.warnings] == [("0005", "warning")]
    assert warned.server_seconds == Decimal("0.043") and warned.started_at.year == 2025
    assert old.status == "" and old["VoucherDocument"] == 20503
    sent = scripted_ais.hits(ORCHESTRATION)[0]
    # Generic format, all strings, the user's dd.MM.yyyy dates, blanks left out, the token only in headers.
    assert sent.json() == {"Supplier": "4343", "Invoice_Date": "01.02.2025", "Gross_Amount": "1250.40"}
    assert sent.headers["jde-AIS-Auth"] == SCRIPTED_TOKEN
    # Error texts name the inputs sent, never their values.
    assert "Supplier, Invoice_Date, Gross_Amount" in str(nested.value)
    assert "1250.40" not in str(nested.value)


def test_a_write_without_an_answer_is_sent_once_and_flagged_outcome_unknown(scripted_ais):
    scripted_ais.enqueue(CannedResponse(200, {"VoucherDocument": 1}, delay=3.0), path=ORCHESTRATION)
    with (
        scripted_jde(scripted_ais, read_timeout=0.5).session() as s,
        pytest.raises(JdeOrchestrationError) as caught,
    ):
        s.orchestrate("ML_CreateVoucherBatch", {"EDI_Transaction_Number": "INV-9"})
    error = caught.value
    assert error.outcome_unknown
    assert "may or may not have run" in str(error)
    assert len(scripted_ais.hits(ORCHESTRATION)) == 1  # a write is never replayed after a lost answer
    # Errors survive pickling (Dagster ships them between processes) with their fields.
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.outcome_unknown, copy.input_keys, str(copy)) == (
        True,
        ("EDI_Transaction_Number",),
        str(error),
    )


def test_an_unreadable_date_is_passed_on_and_logged_with_record_and_field(scripted_ais, caplog):
    bad = dict(supplier_row(3), F0101_UPMJ="31.31.2025")
    scripted_ais.enqueue(
        browse_answer("F0101", [supplier_row(2), bad, supplier_row(4)], more=False),
        path=f"{PREFIX}/v2/dataservice",
    )
    with caplog.at_level(logging.WARNING, logger="ml_connector"), scripted_jde(scripted_ais).session() as s:
        rows = list(s.browse("F0101"))
    assert [r["UPMJ"] for r in rows] == [date(2025, 2, 2), "31.31.2025", date(2025, 2, 4)]
    assert "F0101 3: field UPMJ has '31.31.2025'" in caplog.text
