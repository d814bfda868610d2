"""Holding every write request of the process while a preview runs (``ml-connector fit``).

A preview runs a flow's real code (reads, mapping, the write step's look-ups and natural-key searches) and
must send nothing that changes a system. Rather than trusting each target to know it is previewed, the HTTP
core refuses, before anything leaves the process, every request that is not a read: a ``WouldWrite``
carrying the method, the URL and the body it would have sent. The preview, standing at the write step's
target boundary, turns it into the record's verdict; anywhere else it fails the step loudly, which is the
point: a write the preview did not expect is found, never sent.

What counts as a read (everything else is held):

* ``GET`` / ``HEAD`` / ``OPTIONS``;
* a request sent without the API's credentials (``authenticate=False``): logins, token requests and
  logouts, which change no record;
* a ``POST`` that the API documents as a query: JD Edwards' data service (``v2/dataservice``, its
  next-page links included), which reads tables through a POST body.

Process-wide, not per thread: a write step's workers are threads of their own, and a preview is the only
thing its process runs (the CLI's, or the fit job's step).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

_lock = threading.Lock()
_holding = 0


class WouldWrite(BaseException):
    """A write request a preview held back. A ``BaseException``: a target's ``except Exception`` (which
    turns an HTTP failure into its own error, or searches after an ambiguous one) must not take it for a
    failed write. The preview's wrapper at the target boundary catches it, and a target whose held write
    only follows up a decided one (Fusion's validation of an adopted invoice) by name."""

    def __init__(self, system: str, method: str, url: str, body: Any, client: Any = None) -> None:
        super().__init__(f"{system}: {method} {urlsplit(url).path} held (a preview sends no write)")
        self.system, self.method, self.url, self.body = system, method, url, body
        self.client = (
            client  # the ``HttpClient`` it was held on: the preview reads the record it would change
        )


@contextmanager
def writes_held() -> Iterator[None]:
    """While open, every write request of the process raises ``WouldWrite`` instead of being sent."""
    global _holding
    with _lock:
        _holding += 1
    try:
        yield
    finally:
        with _lock:
            _holding -= 1


def holding() -> bool:
    return _holding > 0


def is_read(system: str, method: str, url: str, *, authenticate: bool) -> bool:
    """Whether a request changes nothing in the system it is sent to (see module docstring)."""
    if method.upper() in READ_METHODS or not authenticate:
        return True
    path = urlsplit(url).path
    return method.upper() == "POST" and any(part in path for part in _reading_posts(system))


def _reading_posts(system: str) -> tuple[str, ...]:
    """The path fragments of the POSTs that only read, as the system declares them (``System.reading_posts``:
    JD Edwards' data service); none for a client named after no declared system."""
    from connector_resources.systems import systems_by_key

    declared = systems_by_key().get(system)
    return () if declared is None else declared.reading_posts


def hold_write(
    system: str, method: str, url: str, *, authenticate: bool, kwargs: Mapping[str, Any], client: Any = None
) -> None:
    """Raise ``WouldWrite`` for a write request while writes are held; otherwise nothing."""
    if _holding and not is_read(system, method, url, authenticate=authenticate):
        body = kwargs.get("json", kwargs.get("data"))
        raise WouldWrite(system, method.upper(), url, body, client)
