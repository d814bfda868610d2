"""What every writer shares: the request context, the start and stamps of a write, uniqueness checks,
association lookup, addresses, custom fields, money formatting and the export mark."""

from __future__ import annotations

import dataclasses
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from ..formats import CoupaError
from ..schema import RESOURCES, Resource
from ..settings import CoupaSandboxSettings
from ..store import Store, index_column, quote
from ..validation import Errors, normalize
from ..vocabulary import COUNTRY_NAMES


@dataclasses.dataclass
class WriteContext:
    store: Store
    settings: CoupaSandboxSettings
    now: str  # UTC stamp shared by every record this request touches
    client_id: str

    @property
    def zone(self) -> str:
        return self.settings.time_zone

    def errors(self, resource: Resource) -> Errors:
        return Errors(resource.element, self.settings.validation_error_status)

    def user(self) -> dict[str, Any]:
        return {"id": 1, "login": self.client_id, "email": None}


@dataclasses.dataclass
class Draft:
    """The record a create or update builds; it is stored only if ``errors`` stay empty."""

    resource: Resource
    errors: Errors
    doc: dict[str, Any]
    creating: bool


def begin(ctx: WriteContext, resource_key: str, current: dict[str, Any] | None) -> Draft:
    """Every write starts from a copy of the stored record (or nothing) and an empty error list."""
    resource = RESOURCES[resource_key]
    return Draft(resource, ctx.errors(resource), dict(current or {}), current is None)


def stamp(ctx: WriteContext, draft: Draft, created: dict[str, Any] | None = None) -> dict[str, Any]:
    """A new record gets its id, ``created-at`` and the ``created`` elements; every write ``updated-at``."""
    doc = draft.doc
    if draft.creating:
        doc.update({"id": ctx.store.next_id(draft.resource.table), "created-at": ctx.now, **(created or {})})
    doc["updated-at"] = ctx.now
    return doc


def reject_taken(errors: Errors, clash: dict[str, Any] | None, doc: dict[str, Any], key: str) -> None:
    """A unique value is taken when another record (not the one being updated) holds it."""
    if clash is not None and clash["id"] != doc.get("id"):
        errors.add(key, "has already been taken")


def not_found(resource: Resource, record_id: Any) -> CoupaError:
    return CoupaError(404, f"Couldn't find {resource.element} with id {record_id}", resource.element)


def money_text(value: Decimal, decimals: int = 2) -> str:
    # Half up, as Ruby's BigDecimal rounds by default (Coupa is a Rails application): 250 x 63.2671 =
    # 15816.775 is 15816.78 in Coupa. The seeded data rounds the same way (factory.money).
    return str(value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP))


def quantity_text(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text if "." in text else text + ".0"


# --- references -----------------------------------------------------------------------------------


def find_by(
    store: Store, resource: Resource, key: str, value: Any, *, fold: bool = False
) -> dict[str, Any] | None:
    if key == "id":
        return store.get(resource, int(value)) if str(value).lstrip("-").isdigit() else None
    if key in resource.indexed:
        expression = f"t.{quote(index_column(key))}"
    else:
        expression = f"json_extract(t.doc, '$.\"{key}\"')"
    if fold:
        return store.find_one(resource, f"sbx_fold({expression}) = sbx_fold(?)", [str(value)])
    return store.find_one(resource, f"{expression} = ?", [value])


def resolve(
    ctx: WriteContext,
    errors: Errors,
    body: dict[str, Any],
    key: str,
    resource_key: str,
    natural: tuple[str, ...],
    *,
    required: bool = False,
) -> dict[str, Any] | None:
    """An association given as ``{"id": n}`` or by a natural key (``{"number": "10442"}``)."""
    value = body.get(key)
    if value is None:
        if required:
            errors.add(key, "can't be blank")
        return None
    if not isinstance(value, dict):
        errors.add(key, "is invalid")
        return None
    value = normalize(value)
    resource = RESOURCES[resource_key]
    for name in ("id", *natural):
        if value.get(name) not in (None, ""):
            found = find_by(ctx.store, resource, name, value[name], fold=name == "name")
            if found is None:
                errors.add(key, "is invalid")
            return found
    errors.add(key, "can't be blank" if required else "is invalid")
    return None


def unique(ctx: WriteContext, draft: Draft, key: str, value: Any, *, fold: bool = False) -> None:
    """``key`` must not already name another record of the resource (``fold``: case-insensitively)."""
    reject_taken(draft.errors, find_by(ctx.store, draft.resource, key, value, fold=fold), draft.doc, key)


def shipping_term(value: dict[str, Any]) -> dict[str, Any]:
    """A shipping term is embedded as given (it is not a table of its own)."""
    return {"id": value.get("id"), "code": value.get("code"), "description": value.get("description")}


def custom_fields(
    ctx: WriteContext, resource: Resource, body: dict[str, Any], current: dict[str, Any]
) -> dict[str, Any]:
    """Only API-editable custom fields are written; others are dropped like unpermitted parameters."""
    given = body.get("custom-fields")
    if not isinstance(given, dict):
        return current
    editable = set(ctx.settings.custom_fields.get(resource.key, ()))
    merged = dict(current)
    for key, value in given.items():
        dashed = key.replace("_", "-")
        if dashed in editable:
            merged[dashed] = value
    return merged


def address(
    errors: Errors, value: dict[str, Any] | None, current: dict[str, Any] | None, ctx: WriteContext, key: str
) -> dict[str, Any] | None:
    if value is None:
        return current
    if current is not None and value.get("id") not in (None, current.get("id")):
        errors.add(key, "cannot be replaced by another record; edit its fields instead")
        return current
    address = dict(current or {"id": ctx.store.next_id("addresses")})
    for field in ("name", "street1", "street2", "city", "state"):
        if field in value:
            address[field] = value[field]
    postal = value.get("postal-code", value.get("postal_code"))
    if postal is not None:
        address["postal-code"] = postal
    country = value.get("country")
    if isinstance(country, dict) and country.get("code"):
        code = str(country["code"]).upper()
        if code not in COUNTRY_NAMES and len(code) != 2:
            errors.add(f"{key} country", "is invalid")
        address["country"] = {"id": None, "code": code, "name": COUNTRY_NAMES.get(code)}
    return address


def mark_exported(ctx: WriteContext, doc: dict[str, Any], exported: bool) -> dict[str, Any]:
    doc = dict(doc)
    doc["exported"] = exported
    if exported:
        doc["last-exported-at"] = ctx.now
    if ctx.settings.export_mark_touches_updated_at:
        doc["updated-at"] = ctx.now
    return doc
