"""The Coupa client against answers the reference leaves open, from a scripted HTTP server.

The simulator picks one variant of each unconfirmed behaviour; a server this project did not write
may pick another. Here a real HTTP server (``http_server.ScriptedServer``) plays those variants:
a server that ignores ``id[gt]``, XML answers, plain-text 401s, validation errors as a list or in
XML, 422s, token errors, a create that answers without the record, rows without ``updated-at``.
"""

from __future__ import annotations

import json
import logging
import pickle
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from http_server import CannedResponse, OAuthTokenEndpoint, RecordedRequest, ScriptedServer

from connector_resources.coupa import (
    CoupaAuthError,
    CoupaResource,
    CoupaResponseError,
    CoupaScopeError,
    CoupaValidationError,
    forget_tokens,
)

CLIENT_ID, CLIENT_SECRET = "scripted-client", "scripted-secret-0192"
START = datetime(2025, 3, 1, tzinfo=UTC)


def invoice(n: int) -> dict[str, Any]:
    stamp = START + timedelta(hours=n)
    return {
        "id": n,
        "invoice-number": f"INV-{n:04d}",
        "updated-at": stamp.astimezone().isoformat(),
        "gross-total": 12.5,  # a JSON number on this server (Coupa's typing per field is unconfirmed)
        "supplier": {"id": 7, "number": "10442"},
    }


class CoupaLike:
    """A tiny Coupa on a ``ScriptedServer``: a token endpoint and one invoice list that pages by
    ``limit`` / ``offset`` / ``id[gt]`` and filters on ``updated_at`` (optionally ignoring ``id[gt]``)."""

    def __init__(
        self,
        server: ScriptedServer,
        rows: list[dict[str, Any]],
        *,
        honour_id_filter: bool = True,
        honour_upper_bound: bool = True,
    ):
        self.server = server
        self.rows = rows
        self.honour_id_filter = honour_id_filter
        self.honour_upper_bound = honour_upper_bound
        self.token = OAuthTokenEndpoint(
            server, client_id=CLIENT_ID, client_secret=CLIENT_SECRET, path="/oauth2/token", expires_in=86399
        )
        server.route("/api/invoices", self.token.protected(self._list))

    def _list(self, request: RecordedRequest) -> CannedResponse:
        query = {k: v[-1] for k, v in request.query.items()}
        rows = [
            r
            for r in self.rows
            if datetime.fromisoformat(query.get("updated_at[gt_or_eq]", "1970-01-01T00:00:00+00:00"))
            <= datetime.fromisoformat(r["updated-at"])
            < datetime.fromisoformat(
                query.get("updated_at[lt]", "2999-01-01T00:00:00+00:00")
                if self.honour_upper_bound
                else "2999-01-01T00:00:00+00:00"
            )
        ]
        if self.honour_id_filter and "id[gt]" in query:
            rows = [r for r in rows if r["id"] > int(query["id[gt]"])]
        offset, limit = int(query.get("offset", 0)), min(50, int(query.get("limit", 50)))
        return CannedResponse(200, rows[offset : offset + limit])


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    forget_tokens()
    with ScriptedServer() as scripted:
        yield scripted
    forget_tokens()


def resource(server: ScriptedServer, **fields: Any) -> CoupaResource:
    values = {
        "base_url": server.url,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "token_warmup_seconds": 0,
        "rate_per_second": 0,
        "max_attempts": 2,
        "backoff_base": 0.01,
        "backoff_cap": 0.05,
        **fields,
    }
    return CoupaResource(**values)


def read_all(server: ScriptedServer, **fields: Any) -> list[dict[str, Any]]:
    with resource(server, **fields).session() as session:
        return list(session.iter_changed("invoices", START, START + timedelta(days=30), workers=1))


# -- what goes over the wire -------------------------------------------------------------------------------


def test_the_token_request_and_api_calls_look_like_coupas_documentation(server):
    coupa = CoupaLike(server, [invoice(n) for n in range(1, 4)])
    rows = read_all(server)
    assert [r["id"] for r in rows] == [1, 2, 3]
    [token_request] = coupa.token.token_requests
    assert token_request["grant_type"] == "client_credentials"
    assert token_request["client_id"] == CLIENT_ID and token_request["client_secret"] == CLIENT_SECRET
    assert token_request["scope"].split(" ") == [
        "core.common.read",
        "core.supplier.read",
        "core.purchase_order.read",
        "core.invoice.read",
        "core.pay.payments.read",
        "core.accounting.read",
        "core.supplier.write",
        "core.purchase_order.write",
        "core.invoice.write",
        "core.pay.payments.write",
    ]  # space-separated, no commas: every configured scope, so every session shares the token
    [call] = server.hits("/api/invoices")
    assert call.headers["Accept"] == "application/json"
    assert call.headers["Authorization"].startswith("Bearer tok")
    assert call.query["updated_at[gt_or_eq]"] == ["2025-03-01T00:00:00+00:00"]
    assert call.query["updated_at[lt]"] == ["2025-03-31T00:00:00+00:00"]
    assert call.query["limit"] == ["50"] and "offset" not in call.query
    assert rows[0]["gross-total"] == Decimal("12.5") and isinstance(rows[0]["gross-total"], Decimal)


def test_pages_are_keyed_by_id(server):
    CoupaLike(server, [invoice(n) for n in range(1, 24)])
    rows = read_all(server, page_size=10)
    assert [r["id"] for r in rows] == list(range(1, 24))
    sent = [call.query.get("id[gt]", ["-"])[0] for call in server.hits("/api/invoices")]
    assert sent == ["-", "10", "20"]


def test_a_parallel_read_yields_each_record_once_in_id_order_when_the_server_ignores_upper_bounds(server):
    # This server knows neither id[lt_or_eq] nor (here) updated_at[lt]: each id range then gets every
    # record above its cursor, and the client keeps only its own range and window.
    rows = [invoice(n) for n in range(1, 401)]
    CoupaLike(server, rows, honour_upper_bound=False)
    with resource(server, page_size=10).session() as session:
        got = list(session.iter_changed("invoices", START, START + timedelta(days=30), workers=4))
    inside = [r["id"] for r in rows if datetime.fromisoformat(r["updated-at"]) < START + timedelta(days=30)]
    assert [r["id"] for r in got] == inside  # each once, in id order as a sequential read gives them
    ranges = {call.query.get("id[lt_or_eq]", ["-"])[0] for call in server.hits("/api/invoices")}
    assert len(ranges) > 2  # the read really went parallel over several id ranges


def test_a_parallel_read_of_a_server_that_ignores_id_filters_goes_on_by_offset_exactly(server, caplog):
    CoupaLike(server, [invoice(n) for n in range(1, 96)], honour_id_filter=False)
    caplog.set_level(logging.WARNING)
    with resource(server, page_size=10).session() as session:
        rows = list(session.iter_changed("invoices", START, START + timedelta(days=30), workers=4))
    assert [r["id"] for r in rows] == list(range(1, 96))
    assert "reading the rest of this window by offset" in caplog.text


def test_a_server_that_ignores_id_filters_is_paged_by_offset_without_losing_or_doubling(server, caplog):
    CoupaLike(server, [invoice(n) for n in range(1, 24)], honour_id_filter=False)
    caplog.set_level(logging.WARNING)
    rows = read_all(server, page_size=10)
    assert [r["id"] for r in rows] == list(range(1, 24))
    assert "ignored id[gt]=10" in caplog.text
    offsets = [call.query.get("offset", ["0"])[0] for call in server.hits("/api/invoices")]
    assert offsets == ["0", "0", "0", "10", "20"]  # page 1, the page that revealed it, then offsets


def test_a_plain_text_401_is_answered_with_one_new_token(server):
    coupa = CoupaLike(server, [invoice(1)])
    with resource(server).session() as session:
        coupa.token.expire_all()
        server.enqueue(CannedResponse(401, "Unauthorized"), path="/api/invoices")
        assert session.search("invoices", {}, limit=5)[0]["id"] == 1
        assert session.metrics.reauths == 1
    assert len(coupa.token.issued) == 2


# -- answers in other shapes --------------------------------------------------------------------------------


def scripted(server: ScriptedServer, path: str, *answers: CannedResponse) -> OAuthTokenEndpoint:
    token = OAuthTokenEndpoint(server, client_id=CLIENT_ID, client_secret=CLIENT_SECRET, path="/oauth2/token")
    server.enqueue(*answers, path=path)
    return token


def test_xml_instead_of_json_is_a_clear_error_and_an_xml_no_results_404_is_empty(server):
    xml = '<?xml version="1.0"?><invoice-headers type="array"></invoice-headers>'
    none = "<errors><error>No results match your search criteria.</error></errors>"
    scripted(
        server,
        "/api/invoices",
        CannedResponse(200, xml, {"Content-Type": "application/xml"}),
        CannedResponse(404, none, {"Content-Type": "application/xml"}),
    )
    with resource(server).session() as session:
        with pytest.raises(CoupaResponseError, match=r"with XML although the client asked for JSON"):
            session.search("invoices", {})
        assert session.search("invoices", {}) == []


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (422, {"errors": ["Supplier can't be blank"]}, "supplier: Supplier can't be blank"),
        (
            400,
            "<errors><error>Invoice number can&apos;t be blank</error></errors>",
            "Invoice number can't be blank",
        ),
        (400, {"errors": {"invoice-header": {"invoice-lines": ["Line 1: Price is not a number"]}}}, "Price"),
        (400, "", "(HTTP 400): Bad Request"),
    ],
)
def test_validation_errors_in_every_shape_carry_coupas_words(server, status, body, expected):
    scripted(server, "/api/invoices", CannedResponse(status, body))
    fields = {
        "invoice-number": "INV-9",
        "supplier": {"number": "10442"},
        "invoice-date": "2025-03-10",
        "invoice-lines": [{"description": "x", "price": "1.00", "account": {"code": "A-1"}}],
    }
    with resource(server).session(flow="invoices") as session, pytest.raises(CoupaValidationError) as caught:
        session.create_invoice(fields)
    assert caught.value.status == status
    assert expected in str(caught.value) and "invoice INV-9 of supplier 10442" in str(caught.value)
    assert len(server.hits("/api/invoices", "POST")) == 1


def test_a_create_answered_without_the_record_is_found_by_its_natural_key(server):
    scripted(server, "/api/suppliers", CannedResponse(201, b""))
    found = {"id": 91, "name": "Quarry Works", "number": "20001", "updated-at": "2025-03-01T00:00:00Z"}
    server.enqueue(CannedResponse(200, [found]), path="/api/suppliers")
    with resource(server).session(flow="suppliers") as session:
        created = session.create_supplier({"name": "Quarry Works", "number": "20001"})
    assert created["id"] == 91
    post, search = server.hits("/api/suppliers")
    assert post.method == "POST" and json.loads(post.body)["status"] == "active"
    assert search.query == {"number": ["20001"], "limit": ["10"]}


def test_a_row_without_updated_at_is_named_in_the_error(server):
    scripted(server, "/api/invoices", CannedResponse(200, [{"id": 5, "invoice-number": "INV-5"}]))
    with pytest.raises(CoupaResponseError, match="invoices record id 5 has no updated-at"):
        read_all(server)


def test_rows_out_of_id_order_stop_the_read_instead_of_risking_a_gap(server):
    rows = [invoice(3), invoice(1), invoice(2)]
    scripted(server, "/api/invoices", CannedResponse(200, rows))
    with pytest.raises(CoupaResponseError, match="out of id order"):
        read_all(server)


# -- token endpoint answers -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "error", "words"),
    [
        (
            CannedResponse(
                400, {"error": "invalid_scope", "error_description": "core.invoice.read not granted"}
            ),
            CoupaScopeError,
            r"refused the scopes .*invalid_scope: core\.invoice\.read not granted",
        ),
        (
            CannedResponse(401, {"error": "invalid_client"}),
            CoupaAuthError,
            r"rejected client scripted-client: invalid_client\. Check the client id and secret",
        ),
        (CannedResponse(200, {"token_type": "bearer"}), CoupaAuthError, "no access_token"),
    ],
)
def test_token_endpoint_refusals_are_explained(server, answer, error, words):
    server.route("/oauth2/token", answer)
    with pytest.raises(error, match=words) as caught:
        resource(server).ping()
    assert CLIENT_SECRET not in str(caught.value)


def test_a_token_without_expires_in_is_kept_until_the_server_rejects_it(server):
    server.route("/oauth2/token", CannedResponse(200, {"access_token": "t" * 1500, "token_type": "bearer"}))
    server.route("/api/invoices", CannedResponse(200, []))
    with resource(server).session() as session:
        for _ in range(3):
            session.search("invoices", {})
    assert len(server.hits("/oauth2/token")) == 1


def test_errors_survive_pickling_with_their_fields(server):
    scripted(
        server,
        "/api/invoices",
        CannedResponse(422, {"errors": {"invoice-header": ["Supplier can't be blank"]}}),
    )
    fields = {
        "invoice-number": "INV-P",
        "supplier": {"id": 3},
        "invoice-date": "2025-03-10",
        "invoice-lines": [{"description": "x", "price": "1.00", "account": {"id": 1}}],
    }
    with resource(server).session(flow="invoices") as session, pytest.raises(CoupaValidationError) as caught:
        session.create_invoice(fields)
    copy = pickle.loads(pickle.dumps(caught.value))
    assert type(copy) is CoupaValidationError and str(copy) == str(caught.value)
    assert copy.messages == caught.value.messages and copy.fields == ("supplier",)
    assert (copy.status, copy.entity, copy.record) == (422, "invoices", "invoice INV-P of supplier id 3")
