"""One previewed record's verdict: a row of fit.csv (``FIT_COLUMNS``)."""

from __future__ import annotations

from dataclasses import astuple, dataclass, fields

# create: the body; adopt: the target record its natural key matched; update: field by field, the target's
# current value -> ours; unchanged; refuse: the reason a real run would queue; hold: on what it waits;
# ambiguous: a natural-key search that matched more than one target record (the candidates in the reason).
VERDICTS = ("create", "adopt", "update", "unchanged", "refuse", "hold", "ambiguous")


@dataclass(frozen=True, slots=True)
class FitRow:
    integration: str
    flow: str
    day: str  # the partition day, "" for a flow read whole
    source_key: str
    verdict: str  # one of ``VERDICTS``
    target_id: str = ""
    matched_by: str = ""  # adopt: the natural key that matched, as JSON
    reason: str = ""
    changes: str = ""  # create: the body; update / adopt: {field: [theirs, ours]}; as JSON

    def values(self) -> tuple[str, ...]:
        return astuple(self)


FIT_COLUMNS = tuple(f.name for f in fields(FitRow))
