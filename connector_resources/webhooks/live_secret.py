"""A webhook key that may change while the receiver runs (``LiveSecret``).

BILL's subscription key is made by ``ml-connector bill-webhooks create`` and replaced by ``... rotate``,
in another process, which writes it to the credential vault. The receiver must verify with the new key
from the next delivery on, without a restart, so it does not keep the value it read at startup for
ever: it verifies with the value it last read and, when a signed delivery does not verify, reads the
reference again and tries the new value once. A read that finds nothing new starts a quiet time of
``min_interval`` seconds without reads, so a flood of forged deliveries costs one vault read per
interval, not one per request, while the first delivery after a rotation always gets its read.

Deliveries signed with the old key (already on their way when the key was rotated) are refused with
401 once the new key is read: BILL retries a refused delivery with backoff and signs each attempt when
it sends it, with the key current then, so the retry verifies (and the poll on ``updatedTime`` covers
anything BILL gives up on). The old key is not kept as a fallback: a key rotated because it leaked
must stop working at once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from connector_resources.redaction import get_logger, register_secret
from connector_resources.vault import SecretNotFound, resolve_secret

log = get_logger(__name__)


class LiveSecret:
    """The value behind a secret reference (``vault:NAME``, ``env:VAR`` or a literal), re-read on demand.

    ``current()`` is the value last read (None while the reference names nothing yet, e.g. before the
    first ``bill-webhooks create``); ``refreshed()`` reads again (rate-limited) and returns the value
    only when it changed. A vault that cannot be read at that moment (database down, key mismatch)
    keeps the last good value and logs why; a secret deleted from the vault is forgotten.
    """

    def __init__(
        self,
        reference: str,
        *,
        min_interval: float = 1.0,
        resolve: Callable[[str], str] = resolve_secret,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.reference = reference
        self.min_interval = min_interval
        self._resolve = resolve
        self._clock = clock
        self._lock = threading.Lock()
        self._value: str | None = None
        self._quiet_until: float | None = None  # no re-read before then: the last one found nothing new

    @classmethod
    def fixed(cls, value: str) -> LiveSecret:
        """A value that never changes (a key given directly, as tests and literal settings do)."""
        register_secret(value)
        secret = cls("(fixed value)", resolve=lambda _ref: value, min_interval=float("inf"))
        secret._value = value
        return secret

    def prime(self) -> str | None:
        """Read once now, letting configuration errors (bad vault key, malformed reference) raise; a
        reference that names nothing yet only logs, since ``bill-webhooks create`` stores it later."""
        with self._lock:
            try:
                self._value = self._resolve(self.reference)
            except SecretNotFound as exc:
                log.warning("%s: %s; deliveries are refused until it is stored", self.reference, exc)
                self._value = None
            return self._value

    def current(self) -> str | None:
        """The value last read; read now when there is none yet (unless in a quiet time)."""
        with self._lock:
            if self._value is None:
                self._read()
            return self._value

    def refreshed(self) -> str | None:
        """Read the reference again; the new value when it differs from the one held, else None
        (unchanged, or a read found nothing new less than ``min_interval`` seconds ago)."""
        with self._lock:
            before = self._value
            if not self._read():
                return None
            return self._value if self._value and self._value != before else None

    def _read(self) -> bool:
        """Re-read unless in a quiet time; True when a read was attempted."""
        now = self._clock()
        if self._quiet_until is not None and now < self._quiet_until:
            return False
        before = self._value
        try:
            self._value = self._resolve(self.reference)
        except SecretNotFound as exc:
            if self._value is not None:
                log.warning("%s is no longer stored (%s); deliveries are refused", self.reference, exc)
            self._value = None
        except Exception as exc:  # the vault or its database is unavailable: keep the last good value
            log.warning("could not re-read %s (%s); still using the value read before", self.reference, exc)
        if self._value == before:
            self._quiet_until = now + self.min_interval
        else:
            log.info("%s changed: verifying with the new value", self.reference)
        return True
