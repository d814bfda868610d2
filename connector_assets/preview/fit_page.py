"""fit.html: the fit report as one self-contained page a finance lead reads without a spreadsheet (inline CSS
and SVG, no script: it can be mailed). The go-live answers first, one line per flow, then per flow a bar of
its verdicts and tables whose counts carry a small bar each, since a long tail of reasons reads better
drawn; every text from a record or a reason is escaped.
"""

from __future__ import annotations

from html import escape

from connector_assets.preview.figures import day_one_line, headline, read_lines, records_of, share
from connector_assets.preview.fit_markdown import (
    clears_words,
    closed_period_line,
    gap_words,
    kind_facts,
    kind_heading,
    kinds_met,
    outside_title,
    ran_line,
    span,
)
from connector_assets.preview.tally import VERDICTS, Example, FlowTally, RunFacts, shown_group
from connector_resources.needs_person import person_kind
from connector_resources.refusals import code_of, kind_of_group

SHOWN_REASONS = 20  # groups of refusals and holds per flow on the page

# Distinct in hue and lightness, so the bar reads in greyscale print too.
COLOURS = {
    "create": "#2e7d32",
    "adopt": "#1565c0",
    "update": "#00838f",
    "unchanged": "#90a4ae",
    "refuse": "#c62828",
    "hold": "#ef6c00",
    "ambiguous": "#6a1b9a",
    "out_of_scope": "#cfd8dc",
}
MEANING = {
    "create": "new: the target has no such record yet, it would be created",
    "adopt": "the target already holds it (matched by natural key): linked, not created again",
    "update": "linked already, fields differ: the target's values would be replaced by ours",
    "unchanged": "linked already and equal: nothing to send",
    "refuse": "cannot be sent as it is: the reason says what to fix",
    "hold": "waits for something the flows do by themselves (another record's sync, a period opening): "
    "what it waits for is said with it",
    "ambiguous": "the natural key matches several target records: someone must choose",
    "out_of_scope": "outside what the integration writes (the rule says why): the run leaves it alone, "
    "nobody needs to act, and it is not in the share that would flow",
}

_CSS = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2329;margin:0;
background:#f5f6f8}
main{max-width:1100px;margin:0 auto;padding:24px}
h1{font-size:26px;margin:0 0 4px}h2{font-size:21px;margin:0 0 8px}h3{font-size:16px;margin:20px 0 6px}
.lead{color:#4a5561;margin:0 0 20px}
section{background:#fff;border:1px solid #dde1e6;border-radius:8px;padding:18px 22px;margin:0 0 20px}
table{border-collapse:collapse;width:100%;font-size:14px}
th,td{text-align:left;vertical-align:top;padding:5px 8px;border-bottom:1px solid #e6e9ed}
th{color:#4a5561;font-weight:600}td.n{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
.big{font-size:30px;font-weight:700}.muted{color:#5f6b77}
.legend{list-style:none;padding:0;margin:8px 0 0;display:flex;flex-wrap:wrap;gap:6px 18px}
.legend li{white-space:nowrap}
.swatch{display:inline-block;width:12px;height:12px;border-radius:2px;margin-right:6px;vertical-align:-1px}
dl.meaning{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;margin:0}
dl.meaning dt{font-weight:600}
dl.meaning dd{margin:0}code{font-size:13px}.example{color:#4a5561;font-size:13px}
"""


def fit_page(
    integration: str, first: str, last: str, flows: dict[str, FlowTally], facts: RunFacts | None = None
) -> str:
    """The whole page (``facts``: when it ran, how long, what it read)."""
    title = f"See if we fit: {integration}, {span(first, last)}"
    body = [
        f"<h1>{_e(title)}</h1>",
        f'<p class="lead">{_e(span(first, last))}: {_e(headline(flows))}</p>',
        f'<p id="day-one">{_e(day_one_line(flows)).replace("**Day one**", "<strong>Day one</strong>")}</p>',
        _ran(facts, flows),
        _answers(flows),
        *(_flow_section(flow, tally) for flow, tally in flows.items()),
        _kinds(flows),
        _meanings(),
    ]
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)}</title><style>{_CSS}</style></head>\n<body><main>\n"
        + "\n".join(body)
        + "\n</main></body></html>\n"
    )


def _answers(flows: dict[str, FlowTally]) -> str:
    """The go-live questions, one row per flow: how much would flow, how many match what the target holds,
    how many wait on a missing mapping value, how many are ambiguous."""
    if not flows:
        return "<section><h2>Go-live answers</h2><p>No source record in these days.</p></section>"
    rows = []
    for flow, tally in flows.items():
        waiting = sum(tally.gaps.counts.values()) + tally.gaps.other
        values = f"{len(tally.gaps):,}{'+' if tally.gaps.other else ''} value(s), {waiting:,} record(s)"
        rows.append(
            f'<tr><td><a href="#{_anchor(flow)}">{_e(flow)}</a></td><td class="n">{tally.total:,}</td>'
            f'<td class="n"><strong>{share(tally.flowing, tally.in_scope)}</strong></td>'
            f'<td class="n">{tally.verdicts["adopt"]:,}</td><td class="n">{tally.verdicts["create"]:,}</td>'
            f'<td class="n">{values if waiting else "none"}</td>'
            f'<td class="n">{tally.verdicts["ambiguous"]:,}</td></tr>'
        )
    return (
        "<section><h2>Go-live answers</h2><table><thead><tr><th>Flow</th><th>Records</th><th>Would flow</th>"
        "<th>Match a target record</th><th>New to the target</th><th>Missing mapping values</th>"
        "<th>Ambiguous</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>"
        '<p class="muted">A record that would flow is created, adopted, updated or already equal in the '
        "target. Missing mapping values count records per flow; one record may miss several.</p></section>"
    )


def _flow_section(flow: str, tally: FlowTally) -> str:
    parts = [
        f'<section id="{_anchor(flow)}"><h2>{_e(flow)}</h2>',
        f"<p><strong>The preview of this flow did not finish:</strong> {_e(tally.error)}</p>"
        if tally.error
        else "",
        f'<p><span class="big">{share(tally.flowing, tally.in_scope)}</span> would flow '
        f'<span class="muted">({tally.flowing:,} of {records_of(flow, tally.in_scope)} in scope)</span></p>',
        verdict_bar(flow, tally),
        _legend(tally),
        f"<p>{_e(closed_period_line(tally))}</p>" if tally.closed_period else "",
        _matches(flow, tally),
        _gaps(flow, tally),
        _reasons(tally),
        _outside(tally),
        _ambiguous(tally),
        "</section>",
    ]
    return "\n".join(part for part in parts if part)


def verdict_bar(flow: str, tally: FlowTally) -> str:
    """A horizontal bar of the flow's verdicts, one segment each in proportion (its count written inside
    when it is wide enough, every segment titled for a hover)."""
    width, height, x = 1000.0, 36, 0.0
    counts = [(verdict, tally.verdicts[verdict]) for verdict in VERDICTS if tally.verdicts[verdict]]
    label = ", ".join(f"{count:,} {verdict}" for verdict, count in counts)
    shapes = []
    for verdict, count in counts:
        part = width * count / tally.total
        shapes.append(
            f'<rect x="{x:.2f}" y="0" width="{part:.2f}" height="{height}" fill="{COLOURS[verdict]}">'
            f"<title>{verdict}: {count:,} ({share(count, tally.total)})</title></rect>"
        )
        if part >= 60:
            shapes.append(
                f'<text x="{x + part / 2:.2f}" y="{height / 2 + 5}" text-anchor="middle" fill="#fff" '
                f'font-size="15">{count:,}</text>'
            )
        x += part
    return (
        f'<svg class="verdicts" data-flow="{_e(flow)}" viewBox="0 0 {width:.0f} {height}" width="100%" '
        f'height="{height}" preserveAspectRatio="none" role="img" aria-label="{_e(flow)}: {_e(label)}">'
        f"<title>{_e(flow)}: {_e(label)}</title>" + "".join(shapes) + "</svg>"
    )


def _legend(tally: FlowTally) -> str:
    items = "".join(
        f'<li><span class="swatch" style="background:{COLOURS[verdict]}"></span>{verdict} '
        f"<strong>{tally.verdicts[verdict]:,}</strong> "
        f'<span class="muted">({share(tally.verdicts[verdict], tally.total)})</span></li>'
        for verdict in VERDICTS
    )
    return f'<ul class="legend">{items}</ul>'


def count_bar(count: int, most: int, colour: str) -> str:
    """A small bar beside a count, in proportion to the largest count of its table."""
    width = max(1.0, 120 * count / most) if most else 0
    return (
        f'<svg width="120" height="10" viewBox="0 0 120 10" aria-hidden="true">'
        f'<rect width="{width:.1f}" height="10" rx="2" fill="{colour}"/></svg>'
    )


def _barred(
    title: str,
    head: tuple[str, ...],
    rows: list[tuple[int, str, tuple[str, ...]]],
    rest: tuple[str, ...] | None,
) -> str:
    """``title`` over a table whose every row carries a bar beside its first cell, in proportion to the
    first row's count (the largest); ``rows``: (count, bar colour, cells); ``rest``: a last row for what the
    rows leave out. Nothing when there are no rows."""
    if not rows:
        return ""
    most = rows[0][0]
    cells = [(first, count_bar(count, most, colour), *more) for count, colour, (first, *more) in rows]
    return title + _table(head, cells + ([rest] if rest else []))


def _matches(flow: str, tally: FlowTally) -> str:
    other = tally.matched_by.other
    adopted = records_of(flow, tally.verdicts["adopt"])
    rows = [
        (count, COLOURS["adopt"], (_n(f"{count:,}"), f"<code>{_e(fields)}</code>", _eg(example)))
        for fields, count, example in tally.matched_by.most_common()
    ]
    return _barred(
        f"<h3>Matched to a record the target already holds ({adopted})</h3>",
        ("Records", "", "by the natural-key fields", ""),
        rows,
        (_n(f"{other:,}"), "", "other field sets", "") if other else None,
    )


def _gaps(flow: str, tally: FlowTally) -> str:
    other = tally.gaps.other
    rows = [
        (
            count,
            COLOURS["refuse"],
            (
                _n(records_of(flow, count)),
                f"<strong>{_e(gap_words(gap))}</strong>",
                f"<code>{_e(gap.table)}</code>",
                _eg(example),
            ),
        )
        for gap, count, example in tally.gaps.most_common()
    ]
    return _barred(
        "<h3>Mapping-table values missing</h3>"
        '<p class="muted">Each row is a value to add to a mapping table, with the records it would unblock '
        "(a record missing two values counts under both).</p>",
        ("Would unblock", "", "Missing value", "Table", ""),
        rows,
        (_n(records_of(flow, other)), "", "other values", "", "") if other else None,
    )


def _reasons(tally: FlowTally) -> str:
    """The refused and held records by group in two tables: those needing a person, then those that clear
    by themselves (each saying when)."""
    shown = tally.reasons.most_common(SHOWN_REASONS)
    hidden = tally.reasons.beyond(SHOWN_REASONS)
    tables = []
    for title, person in (("needing a person", True), ("that clear by themselves", False)):
        rows = [
            (count, COLOURS[verdict], (_n(f"{count:,}"), verdict, _group_cell(group, example)))
            for (verdict, group), count, example in shown
            if person_kind(group) == person
        ]
        tables.append(
            _barred(
                f"<h3>Refused and held records {title}, by kind</h3>",
                ("Records", "", "Verdict", "Kind, and one record it names"),
                rows,
                None,
            )
        )
    rest = (
        f'<p class="muted">{hidden:,} more record(s) in other groups (fit.csv has each)</p>' if hidden else ""
    )
    return "".join(tables) + rest


def _outside(tally: FlowTally) -> str:
    """The records out of the integration's scope, by the rule that puts them outside."""
    rows = [
        (count, COLOURS["out_of_scope"], (_n(f"{count:,}"), f"<strong>{_e(outside_title(group))}</strong>"
                                          f"{_eg(example, True)}"))
        for group, count, example in tally.outside.most_common()
    ]  # fmt: skip
    other = tally.outside.other
    return _barred(
        "<h3>Out of scope: left alone by the run, not a person's</h3>",
        ("Records", "", "Why"),
        rows,
        (_n(f"{other:,}"), "", "other rules") if other else None,
    )


def _group_cell(group: str, example: Example) -> str:
    info = kind_of_group(group)
    when = "" if person_kind(group) else f' <span class="muted">— {_e(clears_words(info))}</span>'
    return f"<strong>{_e(shown_group(group))}</strong>{when}{_eg(example, True)}"


def _ran(facts: RunFacts | None, flows: dict[str, FlowTally]) -> str:
    if facts is None:
        return ""
    items = "".join(f"<li>{_e(line)}</li>" for line in read_lines(facts, flows))
    return f"<section><h2>This run</h2><p>{_e(ran_line(facts))}</p><ul>{items}</ul></section>"


def _kinds(flows: dict[str, FlowTally]) -> str:
    """Each kind of refusal and hold met, in words: who acts, what it means, what to do, an example."""
    met = kinds_met(flows)
    if not met:
        return ""
    parts = []
    for info, code, count, example in met:
        title = kind_heading(info, code)
        facts = "".join(f"<dt>{_e(label)}</dt><dd>{_e(text)}</dd>" for label, text in kind_facts(info, code))
        shown = _e(code_of(code) or "-")
        parts.append(
            f'<h3>{_e(title)} <span class="muted">({count:,} record(s); kind <code>{shown}</code>)'
            f'</span></h3><dl class="meaning">{facts}</dl>{_eg(example, True)}'
        )
    return "<section><h2>What the refusals and holds mean</h2>" + "".join(parts) + "</section>"


def _table(head: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    """A table of cells already HTML (a cell opening ``<td`` keeps its own tag)."""
    heads = "".join(f"<th>{_e(text)}</th>" for text in head)
    body = "".join(
        "<tr>" + "".join(c if c.startswith("<td") else f"<td>{c}</td>" for c in row) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{heads}</tr></thead><tbody>{body}</tbody></table>"


def _n(text: str) -> str:
    return f'<td class="n">{text}</td>'


def _eg(example: Example, reason: bool = False) -> str:
    """One record standing for a row: its key, and its reason when ``reason``."""
    said = f": {_e(example.reason)}" if reason and example.reason else ""
    return f'<div class="example">e.g. <strong>{_e(example.source_key)}</strong>{said}</div>'


def _ambiguous(tally: FlowTally) -> str:
    count = tally.verdicts["ambiguous"]
    if not count:
        return ""
    items = "".join(
        f"<li>{_e(example.day + ' ' if example.day else '')}<strong>{_e(example.source_key)}</strong>: "
        f"{_e(example.reason)}</li>"
        for example in tally.ambiguous
    )
    more = count - len(tally.ambiguous)
    tail = f'<p class="muted">and {more:,} more (fit.csv has each)</p>' if more else ""
    return f"<h3>Ambiguous ({count:,})</h3><ul>{items}</ul>{tail}"


def _meanings() -> str:
    terms = "".join(
        f'<dt><span class="swatch" style="background:{COLOURS[verdict]}"></span>{verdict}</dt>'
        f"<dd>{_e(MEANING[verdict])}</dd>"
        for verdict in VERDICTS
    )
    return f'<section><h2>What the verdicts mean</h2><dl class="meaning">{terms}</dl></section>'


def _anchor(flow: str) -> str:
    return "flow-" + "".join(c if c.isalnum() or c in "-_" else "-" for c in flow)


def _e(text: str) -> str:
    return escape(text, quote=True)
