"""Why two instances of one integration may stand side by side: each writes into an account of its own.

Two instances of one package reading and writing the same systems through the same connections would each
write every record once (their cross-references are their own): a second copy of each vendor, order and
bill in the target. A company filter does not part them (both vendors flows send every supplier). So
instances of one package stand apart only where one reaches another account of a system through a
connection of its own (another BILL organization, another Coupa tenant: the settings marked
``Setting.account``; other credentials for one organization reach that one), as far as the package's
``OWN_CONNECTIONS`` allows: the
systems its flows only call through the run's resource, never through records a system side staged for
every instance. A package allowing none runs once per deployment. Where the keys a package writes are made
of the source's ids, which repeat across accounts (Coupa invoice ids per tenant, Procurify vendor and PO
numbers per account), the setting naming them apart is declared in ``APART_SETTINGS``
(``flows.apart_settings.ApartSetting``), and two instances whose values meet are refused. Each pair of
instances in the defs folder is compared, the deployment's own among them, so the check needs no notion of
a deployment's account: what would collide is another instance's keys, and every instance that writes is
one of them. An instance taken out of the folder is compared no more, though the keys it wrote stay in the
target: its value is not for another account's instance to take up later.

Every load goes through ``named_apart``: each instance's own build (``IntegrationType.build_defs``, so ``dg
check defs`` refuses what ``dg list defs`` and ``dg dev`` would, with or without a ``Connector``), the
``Connector``'s and ``ml-connector``'s (``deployment.running``).
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Iterable
from itertools import combinations
from typing import TYPE_CHECKING

from connector_assets.flows.apart_settings import ApartSetting, same_value
from connector_resources.settings import Setting
from connector_resources.systems import systems_by_key

if TYPE_CHECKING:
    from connector_assets.components.integration_type import IntegrationType


def own_connections(package: str) -> tuple[str, ...]:
    """The systems an instance of ``package`` may reach through a connection of its own (its
    ``integration.OWN_CONNECTIONS``; none when it declares none, or has no ``integration`` module)."""
    if importlib.util.find_spec(f"{package}.integration") is None:
        return ()
    return tuple(getattr(importlib.import_module(f"{package}.integration"), "OWN_CONNECTIONS", ()))


def apart_settings(package: str) -> tuple[ApartSetting, ...]:
    """The settings two instances of ``package`` must hold apart (its ``integration.APART_SETTINGS``; none
    when it declares none)."""
    if importlib.util.find_spec(f"{package}.integration") is None:
        return ()
    return tuple(getattr(importlib.import_module(f"{package}.integration"), "APART_SETTINGS", ()))


def setting_value(instance: IntegrationType, name: str) -> str:
    """What ``instance``'s setting ``name`` will be: its variable, else its attribute, else the default (the
    order the settings are read in)."""
    declared = instance.instance_settings()[name]
    attribute = instance.variables().get(declared.env, "").strip()
    return declared.given() or attribute or declared.default_value()


def met_apart_setting(first: IntegrationType, second: IntegrationType) -> str | None:
    """What two instances of one package keep of the first apart setting whose values meet (both values,
    and how to part them), None if none does."""
    for apart in apart_settings(first.package):
        one, other = setting_value(first, apart.name), setting_value(second, apart.name)
        if not apart.meets(one, other):
            continue
        variables = " / ".join(i.instance_settings()[apart.name].env for i in (first, second))
        kept = (
            f"both keep {apart.name} {one!r}"
            if one == other
            else f"keep {apart.name} {one!r} and {other!r}, which can make one key"
        )
        unlike = "" if apart.meets is same_value else ", one that cannot make the other's keys"
        return (
            f"{kept}: the source's ids repeat across their accounts, so the keys each writes would be taken "
            f"for the other's; set {apart.name} to another value on one of them{unlike} "
            f"(attributes.{apart.name} in its defs.yaml, or {variables})"
        )
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


def account_settings(key: str) -> tuple[Setting, ...]:
    """The settings of system ``key`` naming which account a connection reaches (``Setting.account``: a
    BILL organization id, a Coupa tenant's address); every setting but the secrets where none is marked."""
    settings = systems_by_key()[key].settings
    return tuple(s for s in settings if s.account) or tuple(s for s in settings if not s.secret)


def accounts(instance: IntegrationType) -> dict[str, dict[str, str]]:
    """Which account ``instance`` reaches of each system its package takes a connection of its own for:
    each account setting as its ``connections`` give it, else the deployment's. Secrets are no part of it:
    other credentials for the same organization reach the same organization."""
    own = instance.connections or {}
    reached: dict[str, dict[str, str]] = {}
    for key in own_connections(instance.package):
        given = own.get(key, {})
        reached[key] = {
            s.field: str(given[s.field]).strip().rstrip("/") if given.get(s.field) else s.text()
            for s in account_settings(key)
        }
    return reached


def check_apart(instances: Iterable[IntegrationType]) -> None:
    """Refuses, naming both files, two instances of one package reaching the same accounts (each would write
    the other's records a second time), or other accounts keeping apart settings that meet."""
    for first, second in combinations(list(instances), 2):
        if first.package != second.package:
            continue
        both = f"{first.instance} in {first.defined_in} and {second.instance} in {second.defined_in}"
        reached = accounts(first)
        if reached != accounts(second):
            kept = met_apart_setting(first, second)
            if kept:
                raise ValueError(f"{both} {kept}")
            continue
        if not reached:
            raise ValueError(
                f"{both} reach the same accounts, so each would write the other's records a second time: "
                f"{first.integration} runs once per deployment"
            )
        key = next(iter(reached))
        said = "; ".join(
            f"{system} {', '.join(f'{field} {value!r}' for field, value in fields.items())}"
            for system, fields in reached.items()
        )
        raise ValueError(
            f"{both} reach the same accounts ({said}), so each would write the other's records a second "
            f"time: give one a connection of its own ({', '.join(reached)}), "
            f"attributes.connections.{key}.{next(iter(reached[key]))} in its defs.yaml"
        )


def named_apart(found: Iterable[IntegrationType]) -> tuple[IntegrationType, ...]:
    """``found`` sorted by instance name, each name once: a further instance of an integration is named
    (``name``), since the name keys its assets, jobs, ledger rows and settings; and instances of one
    integration apart in their accounts (``check_apart``). Refusals name the files and the attribute."""
    found = list(found)
    by_name: dict[str, list[IntegrationType]] = {}
    for instance in found:
        by_name.setdefault(instance.instance, []).append(instance)
    twice = {name: instances for name, instances in by_name.items() if len(instances) > 1}
    if twice:
        said = "; ".join(
            f"{name} in {', '.join(i.defined_in for i in instances)}"
            for name, instances in sorted(twice.items())
        )
        raise ValueError(f"two instances of one name (give each a name of its own, attributes.name): {said}")
    check_apart(found)
    return tuple(sorted(found, key=lambda instance: instance.instance))
