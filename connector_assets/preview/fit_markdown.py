"""fit.md: the fit report as Markdown (what a Dagster run shows), and the wording fit.html shares with it. Its
sections, in order: docs/operations.md, "2. Fit: what a run would do, writing nothing".
"""

from __future__ import annotations

from connector_assets.preview.figures import day_one_line, headline, read_lines, records_of, share
from connector_assets.preview.tally import VERDICTS, Example, FlowTally, RunFacts, shown_group
from connector_resources.mapping_gaps import MappingGap
from connector_resources.needs_person import person_kind
from connector_resources.refusal_actions import action_for
from connector_resources.refusals import GROUP_SEPARATOR, Kind, code_of, group_title, kind_of_group

SHOWN_REASONS = 10  # kinds of reason per flow in fit.md (fit.html shows more)
SHOWN_GAPS = 25  # missing mapping values per flow in fit.md


def fit_markdown(
    integration: str, first: str, last: str, flows: dict[str, FlowTally], facts: RunFacts | None = None
) -> str:
    """The report as Markdown, in the module docstring's order."""
    lines = [
        f"# See if we fit: {integration}, {span(first, last)}",
        "",
        *_ran(facts, flows),
        headline(flows),
        "",
        day_one_line(flows),
    ]
    if not flows:
        lines += ["", "No source record in these days."]
    for flow, tally in flows.items():
        lines += [
            "",
            f"## {flow}",
            "",
            verdict_line(tally) + "  ",
            f"Would flow: {share(tally.flowing, tally.in_scope)}",
        ]
        if tally.closed_period:
            lines += ["", closed_period_line(tally)]
        if tally.error:
            lines += ["", f"**The preview of this flow did not finish**: {tally.error}"]
        lines += _matches(flow, tally) + _gaps(flow, tally) + _reasons(tally) + _outside(tally)
        lines += _ambiguous(tally)
    lines += _kinds(flows)
    return "\n".join(lines) + "\n"


def ran_line(facts: RunFacts) -> str:
    """When the preview ran and for how long, and the systems it read."""
    systems = ", ".join(facts.systems) or "no system"
    return f"Ran {facts.started_said()}, took {facts.took_said()}; systems read: {systems}."


def _ran(facts: RunFacts | None, flows: dict[str, FlowTally]) -> list[str]:
    if facts is None:
        return []
    return [ran_line(facts), "", *(f"- {line}" for line in read_lines(facts, flows)), ""]


def span(first: str, last: str) -> str:
    return first if first == last else f"{first} to {last}"


def verdict_line(tally: FlowTally) -> str:
    counts = " · ".join(f"{tally.verdicts[verdict]:,} {verdict}" for verdict in VERDICTS)
    return f"{tally.total:,} record(s): {counts}"


def closed_period_line(tally: FlowTally) -> str:
    """How many records are held on a closed accounting period, and what would send them."""
    return (
        f"Dated in a closed accounting period of the ERP: {tally.closed_period:,} record(s) held until the "
        "period opens (or ML_GL_DATE_POLICY=first_open_day posts them on the first open day); fit.csv "
        "names each"
    )


def outside_title(group: str) -> str:
    """An out-of-scope group as the report names it: the rule that puts its records outside."""
    rule = group.partition(GROUP_SEPARATOR)[2]
    return f"out of the integration's scope: {rule}" if rule else "out of the integration's scope"


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


def clears_words(info: Kind | None) -> str:
    """What a waiting kind's title is followed by: "clears by itself <when>"."""
    return f"clears by itself {info.clears}" if info is not None and info.clears else "clears by itself"


def _reasons(tally: FlowTally) -> list[str]:
    """The refused and held records by group, the ``SHOWN_REASONS`` most common, in two views: those that
    need a person first, then those that clear by themselves (with when)."""
    shown = tally.reasons.most_common(SHOWN_REASONS)
    hidden = tally.reasons.beyond(SHOWN_REASONS)
    lines: list[str] = []
    for title, person in (("**Needs a person**", True), ("**Clears by itself**", False)):
        items = [
            _reason_item(verdict, group, count, example)
            for (verdict, group), count, example in shown
            if person_kind(group) == person
        ]
        lines += _listed(f"{title} (refused and held records, by kind):", items)
    if hidden:
        lines += ["", f"{hidden:,} more record(s) refused or held in other groups (fit.csv has each)"]
    return lines


def _reason_item(verdict: str, group: str, count: int, example: Example) -> str:
    info = kind_of_group(group)
    when = "" if person_kind(group) else f" — {clears_words(info)}"
    return (
        f"{count:,} x {verdict}: {shown_group(group)}{when}  \n  e.g. {example.source_key}: {example.reason}"
    )


def kinds_met(flows: dict[str, FlowTally]) -> list[tuple[Kind | None, str, int, Example]]:
    """Each kind met over every flow, with its code (a rule's group for a refusal by a rule of the catalog:
    ``refusal_actions.explained``), count and first example: those needing a person first, then the
    waits, each most common first."""
    counts: dict[str, int] = {}
    examples: dict[str, Example] = {}
    for tally in flows.values():
        for code, count, example in tally.kinds.most_common():
            counts[code] = counts.get(code, 0) + count
            examples.setdefault(code, example)
    met = [(kind_of_group(code), code, count, examples[code]) for code, count in counts.items()]
    return sorted(met, key=lambda m: (not person_kind(m[1]), -m[2], m[1]))


def kind_facts(info: Kind | None, code: str = "") -> list[tuple[str, str]]:
    """A kind (``code``: as ``kinds_met`` gives it, a rule's group for a rule) in words, as (label, text)
    pairs: who acts, what it means, what to do."""
    if info is None:
        return [("Who acts", "a person: the code that refused these records gave no kind"),
                ("What to do", "read each record's sentence in fit.csv")]  # fmt: skip
    who = "needs a person" if person_kind(code or info.code) else clears_words(info)
    return [("Who acts", who), ("What it means", info.meaning), ("What to do", action_for(code or info.code))]


def kind_heading(info: Kind | None, code: str) -> str:
    """A kind's heading: its title (with its rule, for a rule's group), or that the code gave none."""
    if info is None:
        return "Kind not recorded"
    return group_title(code) if code_of(code) != code else info.title


def _kinds(flows: dict[str, FlowTally]) -> list[str]:
    met = kinds_met(flows)
    if not met:
        return []
    lines = ["", "## What the refusals and holds mean"]
    for info, code, count, example in met:
        title = kind_heading(info, code)
        lines += ["", f"### {title} ({count:,} record(s); kind `{code_of(code) or '-'}`)", ""]
        lines += [f"- {label}: {text}" for label, text in kind_facts(info, code)]
        lines.append(f"- For example: {example.source_key}: {example.reason}")
    return lines


def _outside(tally: FlowTally) -> list[str]:
    """The records out of the integration's scope, by rule: left alone by the run, nobody's to fix."""
    items = [
        f"{count:,} x {outside_title(group)}  \n  e.g. {example.source_key}: {example.reason}"
        for group, count, example in tally.outside.most_common()
    ]
    rest = f"other rules: {tally.outside.other:,}" if tally.outside.other else ""
    return _listed("**Out of scope** (left alone by the run, not a person's, not in the share):", items, rest)


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
