"""Why two instances of one integration may stand side by side: each writes into an account of its own.

Two instances of one package reading and writing the same systems through the same connections would each
write every record once (their cross-references are their own): a second copy of each vendor, order and
bill in the target. A company filter does not part them (both vendors flows send every supplier). So
instances of one package stand apart only where one reaches a system through a connection of its own
(another BILL organization, another Coupa tenant), as far as the package's ``OWN_CONNECTIONS`` allows: the
systems its flows only call through the run's resource, never through records a system side staged for
every instance. A package allowing none runs once per deployment. Where the keys a package writes are made
of the source's ids, which repeat across accounts (Coupa invoice ids per tenant), the setting naming them
apart is declared in ``APART_SETTINGS``, and two instances keeping the same value are refused.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Iterable
from itertools import combinations
from typing import TYPE_CHECKING

from connector_assets.components.setting_fields import connection_variables

if TYPE_CHECKING:
    from connector_assets.components.integration_type import IntegrationType


def own_connections(package: str) -> tuple[str, ...]:
    """The systems an instance of ``package`` may reach through a connection of its own (its
    ``integration.OWN_CONNECTIONS``; none when it declares none, or has no ``integration`` module)."""
    if importlib.util.find_spec(f"{package}.integration") is None:
        return ()
    return tuple(getattr(importlib.import_module(f"{package}.integration"), "OWN_CONNECTIONS", ()))


def apart_settings(package: str) -> tuple[str, ...]:
    """The settings (short names) two instances of ``package`` must hold apart (its
    ``integration.APART_SETTINGS``; none when it declares none)."""
    if importlib.util.find_spec(f"{package}.integration") is None:
        return ()
    return tuple(getattr(importlib.import_module(f"{package}.integration"), "APART_SETTINGS", ()))


def setting_value(instance: IntegrationType, name: str) -> str:
    """What ``instance``'s setting ``name`` will be: its variable, else its attribute, else the default (the
    order the settings are read in)."""
    declared = instance.instance_settings()[name]
    attribute = instance.variables().get(declared.env, "").strip()
    return declared.given() or attribute or declared.default_value()


def same_apart_setting(first: IntegrationType, second: IntegrationType) -> str | None:
    """``name 'value'`` of the first apart setting two instances of one package share, None if none."""
    for name in apart_settings(first.package):
        value = setting_value(first, name)
        if value == setting_value(second, name):
            return f"{name} {value!r}"
    return None


def refused_connections(instance: IntegrationType) -> str | None:
    """What is wrong with ``instance``'s ``connections`` for its package, None when nothing is."""
    allowed = own_connections(instance.package)
    wrong = sorted(set(instance.connections or {}) - set(allowed))
    if not wrong:
        return None
    return (
        f"{instance.defined_in}: connections.{wrong[0]}: {instance.integration} reaches {', '.join(wrong)} "
        "through the deployment's connection only (its flows read what the system's side stages for every "
        f"instance); a connection of its own is taken for: {', '.join(allowed) or 'no system'}"
    )


def check_apart(instances: Iterable[IntegrationType]) -> None:
    """Refuses, naming both files, two instances of one package on the same connections: each would write
    the other's records a second time."""
    for first, second in combinations(list(instances), 2):
        if first.package != second.package:
            continue
        if connection_variables(first.connections) != connection_variables(second.connections):
            kept = same_apart_setting(first, second)
            if kept:
                raise ValueError(
                    f"{first.instance} in {first.defined_in} and {second.instance} in {second.defined_in} "
                    f"both keep {kept}: the keys each writes would be taken for the other's; give one its own"
                )
            continue
        allowed = own_connections(first.package)
        way = (
            f"give one a connection of its own ({', '.join(allowed)})"
            if allowed
            else f"{first.integration} runs once per deployment"
        )
        raise ValueError(
            f"{first.instance} in {first.defined_in} and {second.instance} in {second.defined_in} reach the "
            f"same accounts through the same connections, so each would write the other's records a second "
            f"time: {way}"
        )
