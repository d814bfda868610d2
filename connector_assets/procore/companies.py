"""Which Procore company a record is read from and written to: every read or write by id goes through its
own company's session (another's answers 403/404), a step's all held by one ``CompanySessions``. Docs:
docs/integrations/procore_jde.md, "Several companies"."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

import sqlalchemy as sa

from connector_assets.flows.core import Mapped, Rejected
from connector_assets.procore.sources import COMPANY_FIELD
from connector_resources.ledger import Ledger, schema

QUEUED_FIELD = "procore_company_id"  # in a mapped record's natural_key, or a refusal's payload


def first_company(procore: Any) -> int:
    """The default (first configured) company: that of every record staged before several were."""
    return int(procore.company_ids()[0])


def _company(value: Any) -> int | None:
    text = str(value if value is not None else "").strip()
    return int(text) if text.isdigit() and int(text) > 0 else None


def record_company(record: Mapping[str, Any], default: int) -> int:
    """The company a staged (or read) Procore record came from; ``default`` when it does not say."""
    return _company(record.get(COMPANY_FIELD)) or default


def tagged(result: Mapped | Rejected, company: int) -> Mapped | Rejected:
    """``result`` with its company kept where a replay finds it (natural_key / the refusal's payload)."""
    if isinstance(result, Mapped):
        return Mapped(
            result.source_key,
            result.body,
            result.fields,
            {**result.natural_key, QUEUED_FIELD: int(company)},
            result.depends_on,
        )
    if isinstance(result, Rejected):  # a hold on a missing record stays one (``held_on``)
        return replace(result, payload={**(result.payload or {}), QUEUED_FIELD: int(company)})
    return result


def queued_companies(
    ledger: Ledger, integration: str, flow: str, keys: Iterable[str], default: int
) -> dict[str, int]:
    """Source key -> the company its open retry-queue item names (``default`` when it names none)."""
    wanted = {str(k) for k in keys}
    found = dict.fromkeys(wanted, default)
    for item in ledger.open_items(integration=integration, flow=flow, limit=100_000):
        if item.source_key not in wanted:
            continue
        payload = item.payload or {}
        named = _company((payload.get("natural_key") or {}).get(QUEUED_FIELD)) or _company(
            payload.get(QUEUED_FIELD)
        )
        if named is not None:
            found[item.source_key] = named
    return found


def _vendor_stream(vendor_id: str) -> str:
    return f"vendor_company:{vendor_id}"


def remember_vendor_company(ledger: Ledger, integration: str, vendor_id: str, company: int) -> None:
    """Keep the vendor's company in the ledger (a vendor never moves between companies: written once)."""
    stream = _vendor_stream(str(vendor_id))
    if ledger.get_cursor(integration, stream) is None:
        ledger.advance_cursor(integration, stream, str(int(company)))


def vendor_company(ledger: Ledger, integration: str, vendor_id: str, default: int) -> int:
    """The company the ledger keeps for the vendor, ``default`` (the first company) when none."""
    return _company(ledger.get_cursor(integration, _vendor_stream(str(vendor_id)))) or default


def vendor_companies(ledger: Ledger, integration: str) -> dict[str, int]:
    """Vendor id -> the company the ledger keeps for it, every vendor in one query (a reconciliation
    reads all linked vendors at once)."""
    t = schema.cursor
    prefix = _vendor_stream("")
    query = sa.select(t.c.stream, t.c.value).where(
        t.c.integration == integration, t.c.stream.like(f"{prefix}%")
    )
    with ledger.read_transaction() as conn:
        rows = conn.execute(query).all()
    return {stream[len(prefix) :]: company for stream, value in rows if (company := _company(value))}


def listed_vendors(sessions: Any, companies: Mapping[str, int]) -> dict[str, dict[str, Any]]:
    """Vendors (id -> company) read by list in each company's session (``get_many``: ``filters[id][]``,
    reference §2.3, a call per 100 ids instead of one each); one the list does not show (inactive) is
    left out, for a read by id."""
    by_company: dict[int, list[str]] = {}
    for vendor_id, company in companies.items():
        by_company.setdefault(company, []).append(vendor_id)
    found: dict[str, dict[str, Any]] = {}
    for company, vendor_ids in by_company.items():
        found.update(sessions.session(company).get_many("vendors", vendor_ids))
    return found
