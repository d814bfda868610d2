"""What a Procore requisition (subcontractor invoice) line pays this period, as any ERP's voucher of it
takes it (Procore reference §2.5; the G702 arithmetic the simulator renders), and the cost code it is on.

A requisition line pays **this period's work + materials presently stored, less this period's
retainage**: ``work_completed_this_period + materials_presently_stored - retainage_this_period``.
Procore's line carries the retainage held *to date* (``total_retainage``) and its ``retainage_percent``;
this period's retainage is that total less the retainage on the work billed before
(``work_completed_from_previous_application`` x percent, rounded half-up per line to the smallest unit
of the commitment's currency, the cent or the yen, as Procore's G702 rounds). A line whose retainage to
date falls (a release) pays the release.
``materials_presently_stored`` is read as stored materials billed this period, as the simulator models it.
On a G703 that carries stored materials over from an earlier invoice, that would pay them twice: the
voucher's check against Procore's ``current_payment_due`` then refuses the invoice instead, with both
figures.

Pure: a ``str`` answer is what is wrong with the line, in a finance user's words.
"""

from decimal import Decimal
from typing import Any

from connector_assets.flows import amounts


def line_cost_code(line: dict[str, Any]) -> str | None:
    """The line's cost code (``full_code``) as the Procore client resolved it (``_cost_code``: the line's
    own cost code, else the commitment line it bills), else the rendered ``cost_code`` object's."""
    resolved = str(line.get("_cost_code") or "").strip()
    if resolved:
        return resolved
    code = line.get("cost_code")
    if isinstance(code, dict) and str(code.get("full_code") or "").strip():
        return str(code["full_code"]).strip()
    return None


RETAINED_THIS_PERIOD = "_retainage_retained_this_period"  # e.g. work_completed_retainage_retained_this_period
RELEASED_THIS_PERIOD = "_retainage_released_this_period"  # e.g. work_completed_retainage_released_this_period


def stated_retainage_this_period(line: dict[str, Any]) -> Decimal | str | None:
    """Retainage the line itself says it holds this period: its ``*_retainage_retained_this_period``
    amounts less its ``*_retainage_released_this_period`` ones (the names Procore's public API material gives
    its invoice lines: work completed and materials stored each have their own); None when it states none."""
    stated = {k: v for k, v in line.items() if k.endswith((RETAINED_THIS_PERIOD, RELEASED_THIS_PERIOD))}
    if not stated:
        return None
    total = Decimal(0)
    for name, raw in stated.items():
        value = amounts.amount(raw if raw not in (None, "") else 0)
        if value is None:
            return f"{name.replace('_', ' ')} {raw!r} is not an amount"
        total += value if name.endswith(RETAINED_THIS_PERIOD) else -value
    return total


def retainage_this_period(line: dict[str, Any], currency: str | None = None) -> Decimal | str:
    """Retainage the line holds back this period, or why it cannot be told.

    The reference (§2.5) says invoice lines carry "retainage fields" without naming them, so this reads, in
    order: what the line states for this period (``stated_retainage_this_period``); else its retainage to
    date (``total_retainage``) less the retainage on the work billed before (at the line's percent, per line
    to the ``currency``'s smallest unit), as the sandbox renders lines; else none. Whichever is read, the
    voucher is checked against the documented ``summary.current_payment_due`` (``map_requisition``;
    ``vouchers`` refuses a requisition that states none), so a misread is refused, not paid."""
    stated = stated_retainage_this_period(line)
    if stated is not None:
        return stated
    raw_total = line.get("total_retainage")
    if raw_total in (None, ""):
        return Decimal(0)  # the line keeps no retainage
    total = amounts.amount(raw_total)
    if total is None:
        return f"retainage {raw_total!r} is not an amount"
    previous = amounts.amount(line.get("work_completed_from_previous_application") or 0)
    if previous is None:
        return f"work billed before {line.get('work_completed_from_previous_application')!r} is not an amount"
    if not previous:
        return total
    raw_percent = str(line.get("retainage_percent") or "").strip().rstrip("%")
    percent = amounts.amount(raw_percent)
    if percent is None:
        return "it has work billed before but no retainage percent, so this period's retainage is unknown"
    # Rounded as Procore's G702 rounds its amounts: in the commitment's currency (whole yen, a dinar's fils).
    return total - amounts.rounded(previous * percent / Decimal(100), currency)


def line_payable(line: dict[str, Any], currency: str | None = None) -> Decimal | str:
    """This period's work + stored materials less this period's retainage, or what is wrong; in the
    commitment's ``currency`` (its retainage rounded to that currency's smallest unit; None: the cent)."""
    values = []
    for name in ("work_completed_this_period", "materials_presently_stored"):
        raw = line.get(name)
        value = amounts.amount(raw if raw not in (None, "") else 0)
        if value is None:
            return f"{name.replace('_', ' ')} {raw!r} is not an amount"
        values.append(value)
    retainage = retainage_this_period(line, currency)
    if isinstance(retainage, str):
        return retainage
    return values[0] + values[1] - retainage
