"""What a Procore requisition line pays this period (reference §2.5, G702): work completed plus materials
stored less retainage, rounded per line as Procore rounds, and its cost code; a ``str`` is what is wrong.
The rules: docs/integrations/procore_jde.md, "The flows" (AP batch vouchers)."""

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
# Retainage held on the materials the line stores now. On ``/requisitions/{id}/contract_items`` and
# ``/change_order_items`` this is the only materials-retainage amount (Procore's REST API as the SDK
# weigandconstruction/procore_python_sdk states it: no ``materials_stored_retainage_retained_this_period``
# there, that one is on ``/requisitions/{id}/detail``). The stored materials a line shows are billed in full
# this period (``materials_presently_stored``), so the retainage held on them is this period's too.
MATERIALS_CURRENTLY_RETAINED = "materials_stored_retainage_currently_retained"
MATERIALS_RETAINED_THIS_PERIOD = "materials_stored_retainage_retained_this_period"


# Where the contract keeps stored materials as a running balance (its invoice configuration), the Procore
# client gives each line what it had stored, and the retainage held on it, on the previous invoice.
STORED_BEFORE = "_materials_stored_before"
RETAINAGE_BEFORE = "_materials_retainage_before"


def _stated_names(line: dict[str, Any]) -> dict[str, Any]:
    stated = {k: v for k, v in line.items() if k.endswith((RETAINED_THIS_PERIOD, RELEASED_THIS_PERIOD))}
    if MATERIALS_RETAINED_THIS_PERIOD not in stated and MATERIALS_CURRENTLY_RETAINED in line:
        stated[MATERIALS_CURRENTLY_RETAINED] = line[MATERIALS_CURRENTLY_RETAINED]
        if RETAINAGE_BEFORE in line:  # the balance's retainage less that held before: this period's
            stated[RETAINAGE_BEFORE] = line[RETAINAGE_BEFORE]
    return stated


def stated_retainage_this_period(line: dict[str, Any]) -> Decimal | str | None:
    """Retainage the line itself says it holds this period: its ``*_retainage_retained_this_period``
    amounts (work completed; stored materials: ``materials_stored_retainage_currently_retained`` where
    the endpoint has no per-period one) less its ``*_retainage_released_this_period`` ones; None when it
    states none."""
    stated = _stated_names(line)
    if not stated:
        return None
    total = Decimal(0)
    for name, raw in stated.items():
        value = amounts.amount(raw if raw not in (None, "") else 0)
        if value is None:
            return f"{name.replace('_', ' ')} {raw!r} is not an amount"
        total += -value if name.endswith(RELEASED_THIS_PERIOD) or name == RETAINAGE_BEFORE else value
    return total


def retainage_this_period(line: dict[str, Any], currency: str | None = None) -> Decimal | str:
    """Retainage the line holds back this period, or why it cannot be told: what the line states for this
    period (Procore's own fields), else, for a line in the older shape of our notes (``total_retainage``
    and ``retainage_percent``, which Procore's contract items do not have), its retainage to date less
    that on the work billed before, else none. A misread is caught by the voucher's check against
    ``summary.current_payment_due``: refused, not paid."""
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
    for name in ("work_completed_this_period", "materials_presently_stored", STORED_BEFORE):
        raw = line.get(name)
        value = amounts.amount(raw if raw not in (None, "") else 0)
        if value is None:
            return f"{name.strip('_').replace('_', ' ')} {raw!r} is not an amount"
        values.append(value)
    retainage = retainage_this_period(line, currency)
    if isinstance(retainage, str):
        return retainage
    # Stored materials billed now: the line's stored balance less what it had stored before (0 where
    # the contract moves earlier stored materials into work completed before).
    return values[0] + values[1] - values[2] - retainage
