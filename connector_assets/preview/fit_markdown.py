"""fit.md: the fit report as Markdown (what a Dagster run shows), and the wording fit.html shares with it.

Per flow: its verdicts in counts and the share that would flow, then the go-live answers: which records
match one the target already holds and by which natural-key fields, which mapping-table values are missing
and how many records each would unblock, the most common reasons records are refused or held, and the
ambiguous records.
"""

from __future__ import annotations

from connector_assets.preview.mapping_gaps import MappingGap
from connector_assets.preview.tally import FlowTally
from connector_assets.preview.verdicts import VERDICTS

SHOWN_REASONS = 10  # kinds of reason per flow in fit.md (fit.html shows more)
SHOWN_GAPS = 25  # missing mapping values per flow in fit.md


def fit_markdown(integration: str, first: str, last: str, flows: dict[str, FlowTally]) -> str:
    """The report as Markdown: the whole preview's share that would flow, then per flow its verdicts, the
    records matched by natural key, the missing mapping values, the top reasons and the ambiguous records."""
    total = sum(tally.total for tally in flows.values())
    flowing = sum(tally.flowing for tally in flows.values())
    lines = [
        f"# See if we fit: {integration}, {span(first, last)}",
        "",
        f"Previewed {total:,} source record(s), writing nothing: {share(flowing, total)} would flow "
        f"({flowing:,} created, adopted, updated or already equal).",
    ]
    if not flows:
        lines += ["", "No source record in these days."]
    for flow, tally in flows.items():
        lines += [
            "",
            f"## {flow}",
            "",
            verdict_line(tally) + "  ",
            f"Would flow: {share(tally.flowing, tally.total)}",
        ]
        if tally.closed_period:
            lines += ["", closed_period_line(tally)]
        if tally.error:
            lines += ["", f"**The preview of this flow did not finish**: {tally.error}"]
        lines += _matches(flow, tally) + _gaps(flow, tally) + _reasons(tally) + _ambiguous(tally)
    return "\n".join(lines) + "\n"


def span(first: str, last: str) -> str:
    return first if first == last else f"{first} to {last}"


def share(part: int, whole: int) -> str:
    return f"{part / whole:.1%}" if whole else "n/a"


def verdict_line(tally: FlowTally) -> str:
    counts = " · ".join(f"{tally.verdicts[verdict]:,} {verdict}" for verdict in VERDICTS)
    return f"{tally.total:,} record(s): {counts}"


def closed_period_line(tally: FlowTally) -> str:
    """How many records meet a closed accounting period, and what the policy does with them."""
    return (
        f"Dated in a closed accounting period of the ERP: {tally.closed_period:,} record(s) (held until the "
        "period opens under ML_GL_DATE_POLICY=refuse, posted on the first open day under first_open_day; "
        "each says which in fit.csv)"
    )


def records_of(flow: str, count: int) -> str:
    """The count with the flow's name when that names its records ("37 suppliers", "1 supplier"), else with
    "records"."""
    noun = flow.replace("_", " ") if flow.endswith("s") else "records"
    return f"{count:,} {noun[:-1] if count == 1 else noun}"


def gap_words(gap: MappingGap) -> str:
    return f"{gap.what} {gap.value}"


def _listed(title: str, items: list[str], rest: str = "") -> list[str]:
    """``title`` over one ``- item`` a line, then ``rest`` (what the items leave out) when said; nothing
    when there are no items."""
    if not items:
        return []
    return ["", title, *(f"- {item}" for item in items), *([f"- {rest}"] if rest else [])]


def _matches(flow: str, tally: FlowTally) -> list[str]:
    if not tally.verdicts["adopt"]:
        return []
    adopted = records_of(flow, tally.verdicts["adopt"])
    lines = ["", f"**Matched to a record the target already holds** ({adopted}, by the natural-key fields):"]
    lines += [f"- {fields}: {count:,}" for fields, count, _ in tally.matched_by.most_common()]
    if tally.matched_by.other:
        lines.append(f"- other field sets: {tally.matched_by.other:,}")
    return lines


def _gaps(flow: str, tally: FlowTally) -> list[str]:
    hidden = tally.gaps.beyond(SHOWN_GAPS)
    items = [
        f"{gap_words(gap)}: {records_of(flow, count)}{_in_table(gap)}, e.g. {example.source_key}"
        for gap, count, example in tally.gaps.most_common(SHOWN_GAPS)
    ]
    return _listed(
        "**Mapping-table values missing** (records each would unblock; one missing two counts under both):",
        items,
        f"other values: {hidden:,} (fit.csv names every record)" if hidden else "",
    )


def _in_table(gap: MappingGap) -> str:
    return f" ({gap.table})" if gap.table else ""


def _reasons(tally: FlowTally) -> list[str]:
    hidden = tally.reasons.beyond(SHOWN_REASONS)
    items = [
        f"{count:,} x {verdict}: {kind}  \n  e.g. {example.source_key}: {example.reason}"
        for verdict, kind, count, example in tally.top_reasons(SHOWN_REASONS)
    ]
    return _listed(
        "**Top reasons** (refused and held records, by kind of reason):",
        items,
        f"{hidden:,} more record(s) refused or held for other reasons (fit.csv has each)" if hidden else "",
    )


def _ambiguous(tally: FlowTally) -> list[str]:
    count = tally.verdicts["ambiguous"]
    if not count:
        return []
    lines = ["", f"**Ambiguous** ({count:,}: the natural key matched more than one target record):"]
    lines += [f"- {_day(example.day)}{example.source_key}: {example.reason}" for example in tally.ambiguous]
    if count > len(tally.ambiguous):
        lines.append(f"- and {count - len(tally.ambiguous):,} more (fit.csv has each)")
    return lines


def _day(day: str) -> str:
    return f"{day} " if day else ""
