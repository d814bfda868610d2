"""One previewed record's verdict: a row of fit.csv (``FIT_COLUMNS``)."""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from typing import Any

# create: the body; adopt: the target record its natural key matched; update: field by field, the target's
# current value -> ours; unchanged; refuse: the reason a real run would queue; hold: on what it waits;
# ambiguous: a natural-key search that matched more than one target record (the candidates in the reason).
# A refusal or hold keeps its kind and parameters beside the sentence (``kind``, ``params``).
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
    reason: str = ""  # the sentence a person reads
    changes: str = ""  # create: the body; update / adopt: {field: [theirs, ours]}; as JSON
    # refuse / hold / ambiguous: the refusal as data (``connector_resources.refusals``): its group (kind
    # code and grouping values, ``Refusal.group``) and its parameters as JSON; what the report groups by
    kind: str = ""
    params: str = ""

    def refusal_params(self) -> dict[str, Any]:
        """``params`` read back ({} when none)."""
        if not self.params:
            return {}
        value = json.loads(self.params)
        return value if isinstance(value, dict) else {}


FIT_COLUMNS = tuple(f.name for f in fields(FitRow))
