"""Attribute checks for create / update bodies, with Rails-worded per-field errors.

Each writable resource declares its attributes as ``Attr`` specs; ``coerce`` turns a JSON object into
column values or a ``ValidationFailed`` naming every bad field at once (as a Rails model would). Fields a
resource shows but does not accept (``id``, totals, stamps) are read-only: refused with a 400 naming them
unless the ``read_only_fields`` variant says to ignore them. Fields it does not have at all are
"non-existent" and answer 406 unless the ``non_existent_fields`` variant says to ignore them. Both checks
run before any other.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Literal

from .errors import ApiError, FieldErrors, ValidationFailed
from .settings import VariantSettings
from .vocabulary import MAX_LENGTHS

AttrKind = Literal["string", "bool", "int", "money", "float", "date", "enum", "country", "email", "percent"]
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")


@dataclass(frozen=True)
class Attr:
    name: str
    kind: AttrKind = "string"
    column: str | None = None  # defaults to name; money columns are "<name>_cents"
    required: bool = False  # on create
    nullable: bool = True
    choices: tuple[str, ...] = ()
    max_length: int | None = None

    @property
    def target(self) -> str:
        if self.column:
            return self.column
        return f"{self.name}_cents" if self.kind == "money" else self.name


def to_cents(value: Any) -> int:
    """A money value (string or number) as integer cents, half-up; ValueError if it is not money."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError(value)
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(value) from None
    if not amount.is_finite():
        raise ValueError(value)
    return int((amount * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _one(attr: Attr, value: Any, choices_override: Iterable[str] | None) -> tuple[Any, str | None]:
    """(column value, error text or None)."""
    if value is None or (isinstance(value, str) and not value.strip() and attr.kind != "string"):
        if attr.required or not attr.nullable:
            return None, "can't be blank"
        return None, None
    kind = attr.kind
    if kind in {"string", "email", "country"}:
        if not isinstance(value, str | int) or isinstance(value, bool):
            return None, "is invalid"
        text = str(value)
        if (attr.required or not attr.nullable) and not text.strip():
            return None, "can't be blank"
        limit = attr.max_length or MAX_LENGTHS.get(attr.name)
        if limit is not None and len(text) > limit:
            return None, f"is too long (maximum is {limit} characters)"
        if kind == "email" and text and not _EMAIL.match(text):
            return None, "is invalid"
        if kind == "country" and text and not _COUNTRY.match(text):
            return None, "is not a valid ISO 3166-1 alpha-2 country code"
        return text, None
    if kind == "bool":
        if isinstance(value, bool):
            return int(value), None
        if isinstance(value, str) and value.lower() in {"true", "false"}:
            return int(value.lower() == "true"), None
        return None, "is not a boolean"
    if kind == "int":
        if isinstance(value, bool):
            return None, "is not a number"
        try:
            return int(str(value)), None
        except ValueError:
            return None, "is not a number"
    if kind == "money":
        try:
            return to_cents(value), None
        except ValueError:
            return None, "is not a number"
    if kind in {"float", "percent"}:
        if isinstance(value, bool):
            return None, "is not a number"
        try:
            number = float(str(value))
        except ValueError:
            return None, "is not a number"
        if kind == "percent":
            if not 0 <= number <= 100:
                return None, "must be between 0 and 100"
            return f"{number:.1f}", None
        return number, None
    if kind == "date":
        try:
            return dt.date.fromisoformat(str(value)[:10]).isoformat(), None
        except ValueError:
            return None, "is not a date (YYYY-MM-DD)"
    if kind == "enum":
        allowed = tuple(choices_override) if choices_override is not None else attr.choices
        if value not in allowed:
            return None, f"is not included in the list ({', '.join(allowed)})"
        return value, None
    raise AssertionError(f"unhandled kind {kind}")


def refuse_unknown(payload: Mapping[str, Any], known: Iterable[str], variants: VariantSettings) -> None:
    """406 for attributes the resource does not have at all, unless the variant ignores them."""
    unknown = sorted(set(payload) - set(known))
    if unknown and variants.non_existent_fields == "reject":
        raise ApiError(406, f"Non-existent field(s): {', '.join(unknown)}")


def refuse_read_only(
    payload: Mapping[str, Any], read_only: Iterable[str], variants: VariantSettings, *, within: str = ""
) -> None:
    """400 naming the read-only attributes sent (``within`` a nested object), unless the variant ignores
    them."""
    sent = sorted(set(payload) & set(read_only))
    if sent and variants.read_only_fields == "reject":
        names = [f"{within}.{name}" if within else name for name in sent]
        raise ApiError(
            400,
            f"Read-only field(s) cannot be written: {', '.join(names)}",
            fields={name: ["is read-only"] for name in names},
        )


def coerce(
    payload: Mapping[str, Any],
    attrs: Iterable[Attr],
    *,
    creating: bool,
    read_only: Iterable[str] = (),
    checked_apart: Iterable[str] = (),
    variants: VariantSettings,
    choices: Mapping[str, Iterable[str]] | None = None,
) -> dict[str, Any]:
    """Column values for the attributes present in ``payload``; raises on any bad or missing field.
    ``checked_apart``: writable attributes the endpoint checks itself (not returned here)."""
    specs = {attr.name: attr for attr in attrs}
    refuse_unknown(payload, {*specs, *read_only, *checked_apart}, variants)
    refuse_read_only(payload, read_only, variants)
    values: dict[str, Any] = {}
    errors: FieldErrors = {}
    for name, attr in specs.items():
        if name not in payload:
            if creating and attr.required:
                errors.setdefault(name, []).append("can't be blank")
            continue
        value, error = _one(attr, payload[name], (choices or {}).get(name))
        if error:
            errors.setdefault(name, []).append(error)
        else:
            values[attr.target] = value
    if errors:
        raise ValidationFailed(errors)
    return values


@dataclass(frozen=True)
class Fields:
    """What a resource accepts in a body (``attrs``, and ``checked_apart`` by its endpoint) and what it
    shows but refuses there (``read_only``)."""

    attrs: tuple[Attr, ...]
    read_only: tuple[str, ...] = ()
    checked_apart: tuple[str, ...] = ()

    def coerce(
        self,
        payload: Mapping[str, Any],
        *,
        creating: bool,
        variants: VariantSettings,
        choices: Mapping[str, Iterable[str]] | None = None,
    ) -> dict[str, Any]:
        """``coerce`` with these attributes."""
        return coerce(
            payload,
            self.attrs,
            creating=creating,
            read_only=self.read_only,
            checked_apart=self.checked_apart,
            variants=variants,
            choices=choices,
        )


def expect_object(value: Any, label: str) -> dict[str, Any]:
    """The JSON object under ``label`` or the Rails ParameterMissing 400."""
    if not isinstance(value, dict) or not value:
        if isinstance(value, dict) or value is None:
            raise ApiError(400, f"param is missing or the value is empty: {label}")
        raise ApiError(400, f"{label}: must be a JSON object")
    return value
