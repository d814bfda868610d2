"""The YAML attributes of an integration's component type, made from its ``settings.toml``.

Why generated: the package already declares each setting once (name, default, help, kind); a second
hand-written list of the same names in a pydantic model would drift from it. Each setting becomes an
optional, typed attribute under its ``settings.toml`` name (``vendors_cron``, ``account_map``,
``payment_posting``: the variable ``ML_<INTEGRATION>_<NAME>`` without its prefix, one spelling), described
by the setting's help and checked by its kind, so ``dg check defs`` names the file, line and attribute of
a wrong value. Flat rather than grouped: Dagster's YAML checker names a nested attribute's group, not the
attribute, when one inside it is wrong.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Annotated, Any, Literal

import dagster as dg
import jinja2
import pydantic

from connector_resources.setting_kinds import Choice, Items, Kind, Number, OnOff, Refused, Text
from connector_resources.settings import Setting


def _python_type(kind: Kind) -> Any:
    """The attribute's type, with the kind's bounds, choices and pattern in it: they reach the JSON schema
    Dagster checks a ``defs.yaml`` against, so ``dg check defs`` names the line of a wrong value."""
    if isinstance(kind, Number):
        bounds = pydantic.Field(ge=kind.minimum, gt=kind.above, le=kind.maximum)
        return Annotated[int if kind.whole else float, bounds]
    if isinstance(kind, OnOff):
        return bool
    if isinstance(kind, Choice):
        return Literal[kind.choices]  # type: ignore[valid-type]
    if isinstance(kind, Items):
        return list[str] | str
    if isinstance(kind, Text) and kind.pattern is not None:
        return Annotated[str, pydantic.Field(pattern=f"^(?:{kind.pattern})?$", max_length=kind.longest)]
    return str


def as_text(value: Any) -> str:
    """A YAML value as the setting's text (what an environment variable would hold)."""
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, list | tuple):
        return ",".join(str(item) for item in value)
    return str(value)


_TEMPLATES = jinja2.Environment(
    undefined=jinja2.StrictUndefined,  # a misspelt scope ({{ evn.X }}) is refused, not rendered blank
    finalize=lambda value: "" if value is None else value,  # an unset {{ env.X }}: blank, the default
    autoescape=False,  # noqa: S701 - text for a setting, not HTML
)


def _as_written(context: dg.ResolutionContext, value: Any) -> Any:
    """An attribute's value as its ``defs.yaml`` writes it, a template (``{{ env.X }}``) rendered as text.

    Why not Dagster's own resolution: it renders every text with Jinja's native types, which reads a value
    as a Python literal, so an account ``"1.4310"`` arrived as the number 1.431, statuses ``"2,4,6"`` as a
    tuple of numbers and ``"000"`` as 0: a setting's value is text, as its variable holds it. An unset
    variable renders blank, which leaves the setting to its default (and to the default's guard where the
    default only fits the sandbox)."""
    if isinstance(value, list):
        return [_as_written(context, item) for item in value]
    if not isinstance(value, str) or ("{{" not in value and "{%" not in value):
        return value
    return _TEMPLATES.from_string(value).render(**context.scope)


AS_WRITTEN = dg.Resolver(_as_written, inject_before_resolve=False)


def _checked_by(kind: Kind) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        if value is None:
            return value
        try:
            kind.parse(as_text(value))
        except Refused as refused:
            raise ValueError(f"expected {refused}") from None
        return value

    return check


def attributes_model(name: str, made: dict[str, Any], validators: dict[str, Any]) -> type[pydantic.BaseModel]:
    """The model Dagster checks an instance's ``attributes`` against (``Resolvable.model``): the fields as
    typed here, unknown ones refused. Dagster's derived model would let any text through for a template."""
    return pydantic.create_model(
        name,
        __config__=pydantic.ConfigDict(extra="forbid", regex_engine="python-re"),
        __validators__=validators,
        **made,
    )


def fields(settings: Iterable[tuple[str, Setting]]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The pydantic fields and validators of ``settings`` (short name, setting): each optional (unset: the
    environment or the default decides), typed by its kind, described by its help."""
    made: dict[str, Any] = {}
    validators: dict[str, Any] = {}
    for short, setting in settings:
        made[short] = (
            # unset is None, never validated: the default decides; a set value resolved as written
            Annotated[_python_type(setting.kind), AS_WRITTEN],
            pydantic.Field(default=None, description=f"{setting.help} (default {setting.default!r})"),
        )
        validators[f"check_{short}"] = pydantic.field_validator(short)(_checked_by(setting.kind))
    return made, validators


def variables(instance: pydantic.BaseModel, by_short: Mapping[str, Setting]) -> dict[str, str]:
    """The variables (``ML_JDE_BILL_VENDORS_CRON`` -> text) an instance's set attributes configure."""
    given = instance.model_dump(exclude_none=True)
    return {by_short[short].env: as_text(value) for short, value in given.items() if short in by_short}


# -- what every integration instance has beside its settings -------------------------------------------------

SECRET_REFERENCES = ("env:", "vault:")


def _checked_connections(value: Any) -> Any:
    """Each system is declared, each field one of its settings, and each secret a reference (a secret's
    value is never written in YAML)."""
    from connector_resources.systems import systems_by_key

    for key, fields in (value or {}).items():
        system = systems_by_key().get(key)
        if system is None:
            raise ValueError(
                f"connections: {key!r} is no system; known: {', '.join(sorted(systems_by_key()))}"
            )
        for field, text in fields.items():
            try:
                setting = system.setting(field)
            except KeyError:
                known = ", ".join(s.field for s in system.settings)
                raise ValueError(
                    f"connections.{key}: {field!r} is no {key} setting; known: {known}"
                ) from None
            if setting.secret and not str(text).startswith(SECRET_REFERENCES):
                raise ValueError(
                    f"connections.{key}.{field} is a secret: write env:VARIABLE or vault:NAME, not the value"
                )
    return value


def instance_fields() -> tuple[dict[str, Any], dict[str, Any]]:
    """The attributes every instance has: its ``name`` (a further instance of the integration) and its own
    ``connections`` (a system it reaches otherwise than the deployment does: another BILL organization)."""
    made = {
        "name": (
            str | None,
            pydantic.Field(
                default=None,
                pattern=r"^[a-z][a-z0-9_]{0,39}$",  # pydantic holds a text to it, and lets None through
                description="the instance's name, which keys its assets, jobs, ledger rows and settings "
                "(ML_<NAME>_*); default: the integration's. Name a further instance of the integration.",
            ),
        ),
        "connections": (
            # Text as a variable holds it: Dagster's YAML templating hands a quoted all-digit value (a
            # Procore company id) over as a number.
            dict[str, dict[str, Annotated[str, pydantic.BeforeValidator(as_text)]]] | None,
            pydantic.Field(
                default=None,
                description="systems this instance reaches through connections of its own, by system "
                "(bill: {organization_id: ..., password: env:VARIABLE}); each field a setting of that "
                "system, secrets as env:VARIABLE or vault:NAME. Default: the deployment's (ML_<SYSTEM>_*).",
            ),
        ),
    }
    return made, {"check_connections": pydantic.field_validator("connections")(_checked_connections)}


def connection_variables(connections: Mapping[str, Mapping[str, str]] | None) -> dict[str, str]:
    """The system settings' variables an instance's ``connections`` set (``ML_BILL_ORG_ID`` -> text)."""
    from connector_resources.systems import systems_by_key

    return {
        systems_by_key()[key].setting(field).env: str(text)
        for key, fields in (connections or {}).items()
        for field, text in fields.items()
    }
