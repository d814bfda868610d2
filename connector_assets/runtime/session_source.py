"""What a reader that opens its own sessions takes: anything whose ``session()`` is a context manager giving
one, typed by the session. The resource itself is one; so is a stand-in that counts a reconciliation's calls
(``flows.reconciliation_calls.CountedJde``) or hands out a session already open (``jde.reconcile_documents.
InSession``), which a reader typed by the resource class would refuse."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Protocol, TypeVar

SessionT_co = TypeVar("SessionT_co", covariant=True)


class SessionSource(Protocol[SessionT_co]):
    """Opens a session of type ``SessionT_co`` for a ``with`` block."""

    def session(self) -> AbstractContextManager[SessionT_co]: ...
