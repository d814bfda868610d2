"""Item keys in URLs and version tokens (reference sections 2.3, 2.4, quirk 6).

ADF serialises a row key into a long hex string when a resource's path key is a ``...UniqID``; the
docs say clients must not build it. The sandbox's hashed key looks the same (a Java-serialisation
style hex run) and embeds a MAC over the resource and id with a per-pod salt, so a client that
builds ``/purchaseOrders/{POHeaderId}`` or fabricates a key gets 404 while one that follows the
``self`` link works. ``changeIndicator`` / ``ETag`` are hex tokens that change with every update.
"""

from __future__ import annotations

import hashlib
import hmac
import re

_PREFIX = "00020000000EACED00057708"
_MIDDLE = "0000000EACED00057708"
_HASHED = re.compile(rf"^{_PREFIX}([0-9A-F]{{16}}){_MIDDLE}([0-9A-F]{{16}})$")
# The head of a serialised java.util.ArrayList, as real change indicators start.
_CHANGE_PREFIX = (
    "ACED0005737200136A6176612E7574696C2E41727261794C6973747881D21D99C7619D03000149000473697A65787000"
    "000001770400000001737200116A6176612E6C616E672E496E746567657212E2A0A4F781873802000149000576616C75"
    "65787200106A6176612E6C616E672E4E756D62657286AC951D0B94E08B0200007870"
)


class KeyCodec:
    """Encodes and decodes opaque item keys for one pod (salt = per-seed secret)."""

    def __init__(self, salt: bytes) -> None:
        self._salt = salt

    @classmethod
    def of_seed(cls, seed: int) -> KeyCodec:
        """The pod's codec for ``seed``: the seed writing keys into the store and the server reading them
        back (after a restart too) must agree."""
        return cls(hashlib.sha256(f"fusion-sandbox:{seed}".encode()).digest())

    def _mac(self, scope: str, row_id: int) -> str:
        digest = hmac.new(self._salt, f"{scope}:{row_id}".encode(), hashlib.sha256).digest()
        return digest[:8].hex().upper()

    def encode(self, scope: str, row_id: int) -> str:
        return f"{_PREFIX}{row_id:016X}{_MIDDLE}{self._mac(scope, row_id)}"

    def decode(self, scope: str, key: str) -> int | None:
        """The row id inside a key of this scope, or None when the key is not one the pod issued."""
        match = _HASHED.match(key.upper())
        if match is None:
            return None
        row_id = int(match.group(1), 16)
        if not hmac.compare_digest(match.group(2), self._mac(scope, row_id)):
            return None
        return row_id


def change_indicator(version: int) -> str:
    """The version token shown as ``properties.changeIndicator`` and sent as ``ETag``."""
    return f"{_CHANGE_PREFIX}{version:08X}"
