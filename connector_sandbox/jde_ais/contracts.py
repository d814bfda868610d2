"""Orchestration contracts: loaded from ``docs/jde_orchestrations/*.json`` and used to check inputs.

The files are the specification a JDE administrator builds the real orchestrations from; the sandbox
reads the same files, so what we document is exactly what the simulator enforces. Inputs arrive in the
Generic format (flat JSON, grids as arrays of objects); values are strings in practice, JSON numbers
are accepted for numeric inputs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from .dates import DatePattern

_TYPES = {"string", "integer", "amount", "date", "grid"}


@dataclass(frozen=True)
class InputSpec:
    name: str
    type: str
    required: bool
    max_length: int | None
    max_digits: int | None
    decimals: int
    allow_negative: bool
    allowed: tuple[str, ...] | None
    default: str | None
    min_rows: int
    max_rows: int | None
    columns: tuple[InputSpec, ...]

    @classmethod
    def parse(cls, raw: dict[str, Any], where: str) -> InputSpec:
        kind = raw.get("type")
        if kind not in _TYPES:
            raise ValueError(f"{where}: type {kind!r} is not one of {sorted(_TYPES)}")
        return cls(
            name=raw["name"],
            type=kind,
            required=bool(raw.get("required", False)),
            max_length=raw.get("maxLength"),
            max_digits=raw.get("maxDigits"),
            decimals=int(raw.get("decimals", 0)),
            allow_negative=bool(raw.get("allowNegative", False)),
            allowed=tuple(raw["allowed"]) if "allowed" in raw else None,
            default=raw.get("default"),
            min_rows=int(raw.get("minRows", 0)),
            max_rows=raw.get("maxRows"),
            columns=tuple(cls.parse(column, f"{where}.{raw['name']}") for column in raw.get("columns", [])),
        )


@dataclass(frozen=True)
class ErrorSpec:
    code: str
    title: str
    cause: str
    resolution: str


@dataclass(frozen=True)
class Contract:
    name: str
    summary: str
    service_request: str
    form: str
    inputs: tuple[InputSpec, ...]
    outputs: tuple[dict[str, Any], ...]
    errors: dict[str, ErrorSpec]
    raw: dict[str, Any]


class InputError(ValueError):
    """An input that breaks the contract; the message names the input (and grid row)."""


def load_contracts(directory: Path) -> dict[str, Contract]:
    """Every ``ML_*.json`` contract in ``directory``, with its errors resolved from the catalog."""
    catalog_path = directory / "error_catalog.json"
    if not catalog_path.is_file():
        raise FileNotFoundError(
            f"orchestration error catalog not found: {catalog_path} (settings.contracts_dir)"
        )
    catalog = json.loads(catalog_path.read_text(encoding="utf-8"))["errors"]
    contracts = {}
    for path in sorted(directory.glob("ML_*.json")):
        raw = json.loads(path.read_text(encoding="utf-8"))
        unknown = [code for code in raw["errors"] if code not in catalog]
        if unknown:
            raise ValueError(f"{path.name}: error codes {unknown} are not in error_catalog.json")
        contracts[raw["name"]] = Contract(
            name=raw["name"],
            summary=raw["summary"],
            service_request=raw["serviceRequest"],
            form=raw["form"],
            inputs=tuple(InputSpec.parse(item, path.name) for item in raw["inputs"]),
            outputs=tuple(raw["outputs"]),
            errors={code: ErrorSpec(code, **catalog[code]) for code in raw["errors"]},
            raw=raw,
        )
    if not contracts:
        raise FileNotFoundError(f"no ML_*.json orchestration contracts in {directory}")
    return contracts


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool | dict | list):
        raise InputError("must be a string")
    return str(value)


def _convert(spec: InputSpec, value: Any, pattern: DatePattern) -> Any:
    """One scalar input -> str / int / Decimal / date; None when blank."""
    text = _text(value)
    if spec.type == "string":
        text = text.rstrip()  # JDE keeps no trailing blanks, so they do not count against the length
        if spec.max_length is not None and len(text) > spec.max_length:
            raise InputError(f"is {len(text)} characters; at most {spec.max_length} are allowed")
        if not text:
            return None
        if spec.allowed is not None and text not in spec.allowed:
            raise InputError(f"{text!r} is not one of {list(spec.allowed)}")
        return text
    text = text.strip()
    if not text:
        return None
    if spec.type == "date":
        try:
            return pattern.parse(text)
        except ValueError as exc:
            raise InputError(f"{exc} (the calling user's simpleDateFormat)") from exc
    if spec.type == "integer":
        if not text.isdigit():
            raise InputError(f"{text!r} is not a whole number")
        if spec.max_digits is not None and len(text.lstrip("0")) > spec.max_digits:
            raise InputError(f"{text!r} has more than {spec.max_digits} digits")
        return int(text)
    try:
        amount = Decimal(text)
    except InvalidOperation as exc:
        raise InputError(f"{text!r} is not a number (use '.' as the decimal point)") from exc
    if not amount.is_finite():
        raise InputError(f"{text!r} is not a finite number")
    if amount.as_tuple().exponent < -spec.decimals:  # type: ignore[operator]
        raise InputError(f"{text!r} has more than {spec.decimals} decimals")
    if amount < 0 and not spec.allow_negative:
        raise InputError(f"{text!r} must not be negative")
    return amount


def _validate_fields(
    specs: tuple[InputSpec, ...], payload: dict[str, Any], pattern: DatePattern, where: str
) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for spec in specs:
        label = f"{where}{spec.name}"
        raw = payload.get(spec.name)
        if spec.type == "grid":
            values[spec.name] = _validate_grid(spec, raw, pattern, label)
            continue
        try:
            value = _convert(spec, raw, pattern)
        except InputError as exc:
            raise InputError(f"Input '{label}' {exc}") from None
        if value is None and spec.default is not None:
            value = spec.default
        if value is None and spec.required:
            raise InputError(f"Input '{label}' is required")
        values[spec.name] = value
    return values


def _validate_grid(spec: InputSpec, raw: Any, pattern: DatePattern, label: str) -> list[dict[str, Any]]:
    if raw is None:
        raw = []
    if not isinstance(raw, list) or not all(isinstance(row, dict) for row in raw):
        raise InputError(f"Input '{label}' must be an array of objects (Generic grid input)")
    if len(raw) < spec.min_rows or (spec.required and not raw):
        raise InputError(f"Input '{label}' needs at least {max(spec.min_rows, 1)} row(s), got {len(raw)}")
    if spec.max_rows is not None and len(raw) > spec.max_rows:
        raise InputError(f"Input '{label}' allows at most {spec.max_rows} rows, got {len(raw)}")
    return [
        _validate_fields(spec.columns, row, pattern, f"{label}[{index}].") for index, row in enumerate(raw)
    ]


def misfit_inputs(specs: tuple[InputSpec, ...], payload: dict[str, Any], where: str = "") -> list[str]:
    """Every undeclared input and every input of the wrong JSON type, at any depth (grid rows too).

    The reference (docs/reference/jde-ais.md 2.6) is silent on undeclared inputs; a real orchestration drops
    them without a word, which would lose what our client meant to write. The sandbox takes the strict
    reading and refuses them, so a client that sends a name the contract lacks fails here, not
    silently in JDE. Scalars must be JSON scalars (values are strings in practice) and grids arrays
    of objects.
    """
    declared = {spec.name: spec for spec in specs}
    found = [
        f"'{where}{key}' is not an input of this orchestration" for key in payload if key not in declared
    ]
    for spec in specs:
        value, label = payload.get(spec.name), f"{where}{spec.name}"
        if value is None:
            continue
        if spec.type != "grid":
            if isinstance(value, bool | dict | list):
                found.append(f"'{label}' must be a string, not {type(value).__name__}")
            continue
        if not isinstance(value, list) or not all(isinstance(row, dict) for row in value):
            found.append(f"'{label}' must be an array of objects (Generic grid input)")
            continue
        for index, row in enumerate(value):
            found += misfit_inputs(spec.columns, row, f"{label}[{index}].")
    return found


def validate_inputs(contract: Contract, payload: dict[str, Any], pattern: DatePattern) -> dict[str, Any]:
    """Checked, converted inputs. Undeclared and wrongly typed inputs are refused first, before any
    other check, so a body that is also wrong elsewhere still names them."""
    misfits = misfit_inputs(contract.inputs, payload)
    if misfits:
        raise InputError("Input " + "; ".join(misfits))
    return _validate_fields(contract.inputs, payload, pattern, "")
