"""The Fusion client's pure parts: q for both framework versions, timestamp literals, error bodies,
payload rules, pod URLs. Error bodies are served over loopback by ``http_server`` so they are parsed from
real ``requests`` responses."""

from __future__ import annotations

import pickle
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
import requests
from http_server import CannedResponse, ScriptedServer

from connector_resources.fusion import (
    FusionInputError,
    FusionValidationError,
    Invoice,
    InvoiceLine,
    parse_error_body,
    split_pod_url,
)
from connector_resources.fusion.payloads import decimal_text
from connector_resources.fusion.query import (
    ceil_to,
    equals_q,
    finder,
    floor_to,
    parse_timestamp,
    timestamp_literal,
    window_q,
)

pytest_plugins = ["http_server"]

MOMENT = datetime(2025, 1, 15, 10, 15, 30, 250_000, tzinfo=UTC)


def test_expression_q_quotes_text_and_escapes_apostrophes() -> None:
    q, left_out = equals_q({"Supplier": "Société Générale d'Équipement", "InvoiceId": 300100187048034}, 2)
    assert q == "Supplier = 'Société Générale d''Équipement' and InvoiceId = 300100187048034"
    assert left_out == {}


def test_query_by_example_leaves_out_what_an_unquoted_value_cannot_carry() -> None:
    q, left_out = equals_q({"InvoiceNumber": "INV-1", "Supplier": "Smith and Sons; Ltd"}, 1)
    assert q == "InvoiceNumber=INV-1"
    assert left_out == {"Supplier": "Smith and Sons; Ltd"}
    for awkward in ("O'Brien", "100%", "A*", "x=y", " padded"):
        with pytest.raises(FusionInputError, match="framework_version 2"):
            equals_q({"Supplier": awkward}, 1)


def test_windows_in_both_syntaxes() -> None:
    low, high = floor_to(MOMENT, "offset"), ceil_to(MOMENT + timedelta(hours=1), "offset")
    assert window_q("LastUpdateDate", low, high, "offset", 1) == (
        "LastUpdateDate>=2025-01-15T10:15:30+00:00 and <2025-01-15T11:15:31+00:00"
    )
    assert window_q("LastUpdateDate", low, high, "space", 2) == (
        "LastUpdateDate >= '2025-01-15 10:15:30' and LastUpdateDate < '2025-01-15 11:15:31'"
    )


def test_literal_bounds_enclose_the_exact_window() -> None:
    assert floor_to(MOMENT, "iso") == MOMENT.replace(microsecond=0)
    assert ceil_to(MOMENT, "iso") == MOMENT.replace(microsecond=0) + timedelta(seconds=1)
    assert ceil_to(MOMENT.replace(microsecond=0), "iso") == MOMENT.replace(microsecond=0)
    assert floor_to(MOMENT, "date") == datetime(2025, 1, 15, tzinfo=UTC)
    assert ceil_to(MOMENT, "date") == datetime(2025, 1, 16, tzinfo=UTC)
    berlin = MOMENT.astimezone(timezone(timedelta(hours=1)))
    assert timestamp_literal(berlin, "iso") == "2025-01-15T10:15:30"  # always written in UTC
    assert timestamp_literal(MOMENT, "date") == "2025-01-15"


def test_pod_timestamps_are_read_in_every_shape() -> None:
    assert parse_timestamp("2025-02-08T02:00:00.000+00:00") == datetime(2025, 2, 8, 2, tzinfo=UTC)
    assert parse_timestamp("2019-08-01T10:15:30Z") == datetime(2019, 8, 1, 10, 15, 30, tzinfo=UTC)
    assert parse_timestamp("2019-08-01T12:15:30+02:00") == datetime(2019, 8, 1, 10, 15, 30, tzinfo=UTC)
    assert parse_timestamp("2019-08-01 10:15:30") == datetime(2019, 8, 1, 10, 15, 30, tzinfo=UTC)
    assert parse_timestamp("2019-08-01") == datetime(2019, 8, 1, tzinfo=UTC)
    assert parse_timestamp("yesterday") is None and parse_timestamp(None) is None


def test_finder_values_that_would_end_a_variable_are_refused() -> None:
    assert finder("PaidInvoicesFinder", {"InvoiceNumber": "SIM-INV-0001"}) == (
        "PaidInvoicesFinder;InvoiceNumber=SIM-INV-0001"
    )
    with pytest.raises(FusionInputError, match="InvoiceNumber"):
        finder("PaidInvoicesFinder", {"InvoiceNumber": "A,B"})


def served(
    server: ScriptedServer, status: int, body: object, content_type: str | None = None
) -> requests.Response:
    headers = {"Content-Type": content_type} if content_type else {}
    server.enqueue(CannedResponse(status, body, headers))
    return requests.get(server.url_for("/err"), timeout=5)


def test_error_bodies_in_every_shape_the_pod_may_send(http_server: ScriptedServer) -> None:
    text = parse_error_body(
        served(http_server, 400, "Invoice INV-1: attribute ValidationStatus in Invoices is read only."),
        {"ValidationStatus"},
    )
    assert text.kind == "text" and text.messages[0].field == "ValidationStatus"

    terse = parse_error_body(served(http_server, 400, "Invalid operation create for the specified resource."))
    assert terse.messages[0].field == "" and "Invalid operation" in terse.describe()

    structured = parse_error_body(
        served(
            http_server,
            400,
            {
                "title": "Bad Request",
                "detail": "The invoice could not be created.",
                "o:errorCode": "X-1",
                "status": "400",
                "o:errorDetails": [
                    {
                        "detail": "Not a valid account.",
                        "o:errorPath": "invoiceLines/1/DistributionCombination",
                    }
                ],
            },
            "application/vnd.oracle.adf.error+json",
        )
    )
    assert structured.kind == "structured"
    assert structured.messages[0].field == "invoiceLines/1/DistributionCombination"
    assert "could not be created" in structured.describe() and "Not a valid account" in structured.describe()

    oauth = parse_error_body(
        served(http_server, 401, {"error": "invalid_client", "error_description": "bad"})
    )
    assert oauth.kind == "oauth" and oauth.summary == "invalid_client: bad"

    page = (
        "<html><head><title>Service Unavailable</title><style>p{}</style></head>"
        "<body><p>Patching.</p></body></html>"
    )
    html = parse_error_body(served(http_server, 503, page, "text/html"))
    assert html.kind == "html" and "Service Unavailable" in html.summary and "p{}" not in html.summary

    empty = parse_error_body(served(http_server, 500, b""))
    assert empty.kind == "empty" and "500" in empty.summary


def test_amounts_are_decimal_text_and_floats_are_refused_by_name() -> None:
    assert decimal_text(Decimal("130.80"), "r", "InvoiceAmount") == "130.80"
    assert decimal_text(Decimal("1E+2"), "r", "InvoiceAmount") == "100"
    assert decimal_text(-7, "r", "InvoiceAmount") == "-7"
    assert decimal_text(" 12.5 ", "r", "InvoiceAmount") == "12.5"
    with pytest.raises(FusionInputError, match="invoice X: InvoiceAmount is a float"):
        decimal_text(0.1, "invoice X", "InvoiceAmount")
    with pytest.raises(FusionInputError, match="not a number"):
        decimal_text("twelve", "invoice X", "InvoiceAmount")


def test_invoice_payload_uses_the_references_names() -> None:
    invoice = Invoice(
        "INV-1",
        "Acme",
        "HQ",
        Decimal("10.00"),
        date(2025, 1, 2),
        "USD",
        business_unit="US1 Business Unit",
        lines=(
            InvoiceLine(1, "10.00", distribution_combination="101-10-60000-000", extra={"CreatedBy": "x"}),
        ),
    )
    payload = invoice.payload()
    assert payload == {
        "InvoiceNumber": "INV-1",
        "InvoiceCurrency": "USD",
        "InvoiceAmount": "10.00",
        "InvoiceDate": "2025-01-02",
        "BusinessUnit": "US1 Business Unit",
        "Supplier": "Acme",
        "SupplierSite": "HQ",
        "invoiceLines": [
            {
                "LineNumber": 1,
                "LineType": "Item",
                "LineAmount": "10.00",
                "DistributionCombination": "101-10-60000-000",
            }
        ],
    }


def test_pod_urls_with_or_without_the_rest_path() -> None:
    pod = "https://ehsg-dev1.fa.us6.oraclecloud.com"
    assert split_pod_url(pod, "11.13.18.05") == (pod, f"{pod}/fscmRestApi/resources/11.13.18.05")
    assert split_pod_url(f"{pod}/fscmRestApi/resources/latest/", "11.13.18.05") == (
        pod,
        f"{pod}/fscmRestApi/resources/latest",
    )
    assert split_pod_url(f"{pod}/fscmRestApi", "11.13.18.05")[1] == f"{pod}/fscmRestApi/resources/11.13.18.05"


def test_errors_survive_pickling_with_their_fields() -> None:
    error = FusionValidationError("refused", status=400, entity="invoices", record="invoice INV-1")
    again = pickle.loads(pickle.dumps(error))
    assert (type(again), str(again), again.status, again.record) == (
        FusionValidationError,
        "refused",
        400,
        "invoice INV-1",
    )
