"""Which JD Edwards purchase orders (F4301 + F4311) are approved and still to buy, by the rules a customer's
JDE sets (``OrderPolicy``, from settings: status codes are each customer's own). Pure. An order counts
when its type is one of ``order_types``, its header is not on hold, and every line not cancelled (LTTR
below ``closed_status``) reached ``approved_status`` (an order partly in approval waits); one whose every
line is done (NXTR at or above closed) has nothing left to buy.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

STOCK_LINE = "S"


@dataclass(frozen=True)
class OrderPolicy:
    """Which JDE orders and lines are sent (see the module docstring)."""

    order_types: frozenset[str] = frozenset({"OP"})
    approved_status: int = 220
    closed_status: int = 980
    stock_account: str = "{bu}.1410"  # blank: stock lines are refused


def text(value: object) -> str:
    return " ".join(str(value or "").split())


def status(value: object) -> int | None:
    raw = str(value or "").strip()
    return int(raw) if raw.isdigit() else None


def decimal(value: object) -> Decimal | None:
    raw = str(value if value is not None else "").strip()
    return Decimal(raw) if raw else None


def order_source_key(header: Mapping[str, Any]) -> str:
    """The ledger key of a JDE order: ``KCOO:DOCO:DCTO`` (``00001:4011:OP``); a suffix other than 000 is
    appended (``...:OP:001``), so two suffixes of one order are never one record."""
    key = f"{text(header['KCOO'])}:{int(header['DOCO'])}:{text(header['DCTO'])}"
    suffix = text(header.get("SFXO"))
    return key if suffix in ("", "000") else f"{key}:{suffix}"


def line_number(line: Mapping[str, object]) -> str:
    """F4311.LNID as a person reads it: ``1``, ``1.1`` (the sandbox renders 1.000 as ``1.0``)."""
    value = decimal(line.get("LNID")) or Decimal(0)
    return f"{value.normalize():f}"


def live_lines(lines: Iterable[Mapping[str, object]], policy: OrderPolicy) -> list[Mapping[str, Any]]:
    """The lines not cancelled (last status below the closed status), in the order given."""
    return [line for line in lines if (status(line.get("LTTR")) or 0) < policy.closed_status]


def not_approved(
    header: Mapping[str, object], lines: Sequence[Mapping[str, object]], policy: OrderPolicy
) -> str | None:
    """Why the order is not (yet) an approved order to send, or None when it is."""
    hold = text(header.get("HOLD"))
    if hold:
        return f"on hold in JDE (F4301 hold code {hold})"
    live = live_lines(lines, policy)
    if not live:
        return "every line is cancelled"
    waiting = [line_number(li) for li in live if (status(li.get("LTTR")) or 0) < policy.approved_status]
    if waiting:
        return f"line(s) {', '.join(waiting)} not approved yet (last status below {policy.approved_status})"
    return None


def all_done(lines: Sequence[Mapping[str, object]], policy: OrderPolicy) -> bool:
    """Every line not cancelled has nothing left to happen (next status at or above the closed status)."""
    live = live_lines(lines, policy)
    return bool(live) and all((status(li.get("NXTR")) or 0) >= policy.closed_status for li in live)


def line_account(line: Mapping[str, object], policy: OrderPolicy) -> str | None:
    """The JDE account a line is charged to: F4311.ANI as entered, or for a stock line (no account on the
    line) the policy's ``stock_account`` with its branch/plant; None when there is none."""
    typed = text(line.get("ANI"))
    if typed:
        return typed
    if text(line.get("LNTY")).upper() == STOCK_LINE and policy.stock_account.strip():
        return policy.stock_account.strip().replace("{bu}", text(line.get("MCU")).upper())
    return None
