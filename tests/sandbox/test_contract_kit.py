"""The contract check every simulator stands on: a request the vendor refuses is refused naming the field
(required, output-only, unknown at any depth, a parameter in the wrong form, an endpoint the vendor does
not publish), and an answer the vendor would never give is recorded as the simulator's breach."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from connector_sandbox.contracts import (
    Artifact,
    Contract,
    Operation,
    array,
    integer,
    obj,
    output_only,
    string,
)
from connector_sandbox.serve import sandbox_app, serve_in_thread

LINE = obj(
    {"id": integer(), "amount": string(pattern=r"^-?\d+(\.\d{1,2})?$"), "total": output_only(string())}
)
CONTRACT = Contract(
    system="toy",
    artifacts=(Artifact("Toy API spec", "https://example.invalid/spec", "1.0", "facts only"),),
    prefixes=("/api/",),
    operations=(
        Operation(
            "POST",
            "/api/bills",
            "spec: createBill",
            query=obj({"dryRun": string(enum=["true", "false"])}),
            body=obj({"vendorId": string(), "lines": array(LINE)}, required=["vendorId"]),
            answer=obj({"id": string(), "vendorId": string()}, required=["id"]),
        ),
    ),
)


class _State:
    def close(self) -> None:
        pass


async def _create(request: Request) -> JSONResponse:
    body = await request.json()
    answer = {"id": "b1", "vendorId": body["vendorId"]}
    if body.get("vendorId") == "chatty":
        answer["internal"] = "x"  # a field the vendor never sends
    return JSONResponse(answer, status_code=201)


@pytest.fixture(scope="module")
def toy() -> Iterator[str]:
    app = sandbox_app(_State(), [Route("/api/bills", _create, methods=["POST"])], contract=CONTRACT)
    url, stop = serve_in_thread(app)
    yield url
    stop()


def _fields(breaches) -> set[tuple[str, str, str]]:  # type: ignore[no-untyped-def]
    return {(b.side, b.violation.field, b.violation.problem) for b in breaches}


def test_a_request_the_vendor_takes_passes_untouched(toy: str, contract_breaches) -> None:  # type: ignore[no-untyped-def]
    answer = requests.post(f"{toy}/api/bills", json={"vendorId": "v", "lines": [{"id": 1, "amount": "2.50"}]})
    assert answer.status_code == 201
    assert answer.json() == {"id": "b1", "vendorId": "v"}
    assert contract_breaches.seen() == []


def test_each_kind_of_bad_request_is_refused_naming_system_endpoint_and_field(
    toy: str, contract_breaches
) -> None:  # type: ignore[no-untyped-def]
    answer = requests.post(
        f"{toy}/api/bills?dryRun=yes&page=2",
        json={"lines": [{"id": 1, "amount": "2.505", "total": "2.50", "note": "x"}]},
    )
    assert answer.status_code == 400
    words = " | ".join(answer.json()["errors"])
    assert "toy POST /api/bills: body field 'vendorId' required" in words
    assert "body field 'lines[0].total' output-only" in words
    assert _fields(contract_breaches.seen()) == {
        ("request", "vendorId", "required"),
        ("request", "lines[0].total", "output-only"),
        ("request", "lines[0].note", "unknown"),
        ("request", "lines[0].amount", "form"),
        ("request", "dryRun", "form"),
        ("request", "page", "unknown"),
    }


def test_an_endpoint_the_vendor_does_not_publish_is_refused(toy: str, contract_breaches) -> None:  # type: ignore[no-untyped-def]
    answer = requests.patch(f"{toy}/api/bills", json={})
    assert answer.status_code == 400
    assert [b.violation.problem for b in contract_breaches.seen()] == ["no such endpoint"]


def test_an_answer_the_vendor_never_gives_is_the_simulators_breach(toy: str, contract_breaches) -> None:  # type: ignore[no-untyped-def]
    answer = requests.post(f"{toy}/api/bills", json={"vendorId": "chatty"})
    assert answer.status_code == 201  # the client still gets it: the breach is the simulator's to fix
    assert _fields(contract_breaches.seen()) == {("answer", "internal", "unknown")}


def test_each_missing_required_field_is_named_once() -> None:
    from connector_sandbox.contracts import request_violations

    two = Contract(
        system="toy",
        artifacts=CONTRACT.artifacts,
        prefixes=("/api/",),
        operations=(
            Operation(
                "POST", "/api/x", "spec", body=obj({"a": string(), "b": string()}, required=["a", "b"])
            ),
        ),
    )
    found = request_violations(two, "POST", "/api/x", {}, {})
    assert [(v.field, v.problem) for v in found] == [("a", "required"), ("b", "required")]


def test_a_header_the_vendor_requires_is_checked_by_its_lower_case_name() -> None:
    from connector_sandbox.contracts import request_violations

    media = obj(
        {"content-type": string(pattern=r"^application/vnd\.x\+json$")}, ["content-type"], closed=False
    )
    one = Contract(
        system="toy",
        artifacts=CONTRACT.artifacts,
        prefixes=("/api/",),
        operations=(Operation("POST", "/api/act", "spec", headers=media),),
    )
    assert (
        request_violations(one, "POST", "/api/act", {}, None, {"Content-Type": "application/vnd.x+json"})
        == []
    )
    wrong = request_violations(
        one, "POST", "/api/act", {}, None, {"Content-Type": "application/json", "X-A": "1"}
    )
    assert [(v.where, v.field, v.problem) for v in wrong] == [("header", "content-type", "form")]
    missing = request_violations(one, "POST", "/api/act", {}, None, {})
    assert [(v.where, v.field, v.problem) for v in missing] == [("header", "content-type", "required")]


def test_a_client_gone_before_its_body_was_whole_is_neither_checked_nor_answered() -> None:
    """A process killed mid-send leaves half a body: no request was made, so no breach and no answer."""
    import asyncio

    from connector_sandbox.contracts import ContractMiddleware, recorded_breaches

    reached: list[str] = []
    sent: list[dict] = []

    async def app(scope: dict, receive: object, send: object) -> None:
        reached.append(scope["path"])

    messages = iter([{"type": "http.request", "body": b'{"vendorId": ', "more_body": True}])

    async def receive() -> dict:
        return next(messages, {"type": "http.disconnect"})

    async def send(message: dict) -> None:
        sent.append(message)

    since = len(recorded_breaches())
    scope = {"type": "http", "method": "POST", "path": "/api/bills", "query_string": b"", "headers": []}
    asyncio.run(ContractMiddleware(app, CONTRACT)(scope, receive, send))
    assert (reached, sent, recorded_breaches(since)) == ([], [], [])
