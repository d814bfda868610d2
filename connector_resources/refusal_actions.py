"""What a person does about a refusal, and whether the replay sweep's timer tries it again: a flow's
rule's own word (``refusal_rules.RULES``) where the refusal names a rule of the catalog, its kind's
(``refusals.KINDS``) otherwise.

Why its own module: the desk, the fit report, the alerts, ``replay --dry-run`` and the ledger's queue
ask the same two questions of a refusal; the answers are one function each, never a copy per surface.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connector_resources.refusal_rules import RULES, Rule
from connector_resources.refusals import KINDS, Refusal, code_of

REFUSED = "refused"  # the kind whose refusals name a rule
_SEPARATOR = " · "  # ``Refusal.group``'s, between the kind's code and the rule


def rule_of(kind: str | None, params: Mapping[str, Any] | None = None) -> Rule | None:
    """The catalog's rule of a refusal by a flow's rule: ``kind`` its code or stored group
    (``refused · no items``), ``params`` its parameters (their ``rule`` first); None for another kind or a
    rule the catalog does not have."""
    if not kind or code_of(kind) != REFUSED:
        return None
    name = str((params or {}).get("rule") or "") or kind.partition(_SEPARATOR)[2]
    return RULES.get(name)


def action_for(kind: str | None, params: Mapping[str, Any] | None = None) -> str:
    """What a person does about a refusal of ``kind`` (code or group) with ``params``: its rule's own
    action, where and what; else its kind's; "" for a kind the catalog does not have."""
    rule = rule_of(kind, params)
    if rule is not None:
        return rule.said
    info = KINDS.get(code_of(kind or ""))
    return info.action if info is not None else ""


def explained(group: str) -> str:
    """What a report explains once for a refusal of ``group`` (``Refusal.group``): a rule of the catalog
    (the group: each rule says its own action), else its kind (the kind's code)."""
    return group if rule_of(group) is not None else code_of(group)


def timed(refusal: Refusal | None) -> bool:
    """Whether the replay sweep tries a record refused so again on its timer: its rule's word for a rule
    of the catalog, its kind's otherwise (a rule the catalog does not have is an error nobody classified:
    it may pass, so the timer tries it). No refusal: timed, as a failure always was."""
    if refusal is None:
        return True
    rule = rule_of(refusal.kind, refusal.params)
    if rule is not None:
        return rule.timed
    if refusal.kind == REFUSED:
        return True
    return KINDS[refusal.kind].timed
