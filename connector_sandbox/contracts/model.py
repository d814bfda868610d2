"""What a vendor publishes about one API, as the simulators and the tests read it."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

JsonSchema = Mapping[str, Any]


@dataclass(frozen=True)
class Artifact:
    """A vendor document the contract was read from: what, where, which version, and whether its licence
    lets the repository carry a copy (otherwise only the facts, in our own tables, naming it)."""

    name: str
    where: str  # an address: a vendor page, or a public repository and file
    version: str  # a release, an API version, a commit or the date it was read
    licence: str  # e.g. "MIT: a copy may be kept" or "not stated: facts only"


@dataclass(frozen=True)
class Operation:
    """One endpoint as the vendor documents it.

    ``path`` is relative to the simulator's root, with ``{name}`` for a path parameter. ``query``,
    ``body`` and ``answer`` are JSON Schemas (None: not checked): the query string as an object of
    ``name -> value`` (a repeated name gives a list), the request body (a form body is checked as an
    object of strings when ``form``), and the body of a 2xx answer. ``headers`` is a schema over the
    request's headers as ``{lower-case name: value}``, open by default (clients send many the vendor does
    not care about): the header parameters the vendor requires, and the media type it takes
    (``content-type``). ``source`` says where in which artifact each fact stands (an operation id, a page,
    a section).
    """

    method: str
    path: str
    source: str
    query: JsonSchema | None = None
    body: JsonSchema | None = None
    answer: JsonSchema | None = None
    form: bool = False
    headers: JsonSchema | None = None
    # Status codes of a successful answer the vendor documents (others are not checked against ``answer``).
    ok: tuple[int, ...] = (200, 201)

    @property
    def endpoint(self) -> str:
        return f"{self.method} {self.path}"

    @cached_property
    def pattern(self) -> re.Pattern[str]:
        parts = re.split(r"(\{[^}/]+\})", self.path)
        regex = "".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts)
        return re.compile(f"^{regex}$")


def _refused(violations: list[Any]) -> tuple[int, Any]:
    """A vendor's answer to a request it does not take, when the contract names no shape of its own."""
    return 400, {"errors": [v.words for v in violations]}


@dataclass(frozen=True)
class Contract:
    """A system's published contract: the endpoints our clients call, under ``prefixes``.

    A request under a prefix that matches no operation is itself a breach ("not an endpoint the vendor
    publishes"); paths outside every prefix (the simulators' own ``/sandbox/...`` routes) are not checked.
    ``refusal`` turns violations into the vendor's own error answer (status, JSON body).
    """

    system: str
    artifacts: tuple[Artifact, ...]
    operations: tuple[Operation, ...]
    prefixes: tuple[str, ...] = ("/",)
    refusal: Callable[[list[Any]], tuple[int, Any]] = field(default=_refused)
    # Query parameters any endpoint takes (e.g. a vendor's paging or ``fields`` on every list), merged
    # into each operation's query schema.
    common_query: JsonSchema | None = None

    def covers(self, path: str) -> bool:
        return any(path.startswith(p) for p in self.prefixes)

    def operation(self, method: str, path: str) -> Operation | None:
        for op in self.operations:
            if op.method == method and op.pattern.match(path):
                return op
        return None

    def endpoints(self) -> list[str]:
        return [op.endpoint for op in self.operations]
