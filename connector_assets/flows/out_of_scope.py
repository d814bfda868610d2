"""Records outside an integration's scope: a source record the flow's own rule says is none of the
integration's (a BILL payment of a bill that did not come from JD Edwards: there is no JDE document to pay).

Why a skip and not a refusal: a refusal is queued for a person, and nobody has anything to do about such a
record; queued, each one sat at the desk as a person's and cost a replay's reads. An ``OutOfScope`` is
audited as a skip with ``detail = {OUT_OF_SCOPE: rule}`` (``after_write.skips_audited``), never queued,
never written; the fit report reads the same mark and counts the record on a line of its own, apart from
those needing a person and from the share that would flow. ``rule`` names a rule of
``refusal_rules.RULES``, whose entry says what it means.
"""

from __future__ import annotations

from dataclasses import dataclass

from connector_assets.flows.records import Skipped
from connector_resources.ledger.audit import detail_mark

OUT_OF_SCOPE = "out_of_scope"  # the audit detail's key, and the fit's verdict and kind code
_SEPARATOR = " · "  # ``refusals.GROUP_SEPARATOR``: a kind's code, then the value it is grouped by


@dataclass(frozen=True)
class OutOfScope(Skipped):
    """A ``Skipped`` record outside the integration's scope by ``rule`` (its catalog name)."""

    rule: str = ""

    @property
    def detail(self) -> dict[str, str]:
        """The mark its skip is audited with."""
        return {OUT_OF_SCOPE: self.rule}


def out_of_scope_rule(detail: str | None) -> str | None:
    """The rule an audit event's ``detail`` (JSON text) says put its record out of scope, if any."""
    return detail_mark(detail, OUT_OF_SCOPE)


def out_of_scope_group(rule: str) -> str:
    """The kind a fit row out of scope by ``rule`` carries: ``out_of_scope · <rule>``."""
    return f"{OUT_OF_SCOPE}{_SEPARATOR}{rule}"
