"""Reading a client's JSON body the way Coupa's Rails models would: collect every problem, then answer
``{"errors": {"<element>": ["Invoice number can't be blank", ...]}}`` with all of them at once.

Body keys may use Coupa's dashes or underscores; unknown, read-only and wrongly typed keys are refused
before this runs (attributes.py; with ``reject_unknown_attributes`` off they are ignored, as Rails strong
parameters would, read-only ones (ids, totals, timestamps) too). Messages follow Rails' wording
("can't be blank", "has already been taken", "is too long (maximum is 40 characters)"); messages
about lines name the line, because a human reads them in the audit trail.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from .formats import CoupaError
from .timefmt import parse_input_date, parse_input_datetime, utc_stamp

T = TypeVar("T")

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def human(key: str) -> str:
    """``invoice-number`` -> ``Invoice number`` (Rails' humanized attribute name)."""
    text = key.replace("-", " ").replace("_", " ")
    return text[:1].upper() + text[1:]


def normalize(body: dict[str, Any]) -> dict[str, Any]:
    """Dashed keys everywhere (one level), so ``invoice_number`` and ``invoice-number`` both work."""
    return {_dashed(key): value for key, value in body.items()}


def _dashed(key: str) -> str:
    # ``_delete`` (the line-removal flag) and ``one_time_supplier`` (an underscore element) keep their names.
    if key.startswith("_") or key == "one_time_supplier":
        return key
    return key.replace("_", "-")


class Errors:
    """Accumulates validation messages for one record."""

    def __init__(self, element: str, status: int, prefix: str = "") -> None:
        self.element = element
        self.status = status
        self.prefix = prefix
        self.messages: list[str] = []

    def add(self, key: str, message: str) -> None:
        self.messages.append(f"{self.prefix}{human(key)} {message}")

    def sub(self, prefix: str) -> Errors:
        """Errors of a child (a line): same list, messages prefixed with the child's name."""
        child = Errors(self.element, self.status, prefix)
        child.messages = self.messages
        return child

    def raise_if_any(self) -> None:
        if self.messages:
            raise CoupaError(self.status, self.messages, self.element)

    # --- typed readers (None when absent; an error recorded when present but wrong) ----------------

    def text(
        self, body: dict[str, Any], key: str, *, required: bool = False, max_length: int | None = None
    ) -> str | None:
        value = body.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.add(key, "can't be blank")
            return None
        if isinstance(value, dict | list | bool):
            self.add(key, "is invalid")
            return None
        text = str(value)
        if max_length is not None and len(text) > max_length:
            self.add(key, f"is too long (maximum is {max_length} characters)")
        return text

    def choice(
        self, body: dict[str, Any], key: str, allowed: tuple[str, ...], *, required: bool = False
    ) -> str | None:
        value = self.text(body, key, required=required)
        if value is not None and value not in allowed:
            self.add(key, "is not included in the list")
            return None
        return value

    def _given(self, body: dict[str, Any], key: str, *, required: bool, empty_is_absent: bool = True) -> Any:
        """The value of ``key``, or None when the body leaves it out (or empty); a required one
        then records "can't be blank"."""
        value = body.get(key)
        if value is None or (empty_is_absent and value == ""):
            if required:
                self.add(key, "can't be blank")
            return None
        return value

    def _converted(self, key: str, value: Any, convert: Callable[[Any], T], message: str) -> T | None:
        """``convert(value)``, or None with ``message`` recorded when the value does not convert."""
        try:
            return convert(value)
        except (ValueError, InvalidOperation):
            self.add(key, message)
            return None

    def decimal(self, body: dict[str, Any], key: str, *, required: bool = False) -> Decimal | None:
        value = self._given(body, key, required=required)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            self.add(key, "is not a number")
            return None
        number = self._converted(key, value, lambda given: Decimal(str(given).strip()), "is not a number")
        if number is not None and not number.is_finite():
            self.add(key, "is not a number")
            return None
        return number

    def integer(self, body: dict[str, Any], key: str) -> int | None:
        value = self._given(body, key, required=False, empty_is_absent=False)
        if value is None:
            return None
        if isinstance(value, bool):
            self.add(key, "is not a number")
            return None
        return self._converted(key, value, lambda given: int(str(given)), "is not a number")

    def boolean(self, body: dict[str, Any], key: str) -> bool | None:
        value = body.get(key)
        if value is None or isinstance(value, bool):
            return value
        lowered = str(value).strip().lower()
        if lowered in ("true", "1", "t", "yes"):
            return True
        if lowered in ("false", "0", "f", "no"):
            return False
        self.add(key, "is not true or false")
        return None

    def date(self, body: dict[str, Any], key: str, zone: str, *, required: bool = False) -> dt.date | None:
        value = self._given(body, key, required=required)
        if value is None:
            return None
        return self._converted(
            key, value, lambda given: parse_input_date(str(given), zone), "is not a valid date"
        )

    def datetime(self, body: dict[str, Any], key: str) -> str | None:
        value = self._given(body, key, required=False)
        if value is None:
            return None
        return self._converted(
            key, value, lambda given: utc_stamp(parse_input_datetime(str(given))), "is not a valid date"
        )

    def email(self, body: dict[str, Any], key: str, *, required: bool = False) -> str | None:
        value = self.text(body, key, required=required, max_length=255)
        if value is not None and not EMAIL.match(value):
            self.add(key, "is not a valid email address")
        return value

    def obj(self, body: dict[str, Any], key: str) -> dict[str, Any] | None:
        value = body.get(key)
        if value is None:
            return None
        if not isinstance(value, dict):
            self.add(key, "is invalid")
            return None
        return normalize(value)

    def items(self, body: dict[str, Any], key: str) -> list[dict[str, Any]] | None:
        value = body.get(key)
        if value is None:
            return None
        if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
            self.add(key, "must be a list of objects")
            return None
        return [normalize(item) for item in value]
