"""Request-body validation with Django REST Framework's rules and messages.

Every problem is collected, not just the first: a 400 names each bad field (``{"name": ["This field
is required."], "email": {"0": ["Enter a valid email address."]}}``), the way a DRF serializer does, so
a client's error report can say which record and which field. ``partial`` is PATCH: absent fields are
left alone even when they are required.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .errors import DRF_MESSAGES, invalid
from .formats import parse_decimal

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_MISSING = object()
_INVALID = object()  # a converter's answer once it has recorded the field's error
# DRF BooleanField inputs (True == 1 and False == 0 in a Python set, so the numbers are covered).
_TRUE = {True, "true", "True", "TRUE", "1", "yes", "on"}
_FALSE = {False, "false", "False", "FALSE", "0", "no", "off"}


def _kind(value: Any) -> str:
    return {bool: "bool", int: "int", float: "float", str: "str", list: "list", dict: "dict"}.get(
        type(value), type(value).__name__
    )


@dataclass(frozen=True)
class Attributes:
    """What one written body may carry (reference section 2): the attributes a write sets, and those the
    resource shows that a write may not set."""

    writable: frozenset[str]
    read_only: frozenset[str] = frozenset()

    @classmethod
    def of(cls, writable: Iterable[str], read_only: Iterable[str] = ()) -> Attributes:
        return cls(frozenset(writable), frozenset(read_only))


class BodyValidator:
    """Checks one JSON object; ``clean`` maps target column -> converted value.

    With ``attributes`` and ``refuse_unknown`` (variant ``unknown_attributes=refused``) every key the body
    may not carry is an error from the start, so it is named whatever else is wrong with the body."""

    def __init__(
        self,
        body: Any,
        *,
        partial: bool = False,
        attributes: Attributes | None = None,
        refuse_unknown: bool = False,
    ) -> None:
        if not isinstance(body, dict):
            raise invalid({"non_field_errors": [DRF_MESSAGES["not_an_object"].format(kind=_kind(body))]})
        self.body = body
        self.partial = partial
        self.errors: dict[str, Any] = {}
        self.clean: dict[str, Any] = {}
        self.refuse_unknown = refuse_unknown  # what a nested object's validator follows
        if attributes is not None and refuse_unknown:
            for name in body:
                if name in attributes.read_only:
                    self.error(name, DRF_MESSAGES["read_only"])
                elif name not in attributes.writable:
                    self.error(name, DRF_MESSAGES["unknown_attribute"])

    def error(self, name: str, message: Any) -> None:
        if isinstance(message, str):
            self.errors.setdefault(name, []).append(message)
        else:
            self.errors[name] = message

    def check(self) -> None:
        if self.errors:
            raise invalid(self.errors)

    def _present(self, name: str, required: bool, allow_null: bool) -> Any:
        """The raw value, or _MISSING when there is nothing to convert (an error may be recorded)."""
        value = self.body.get(name, _MISSING)
        if value is _MISSING:
            if required and not self.partial:
                self.error(name, DRF_MESSAGES["required"])
            return _MISSING
        if value is None:
            if allow_null:
                return None
            self.error(name, DRF_MESSAGES["null"])
            return _MISSING
        return value

    def _field(
        self,
        name: str,
        column: str | None,
        convert: Callable[[Any], Any],
        *,
        required: bool,
        allow_null: bool,
        store_null: bool = True,
    ) -> Any:
        """One field's path: presence, null, then ``convert`` (which records its error, returns _INVALID).

        The converted value goes to ``clean`` under ``column`` (the field name by default) and is
        returned; None is returned when there is nothing to convert or the value is invalid.
        """
        value = self._present(name, required, allow_null)
        if value is _MISSING:
            return None
        if value is None:
            if store_null:
                self.clean[column or name] = None
            return None
        converted = convert(value)
        if converted is _INVALID:
            return None
        self.clean[column or name] = converted
        return converted

    def _invalid(self, name: str, message: Any) -> Any:
        self.error(name, message)
        return _INVALID

    def string(
        self,
        name: str,
        column: str | None = None,
        *,
        required: bool = False,
        max_length: int | None = None,
        allow_null: bool = True,
        allow_blank: bool = True,
    ) -> str | None:
        def convert(value: Any) -> Any:
            if isinstance(value, bool) or not isinstance(value, str | int | float):
                return self._invalid(name, DRF_MESSAGES["invalid_string"])
            text = str(value).strip()  # DRF trims whitespace before any other check
            if not text and not allow_blank:
                return self._invalid(name, DRF_MESSAGES["blank"])
            if max_length is not None and len(text) > max_length:
                return self._invalid(name, DRF_MESSAGES["max_length"].format(limit=max_length))
            return text

        return self._field(name, column, convert, required=required, allow_null=allow_null)

    def required_string(self, name: str, *, max_length: int) -> str | None:
        """A CharField without ``blank`` or ``null``: names, codes and the like must be sent, with text."""
        return self.string(name, required=True, max_length=max_length, allow_null=False, allow_blank=False)

    def boolean(self, name: str, column: str | None = None, *, required: bool = False) -> None:
        def convert(value: Any) -> Any:
            if isinstance(value, str | bool | int) and value in _TRUE:
                return 1
            if isinstance(value, str | bool | int) and value in _FALSE:
                return 0
            return self._invalid(name, DRF_MESSAGES["invalid_boolean"])

        self._field(name, column, convert, required=required, allow_null=False)

    def choice(
        self, name: str, choices: Iterable[int], column: str | None = None, *, required: bool = False
    ) -> None:
        by_text = {str(choice): choice for choice in choices}

        def convert(value: Any) -> Any:
            if isinstance(value, bool) or str(value) not in by_text:
                return self._invalid(name, DRF_MESSAGES["invalid_choice"].format(value=value))
            return by_text[str(value)]

        self._field(name, column, convert, required=required, allow_null=False)

    def primary_key(
        self,
        name: str,
        exists: Callable[[int], bool],
        column: str | None = None,
        *,
        required: bool = False,
        allow_null: bool = True,
    ) -> int | None:
        return self._field(
            name,
            column,
            lambda value: self._pk(name, value, exists),
            required=required,
            allow_null=allow_null,
        )

    def _pk(self, name: str, value: Any, exists: Callable[[int], bool]) -> Any:
        """The existing primary key ``value`` names, or _INVALID with DRF's message recorded."""
        if isinstance(value, bool) or not isinstance(value, int | str):
            return self._invalid(name, DRF_MESSAGES["pk_incorrect_type"].format(kind=_kind(value)))
        if isinstance(value, str) and not value.strip().isdigit():
            return self._invalid(name, DRF_MESSAGES["pk_does_not_exist"].format(value=value))
        pk = int(value)
        if not exists(pk):
            return self._invalid(name, DRF_MESSAGES["pk_does_not_exist"].format(value=pk))
        return pk

    def primary_keys(
        self, name: str, exists: Callable[[int], bool], *, required: bool = False
    ) -> list[int] | None:
        """A list of existing keys; returned only, not stored (the caller writes the relation rows)."""
        value = self._present(name, required, allow_null=False)
        if value is _MISSING:
            return None
        if not isinstance(value, list):
            self.error(name, DRF_MESSAGES["not_a_list"].format(kind=_kind(value)))
            return None
        found = []
        for item in value:
            pk = self._pk(name, item, exists)
            if pk is _INVALID:
                return None
            found.append(pk)
        return found

    def non_empty_list(
        self,
        name: str,
        *,
        wrong_type: str | None = None,
        items_valid: Callable[[list[Any]], bool] | None = None,
    ) -> list[Any] | None:
        """A required array of at least one item; null counts as absent, as these views read it.

        ``wrong_type`` replaces DRF's not-a-list message for a value that is not a list or whose items
        fail ``items_valid``. The list is returned, not stored: its items are checked by the caller.
        """
        value = self.body.get(name)
        if value is None:
            self.error(name, DRF_MESSAGES["required"])
        elif not isinstance(value, list) or (items_valid is not None and not items_valid(value)):
            self.error(name, wrong_type or DRF_MESSAGES["not_a_list"].format(kind=type(value).__name__))
        elif not value:
            self.error(name, DRF_MESSAGES["empty_list"])
        else:
            return value
        return None

    def email_list(self, name: str, column: str | None = None, *, required: bool = False) -> None:
        def convert(value: Any) -> Any:
            if not isinstance(value, list):
                return self._invalid(name, DRF_MESSAGES["not_a_list"].format(kind=_kind(value)))
            if not value:
                return self._invalid(name, DRF_MESSAGES["empty_list"])
            problems = {
                str(index): [DRF_MESSAGES["invalid_email"]]
                for index, item in enumerate(value)
                if not isinstance(item, str) or not _EMAIL.match(item.strip())
            }
            if problems:
                return self._invalid(name, problems)
            return [item.strip() for item in value]

        self._field(name, column, convert, required=required, allow_null=False)

    def decimal(
        self,
        name: str,
        column: str | None = None,
        *,
        required: bool = False,
        places: int = 2,
        min_value: Decimal | None = None,
        allow_null: bool = False,
    ) -> Decimal | None:
        def convert(value: Any) -> Any:
            number = parse_decimal(value)
            if number is None:
                return self._invalid(name, DRF_MESSAGES["invalid_decimal"])
            if -number.as_tuple().exponent > places and number != number.quantize(Decimal(1).scaleb(-places)):
                return self._invalid(name, DRF_MESSAGES["max_decimal_places"].format(places=places))
            if min_value is not None and number < min_value:
                return self._invalid(name, DRF_MESSAGES["min_value"].format(limit=min_value))
            return number

        # A null decimal is left out of ``clean`` (the column keeps its value), unlike other fields.
        return self._field(name, column, convert, required=required, allow_null=allow_null, store_null=False)

    def date(
        self, name: str, column: str | None = None, *, required: bool = False, allow_null: bool = True
    ) -> dt.date | None:
        def convert(value: Any) -> Any:
            try:
                day = dt.date.fromisoformat(value) if isinstance(value, str) and len(value) == 10 else None
            except ValueError:
                day = None
            if day is None:
                return self._invalid(name, DRF_MESSAGES["invalid_date"])
            return day.isoformat()

        text = self._field(name, column, convert, required=required, allow_null=allow_null)
        return None if text is None else dt.date.fromisoformat(text)
