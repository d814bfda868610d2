"""Operator-route pieces the simulators share (``/sandbox/...``: never part of a vendor's API).

Each simulator keeps its own operator routes (what its state, reset, activity and records mean is its
own); what is the same everywhere lives here: the ``{"error": ...}`` refusal, an ``Operator`` that turns
"read this from the state" or "do this to the state" into a route answering JSON, the read / change /
reset routes of a group of live switches such as the faults, the activity route, a person's action
on one record, the seed summary and the ``column=value`` filters of the stored-records routes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from connector_sandbox.seeding import SeedReport
from connector_sandbox.serve import json_object_body

# Builds a JSON response: ``respond(content, status_code=...)`` (JSONResponse or a simulator's own).
Respond = Callable[..., Response]
# What a route hands back: a JSON-able body (answered 200) or a finished Response (another status).
Answer = Any
# A person's action in the simulated system (``Operator.act``): ``action(path_params, body, state)``.
Action = Callable[[dict[str, Any], dict[str, Any], Any], Answer]


class Refused(Exception):
    """An operator request the simulator turns down; answered ``{"error": message}`` with ``status``."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@contextmanager
def refusing(*errors: type[Exception]) -> Iterator[None]:
    """Inside the block, ``errors`` (a bad body, a failed validation) become a 400 ``Refused``."""
    try:
        yield
    except errors as exc:
        raise Refused(str(exc)) from None


async def object_body(request: Request) -> dict[str, Any]:
    """The operator request's JSON object body ({} when empty); a 400 ``Refused`` when it is not one."""
    with refusing(ValueError):
        return await json_object_body(request)


@dataclass(frozen=True)
class Operator:
    """How one simulator's operator routes answer, and route builders that follow it.

    The simulator's state is ``request.app.state.sandbox``. Bodies go out through ``respond`` (its
    JSON response class), refusals through ``refuse_with`` (the same unless given). ``Refused`` is
    answered as a problem; so are the exception types in ``refuse`` (Fusion refuses every pydantic
    ``ValidationError`` with 400, wherever it comes from).
    """

    respond: Respond = JSONResponse
    refuse_with: Respond | None = None
    refuse: tuple[type[Exception], ...] = ()

    @staticmethod
    def state(request: Request) -> Any:
        return request.app.state.sandbox

    def problem(self, message: str, status: int = 400) -> Response:
        return (self.refuse_with or self.respond)({"error": message}, status_code=status)

    def answer(self, result: Answer) -> Response:
        return result if isinstance(result, Response) else self.respond(result)

    def route(
        self,
        path: str,
        handler: Callable[[Request, Any], Awaitable[Answer]],
        methods: Sequence[str] = ("GET",),
    ) -> Route:
        """A route calling ``handler(request, state)``: its result is answered, a refusal is a problem."""

        async def endpoint(request: Request) -> Response:
            try:
                return self.answer(await handler(request, self.state(request)))
            except Refused as refusal:
                return self.problem(str(refusal), refusal.status)
            except self.refuse as exc:
                return self.problem(str(exc))

        return Route(path, endpoint, methods=list(methods))

    def get(self, path: str, view: Callable[[Any], Answer]) -> Route:
        """``GET path``: ``view(state)``."""

        async def handler(_request: Request, state: Any) -> Answer:
            return view(state)

        return self.route(path, handler)

    def post(self, path: str, act: Callable[[Any], Answer]) -> Route:
        """``POST path`` with no body to read: ``act(state)`` (reset a counter, expire the tokens...)."""

        async def handler(_request: Request, state: Any) -> Answer:
            return act(state)

        return self.route(path, handler, ["POST"])

    def act(self, path: str, action: Action, refusal: type[Exception] = Refused) -> Route:
        """``POST path``: a person (a clerk, a buyer) plays ``action`` from the path and the JSON body.

        What the vendor's system would not let that person do is a ``refusal`` carrying its ``status``
        (a ``Refused`` unless the simulator names its own), answered with it; a body that is no JSON
        object, lacks a field or gives one of the wrong type or value is a 400 "bad request body".
        """

        async def handler(request: Request, state: Any) -> Answer:
            try:
                return action(request.path_params, await json_object_body(request), state)
            except refusal as refused:
                raise Refused(str(refused), refused.status) from None
            except (KeyError, TypeError, ValueError) as exc:
                raise Refused(f"bad request body: {exc}") from None

        return self.route(path, handler, ["POST"])

    def live(
        self,
        path: str,
        *,
        read: Callable[[Any], Answer],
        change: Callable[[Any, dict[str, Any]], None] | None = None,
        reset: Callable[[Any], None] | None = None,
        get: bool = True,
    ) -> list[Route]:
        """``GET path``, ``POST path`` and ``POST path/reset`` for values a test changes while it runs.

        ``change(state, body)`` applies the body's fields (a ``ValueError`` or ``ValidationError`` is a
        400 that must leave everything as it was); ``reset(state)`` puts back the start-up values. Every
        route answers with ``read(state)``. A route whose function is not given is not served.
        """

        async def changed(request: Request, state: Any) -> Answer:
            assert change is not None
            with refusing(ValueError, ValidationError):
                change(state, await json_object_body(request))
            return read(state)

        def reset_then_read(state: Any) -> Answer:
            assert reset is not None
            reset(state)
            return read(state)

        return [
            *([self.get(path, read)] if get else []),
            *([self.route(path, changed, ["POST"])] if change else []),
            *([self.post(f"{path}/reset", reset_then_read)] if reset else []),
        ]

    def live_model(
        self,
        path: str,
        model: type[BaseModel],
        *,
        name: str,
        initial: Callable[[Any], BaseModel],
        holder: Callable[[Any], Any] = lambda state: state,
    ) -> list[Route]:
        """``live`` routes for the pydantic ``model`` at ``holder(state).name`` (the state's own by default).

        POST merges the body's fields into the live values and validates the whole, so a test changes
        one switch without restating the others, and a bad value or an unknown field is a 400 that
        changes nothing. Reset puts back a copy of ``initial(state)`` (the values the simulator started
        with).
        """

        def change(state: Any, changes: dict[str, Any]) -> None:
            target = holder(state)
            setattr(target, name, model.model_validate({**getattr(target, name).model_dump(), **changes}))

        return self.live(
            path,
            read=lambda state: getattr(holder(state), name).model_dump(),
            change=change,
            reset=lambda state: setattr(holder(state), name, initial(state).model_copy()),
        )

    def common(
        self,
        summary: Callable[[Any], Answer],
        reset: Callable[[Request, Any], Awaitable[Answer]] | None,
        reset_calls: Callable[[Any], Answer],
        activity: type[BaseModel],
        make_activity: Callable[[Any, Any], Answer],
        *,
        refuse_make_errors: bool = False,
    ) -> list[Route]:
        """The operator routes every simulator serves at the same paths, so tools drive any of them alike.

        ``GET /sandbox/state`` answers ``summary(state)``; ``POST /sandbox/reset`` reseeds (JDE has no
        reset: its data file is kept, it restarts instead); ``POST /sandbox/calls/reset`` zeroes the
        counters; ``POST /sandbox/activity`` makes the ``activity`` model's counts of business activity
        (``Operator.activity``).
        """
        return [
            self.get("/sandbox/state", summary),
            *([self.route("/sandbox/reset", reset, ["POST"])] if reset else []),
            self.post("/sandbox/calls/reset", reset_calls),
            self.activity(activity, make_activity, refuse_make_errors=refuse_make_errors),
        ]

    def settings(
        self,
        read: Callable[[Any], Answer],
        change: Callable[[Any, dict[str, Any]], None],
        reset: Callable[[Any], None],
    ) -> list[Route]:
        """``/sandbox/settings`` (read, change, reset) for a simulator whose settings change live."""
        return self.live("/sandbox/settings", read=read, change=change, reset=reset)

    def faults(
        self,
        model: type[BaseModel],
        *,
        initial: Callable[[Any], BaseModel],
        holder: Callable[[Any], Any] = lambda state: state,
    ) -> list[Route]:
        """``/sandbox/faults`` (read, change, reset) for the live ``faults`` of ``holder(state)``."""
        return self.live_model("/sandbox/faults", model, name="faults", initial=initial, holder=holder)

    def activity(
        self,
        model: type[BaseModel],
        make: Callable[[Any, Any], Answer],
        *,
        refuse_make_errors: bool = False,
    ) -> Route:
        """``POST /sandbox/activity``: the body validated as ``model``, then ``make(state, wanted)``.

        With ``refuse_make_errors`` a ``ValueError`` raised while making the activity (BILL: an unknown
        organization) is a 400 too, not only a bad body.
        """

        async def handler(request: Request, state: Any) -> Answer:
            with refusing(ValueError, ValidationError):
                wanted = model.model_validate(await json_object_body(request))
            if not refuse_make_errors:
                return make(state, wanted)
            with refusing(ValueError, ValidationError):
                return make(state, wanted)

        return self.route("/sandbox/activity", handler, ["POST"])

    def tokens(self, *, clocked: bool = False) -> list[Route]:
        """``POST /sandbox/tokens/expire`` and ``/revoke``: every token of ``state.tokens`` at once.

        Each answers how many tokens it changed. ``clocked`` registries expire by the simulator's own
        clock (``state.now()``, which ``/sandbox/clock`` moves), so they are told the time.
        """

        def expire(state: Any) -> dict[str, int]:
            return {"expired": state.tokens.expire_all(state.now()) if clocked else state.tokens.expire_all()}

        return [
            self.post("/sandbox/tokens/expire", expire),
            self.post("/sandbox/tokens/revoke", lambda state: {"revoked": state.tokens.revoke_all()}),
        ]


def traffic(state: Any) -> dict[str, Any]:
    """What every ``/sandbox/state`` starts with: rows per stored table and calls per endpoint."""
    return {"row_counts": state.store.row_counts(), "calls": dict(state.calls)}


def seed_summary(
    report: SeedReport, *keys: str, scale: float | None = None, seed: int | None = None
) -> dict[str, Any]:
    """The ``seed`` block of ``/sandbox/state`` (or a reset's answer): the report's ``keys``, in order.

    ``seconds`` is rounded to milliseconds. ``scale`` and ``seed`` given here (the live settings)
    take the place of the report's.
    """
    values: dict[str, Any] = {
        "seconds": round(report.seconds, 3),
        "reused": report.reused,
        "anchor_date": report.anchor_date,
        "row_counts": report.row_counts,
        "scale": report.scale if scale is None else scale,
        "seed": report.seed if seed is None else seed,
    }
    return {key: values[key] for key in keys}


# One ``name=value`` filter of a stored-records request as SQL: its clause (``"column = ?"``) and the
# parameter; a ``Refused`` when ``name`` is not a column. Which names are columns is the simulator's.
Equality = Callable[[str, str], tuple[str, Any]]


@dataclass(frozen=True)
class RecordQuery:
    """A stored-records request: ``where`` (``"1=1"`` without filters) with its ``params``, and ``limit``."""

    where: str
    params: list[Any]
    limit: int

    def select(self, table: str, order: str) -> tuple[str, list[Any]]:
        """The statement and parameters reading the rows of ``table`` (quoted as needed) it asks for."""
        statement = f"SELECT * FROM {table} WHERE {self.where} ORDER BY {order} LIMIT ?"
        return statement, [*self.params, self.limit]


def record_query(
    query: QueryParams, equal: Equality, *, most: int, default: int | None = None
) -> RecordQuery:
    """A stored-records request's ``name=value`` filters, each as ``equal`` puts it, ANDed; and its ``limit``.

    The limit is kept between 1 and ``most``; absent or not a whole number it is ``default`` (``most``
    unless given). The filters are read in the request's order, so the first bad one is the one refused.
    """
    default = most if default is None else default
    clauses: list[str] = []
    params: list[Any] = []
    limit = default
    for name, value in query.multi_items():
        if name == "limit":
            limit = max(1, min(int(value), most)) if value.isdigit() else default
        else:
            clause, param = equal(name, value)
            clauses.append(clause)
            params.append(param)
    return RecordQuery(" AND ".join(clauses) or "1=1", params, limit)
