"""The base of the API clients' typed errors: one line, redacted, naming the record; picklable.

Why a shared base: every client's errors are one redacted line with the HTTP status when one arrived,
and must survive Dagster's and multiprocessing's pickling with their keyword fields (``ClientError``);
most also name the client's entity and the record (``RecordError``). That machinery lives once. Each
client keeps its own subclass tree (``CoupaError``, ``BillError``) so callers can catch one system's
errors.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Generic, Protocol, TypeVar

from connector_resources.error_kinds import ConnectorError
from connector_resources.redaction import redact
from connector_resources.refusals import Refusal, source_invalid

T = TypeVar("T")


def when_again(moment: datetime) -> str:
    """``2026-11-23 04:00 UTC (05:00 CET local)``: when a limit lifts (BILL's hourly window, a target that
    refuses calls until then), in words an operator can act on wherever they sit. One formatter for the
    clients' errors and the flows' queue reasons, so both name the time the same way."""
    local = moment.astimezone()
    zone = f" {local.tzname()}" if local.tzname() else ""
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M} UTC ({local:%H:%M}{zone} local)"


class ServerMessage(Protocol):
    """One message a server returned; ``field`` is what it is about, empty when it did not say."""

    @property
    def field(self) -> str: ...


M = TypeVar("M", bound=ServerMessage)


class ClientError(ConnectorError):
    """An API client's error: the message on one line, redacted (it may carry server text or URLs), and
    ``status``, the HTTP status when one arrived. Its keyword fields (``_fields``, to which each subclass
    adds its own) come back when it is unpickled: ``cls(message, **fields)``."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        self.status = status
        super().__init__(" ".join(redact(message).split()))

    def _fields(self) -> dict[str, Any]:
        return {"status": self.status}

    def __reduce__(self):  # keep pickling (Dagster, multiprocessing) working with keyword fields
        return (_rebuild, (type(self), self.args[0] if self.args else "", self._fields()))


def _rebuild(cls: type[ClientError], message: str, fields: dict[str, Any]) -> ClientError:
    return cls(message, **fields)


class RecordError(ClientError, RuntimeError):
    """``status``: the HTTP status when one arrived; ``entity``: the client's entity (``invoices``);
    ``record``: how the record is named (``invoice INV-1 of supplier 10442``) when it is about one."""

    def __init__(
        self, message: str, *, status: int | None = None, entity: str = "", record: str = ""
    ) -> None:
        self.entity = entity
        self.record = redact(record)
        super().__init__(message, status=status)

    def _fields(self) -> dict[str, Any]:
        return {**super()._fields(), "entity": self.entity, "record": self.record}


class FieldInputMixin:
    """For "refused before sending" errors: ``field`` names the value the client would not send."""

    def __init__(self, message: str, *, field: str = "", **kwargs: Any) -> None:
        self.field = field
        super().__init__(message, **kwargs)  # type: ignore[call-arg]

    def _fields(self) -> dict[str, Any]:
        return {**super()._fields(), "field": self.field}  # type: ignore[misc]

    @property
    def refusal(self) -> Refusal:
        """The record's field cannot be written as it is (``refusals.refusal_of`` keeps it)."""
        return source_invalid(str(self), field=self.field)


class RetryAfterMixin:
    """For throttles that outlasted every retry: ``retry_after`` is the server's last hint (seconds, None
    when it gave none), kept on the error (also when it is pickled) for whoever decides when to run again."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        self.retry_after = retry_after
        super().__init__(message, **kwargs)  # type: ignore[call-arg]

    def _fields(self) -> dict[str, Any]:
        return {**super()._fields(), "retry_after": self.retry_after}  # type: ignore[misc]


class MessagesMixin(Generic[M]):
    """For refusals that carry the server's own messages: ``messages`` travel with the error (also
    when it is pickled) and ``fields`` lists the fields they name, each once, in order."""

    def __init__(self, message: str, *, messages: Sequence[M] = (), **kwargs: Any) -> None:
        self.messages: tuple[M, ...] = tuple(messages)
        super().__init__(message, **kwargs)  # type: ignore[call-arg]

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(m.field for m in self.messages if m.field))

    def _fields(self) -> dict[str, Any]:
        return {**super()._fields(), "messages": self.messages}  # type: ignore[misc]


def known_entity(
    table: Mapping[str, T],
    name: str,
    system: str,
    refuse: Callable[[str], Exception] = ValueError,
    *,
    listed: Iterable[str] | None = None,
) -> T:
    """``table[name]``, or ``refuse("unknown <system> entity ...; known: ...")``: a misspelt entity in a
    flow's spec then names the ones that exist, in the client's own error type."""
    try:
        return table[name]
    except KeyError:
        known = ", ".join(table if listed is None else listed)
        raise refuse(f"unknown {system} entity {name!r}; known: {known}") from None
