"""Keeps secret values out of log lines, error messages and metadata.

Every secret the project resolves (vault reads, EnvVar-backed passwords, OAuth tokens, session
IDs) is registered here the moment it is known. ``redact`` then replaces any registered value,
plus well-known credential shapes (Authorization headers, ``password=`` fields, ``token`` query
parameters), with ``***``. Redacting by value rather than by field name is what makes it safe to
put a server's error body or a failing URL into an exception: the server may echo the secret
back in a place we did not predict.
"""

from __future__ import annotations

import bisect
import logging
import re
import threading

MASK = "***"
# Shorter values would redact ordinary words and numbers; a real credential is never this short.
_MIN_SECRET_LEN = 4

_lock = threading.Lock()
_secrets: set[str] = set()
# Longest first, so a secret that contains another is masked whole. Replaced, never mutated, so ``redact``
# reads a consistent tuple without the lock. Plain substring search, not one regex alternation: sessions
# register a new token at every login, and recompiling an alternation of thousands of values at each one
# made a long replay spend most of its time in ``re.compile``.
_ordered: tuple[str, ...] = ()

# Credential shapes that are redacted even when the value was never registered.
_SHAPES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"(?i)(authorization['\"]?\s*[:=]\s*['\"]?)(basic|bearer)\s+[^\s'\",}]+"), r"\1\2 " + MASK),
    (
        re.compile(
            r"(?i)([\"']?(?:password|passwd|client_secret|secret|access_token|refresh_token|"
            r"sessionid|session_id|devkey|dev_key|api_key|token)[\"']?\s*[:=]\s*[\"']?)([^\s\"'&,}]+)"
        ),
        r"\1" + MASK,
    ),
]


def register_secret(value: str | bytes | None) -> None:
    """Remember a secret value so every later ``redact`` call hides it."""
    global _ordered
    if value is None:
        return
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
    if len(text) < _MIN_SECRET_LEN:
        return
    with _lock:
        if text in _secrets:
            return
        _secrets.add(text)
        ordered = list(_ordered)
        bisect.insort(ordered, text, key=lambda secret: -len(secret))
        _ordered = tuple(ordered)


def redact(text: object) -> str:
    """Return ``text`` as a string with every registered secret and credential shape masked."""
    out = text if isinstance(text, str) else str(text)
    for secret in _ordered:
        if secret in out:
            out = out.replace(secret, MASK)
    for shape, replacement in _SHAPES:
        out = shape.sub(replacement, out)
    return out


class RedactingFilter(logging.Filter):
    """A logging filter that renders the message and masks secrets in it (and in tracebacks)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed format string must not break logging
            message = str(record.msg)
        record.msg = redact(message)
        record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            # Pre-render the traceback through the formatter's default, then mask it.
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


_FILTER = RedactingFilter()


def get_logger(name: str) -> logging.Logger:
    """A logger under ``ml_connector`` whose records are always redacted."""
    logger = logging.getLogger(name if name.startswith("ml_connector") else f"ml_connector.{name}")
    if _FILTER not in logger.filters:
        logger.addFilter(_FILTER)
    return logger
