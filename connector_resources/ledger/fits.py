"""Which fits ran: one row per fit (``ml-connector fit`` or an ``<integration>_fit`` run).

Why in the ledger: the report is files in the fit's own folder, wherever it was run; going live
(``ml-connector live on``, the desk's Live page) must know, on any host, whether the integration was fitted
lately and whether that fit finished. A row says when, which days, which flows (none: the whole
integration), how many flows did not finish and how many records were judged; nothing of the records.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from connector_resources.ledger import schema
from connector_resources.ledger.base import LedgerBase
from connector_resources.ledger.records import _now, _text

__all__ = ["FitNote", "FitStore"]


@dataclass(frozen=True, slots=True)
class FitNote:
    """One fit as the ledger keeps it (``mlc_fit``); ``flows`` empty: the whole integration."""

    at: datetime
    integration: str
    first_day: str
    last_day: str
    flows: tuple[str, ...]
    failed: int
    records: int

    @property
    def whole(self) -> bool:
        """Whether it previewed every flow of the integration (the go-live answer), not some."""
        return not self.flows

    def said(self) -> str:
        """The fit in one phrase: ``fit of jde_coupa 2026-11-01..2026-11-25 at 2026-11-26 09:14 UTC``."""
        which = f" (flows {', '.join(self.flows)})" if self.flows else ""
        return (
            f"fit of {self.integration}{which} {self.first_day}..{self.last_day} at "
            f"{self.at:%Y-%m-%d %H:%M} UTC"
        )


class FitStore(LedgerBase):
    """Note a fit that ran, and find the latest of an integration (a mixin of ``Ledger``)."""

    def note_fit(
        self,
        integration: str,
        first: date,
        last: date,
        *,
        flows: Sequence[str] = (),
        failed: int = 0,
        records: int = 0,
    ) -> FitNote:
        """A fit of ``integration`` over ``first``..``last`` just ended (``flows``: the ones it was asked
        for, none for all; ``failed``: flows whose preview did not finish)."""
        values = {
            "at": _now(),
            "integration": _text("fit", "integration", integration, schema.NAME_LEN),
            "first_day": first.isoformat(),
            "last_day": last.isoformat(),
            "flows": ",".join(flows),
            "failed": int(failed),
            "records": int(records),
        }
        with self._write(None) as conn:
            conn.execute(sa.insert(schema.fit).values(**values))
        return _note(values)

    def latest_fit(self, integration: str, *, whole: bool = True) -> FitNote | None:
        """The latest fit of ``integration`` (``whole``: of all its flows), or None when none ran."""
        t = schema.fit
        query = sa.select(t).where(t.c.integration == integration).order_by(t.c.at.desc(), t.c.id.desc())
        if whole:
            query = query.where(t.c.flows == "")
        with self._read(None) as conn:
            row = conn.execute(query.limit(1)).first()
        return _note(row._asdict()) if row is not None else None


def _note(values: Mapping[str, Any]) -> FitNote:
    flows = tuple(name for name in values["flows"].split(",") if name)
    return FitNote(
        at=values["at"],
        integration=values["integration"],
        first_day=values["first_day"],
        last_day=values["last_day"],
        flows=flows,
        failed=values["failed"],
        records=values["records"],
    )
