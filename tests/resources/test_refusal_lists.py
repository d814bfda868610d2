"""Several problems of one record refused once (``refusal_lists``), and the Procurify client's refusals as
data: the kinds survive the plain lists of sentences the mappers pass around."""

from __future__ import annotations

from connector_resources.procurify.errors import (
    ProcurifyDuplicateError,
    ProcurifyValidationError,
    field_name,
    invalid,
)
from connector_resources.refusal_lists import Problems, combined, note
from connector_resources.refusals import mapping_missing, refusal_of, refused, source_invalid

TABLE = "jde_bill/account_map"


def test_rows_missing_from_one_table_are_one_refusal_naming_every_value_once() -> None:
    first = mapping_missing("account 20.1 has no row", table=TABLE, what="account", value="20.1")
    second = mapping_missing("LNTY:S has no row", table=TABLE, what="account", value="LNTY:S")
    again = mapping_missing("account 20.1 again", table=TABLE, what="account", value="20.1")
    other = source_invalid("line 3 has no account", field="F4311 ANI")
    one = combined("order: all of it", [first, other, second, again])
    assert (one.kind, one.sentence) == ("mapping_missing", "order: all of it")
    assert one.params == {"table": TABLE, "what": "account", "value": ["20.1", "LNTY:S"]}
    assert combined("x", [other, first]).params == {"field": "F4311 ANI", "value": ""}


def test_problems_stay_a_list_of_sentences_and_keep_the_kinds_they_were_given() -> None:
    problems = Problems()
    problems.append("a sentence nobody classified")
    note(problems, refused("no open lines", rule="no open lines"))
    more = Problems()
    more.add(source_invalid("no due date", field="F0411 DDJ"))
    problems.extend(more)
    assert problems == ["a sentence nobody classified", "no open lines", "no due date"]
    assert [r.kind for r in problems.refusals()] == ["refused", "source_invalid"]
    fallback = refused("x", rule="bill lines")
    assert problems.refusal("; ".join(problems), fallback).group == "refused · no open lines"
    assert Problems(["only words"]).refusal("only words", fallback).group == "refused · bill lines"
    plain: list[str] = []
    note(plain, refused("kept as words", rule="r"))  # a caller's plain list still gets the sentence
    assert plain == ["kept as words"]


def test_procurify_refusals_name_the_field_without_list_positions() -> None:
    assert field_name("line_items[1].vendor_name") == "line_items.vendor_name"
    server = ProcurifyValidationError("x", fields={"email[1]": ["not valid"]}, status=400)
    assert refusal_of(server, "said", system="procurify").group == "target_refused · procurify · email"
    client = invalid("vendor 7", "name", "is empty")
    assert (client.refusal.kind, client.refusal.params["field"]) == ("source_invalid", "name")
    duplicate = ProcurifyDuplicateError("two vendors carry external_id 4343")
    assert duplicate.refusal.group == "ambiguous · procurify"
