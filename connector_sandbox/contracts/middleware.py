"""``ContractMiddleware``: a simulator refuses what its vendor refuses, and notes what it should never say.

Pure ASGI, in front of the simulator's routes: the request body is read once, checked against the
operation the contract names for the method and path, and replayed to the app untouched. When strict (the
default; ``ML_SANDBOX_CONTRACT=record`` only records, ``off`` skips the check), a request with violations
gets the vendor's own refusal (``Contract.refusal``) and never reaches the simulator's state. The answer is
checked as it leaves; an answer that breaks the contract is the simulator's fault, recorded, never altered.
"""

from __future__ import annotations

import json
import logging
import os
from typing import Any
from urllib.parse import parse_qsl

from connector_sandbox.contracts import breaches
from connector_sandbox.contracts.checking import answer_violations, request_violations
from connector_sandbox.contracts.model import Contract, Operation

log = logging.getLogger("ml_connector.sandbox.contract")

# "strict" (default), "record" (answer as the simulator would, record the breaches) or "off" (no check: the
# benches measure what the check costs with it)
STRICTNESS_ENV = "ML_SANDBOX_CONTRACT"


def _query(raw: bytes) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in parse_qsl(raw.decode("latin-1"), keep_blank_values=True):
        if name in out:
            out[name] = [*out[name], value] if isinstance(out[name], list) else [out[name], value]
        else:
            out[name] = value
    return out


def _body(raw: bytes, form: bool) -> Any:
    if form:
        return dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return raw.decode("utf-8", "replace")


class ContractMiddleware:
    def __init__(self, app: Any, contract: Contract) -> None:
        self.app = app
        self.contract = contract

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        mode = os.environ.get(STRICTNESS_ENV, "strict")
        if scope["type"] != "http" or mode == "off" or not self.contract.covers(scope["path"]):
            await self.app(scope, receive, send)
            return
        method, path = scope["method"], scope["path"]
        raw = b""
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                # The client went away before its body was whole (a process killed mid-send): nothing was
                # asked, so nothing is checked, recorded or answered.
                return
            raw += message.get("body", b"")
            more = message.get("more_body", False)
        op = self.contract.operation(method, path)
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope.get("headers", [])}
        query = _query(scope.get("query_string", b""))
        body = _body(raw, bool(op and op.form))
        found = request_violations(self.contract, method, path, query, body, headers, op=op)
        if found:
            breaches.record("request", found)
            for v in found:
                log.warning("contract: %s", v.words)
            if mode != "record":
                status, content = self.contract.refusal(found)
                await _answer(send, status, content)
                return

        sent = False

        async def replay() -> dict[str, Any]:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": raw, "more_body": False}
            return await receive()

        status = 0
        is_json = False
        chunks: list[bytes] = []

        async def watch(message: dict[str, Any]) -> None:
            nonlocal status, is_json
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = dict(message.get("headers", []))
                is_json = b"json" in headers.get(b"content-type", b"")
            elif (
                message["type"] == "http.response.body"
                and is_json
                and op is not None
                and op.answer is not None
            ):
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    self._check_answer(op, method, path, status, b"".join(chunks))
            await send(message)

        await self.app(scope, replay, watch)

    def _check_answer(self, op: Operation, method: str, path: str, status: int, raw: bytes) -> None:
        try:
            body = json.loads(raw) if raw else None
        except (UnicodeDecodeError, json.JSONDecodeError):
            return
        found = answer_violations(self.contract, method, path, status, body, op=op)
        if found:
            breaches.record("answer", found)
            for v in found:
                log.warning("contract (simulator answer): %s", v.words)


async def _answer(send: Any, status: int, content: Any) -> None:
    body = json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
