"""Point the seeded vendors' ERP links (``origin_id`` ``JDE-V-<an8>``) at numbers the ERP really has.

The Procore and JDE simulators are seeded apart: Procore's synced vendors carry ``JDE-V-10000``,
``JDE-V-10003``, ... while the JDE sandbox numbers its suppliers from about 1001, so every seeded link
names a supplier JDE lacks. In a real company those links were written by an earlier sync and name real
suppliers. This re-points them, in vendor id order, to the numbers an operator (``ml-connector dev``)
read from the ERP. It describes how the customer's data already is, not a change someone made: no
``updated_at`` is restamped and no webhook event is emitted, so the vendors stay in their seeded
partitions and no early run is triggered.

Links owned by another integration (``origin_owner`` not one of our apps: the 409 case) are re-pointed
too, their owner kept: that integration synced the same ERP, so in a real company its links name real
suppliers as well. Left as they were, they named suppliers JDE lacks and a fresh ``make dev`` queued every
such vendor an activity round touched, a mismatch nobody made; the 409 case stays (the app still cannot
change the link), and it names a real supplier. Left as they are: the seed's deliberately over-long
``origin_id`` (the maximum-length case), vendors whose link already names one of the given numbers, and,
after the first call, every vendor but those it left unmatched (``connector_sandbox.linking``): a second
call, or a restart of ``make dev`` on the kept data, changes no link the first one or a flow wrote.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from connector_sandbox.linking import Linking

from .store import Store

DEFAULT_FORMAT = "JDE-V-{n}"
# A link longer than this is not one an ERP sync wrote with an address number; the seed's over-long
# origin_id (255 characters) is the case this keeps away.
SHORT_LINK = 40


@dataclass(frozen=True)
class LinkFormat:
    """``JDE-V-{n}``: how a link names the ERP's number ``n`` (digits)."""

    text: str

    def __post_init__(self) -> None:
        if self.text.count("{n}") != 1 or re.sub(r"\{n\}", "", self.text).count("{") > 0:
            raise ValueError(f"format {self.text!r}: exactly one {{n}} and no other placeholder")

    @property
    def pattern(self) -> re.Pattern[str]:
        prefix, suffix = self.text.split("{n}")
        return re.compile(f"{re.escape(prefix)}([0-9]+){re.escape(suffix)}")

    def number(self, origin_id: str | None) -> str | None:
        """The ``n`` a short link names, or None when it is not a link of this format."""
        if not origin_id or len(origin_id) > SHORT_LINK:
            return None
        found = self.pattern.fullmatch(origin_id)
        return found.group(1) if found else None

    def link(self, number: int) -> str:
        return self.text.replace("{n}", str(number))


@dataclass(frozen=True)
class Target:
    origin_id: str
    origin_code: str | None


def targets_from_body(body: dict[str, Any]) -> tuple[LinkFormat, list[Target]]:
    """``{"numbers": [...], "format"?}`` or ``{"origin_ids": [...], "format"?}`` -> format and targets.

    Raises ValueError with the reason an operator can act on."""
    link_format = LinkFormat(str(body.get("format") or DEFAULT_FORMAT))
    numbers, origin_ids = body.get("numbers"), body.get("origin_ids")
    if (numbers is None) == (origin_ids is None):
        raise ValueError('give either "numbers" (ERP numbers) or "origin_ids" (whole links), not both')
    if numbers is not None:
        if not isinstance(numbers, list) or not all(
            isinstance(n, int) and not isinstance(n, bool) and n > 0 for n in numbers
        ):
            raise ValueError("numbers: a list of positive whole numbers (the ERP's, e.g. JDE AN8s)")
        targets = [Target(link_format.link(n), str(n)) for n in numbers]
    else:
        if not isinstance(origin_ids, list) or not all(isinstance(o, str) and o for o in origin_ids):
            raise ValueError("origin_ids: a list of non-empty strings")
        targets = []
        for origin_id in origin_ids:
            number = link_format.number(origin_id)
            if number is None:
                raise ValueError(
                    f"origin_id {origin_id!r} is not a link of the format {link_format.text!r} "
                    f"(at most {SHORT_LINK} characters)"
                )
            targets.append(Target(origin_id, number))
    if len({t.origin_id for t in targets}) != len(targets):
        raise ValueError("the same link is given twice; an origin_id is unique per company")
    return link_format, targets


def repoint_vendor_links(
    store: Store,
    link_format: LinkFormat,
    targets: list[Target],
    owners: set[str],
    company_id: int | None = None,
) -> dict[str, Any]:
    """Re-point the vendors (of ``company_id``, else every company) whose link of ``link_format`` names
    none of ``targets``, in id order, to the targets no vendor holds yet, in the given order; ``owners``
    are our apps: a re-pointed link another integration owns is counted apart (``other_integration``).

    Only the origin columns change (``origin_id``, ``origin_code``), never ``origin_owner``. Answers the
    counts."""
    wanted = {t.origin_id for t in targets}
    where, params = ("company_id = ?", [company_id]) if company_id is not None else ("1=1", [])
    with store.transaction() as conn:
        rows = conn.execute(
            f"SELECT id, origin_id, origin_owner FROM vendors WHERE {where} AND origin_id IS NOT NULL "
            "ORDER BY id",
            params,
        ).fetchall()
        held = {row["origin_id"] for row in rows}  # unique per company; across companies is stricter
        free = iter([t for t in targets if t.origin_id not in held])
        name = f"vendors.origin_id:{company_id if company_id is not None else 'all'}"
        linking = Linking(store, name, free)
        repointed, foreign, not_links = [], 0, 0
        changes = []
        for row in rows:
            if link_format.number(row["origin_id"]) is None:
                not_links += 1  # another kind of link, or the seed's over-long one
                continue
            target = linking.target_for(row["id"], keeps=row["origin_id"] in wanted)
            if target is not None:
                changes.append((target.origin_id, target.origin_code, row["id"]))
                repointed.append(row["id"])
                foreign += row["origin_owner"] not in owners
        conn.executemany("UPDATE vendors SET origin_id = ?, origin_code = ? WHERE id = ?", changes)
        linking.done()
    return {
        "repointed": len(repointed),
        "already_linked": linking.already,
        "left_unmatched": len(linking.unmatched),
        "other_integration": foreign,  # of the re-pointed, links another integration owns
        "left_alone": {"not_this_format": not_links},
        "vendor_ids": repointed,
    }


def link_at_startup(store: Store, settings: Any) -> dict[str, Any] | None:
    """The startup setting ``erp_link_numbers`` (with ``erp_link_format``) applied to freshly seeded data,
    so a server can start already linked; None when the setting is empty."""
    if not settings.erp_link_numbers:
        return None
    link_format, targets = targets_from_body(
        {"numbers": list(settings.erp_link_numbers), "format": settings.erp_link_format}
    )
    owners = {client.client_id for client in settings.clients}
    return repoint_vendor_links(store, link_format, targets, owners)
