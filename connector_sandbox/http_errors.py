"""What the simulators' API errors have in common: an HTTP status and the headers the answer carries.

Each simulator renders its own error body (Procore's ``errors``, Procurify's DRF shapes, Fusion's
structured form...); a route wrapper catches its simulator's error class, built on this one.
"""

from __future__ import annotations


class HttpError(Exception):
    """An answer other than success: ``status``, extra ``headers``, and ``text`` for logs and tracebacks."""

    def __init__(self, status: int, text: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(text)
        self.status = status
        self.headers = headers or {}
