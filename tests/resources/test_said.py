"""A problem's words keep their refusal (``said``): a mapper's plain list of phrases, joined, reworded and
combined, still says the record's kind, naming every value of its group; and the Procurify client's
refusals as data."""

from __future__ import annotations

import pickle

from connector_resources.procurify.errors import (
    ProcurifyDuplicateError,
    ProcurifyValidationError,
    field_name,
    invalid,
)
from connector_resources.refusals import mapping_missing, refusal_of, refused, source_invalid
from connector_resources.said import Said, refusal_for, reworded, said

TABLE = "jde_bill/account_map"


def test_rows_missing_from_one_table_are_one_refusal_naming_every_value_once() -> None:
    first = said(mapping_missing("account 20.1 has no row", table=TABLE, what="account", value="20.1"))
    second = said(mapping_missing("LNTY:S has no row", table=TABLE, what="account", value="LNTY:S"))
    again = said(mapping_missing("account 20.1 again", table=TABLE, what="account", value="20.1"))
    other = said(source_invalid("line 3 has no account", field="F4311 ANI"))
    one = refusal_for("order: all of it", [first, other, second, again], rule="bill lines")
    assert (one.kind, one.sentence) == ("mapping_missing", "order: all of it")
    assert one.params == {"table": TABLE, "what": "account", "value": ["20.1", "LNTY:S"]}
    assert refusal_for("x", [other, first], rule="r").params == {"field": "F4311 ANI", "value": ""}
    alone = refusal_for("one row", [first, again], rule="r")  # one value named twice stays one value
    assert alone.params["value"] == "20.1" and alone.sentence == "one row"


def test_any_group_names_each_of_its_values_and_other_groups_stay_out() -> None:
    tax = said(source_invalid("tax 'x'", field="items.amount", value="x"))
    total = said(source_invalid("total 'y'", field="items.amount", value="y"))
    date = said(source_invalid("date 'z'", field="invoice_date", value="z"))
    one = refusal_for("bill: all of it", [tax, date, total], rule="r")
    assert one.group == "source_invalid · items.amount" and one.params["value"] == ["x", "y"]


def test_phrases_stay_plain_text_and_keep_the_kinds_they_were_given() -> None:
    problems: list[str] = ["a sentence nobody classified"]
    problems.append(said(refused("no open lines", rule="no open lines")))
    more: list[str] = [said(source_invalid("no due date", field="F0411 DDJ"))]
    problems.extend(more)
    assert problems == ["a sentence nobody classified", "no open lines", "no due date"]
    assert [p.refusal.kind for p in problems if isinstance(p, Said)] == ["refused", "source_invalid"]
    assert refusal_for("; ".join(problems), problems, rule="bill lines").group == "refused · no open lines"
    assert refusal_for("only words", ["only words"], rule="bill lines").group == "refused · bill lines"


def test_a_reworded_phrase_keeps_its_kind_worded_anew_and_survives_pickling() -> None:
    phrase = said(mapping_missing("no row for 20.1", table=TABLE, what="account", value="20.1"))
    line = reworded(phrase, f"line 2: {phrase}")
    assert isinstance(line, Said) and line == "line 2: no row for 20.1"
    assert line.refusal.sentence == "line 2: no row for 20.1" and line.refusal.params["value"] == "20.1"
    assert reworded("plain", "line 2: plain") == "line 2: plain"
    copied = pickle.loads(pickle.dumps(line))
    assert isinstance(copied, Said) and copied.refusal == line.refusal


def test_procurify_refusals_name_the_field_without_list_positions() -> None:
    assert field_name("line_items[1].vendor_name") == "line_items.vendor_name"
    server = ProcurifyValidationError("x", fields={"email[1]": ["not valid"]}, status=400)
    assert refusal_of(server, "said", system="procurify").group == "target_refused · procurify · email"
    client = invalid("vendor 7", "name", "is empty")
    assert (client.refusal.kind, client.refusal.params["field"]) == ("source_invalid", "name")
    duplicate = ProcurifyDuplicateError("two vendors carry external_id 4343")
    assert duplicate.refusal.group == "ambiguous · procurify"
