"""``by_name``: a client's table of declarations (entities, lists) keyed by their names.

Each client declares what it reads as a tuple of frozen specs and looks them up by name. The table is
built here once so that a second declaration under a name already taken is refused when the module
loads, where a dict comprehension would silently keep the last one and drop the first.
"""

from __future__ import annotations

from typing import Protocol, TypeVar


class _Named(Protocol):
    @property
    def name(self) -> str: ...


NamedT = TypeVar("NamedT", bound=_Named)


def by_name(*declarations: NamedT) -> dict[str, NamedT]:
    """``{d.name: d}`` in declaration order; a ``ValueError`` names a name declared twice."""
    table: dict[str, NamedT] = {}
    for declaration in declarations:
        if declaration.name in table:
            raise ValueError(f"{declaration.name!r} is declared twice")
        table[declaration.name] = declaration
    return table
