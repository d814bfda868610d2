"""A source record's key, checked once, for the ``Ledger`` methods that are called with one.

Some 300 callers name a record as ``(integration, entity, source_system, source_key, target_system)``,
or a page of one flow's records with ``source_keys`` in the fourth place. ``by_record`` and
``by_flow_page`` keep that call and hand the method its key as checked (``XrefStore._xref_key``,
``XrefStore._flow_page``): the fields are named here and checked there, once, not again in each
method's signature and first line. ``inspect.signature`` (``help()``, an editor) shows the call.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, NamedTuple, TypeVar

from connector_resources.ledger import statements

R = TypeVar("R")


class RecordKey(NamedTuple):
    """One source record's xref key as the ledger accepted it."""

    label: str  # names the record in an error ("xref int/entity SRC:key -> TGT")
    columns: dict[str, str]  # key column -> value

    @property
    def params(self) -> dict[str, str]:
        """The key as the bound parameters of the ``statements`` that take one record."""
        return statements.key_params(self.columns)


class FlowPage(NamedTuple):
    """A page of one flow's source keys as the ledger accepted it (``XrefStore._flow_page``)."""

    label: str  # names the page's first record in an error; "" when nothing was accepted
    params: dict[str, str]  # the flow's bound parameters: every key column but the source key
    source_keys: list[str]  # each accepted key once, in order; empty when none was


def _spelled_out(method: Callable[..., Any], fields: tuple[tuple[str, str], ...]) -> inspect.Signature:
    """``method``'s signature as its callers see it: ``fields`` (name, annotation) in place of its key."""
    signature = inspect.signature(method)
    own, _key, *rest = signature.parameters.values()
    spelled = [
        inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=annotation)
        for name, annotation in fields
    ]
    return signature.replace(parameters=[own, *spelled, *rest])


_FLOW = (("integration", "str"), ("entity", "str"), ("source_system", "str"))


def by_record(method: Callable[..., R]) -> Callable[..., R]:
    """``method(self, record: RecordKey, ...)``, called with the record's five key fields first."""

    @functools.wraps(method)  # its parameters' types are in its ``__signature__``
    def call(self, integration, entity, source_system, source_key, target_system, *args, **kwargs):
        record = self._xref_key(integration, entity, source_system, source_key, target_system)
        return method(self, record, *args, **kwargs)

    # What inspect.signature (and so an editor) reads; an attribute of functions no type declares.
    call.__signature__ = _spelled_out(  # pyright: ignore[reportAttributeAccessIssue]
        method, (*_FLOW, ("source_key", "str"), ("target_system", "str"))
    )
    return call


def by_flow_page(method: Callable[..., R]) -> Callable[..., R]:
    """``method(self, records: FlowPage, ...)``, called with a flow's key fields and ``source_keys`` first."""

    @functools.wraps(method)
    def call(self, integration, entity, source_system, source_keys, target_system, *args, **kwargs):
        page = self._flow_page(integration, entity, source_system, source_keys, target_system)
        return method(self, page, *args, **kwargs)

    call.__signature__ = _spelled_out(  # pyright: ignore[reportAttributeAccessIssue] (as by_record's)
        method, (*_FLOW, ("source_keys", "Collection[str]"), ("target_system", "str"))
    )
    return call
