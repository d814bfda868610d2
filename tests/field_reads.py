"""Which fields of a JSON document code reads: ``Recorder`` wraps a document (nested objects and lists of
objects too) and notes every key asked for, as a path (``("invoice-lines", "account", "code")``). A
look at every key (iterating, ``items()``, a copy) is noted as ``<path>/*``: the code read the whole
object. ``field_paths`` turns a Coupa ``fields=`` list into the same paths, to compare."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

Path = tuple[str, ...]
WHOLE = "*"


class Recorder(dict):
    """A dict that notes the paths of the keys read from it into ``seen``."""

    def __init__(self, data: dict[str, Any], seen: set[Path], path: Path = ()) -> None:
        super().__init__(data)
        self._seen = seen
        self._path = path

    def _note(self, key: Any) -> Path:
        path = (*self._path, str(key))
        self._seen.add(path)
        return path

    def _wrapped(self, path: Path, value: Any) -> Any:
        if isinstance(value, dict) and not isinstance(value, Recorder):
            return Recorder(value, self._seen, path)
        if isinstance(value, list):
            return [Recorder(v, self._seen, path) if isinstance(v, dict) else v for v in value]
        return value

    def get(self, key: Any, default: Any = None) -> Any:
        path = self._note(key)
        return self._wrapped(path, dict.__getitem__(self, key)) if dict.__contains__(self, key) else default

    def __getitem__(self, key: Any) -> Any:
        return self._wrapped(self._note(key), dict.__getitem__(self, key))

    def __contains__(self, key: object) -> bool:
        self._note(key)
        return dict.__contains__(self, key)

    def _all(self) -> None:
        self._seen.add((*self._path, WHOLE))

    def __iter__(self) -> Iterator[Any]:
        self._all()
        return dict.__iter__(self)

    def keys(self):  # type: ignore[override]
        self._all()
        return dict.keys(self)

    def values(self):  # type: ignore[override]
        self._all()
        return dict.values(self)

    def items(self):  # type: ignore[override]
        self._all()
        return dict.items(self)

    def copy(self) -> dict[str, Any]:
        self._all()
        return dict(dict.items(self))


def field_paths(spec: list[Any], prefix: Path = ()) -> set[Path]:
    """The paths a Coupa ``fields=`` list asks for (``["id", {"supplier": ["number"]}]`` ->
    ``{("id",), ("supplier",), ("supplier", "number")}``)."""
    paths: set[Path] = set()
    for item in spec:
        entries = item.items() if isinstance(item, dict) else [(item, None)]
        for name, nested in entries:
            path = (*prefix, name)
            paths.add(path)
            if nested is not None:
                paths |= field_paths(nested, path)
    return paths
