"""What a package declares of a setting two of its instances must hold apart (``integration.APART_SETTINGS``),
checked when the deployment loads (``connector_assets.components.apartness``): where the keys an instance
writes are made of the source's ids and those ids repeat across accounts (Coupa invoice ids per tenant,
Procurify vendor and PO numbers per account), the setting the keys are made under is what keeps one account's
record from being taken for the other's.

Here in the kit, not beside the check: an integration package stands on the kit and the system sides, and the
component types that load the packages stand above them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


def same_value(one: str, other: str) -> bool:
    """Whether two values of a setting are one (how most keys meet: made under one value)."""
    return one == other


@dataclass(frozen=True)
class ApartSetting:
    """Setting ``name`` (its short name in the package's ``settings.toml``), which two instances of the
    package on connections of their own must not keep so that ``meets(one, other)``: the two values make
    one key. Equal values by default; where the keys are made so that two different values can make one
    (Fusion order number prefixes: ``PFY`` + ``R60`` and ``PFYR`` + ``60``), the package says how."""

    name: str
    meets: Callable[[str, str], bool] = same_value
