"""Records blocked by another record's exception: held on a parent that itself needs a person.

Why: an order held on its supplier "clears by itself" only while the supplier's flow will write that
supplier. When the supplier is refused (a payment-terms row missing) the orders wait for the person who
fixes it, so every surface (the desk, ``replay --dry-run``, the alerts) shows them under that exception,
counted once with it (``exception_causes``: "payment terms N45 has no row in jde_coupa/payment_terms_map:
10 records (3 suppliers refused for it, 7 invoices and purchase orders waiting on them)"). Released as
before, when the parent is written.
"""

from __future__ import annotations

from collections.abc import Iterable

from connector_resources.ledger import Ledger, QueueItem
from connector_resources.needs_person import person_kind
from connector_resources.refusals import code_of, group_title


def blocking_parents(ledger: Ledger, keys: Iterable[str]) -> dict[str, QueueItem]:
    """Dependency key -> the open item of the record it names, for those records that need a person by their
    kind (``needs_person.person_kind``: refused, or held on a master record or mapping a person must add). A
    parent that waits on the flows itself (held on its own parent, a closed period) is not a blocker: its
    records wait with it (``needs_person``, rule 2)."""
    wanted = {key for key in keys if key}
    if not wanted:
        return {}
    found = ledger.open_dependencies(wanted)
    return {key: item for key, item in found.items() if person_kind(item.kind)}


def what_is_wrong(parent: QueueItem) -> str:
    """The parent's exception in a few words, from its kind and parameters (never its sentence): "payment
    terms N45 not mapped", "not in the target", else its kind's title."""
    params = parent.params or {}
    code = code_of(parent.kind or "")
    value = params.get("value")
    shown = ", ".join(map(str, value)) if isinstance(value, list) else str(value or "")
    if code == "mapping_missing":
        return f"{params.get('what') or 'value'} {shown} not mapped".replace("  ", " ")
    if code == "master_missing":
        where = params.get("system") or "the target"
        return f"{params.get('what') or 'master record'} {shown} missing in {where}"
    if code == "refused" and params.get("rule"):
        return f"refused: {params['rule']}"
    return group_title(parent.kind) if parent.kind else "refused"


def blocked_sentence(parent: QueueItem) -> str:
    """Why a record held on ``parent`` needs a person: the parent does, and this one follows it."""
    return (
        f"it waits for {parent.entity} {parent.source_key}, which needs a person ({what_is_wrong(parent)}): "
        "fix that one and this record is written after it"
    )
