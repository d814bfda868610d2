"""Why a record the target lacks is not a difference: the retry queue's word on it, found under whatever key
the flow keyed it (a voucher ``00001/4471/PV`` may be queued as ``voucher:00001/4471/PV`` or per pay item).
``Expectations`` reads the integration's open and abandoned items once (one query per status) and
``account_for`` counts such a record on the report (``Report.expect``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from connector_assets.flows.periods import is_period_hold
from connector_assets.flows.reconciliation import Report
from connector_resources.ledger import Ledger
from connector_resources.ledger.records import QueueItem

QUEUE_LIMIT = 1_000_000  # items read per status: all of them, in practice

HELD_PERIOD = "held for a closed accounting period"
HELD = "held for another record"
HELD_PROCESSING = "held for the target's own processing"  # a payment waiting for JDE's batch processor
QUEUED = "in the retry queue"
ABANDONED = "abandoned by an operator"


def key_variants(key: str) -> set[str]:
    """The forms a flow may have keyed one record under: the key itself, without an entity prefix
    (``voucher:00001/4471/PV`` -> ``00001/4471/PV``), without a pay item or line suffix (``.../PV/001``
    -> ``.../PV``), stripped of leading zeros per part (``00001`` -> ``1``). Only a word (letters) is an
    entity prefix: in ``<payment id>:<bill id>`` the first id is part of the key, so two payments of one
    bill stay two records."""
    text = key.strip()
    forms = {text}
    prefix, colon, rest = text.partition(":")
    if colon and prefix.isalpha():
        forms.add(rest)
    for form in list(forms):
        parts = form.split("/")
        if len(parts) > 1:
            forms.add("/".join(parts[:-1]))
    for form in list(forms):
        forms.add("/".join(re.sub(r"^0+(?=\d)", "", part.strip()) for part in form.split("/")))
    return forms


@dataclass(frozen=True)
class Gap:
    """A queue item's word on a record: the kind of gap and the queue's reason."""

    kind: str
    reason: str
    flow: str


class Expectations:
    """The integration's queue, indexed by every form of every item's key (``key_variants``)."""

    def __init__(
        self,
        ledger: Ledger,
        integration: str,
        flows: Iterable[str] | None = None,
        *,
        asked_as: Callable[[str], str | None] | None = None,
    ) -> None:
        """``asked_as``: the key a reconciliation asks with for an item its flow keyed another way (a
        payment's ``<payment>:<bill>`` asked for by its bill, whose paid status it settles), or None."""
        wanted = set(flows) if flows is not None else None
        self._by_key: dict[str, Gap] = {}
        for status in ("abandoned", "failed", "held"):  # open items win over an older abandoned one
            for item in ledger.open_items(integration=integration, status=status, limit=QUEUE_LIMIT):
                if wanted is None or item.flow in wanted:
                    gap = _gap(item)
                    asked = asked_as(item.source_key) if asked_as is not None else None
                    for form in key_variants(item.source_key) | (key_variants(asked) if asked else set()):
                        self._by_key[form] = gap

    def why(self, *keys: str) -> Gap | None:
        """The queue's word on the first of ``keys`` (in any of their forms) it knows, or None."""
        for key in keys:
            for form in key_variants(str(key)):
                gap = self._by_key.get(form)
                if gap is not None:
                    return gap
        return None

    def account_for(self, report: Report, record: str, *keys: str) -> bool:
        """Count ``record`` on ``report`` as an expected gap when the queue knows one of ``keys``; True
        then, False when it is a real difference for the caller to name."""
        gap = self.why(*keys)
        if gap is None:
            return False
        report.expect(gap.kind, record, gap.reason)
        return True


def _gap(item: QueueItem) -> Gap:
    if item.status == "abandoned":
        return Gap(ABANDONED, item.reason, item.flow)
    if item.status == "held":
        kind = HELD_PERIOD if is_period_hold(item.depends_on) else HELD
        if item.refusal_kind == "target_processing":
            kind = HELD_PROCESSING
        return Gap(kind, item.reason, item.flow)
    return Gap(QUEUED, item.reason, item.flow)


class FlowQueues:
    """Each flow's own ``Expectations``, read on first use: a flow's queue answers for its own records only
    (a payment keyed ``<payment>:<invoice>`` must not answer for the invoice another flow refused)."""

    def __init__(self, ledger: Ledger, integration: str) -> None:
        self.ledger, self.integration = ledger, integration
        self._read: dict[str, Expectations] = {}

    def of(self, flow: str) -> Expectations:
        """``flow``'s own queue, read the first time it is asked for."""
        if flow not in self._read:
            self._read[flow] = Expectations(self.ledger, self.integration, flows=[flow])
        return self._read[flow]

    def account_for(self, flow: str, report: Report, record: str, *keys: str) -> bool:
        """``Expectations.account_for`` on ``flow``'s queue."""
        return self.of(flow).account_for(report, record, *keys)
