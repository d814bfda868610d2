"""Operator-route pieces the simulators share (``/sandbox/...``: never part of a vendor's API).

Each simulator keeps its own operator routes (what its state, reset, activity and records mean is its
own); what is the same everywhere lives here: the ``{"error": ...}`` refusal, and the read / change /
reset routes of a group of live switches such as the faults, which every simulator lets a test turn on
and off while it runs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from connector_sandbox.serve import json_object_body


def problem(message: str, status: int = 400) -> JSONResponse:
    """How an operator route refuses a request: ``{"error": message}``."""
    return JSONResponse({"error": message}, status_code=status)


def live_model_routes(
    path: str,
    model: type[BaseModel],
    *,
    holder: Callable[[Request], Any],
    name: str,
    initial: Callable[[Request], BaseModel],
) -> list[Route]:
    """``GET path``, ``POST path`` and ``POST path/reset`` for the live ``model`` at ``holder(request).name``.

    POST merges the body's fields into the live values and validates the whole, so a test changes one
    switch without restating the others, and a bad value or an unknown field is a 400 that changes
    nothing. Reset puts back a copy of ``initial(request)`` (the values the simulator started with).
    Every route answers with the live values.
    """

    async def read(request: Request) -> Response:
        return JSONResponse(getattr(holder(request), name).model_dump())

    async def change(request: Request) -> Response:
        target = holder(request)
        try:
            changes = await json_object_body(request)
            setattr(target, name, model.model_validate({**getattr(target, name).model_dump(), **changes}))
        except (ValueError, ValidationError) as exc:
            return problem(str(exc))
        return JSONResponse(getattr(target, name).model_dump())

    async def reset(request: Request) -> Response:
        target = holder(request)
        setattr(target, name, initial(request).model_copy())
        return JSONResponse(getattr(target, name).model_dump())

    return [
        Route(path, read, methods=["GET"]),
        Route(path, change, methods=["POST"]),
        Route(f"{path}/reset", reset, methods=["POST"]),
    ]
