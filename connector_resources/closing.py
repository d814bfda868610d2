"""``Closing``: the ``with`` protocol of everything a client holds for one batch.

HTTP clients and API sessions hold pooled connections (and some a login or a token to revoke), so
each is used as ``with x:`` and released by its own ``close()`` at the end of the block, also on error.
The protocol lives here once; each class says only what closing it means.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Self


class Closing:
    """``with obj:`` returns ``obj`` and calls ``obj.close()`` on the way out (also on error)."""

    def close(self) -> None:
        """Release what the object holds; subclasses say what that is."""
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class ClosingOnce(Closing):
    """A ``Closing`` released once: ``close()`` again (an explicit close inside the ``with``, a second
    owner) does nothing, so a logout or a revocation is never sent twice. Subclasses say in
    ``_release`` what releasing means."""

    _closed: bool = False

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._release()

    def _release(self) -> None:
        """Release what the object holds; called by the first ``close()`` only."""
        raise NotImplementedError


@contextmanager
def released_on_error(held: Closing) -> Iterator[None]:
    """Close ``held`` if the block fails (then re-raise), keep it open if the block succeeds.

    A resource opens its HTTP client, then logs in: when the login fails nobody gets the session
    whose ``with`` would close the client, so its pooled connections are released here.
    """
    try:
        yield
    except BaseException:
        held.close()
        raise
