"""Which source records a flow posted to JD Edwards as vouchers, asked both ways of its ledger: a day's paid
vouchers -> their records (``sources_of_vouchers``), and records -> their vouchers' rows
(``voucher_rows_of``, a replay), whether the flow keyed a voucher by document or by batch key.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from connector_assets.jde.paid_vouchers import (
    PAID,
    VoucherKey,
    batches_of_vouchers,
    voucher_key,
    voucher_marks,
    voucher_text,
)
from connector_assets.jde.posted_documents import PostedDocument
from connector_resources.jde.session import JdeSession
from connector_resources.ledger import Ledger

# The integration's own reading of a voucher's F0411 marks (``paid_vouchers.voucher_marks``): voucher ->
# the source key whose document the marks name (its remark, checked against the source's supplier and
# invoice number). Only asked for the vouchers neither the ledger nor F0411Z1 maps.
ByMarks = Callable[[dict[VoucherKey, dict[str, Any]]], dict[VoucherKey, str]]


@dataclass(frozen=True)
class PostedAs:
    """Where ``sources_of_vouchers`` looks a flow's records up: its ledger entity and source system."""

    integration: str
    entity: str
    source_system: str


def sources_of_vouchers(
    ledger: Ledger,
    posted: PostedAs,
    jde_session: JdeSession,
    vouchers: list[VoucherKey],
    user: str,
    by_marks: ByMarks | None = None,
) -> dict[VoucherKey, str]:
    """Voucher -> the source key ``posted``'s flow posted as it: by the voucher's document key, else by the
    batch key (EDI user ``user``) of the F0411Z1 rows the voucher was made from (a shortcut), else, the batch
    rows purged, by what the voucher carries in F0411 (``by_marks``; ``by_marked``)."""
    integration, entity = posted.integration, posted.entity
    found: dict[VoucherKey, str] = {}
    rest: list[VoucherKey] = []
    for key in vouchers:
        xref = ledger.find_xref_by_target(integration, entity, "JDE", voucher_text(key))
        if xref is not None:
            found[key] = xref.source_key
        else:
            rest.append(key)
    for key, batches in batches_of_vouchers(jde_session, rest, user).items():
        for batch in batches:
            xref = ledger.find_xref_by_target(integration, entity, "JDE", batch.target_id)
            if xref is not None:
                found[key] = xref.source_key
    rest = [key for key in rest if key not in found]
    if rest and by_marks is not None:
        found.update(by_marked(ledger, posted, jde_session, by_marks(voucher_marks(jde_session, rest))))
    return found


def by_marked(
    ledger: Ledger, posted: PostedAs, jde_session: Any, proposed: dict[VoucherKey, str]
) -> dict[VoucherKey, str]:
    """The vouchers ``proposed`` maps to source keys, kept where the ledger agrees: the flow posted that
    record as a voucher batch whose F0411Z1 rows are gone (or name this very voucher), and no other voucher
    of the day is proposed for it. A voucher keyed by hand that repeats our remark is never taken for ours:
    the integration checked supplier and invoice number, and the ledger says the record's voucher is
    otherwise unknown."""
    counts = Counter(proposed.values())
    kept: dict[VoucherKey, str] = {}
    for key, source in proposed.items():
        if counts[source] != 1:
            continue
        xref = ledger.get_xref(posted.integration, posted.entity, posted.source_system, source, "JDE")
        document = PostedDocument.parse(xref.target_id if xref is not None else None)
        if document is None or document.batch is None:
            continue  # not posted, or posted by document key (that voucher is the xref's own)
        rows = document.voucher_rows(jde_session)
        if rows and not any((voucher_key(row) or ())[:2] == key[:2] for row in rows):
            continue  # the batch is still there and became another voucher
        kept[key] = source
    return kept


def voucher_rows_of(
    ledger: Ledger,
    posted: PostedAs,
    jde_session: JdeSession,
    keys: list[str],
    unkept: Callable[[str], list[dict[str, object]]] | None = None,
) -> list[dict[str, Any]]:
    """The voucher rows (``KCO`` / ``DOC`` / ``DCT``, marked paid) of the records ``keys`` that ``posted``'s
    flow posted, read again: a replay of what JDE paid. A record posted as a batch whose F0411Z1 rows JDE
    purged gives the F0411 rows ``unkept(key)`` finds by what the voucher carries. A record not posted, or
    whose batch has no voucher yet, gives none."""
    rows: list[dict[str, object]] = []
    for key in keys:
        xref = ledger.get_xref(posted.integration, posted.entity, posted.source_system, key, "JDE")
        in_jde = PostedDocument.parse(xref.target_id if xref is not None else None)
        if in_jde is None:
            continue
        found = in_jde.voucher_rows(jde_session)
        if not found and in_jde.batch is not None and unkept is not None:
            found = unkept(key)
        rows.extend({**row, "PST": PAID} for row in found)
    return rows
