"""Procurify's side of a charge built for a Procurify line: whether its account code is an active Procurify
code and its department a Procurify department, against the whole-read snapshots ``procurify/account_codes``
and ``procurify/departments``. A snapshot never staged is not checked (None), so a new instance is not
refused line by line for want of a listing. Used today by Oracle Fusion <-> Procurify's ``charge_accounts``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from dagster import AssetKey

from connector_assets.asset_keys import asset_key
from connector_assets.procurify.account_departments import SEPARATOR, DepartmentDirectory, name_length_problem
from connector_assets.runtime.staging import StagingResource

# The deployment's whole-read snapshots (``saas_assets``); an instance reaching a Procurify account of its own
# stages its own copies (``saas.own_side``), so ``staged_records`` takes the key it reads.
PROCURIFY_CODES_ASSET = asset_key("procurify", "account_codes")
PROCURIFY_DEPARTMENTS_ASSET = asset_key("procurify", "departments")
EVERY = "*"  # a department table key: every department (alone) or every department of a location


def staged_records(staging: StagingResource, asset_name: AssetKey) -> list[dict[str, Any]] | None:
    """A staged whole-read Procurify snapshot's records, or None when it was never staged."""
    if not staging.exists(asset_name, None):
        return None
    found = []
    for row in staging.read_rows(asset_name, None):
        try:
            record = json.loads(row.get("record") or "{}")
        except ValueError:
            continue
        if isinstance(record, dict):
            found.append(record)
    return found


def place_key(key: str) -> str:
    """A ``Location|Department`` key with the spaces around ``|`` trimmed: ``" Head Office | Finance "``
    -> ``Head Office|Finance``."""
    return SEPARATOR.join(p.strip() for p in str(key).split(SEPARATOR))


def place_key_problem(key: str) -> str | None:
    """What is wrong with a Procurify department as a table key (None: it reads as one): ``Location
    name|Department name``, ``Location name|*`` (every department of a location) or ``*``."""
    text = place_key(key)
    if text == EVERY:
        return None
    parts = text.split(SEPARATOR)
    if len(parts) != 2 or not all(parts):
        return (
            "write the Procurify department as Location name|Department name (or Location name|* for "
            "every department of a location, or * for every department without a row)"
        )
    return name_length_problem(*parts)


def place_lookup_keys(department: str | None) -> list[str]:
    """The table keys tried for ``department`` (``Location|Department``), most specific first."""
    if not department:
        return [EVERY]
    text = place_key(department)
    keys = [text]
    if SEPARATOR in text:
        keys.append(f"{text.split(SEPARATOR)[0]}{SEPARATOR}{EVERY}")
    keys.append(EVERY)
    return keys


class ProcurifyCodeChecks:
    """Procurify's account codes (``code_key`` gives a listed code as the flow keys it) and departments,
    each None when its snapshot is not staged."""

    def __init__(
        self,
        codes: Iterable[Mapping[str, Any]] | None,
        departments: Iterable[Mapping[str, Any]] | None,
        code_key: Callable[[str], str] = str.strip,
    ) -> None:
        self.active_codes: set[str] | None = None
        self.known_codes: set[str] | None = None
        if codes is not None:
            rows = list(codes)
            self.known_codes = {code_key(r.get("code") or "") for r in rows}
            self.active_codes = {code_key(r.get("code") or "") for r in rows if r.get("active") is not False}
        self.department_names: set[str] | None = None
        self.department_by_id: dict[str, str] = {}
        if departments is not None:
            directory = DepartmentDirectory(departments)
            self.department_names = {SEPARATOR.join(place) for place in directory.known}
            self.department_by_id = {i: SEPARATOR.join(place) for i, place in directory.places_by_id.items()}

    def department_of(self, department: str | None) -> str | None:
        """``Location|Department`` for a department given that way, or by its Procurify id (digits)."""
        if department is None or not str(department).strip():
            return None
        text = str(department).strip()
        if text.isdigit() and text in self.department_by_id:
            return self.department_by_id[text]
        return place_key(text)

    def problem(self, code: str, place: str | None) -> str | None:
        """Why code ``code`` on department ``place`` cannot be charged on Procurify's side (None: it can)."""
        if self.active_codes is not None and code not in self.active_codes:
            state = "inactive" if code in (self.known_codes or set()) else "not found"
            return f"Procurify account code {code} is {state} in Procurify"
        if place and self.department_names is not None and place not in self.department_names:
            return f"Procurify department {place} is not found in Procurify"
        return None
