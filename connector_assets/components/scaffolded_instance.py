"""The ``defs.yaml`` text ``dg scaffold defs <integration type> <folder>`` writes: an instance that loads as
it is, and that shows what a customer decides.

Why this much: a bare ``type:`` line made a second instance of a type that Dagster's loader refuses (a second
``jde_bill``, on the same accounts as the first). So a further instance (the type already has one in the defs
folder) is named after its folder, reaches the systems its package takes a connection of its own for
(``OWN_CONNECTIONS``) through placeholders (the account's own setting at a value reaching no account, to be
set; secrets as ``env:`` references, resolved when a run logs in, so the instance loads before they are set;
the connection's other settings listed at the deployment's values), and
takes a value of each setting two instances must hold apart (``APART_SETTINGS``) that meets none of the
other instances'. Every other setting is listed, commented, at its default.
"""

from __future__ import annotations

import importlib.util
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from connector_assets.components.apartness import account_settings, apart_settings, own_connections
from connector_resources.setting_kinds import Refused
from connector_resources.settings import Setting
from connector_resources.systems import systems_by_key

# What a further instance's apart setting is tried with after its default: digits first (``MLCOUPA2``),
# then letters, I, O and R left out (a prefix ending in R would continue into a requisition's number).
SUFFIXES = "23456789ABCDEFGHJKLMNPQSTUVWXYZ"

NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")  # an instance name: keys, jobs, settings prefix


@dataclass(frozen=True)
class Sibling:
    """An instance of the same type already in the defs folder, as its ``defs.yaml`` says: its name and
    attributes."""

    name: str
    attributes: dict[str, Any]


def siblings(defs_root: Path, type_name: str, integration: str, target: Path) -> list[Sibling]:
    """The instances of ``type_name`` in the ``defs.yaml`` files under ``defs_root`` but ``target``'s."""
    found = []
    for path in sorted(defs_root.rglob("defs.yaml")):
        text = path.read_text(encoding="utf-8")
        if path.parent == target or type_name not in text:  # another type's file is not read as YAML
            continue
        for document in yaml.safe_load_all(text):
            if isinstance(document, dict) and document.get("type") == type_name:
                attributes = document.get("attributes") or {}
                found.append(Sibling(str(attributes.get("name") or integration), attributes))
    return found


def further_name(folder: str, package: str, taken: list[str]) -> str:
    """The name of a further instance scaffolded into ``folder``: the folder's, refused (naming why) when it
    cannot key an instance's assets, jobs and settings or another instance or package has it."""
    if not NAME.match(folder):
        raise ValueError(
            f"{folder!r} cannot name a further instance (its name is the folder's): lower-case letters, "
            "digits and _, a letter first, at most 40; scaffold it into a folder so named"
        )
    parent = package.rpartition(".")[0]
    if folder in taken or importlib.util.find_spec(f"{parent}.{folder}") is not None:
        raise ValueError(
            f"{folder!r} is taken (an instance or the package {parent}.{folder}); choose another"
        )
    return folder


def apart_value(setting: Setting, meets: Any, values: list[str]) -> str:
    """A value of ``setting`` that its kind takes and that meets none of ``values`` (the other instances')."""
    for suffix in ("", *SUFFIXES):
        candidate = setting.default + suffix
        try:
            setting.kind.parse(candidate)
        except Refused:
            continue
        if not any(meets(candidate, value) or meets(value, candidate) for value in values):
            return candidate
    raise ValueError(f"no value of {setting.env} apart from {', '.join(values)}: set one in the defs.yaml")


def _quoted(text: str) -> str:
    return json.dumps(text)  # a YAML scalar that stays text (a cron, a number-like status)


def account_placeholder(setting: Setting, instance: str) -> str:
    """What a further instance's account setting holds until it is set: a value that loads and reaches no
    account (an address under ``.invalid``, a name saying what to set), so a run fails at its login, naming
    it, rather than writing into the deployment's account."""
    if setting.is_url:
        return f"https://{instance.replace('_', '-')}.invalid"
    return f"SET_{instance}_{setting.field}".upper()


def _connection_lines(system_key: str, instance: str) -> Iterator[str]:
    """``system_key``'s block: its login secrets as ``env:`` placeholders, the rest at the deployment's
    values (commented: unset, an instance takes the deployment's). A webhook secret stays commented: naming
    one serves the instance an endpoint of its own, verified with it (docs/components.md); the webhooks'
    other settings are the receiver's, left out."""
    system = systems_by_key()[system_key]
    yield f"    {system_key}:"
    for setting in system.settings:
        placeholder = "env:" + f"{instance}_{system_key}_{setting.field}".upper()
        webhook = setting.field.startswith("webhook_")
        if setting in account_settings(system_key):
            value = _quoted(account_placeholder(setting, instance))
            yield f"      {setting.field}: {value}  # SET this instance's: {setting.help}"
        elif setting.secret and not webhook:
            yield f"      {setting.field}: {placeholder}  # {setting.help}; or vault:NAME"
        elif setting.secret:
            yield f"      # {setting.field}: {placeholder}  # its own webhook endpoint, verified with it"
        elif not webhook:
            now = f"{setting.help} (unset: the deployment's {setting.env})"
            yield f"      # {setting.field}: {_quoted(setting.text())}  # {now}"


def instance_yaml(kind: Any, defs_root: Path, target: Path) -> str:
    """The ``defs.yaml`` of an instance of the integration type ``kind`` scaffolded into ``target``."""
    type_name = f"{kind.__module__}.{kind.__name__}"
    others = siblings(defs_root, type_name, kind.integration, target)
    live: list[str] = []
    set_here: set[str] = set()
    systems = own_connections(kind.package)
    if others and not systems:
        raise ValueError(f"{kind.integration} runs once per deployment, and the defs folder has it already")
    if others:
        name = further_name(target.name, kind.package, [other.name for other in others])
        live.append(
            f"  name: {name}  # a further {kind.integration}: its assets, jobs and ML_{name.upper()}_*"
        )
        for apart in apart_settings(kind.package):
            setting = kind.declared[apart.name]
            values = [str(other.attributes.get(apart.name) or setting.default) for other in others]
            value = apart_value(setting, apart.meets, values)
            live.append(
                f"  {apart.name}: {_quoted(value)}  # apart from the other instances': {setting.help}"
            )
            set_here.add(apart.name)
        if systems:
            live.append("  connections:  # this instance's own account (fill the placeholders)")
            for key in systems:
                live.extend(_connection_lines(key, name))
    lines = [f"type: {type_name}", "attributes:" if live else "# attributes:", *live]
    if systems and not others:
        lines.append(
            f"  # connections: {{{systems[0]}: ...}}  # unset: the deployment's (docs/components.md)"
        )
    lines.append("  # Every other setting at its default (uncomment to decide it; docs/configuration.md):")
    for short, setting in kind.declared.items():
        if short not in set_here:
            lines.append(f"  # {short}: {_quoted(setting.default)}  # {setting.help}")
    return "\n".join(lines) + "\n"
