"""Request bodies for Procore writes: checked here first, so a bad record fails with its own name and
field before it costs a call, and amounts never travel as binary floats.

Only what the reference confirms is checked (vendor ``name`` present, ``country_code`` ISO-3166
alpha-2); lengths and everything else are the server's to judge, and its 422 names the field too.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from connector_resources.http.wire_values import WireRules, wire_body
from connector_resources.procore.errors import ProcoreValidationError

_COUNTRY = re.compile(r"^[A-Z]{2}$")


def record_label(kind: str, body: Mapping[str, Any], record_id: Any = None) -> str:
    """How errors and logs name a record: ``vendor 5512098 origin_id=JDE-V-10442 'Granite Supply Co'``.

    Names the natural keys only: they are business identifiers, not secrets, and they are what an
    operator searches for.
    """
    parts = [kind]
    if record_id is not None:
        parts.append(str(record_id))
    origin = body.get("origin_id")
    if origin not in (None, ""):
        parts.append(f"origin_id={origin}")
    name = body.get("name")
    if isinstance(name, str) and name.strip():
        short = name.strip() if len(name.strip()) <= 60 else name.strip()[:59] + "…"
        parts.append(repr(short))
    return " ".join(parts)


def _refused(record: str, path: str, problem: str) -> ProcoreValidationError:
    field = path or "body"
    return ProcoreValidationError(
        f"{record}: field {field!r}: {problem}", record=record, fields={field: [problem]}
    )


def _moment(value: datetime, record: str, path: str) -> str:
    return value.isoformat()


WIRE = WireRules(refuse=_refused, moment=_moment)


def vendor_body(vendor: Mapping[str, Any], *, require_name: bool = True, record: str = "") -> dict[str, Any]:
    """The ``vendor`` object of a create / update, checked (see module doc)."""
    if not isinstance(vendor, Mapping):
        raise ProcoreValidationError(f"a vendor must be a mapping of fields, got {type(vendor).__name__}")
    record = record or record_label("vendor", vendor)
    problems: dict[str, list[str]] = {}
    if require_name or "name" in vendor:
        name = vendor.get("name")
        if not isinstance(name, str) or not name.strip():
            problems["name"] = ["can't be blank"]
    country = vendor.get("country_code")
    if country not in (None, "") and (not isinstance(country, str) or not _COUNTRY.match(country.strip())):
        problems["country_code"] = [f"{country!r} is not an ISO 3166-1 alpha-2 code (e.g. US, DE)"]
    if problems:
        listed = "; ".join(f"field {k!r}: {', '.join(v)}" for k, v in problems.items())
        raise ProcoreValidationError(
            f"{record} cannot be sent to Procore: {listed}", record=record, fields=problems
        )
    body = wire_body(dict(vendor), record, WIRE)
    if isinstance(body.get("country_code"), str):
        body["country_code"] = body["country_code"].strip()
    if isinstance(body.get("origin_id"), int):
        body["origin_id"] = str(body["origin_id"])
    return body


def same_name(left: Any, right: Any) -> bool:
    """Names equal for adoption: Unicode-normalised, case-folded, whitespace collapsed (Procore's
    search is case- and accent-insensitive, but adoption must be exact apart from case and spacing)."""
    if not isinstance(left, str) or not isinstance(right, str):
        return False
    return _name_key(left) == _name_key(right)


def search_term(name: str) -> str:
    """What to send as ``filters[search]`` for an exact-name lookup: the name's longest word.

    How Procore's search matches is unconfirmed (substring? whole name? spacing-sensitive?); one
    word is found by any of those readings, and ``same_name`` then decides. The longest word keeps
    the answer short.
    """
    words = unicodedata.normalize("NFKC", name).split()
    return max(words, key=len) if words else name.strip()


def _name_key(value: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", value).casefold().split())
