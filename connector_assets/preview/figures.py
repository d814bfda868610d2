"""The fit's figures: every previewed record counted in exactly one part, so the headline and the Day one
line add up to the records previewed, and the console (``ml-connector fit``), fit.md and fit.html say them
in the same words (``headline``, ``day_one_line``, ``read_lines``), computed once here from the tallies.

Why: the report used to count the parents a flow's write step pulled from outside the days in the total
while its Day one line left them out, and the console counted a flow's own records where the report
counted its pulled parents too: two truths of one fit. The parts (``part_of``): a parent pulled from
outside the days is apart from the days' own records; of those, what flows at once, what flows once its
parent is pulled, what needs a person, what waits for the flows, and what lies outside the integration's
scope (``out_of_scope``: not a person's, and not in the share that would flow).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

from connector_assets.preview.tally import OUT_OF_SCOPE, OWN_PARTS, PARENT, FlowTally, RunFacts


@dataclass(frozen=True)
class Figures:
    """The counts of one flow or of a whole fit: records by part (``part_of``), the parents pulled that
    would be written, the records held on a record that needs a person (among ``person``), and the
    parents pulled per flow."""

    parts: Counter[str] = field(default_factory=Counter)
    parents_flowing: int = 0
    blocked: int = 0
    pulled_in: Mapping[str, int] = field(default_factory=dict)

    @property
    def own(self) -> int:
        return sum(self.parts[part] for part in OWN_PARTS)

    @property
    def parents(self) -> int:
        return self.parts[PARENT]

    @property
    def previewed(self) -> int:
        return self.own + self.parents

    @property
    def flowing(self) -> int:
        """Records that would reach the target: the days' own and the parents pulled."""
        return self.parts["at_once"] + self.parts["after_pull"] + self.parents_flowing

    @property
    def in_scope(self) -> int:
        """What the share that would flow is of: every record but those out of the integration's scope."""
        return self.previewed - self.parts[OUT_OF_SCOPE]


def figures(flows: Mapping[str, FlowTally]) -> Figures:
    """The figures of ``flows`` (one flow's: ``{name: tally}``)."""
    parts: Counter[str] = Counter()
    for tally in flows.values():
        parts.update(tally.parts)
    return Figures(
        parts,
        sum(t.parents_flowing for t in flows.values()),
        sum(t.blocked for t in flows.values()),
        {flow: t.parts[PARENT] for flow, t in flows.items() if t.parts[PARENT]},
    )


def share(part: int, whole: int) -> str:
    return f"{part / whole:.1%}" if whole else "n/a"


def headline(flows: Mapping[str, FlowTally]) -> str:
    """What was previewed, its parts, and the share that would flow of what is in scope."""
    fig = figures(flows)
    out = fig.parts[OUT_OF_SCOPE]
    scope = f" of the {fig.in_scope:,} in scope ({out:,} out of the integration's scope)" if out else ""
    return (
        f"Previewed {fig.previewed:,} source record(s), writing nothing: {fig.own:,} of the days' own + "
        f"{fig.parents:,} parent(s) pulled from outside the days. {share(fig.flowing, fig.in_scope)}"
        f"{scope} would flow ({fig.flowing:,} created, adopted, updated or already equal)."
    )


def day_one_line(flows: Mapping[str, FlowTally]) -> str:
    """Day one's truth in one line, summing to the days' own records: what the first run writes at once,
    what it writes once it has pulled the parents the ledger never synced, what needs a person, what waits
    for the flows, what is out of scope; then the parents pulled, apart."""
    fig = figures(flows)
    p = fig.parts
    under = f", {fig.blocked:,} of them held on a record that needs a person" if fig.blocked else ""
    where = ", ".join(f"{count:,} in {flow}" for flow, count in fig.pulled_in.items())
    stuck = fig.parents - fig.parents_flowing
    return (
        f"**Day one**: the days' {fig.own:,} own record(s) = {p['at_once']:,} written at once + "
        f"{p['after_pull']:,} written once the first run has pulled their parents + {p['person']:,} need "
        f"a person (by kind below{under}) + {p['waiting']:,} wait for the flows + {p[OUT_OF_SCOPE]:,} out "
        f"of scope; and {fig.parents:,} parent(s) the ledger never synced, pulled from outside the days"
        f"{f' ({where})' if where else ''}, each its own row: {fig.parents_flowing:,} written, "
        f"{stuck:,} refused or held."
    )


def read_lines(facts: RunFacts, flows: Mapping[str, FlowTally]) -> list[str]:
    """Per flow: the systems, the days it covered and the records it read (each has a verdict): the days'
    own and the parents pulled into it."""
    lines = []
    for flow, read in facts.flows.items():
        fig = figures({flow: flows[flow]} if flow in flows else {})
        systems = " -> ".join(s for s in (read.source_system, read.target_system) if s)
        pulled = f" + {fig.parents:,} parent(s) pulled from outside the days" if fig.parents else ""
        lines.append(
            f"{flow} ({systems}): {read.days_said()}, {records_of(flow, fig.previewed)} read: "
            f"{fig.own:,} of the days' own{pulled}"
        )
    return lines


def records_of(flow: str, count: int) -> str:
    """The count with the flow's name when that names its records ("37 suppliers", "1 supplier"), else with
    "records"."""
    noun = flow.replace("_", " ") if flow.endswith("s") else "records"
    return f"{count:,} {noun[:-1] if count == 1 else noun}"
