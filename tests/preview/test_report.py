"""The fit report: fit.csv holds every verdict as given, fit.md and fit.html the counts and go-live answers,
and what stays in memory is bounded however many records a preview streams through."""

from __future__ import annotations

import csv
import json
import string
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import pytest
from fit_rows import JDE_COUPA, TERMS_TABLE, sample_rows, with_refusal

from connector_assets.preview.report import FitReport
from connector_assets.preview.tally import (
    AMBIGUOUS_LISTED,
    FIT_COLUMNS,
    GAP_VALUES,
    KEY_SETS,
    REASON_KINDS,
    VERDICTS,
    FitRow,
    FlowRead,
)
from connector_resources.refusals import KINDS, Refusal, mapping_missing, source_invalid


@pytest.fixture
def report(tmp_path: Path) -> FitReport:
    with FitReport(tmp_path, integration=JDE_COUPA, first="2025-03-01", last="2025-03-31") as fit:
        for row in sample_rows():
            fit.add(row)
    return fit


def test_fit_csv_holds_every_row_as_given(report: FitReport, tmp_path: Path):
    with (tmp_path / "fit.csv").open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        assert tuple(reader.fieldnames or ()) == FIT_COLUMNS
        assert [FitRow(**row) for row in reader] == sample_rows()


def test_fit_md_counts_each_flow_and_answers_the_go_live_questions(report: FitReport, tmp_path: Path):
    md = (tmp_path / "fit.md").read_text(encoding="utf-8")
    assert md == report.markdown
    assert md.startswith("# See if we fit: jde_coupa, 2025-03-01 to 2025-03-31\n")
    assert (
        "Previewed 52 source record(s), writing nothing: 52 of the days' own + 0 parent(s) pulled from "
        "outside the days. 17.3% would flow (9 created, adopted, updated or already equal)." in md
    )  # (3+3+1+1 + 1) / (49 + 3)
    assert (
        "49 record(s): 3 create · 3 adopt · 1 update · 1 unchanged · 40 refuse · 0 hold · 1 ambiguous · "
        "0 out_of_scope  \n"
        "Would flow: 16.3%"
    ) in md
    assert (
        "3 record(s): 1 create · 0 adopt · 0 update · 0 unchanged · 0 refuse · 2 hold · 0 ambiguous · "
        "0 out_of_scope" in md
    )
    assert "- name+tax_id: 2\n- number: 1\n" in md  # a key field without a value matched nothing
    assert "- payment terms N45: 37 suppliers (jde_coupa/payment_terms_map), e.g. 5000\n" in md
    assert "- payment terms NET: 3 suppliers (jde_coupa/payment_terms_map), e.g. 6000\n" in md
    # 40 suppliers refused alike, whatever their names and terms, are one group (the kind and its table),
    # under the records that need a person, shown with one example sentence
    assert "**Needs a person** (refused and held records, by kind):\n" in md
    assert f"- 40 x refuse: A mapping table has no row for a value: {TERMS_TABLE}  \n" in md
    assert "e.g. 5000: supplier 5000 (Supplier A & Co): payment terms N45 (F0401 TRAP)" in md
    # holds waiting for another record to sync clear by themselves, and the report says when
    assert "**Clears by itself** (refused and held records, by kind):\n" in md
    assert (
        "- 2 x hold: Waits for another record to sync: supplier — clears by itself when the record it "
        "waits for syncs"
    ) in md
    assert "e.g. 00001-1-OP: purchase order 00001-1-OP waits for jde_coupa:supplier:JDE:5000 to sync" in md
    assert "**Ambiguous** (1: the natural key matched more than one target record):\n" in md
    assert "- 7000: 2 Coupa suppliers named 'Bolt <Sons>': 17, 18\n" in md


class _Page(HTMLParser):
    """The page's elements, checked to nest properly, with the text inside each flow's verdict bar."""

    VOID = {"meta", "br", "hr", "img", "input", "link", "rect"}

    def __init__(self) -> None:
        super().__init__()
        self.open: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag not in self.VOID:
            self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        if tag in self.VOID:
            return
        assert self.open and self.open[-1] == tag, f"</{tag}> closes <{self.open[-1] if self.open else None}>"
        self.open.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_fit_html_is_one_self_contained_page_with_a_verdict_bar_per_flow(report: FitReport, tmp_path: Path):
    html = (tmp_path / "fit.html").read_text(encoding="utf-8")
    page = _Page()
    page.feed(html)
    page.close()
    assert page.open == []  # every element closed, in order
    tags = [tag for tag, _ in page.tags]
    assert "script" not in tags and "link" not in tags and "img" not in tags
    links = [attrs["href"] or "" for _, attrs in page.tags if "href" in attrs]
    assert links and all(link.startswith("#flow-") for link in links)  # within the page only
    assert not any("src" in attrs for _, attrs in page.tags)
    bars = {attrs["data-flow"]: attrs for tag, attrs in page.tags if tag == "svg" and "data-flow" in attrs}
    assert set(bars) == {"suppliers", "purchase_orders"}
    assert bars["purchase_orders"]["aria-label"] == "purchase_orders: 1 create, 2 hold"
    segments = [attrs for tag, attrs in page.tags if tag == "rect" and attrs.get("height") == "36"]
    assert len(segments) == 6 + 2  # one per verdict a flow has
    text = " ".join(" ".join(page.text).split())
    legend = ["create 3 (6.1%)", "adopt 3 (6.1%)", "update 1 (2.0%)", "unchanged 1 (2.0%)",
              "refuse 40 (81.6%)", "hold 0 (0.0%)", "ambiguous 1 (2.0%)",
              "out_of_scope 0 (0.0%)"]  # fmt: skip
    assert [item for item in legend if item in text] == legend  # each verdict with its count and share
    assert [item.split()[0] for item in legend] == list(VERDICTS)
    assert "payment terms N45" in text and "37 suppliers" in text
    assert "Bolt <Sons>" in text and "Bolt <Sons>" not in html  # escaped in the file, read back as written


def test_a_failed_preview_leaves_its_rows_but_no_report_that_reads_as_finished(tmp_path: Path):
    (tmp_path / "fit.md").write_text("an earlier preview's report")
    fit = FitReport(tmp_path, integration=JDE_COUPA, first="2025-03-01", last="2025-03-01")
    with pytest.raises(RuntimeError, match="source went away"), fit:
        fit.add(sample_rows()[0])
        raise RuntimeError("source went away")
    assert not (tmp_path / "fit.md").exists() and not (tmp_path / "fit.html").exists()
    assert (tmp_path / "fit.csv").read_text(encoding="utf-8").count("\n") >= 2  # header and the one row
    assert fit.markdown == ""


def test_a_row_of_another_integration_or_an_unknown_verdict_is_refused(tmp_path: Path):
    with FitReport(tmp_path, integration=JDE_COUPA, first="2025-03-01", last="2025-03-01") as fit:
        with pytest.raises(ValueError, match="a coupa_jde row in the fit report of jde_coupa"):
            fit.add(FitRow("coupa_jde", "invoices", "", "1", "create"))
        with pytest.raises(ValueError, match="verdict 'created' is none of"):
            fit.add(FitRow(JDE_COUPA, "suppliers", "", "1", "created"))


def test_a_preview_of_no_record_says_so(tmp_path: Path):
    with FitReport(tmp_path, integration=JDE_COUPA, first="2025-03-01", last="2025-03-01") as fit:
        pass
    assert "No source record in these days." in fit.markdown
    assert "No source record in these days." in (tmp_path / "fit.html").read_text(encoding="utf-8")


def _word(n: int) -> str:
    """A word without digits, distinct for each ``n`` (so masking digits cannot make two alike)."""
    letters = ""
    while True:
        n, digit = divmod(n, 26)
        letters = string.ascii_lowercase[digit] + letters
        if not n:
            return letters


def test_what_stays_in_memory_is_bounded_however_many_distinct_records_stream_through(tmp_path: Path):
    """20,000 records, nearly every one with its own reason, missing value, key fields or ambiguity (5,000
    of each kind: 25 times the largest cap, which is what the bound needs; more rows proved nothing more and
    took a minute): the breakdowns keep their caps, the rest is counted as other, every total stays exact."""
    rows = 20_000
    with FitReport(tmp_path, integration=JDE_COUPA, first="2025-01-01", last="2025-12-31") as fit:
        for n in range(rows):
            key, word = str(100_000 + n), _word(n)
            kind = n % 4
            if kind == 0:
                row = with_refusal(
                    FitRow(JDE_COUPA, "suppliers", "", key, "refuse"),
                    source_invalid(f"supplier {key}: the {word} field is wrong", field=word),
                )
            elif kind == 1:
                row = terms_refusal_text(key, word)
            elif kind == 2:
                row = FitRow(JDE_COUPA, "suppliers", "", key, "adopt", "9", json.dumps({f"f_{word}": "x"}))
            else:
                row = with_refusal(
                    FitRow(JDE_COUPA, "suppliers", "2025-06-01", key, "ambiguous"),
                    Refusal("ambiguous", f"two named {word}", {"system": "coupa"}),
                )
            fit.add(row)
    tally = fit.flows["suppliers"]
    assert tally.total == rows and tally.verdicts["refuse"] == rows // 2
    assert len(tally.reasons) == REASON_KINDS
    assert sum(tally.reasons.counts.values()) + tally.reasons.other == rows // 2
    assert len(tally.gaps) == GAP_VALUES and sum(tally.gaps.counts.values()) + tally.gaps.other == rows // 4
    assert len(tally.gaps.examples) == GAP_VALUES and len(tally.reasons.examples) == REASON_KINDS
    assert len(tally.matched_by) == KEY_SETS
    assert sum(tally.matched_by.counts.values()) + tally.matched_by.other == rows // 4
    assert len(tally.ambiguous) == AMBIGUOUS_LISTED and tally.verdicts["ambiguous"] == rows // 4
    with (tmp_path / "fit.csv").open(newline="", encoding="utf-8") as f:
        assert sum(1 for _ in csv.reader(f)) == rows + 1
    assert f"- and {rows // 4 - AMBIGUOUS_LISTED:,} more (fit.csv has each)" in fit.markdown


def terms_refusal_text(key: str, terms: str) -> FitRow:
    """A terms refusal with its kind and parameters, cheaper than calling the mapper 50,000 times."""
    reason = f"supplier {key} ({terms.title()} Ltd): payment terms {terms} have no Coupa payment term"
    refusal = mapping_missing(reason, table=TERMS_TABLE, what="payment terms", value=terms)
    return with_refusal(FitRow(JDE_COUPA, "suppliers", "", key, "refuse"), refusal)


def test_a_flow_whose_preview_failed_is_named_with_why_in_both_reports(tmp_path):
    with FitReport(tmp_path, integration="jde_coupa", first="2026-11-05", last="2026-11-05") as report:
        report.flow_ended("suppliers")
        report.flow_ended("invoices", "jde_coupa__invoices_written: Coupa did not answer")
    assert "did not finish**: jde_coupa__invoices_written: Coupa did not answer" in report.markdown
    page = (tmp_path / "fit.html").read_text()
    assert "did not finish:</strong> jde_coupa__invoices_written: Coupa did not answer" in page
    assert page.count("did not finish") == 1  # the flow that ended well says nothing of the kind


def test_records_held_on_a_closed_period_are_one_kind_whatever_supplier_they_name(tmp_path: Path):
    """30 invoices of 30 suppliers held on one closed period: one group that clears by itself, counted in
    both reports, not a kind per supplier."""
    from datetime import date

    from connector_assets.flows.periods import Period, PeriodClosed, post_on

    class October:
        where, ledger_id = "JDE company 00001 (A/P periods)", "00001.AP"

        def period_of(self, day: date) -> Period:
            return Period("period 10", day.replace(day=1), day, False, "closed")

        def first_open_day(self) -> date:
            return date(2026, 11, 1)

    rows = []
    for n in range(30):
        with pytest.raises(PeriodClosed) as held:
            post_on(("JDE", "period", "ledger"), October(), integration="coupa_jde",
                    document=f"Coupa invoice {n} of supplier {4000 + n}", field="G/L date",
                    day=date(2026, 10, 29))  # fmt: skip
        period = {"system": "JDE", "ledger": "00001.AP", "day": "2026-10-29"}
        hold = FitRow("coupa_jde", "invoices", "2026-10-29", str(n), "hold")
        rows.append(with_refusal(hold, Refusal("period_closed", held.value.reason, period)))
    rows.append(FitRow("coupa_jde", "invoices", "2026-11-02", "99", "create", reason="created"))
    with FitReport(tmp_path, integration="coupa_jde", first="2026-10-29", last="2026-11-02") as fit:
        for row in rows:
            fit.add(row)
    md = (tmp_path / "fit.md").read_text(encoding="utf-8")
    assert "- 30 x hold: Dated in a closed accounting period: JDE — clears by itself when its period " in md
    assert md.count(" x hold: ") == 1
    assert "### Dated in a closed accounting period (30 record(s); kind `period_closed`)" in md
    assert f"- What to do: {KINDS['period_closed'].action}" in md
    line = "Dated in a closed accounting period of the ERP: 30 record(s) held until the period opens"
    assert line in (tmp_path / "fit.md").read_text(encoding="utf-8")
    assert line in (tmp_path / "fit.html").read_text(encoding="utf-8")


def test_a_missing_mapping_row_is_read_from_the_refusals_parameters_with_what_to_do(tmp_path: Path):
    """The value and table come from the refusal's parameters, whatever its sentence says; the report says
    what the kind means and what to do, with the sentence as the example."""
    sentence = "supplier 4411 (Acme): its terms cannot be sent to Coupa"  # names neither value nor table
    refusal = mapping_missing(sentence, table=TERMS_TABLE, what="payment terms", value="N45")
    row = with_refusal(FitRow(JDE_COUPA, "suppliers", "2025-03-03", "4411", "refuse"), refusal)
    with FitReport(tmp_path, integration=JDE_COUPA, first="2025-03-03", last="2025-03-03") as fit:
        fit.add(row)
    md, page = fit.markdown, (tmp_path / "fit.html").read_text(encoding="utf-8")
    assert f"- payment terms N45: 1 supplier ({TERMS_TABLE}), e.g. 4411\n" in md
    assert "### A mapping table has no row for a value (1 record(s); kind `mapping_missing`)" in md
    assert "- Who acts: needs a person\n" in md
    assert f"- What to do: {KINDS['mapping_missing'].action}\n" in md
    assert f"- For example: 4411: {sentence}\n" in md
    text = " ".join(page.split())
    assert "payment terms N45" in text and TERMS_TABLE in text
    assert "Add the row to the table" in text and "needs a person" in text
    with (tmp_path / "fit.csv").open(newline="", encoding="utf-8") as f:
        [kept] = list(csv.DictReader(f))
    assert kept["kind"] == f"mapping_missing · {TERMS_TABLE}"
    assert json.loads(kept["params"]) == {"table": TERMS_TABLE, "what": "payment terms", "value": "N45"}


def test_the_report_says_when_it_ran_for_how_long_and_what_it_read(tmp_path: Path, monkeypatch):
    ticks = iter([1000.0, 1075.5])  # entered at 1000 s, closed 75.5 s later
    monkeypatch.setattr("connector_assets.preview.report.monotonic", lambda: next(ticks))
    with FitReport(tmp_path, integration=JDE_COUPA, first="2025-03-01", last="2025-03-02") as fit:
        for row in sample_rows():
            fit.add(row)
        fit.flow_ended("suppliers", read=FlowRead("JDE", "coupa", [None]))
        fit.flow_ended("purchase_orders", read=FlowRead("JDE", "coupa", ["2025-03-01", "2025-03-02"]))
    started = fit.facts.started
    assert started.tzinfo is not None and started.utcoffset().total_seconds() == 0
    md = fit.markdown
    assert f"Ran {started:%Y-%m-%d %H:%M:%S} UTC, took 1 min 16 s; systems read: JDE, coupa.\n" in md
    assert "- suppliers (JDE -> coupa): read whole, 49 suppliers read: 49 of the days' own\n" in md
    assert (
        "- purchase_orders (JDE -> coupa): 2025-03-01 to 2025-03-02 (2 days), 3 purchase orders read: 3 of "
        "the days' own\n" in md
    )
    page = " ".join((tmp_path / "fit.html").read_text(encoding="utf-8").split())
    assert f"Ran {started:%Y-%m-%d %H:%M:%S} UTC, took 1 min 16 s" in page
    assert "2025-03-01 to 2025-03-02 (2 days), 3 purchase orders read" in page


def test_the_day_one_line_adds_up_to_the_records_previewed_parents_apart_and_out_of_scope_on_its_own(
    tmp_path: Path,
):
    """Day one's truth, from the rows' ``pull`` marks, each record in one part: two suppliers pulled for the
    orders (their own rows of their own flow, apart from the days' own), three orders written after that
    pull, one written at once, one held on a refused supplier (a person's, under it), one waiting on the
    flows, the refused supplier, and an order out of the integration's scope, which is nobody's and not in
    the share that would flow."""
    terms = mapping_missing("no terms", table=TERMS_TABLE, what="payment terms", value="N45")
    waits = with_refusal(
        FitRow(JDE_COUPA, "purchase_orders", "", "PO-5", "hold"),
        Refusal("waits_for_record", "waits", {"waits_for": "jde_coupa:supplier:JDE:9"}),
    )
    rows = [
        FitRow(JDE_COUPA, "suppliers", "", "1", "create", pull="parent"),
        FitRow(JDE_COUPA, "suppliers", "", "2", "adopt", pull="parent"),
        *(FitRow(JDE_COUPA, "purchase_orders", "", f"PO-{n}", "create", pull="child") for n in range(3)),
        FitRow(JDE_COUPA, "purchase_orders", "", "PO-3", "create"),
        waits,
        with_refusal(FitRow(JDE_COUPA, "suppliers", "", "9", "refuse"), terms),
        # held on supplier 9: the preview gives it that supplier's kind (counted under it)
        replace(with_refusal(waits, terms), source_key="PO-4", pull="blocked"),
        FitRow(JDE_COUPA, "purchase_orders", "", "PO-6", "out_of_scope", reason="not ours",
               kind="out_of_scope · not ours"),
    ]  # fmt: skip
    with FitReport(tmp_path, integration=JDE_COUPA, first="2025-03-01", last="2025-03-01") as fit:
        for row in rows:
            fit.add(row)
        fit.flow_ended("suppliers", read=FlowRead("JDE", "coupa", ["2025-03-01"]))
        fit.flow_ended("purchase_orders", read=FlowRead("JDE", "coupa", ["2025-03-01"]))
        console = fit.summary()
    said = (tmp_path / "fit.md").read_text(encoding="utf-8")
    assert (
        "Previewed 10 source record(s), writing nothing: 8 of the days' own + 2 parent(s) pulled from "
        "outside the days. 66.7% of the 9 in scope (1 out of the integration's scope) would flow (6 created, "
        "adopted, updated or already equal)." in said
    )
    assert (
        "**Day one**: the days' 8 own record(s) = 1 written at once + 3 written once the first run has "
        "pulled their parents + 2 need a person (by kind below, 1 of them held on a record that needs a "
        "person) + 1 wait for the flows + 1 out of scope; and 2 parent(s) the ledger never synced, pulled "
        "from outside the days (2 in suppliers), each its own row: 2 written, 0 refused or held." in said
    )
    assert (
        "- suppliers (JDE -> coupa): 2025-03-01, 3 suppliers read: 1 of the days' own + 2 parent(s)" in said
    )
    assert "**Out of scope** (left alone by the run, not a person's, not in the share):\n" in said
    assert "- 1 x out of the integration's scope: not ours  \n  e.g. PO-6: not ours" in said
    assert "Would flow: 66.7%" in said  # purchase_orders: 4 of the 6 in scope
    # the console says the report's figures in the report's words
    assert len(console) == 4 and all(line in said.replace("**", "") for line in console)
    page = (tmp_path / "fit.html").read_text(encoding="utf-8")
    assert (
        '<p id="day-one"><strong>Day one</strong>: the days&#x27; 8 own record(s) = 1 written at once' in page
    )
    assert "Out of scope: left alone by the run" in page
