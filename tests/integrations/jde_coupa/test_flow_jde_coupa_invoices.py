"""JDE AP ledger (F0411) -> Coupa invoices: on the order's account or the F0911 distribution's, once."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from asset_runs import materialized, named
from dagster import AssetKey
from jde_coupa_parts import (
    ACCOUNTS,
    jde_coupa_account_map,
    jde_coupa_assets,
    jde_coupa_invoice_assets,
    mapped_invoice,
)
from jde_coupa_world import jde_coupa_world, replay_into_coupa
from jde_foreign_vouchers import enter_foreign_voucher, posting_accounts
from mapping_rows import own_ledger, save_rows

from connector_assets.flows.core import Rejected
from connector_assets.integrations.jde_coupa.invoices import original_key
from connector_assets.jde.assets import jde_assets
from connector_assets.jde.lookup import browse_in

DAY = (date.today() - timedelta(days=21)).isoformat()
CHAIN = (
    "jde/suppliers",
    "jde/address_book",
    "jde/ap_ledger",
    "jde_coupa/suppliers_mapped",
    "jde_coupa/suppliers_written",
    "jde_coupa/invoices_mapped",
    "jde_coupa/invoices_written",
)
TABLES = ("jde_coupa/payment_terms_map", "jde_coupa/account_map")  # staged in the run, as the jobs do


@pytest.fixture
def world(tmp_path):
    with jde_coupa_world(tmp_path, jde_scale=0.1) as world:
        yield world.resources, world.ledger


def _run(resources, names):
    every = [*jde_assets, *jde_coupa_assets, jde_coupa_account_map, *jde_coupa_invoice_assets]
    return materialized(named(names, every), resources, partition_key=DAY)


def test_vouchers_become_coupa_invoices_once_on_mapped_accounts(world):
    resources, ledger = world
    meta = _run(resources, (*TABLES, *CHAIN))
    mapped, written = meta["jde_coupa/invoices_mapped"], meta["jde_coupa/invoices_written"]
    assert written["create"].value + written["adopt"].value > 0
    refused = ledger.open_items(integration="jde_coupa", flow="invoices", status="failed")
    assert mapped["rejected"].value == len(refused)
    assert all("F0911" in i.reason or "mapping table" in i.reason for i in refused)

    vouchers: dict[str, list[dict]] = {}
    for row in resources["staging"].read_rows(AssetKey(["jde", "ap_ledger"]), DAY):
        vouchers.setdefault(f"{row['KCO']}/{row['DOC']}/{row['DCT']}", []).append(row)
    accounts = ACCOUNTS.read()
    unmatched = [k for k, items in vouchers.items() if not str(items[0]["PO"]).strip()]
    with resources["jde"].session() as jde:
        docs = sorted({int(k.split("/")[1]) for k in unmatched})
        distribution: dict[str, list[dict]] = {}
        for row in browse_in(jde, "F0911", "DOC", docs, ["KCO", "DOC", "DCT", "LT", "ANI", "AA", "JELN"]):
            distribution.setdefault(f"{row['KCO']}/{row['DOC']}/{row['DCT']}", []).append(row)
    checked = {"with an order": 0, "from F0911": 0}
    with resources["coupa"].session(flow="invoices") as session:
        for key, items in vouchers.items():
            xref = ledger.get_xref("jde_coupa", "invoice", "JDE", key, "coupa")
            if xref is None or not xref.target_id:
                continue
            invoice = session.get("invoices", xref.target_id)
            assert invoice["invoice-number"] == items[0]["VINV"].strip()
            lines = invoice["invoice-lines"]
            if key in unmatched:  # one line per G/L distribution line, on its mapped account and amount
                rows = sorted(distribution[key], key=lambda r: r["JELN"])
                assert [(line["account"]["code"], Decimal(str(line["price"]))) for line in lines] == [
                    (accounts[r["ANI"].strip()], Decimal(str(r["AA"]))) for r in rows
                ]
                checked["from F0911"] += 1
            else:
                assert len(lines) == len(items)
                assert {line["account"]["code"] for line in lines} <= set(accounts.values())
                checked["with an order"] += 1
    assert all(checked.values()), checked

    again = _run(resources, CHAIN[-2:])["jde_coupa/invoices_written"]
    assert (
        again["create"].value == 0 and again["skip"].value == written["create"].value + written["adopt"].value
    )
    _foreign_vouchers_reach_coupa_in_their_currency(resources, ledger, accounts)


def _foreign_vouchers_reach_coupa_in_their_currency(resources, ledger, accounts) -> None:
    """A euro and a yen voucher entered today in USD company 00001 for a supplier synced above: each Coupa
    invoice is in the voucher's currency at its own amounts to the cent (the yen), while JDE holds AG at its
    rate (EUR -> USD 1.0834, JPY -> USD 0.00667, worked out here by hand); a rerun sends nothing."""
    jde_root = resources["jde"].base_url.removesuffix("/jderest")
    synced = sorted(
        int(r["AN8"])
        for r in resources["staging"].read_rows(AssetKey(["jde", "suppliers"]), DAY)
        if (x := ledger.get_xref("jde_coupa", "supplier", "JDE", str(int(r["AN8"])), "coupa")) and x.target_id
    )
    first, second = posting_accounts(jde_root, "00001", set(accounts))[:2]
    today = date.today()
    entered = {
        "EUR": enter_foreign_voucher(
            resources["jde"], jde_root, company="00001", company_currency="USD", supplier=synced[0],
            currency="EUR", lines=[(first, Decimal("600.00")), (second, Decimal("400.00"))],
            invoice="FX-EUR-1", day=today,
        ),
        "JPY": enter_foreign_voucher(
            resources["jde"], jde_root, company="00001", company_currency="USD", supplier=synced[0],
            currency="JPY", lines=[(first, Decimal("100000")), (second, Decimal("50000"))],
            invoice="FX-JPY-1", day=today,
        ),
    }  # fmt: skip
    domestic = {"EUR": Decimal("1083.40"), "JPY": Decimal("1000.50")}  # 1000 x 1.0834, 150000 x 0.00667
    every = [*jde_assets, *jde_coupa_assets, jde_coupa_account_map, *jde_coupa_invoice_assets]
    chain = named(("jde/ap_ledger", *CHAIN[-2:]), every)
    written = materialized(chain, resources, partition_key=today.isoformat())["jde_coupa/invoices_written"]
    assert written["create"].value >= 2
    with resources["jde"].session() as jde, resources["coupa"].session(flow="invoices") as coupa:
        for currency, voucher in entered.items():
            [item] = browse_in(
                jde, "F0411", "DOC", [voucher.key[1]], ["KCO", "DOC", "AG", "ACR", "CRRM", "CRCD"]
            )
            assert (item["CRRM"], item["CRCD"], Decimal(str(item["ACR"]))) == ("F", currency, voucher.gross)
            assert Decimal(str(item["AG"])) == domestic[currency]  # JDE's dollars, never what Coupa gets
            xref = ledger.get_xref("jde_coupa", "invoice", "JDE", voucher.source_key, "coupa")
            invoice = coupa.get("invoices", xref.target_id)
            assert invoice["currency"]["code"] == currency
            assert [Decimal(str(line["price"])) for line in invoice["invoice-lines"]] == [
                a for _, a in voucher.lines
            ]
            assert Decimal(str(invoice["total-with-taxes"])) == voucher.gross
    again = materialized(chain, resources, partition_key=today.isoformat())["jde_coupa/invoices_written"]
    assert again["create"].value == again["update"].value == 0 and again["skip"].value >= 2


def _voucher(**extra) -> list[dict]:
    base = {"KCO": "00001", "DOC": 70001, "DCT": "PV", "AN8": 4343, "VINV": "INV-7", "PO": "", "DIVJ": None}
    return [{**base, "SFX": "001", "AG": Decimal("100.00"), "STAM": Decimal("0"), **extra}]


def _line(jeln: int, account: str, amount: str) -> dict:
    return {"JELN": jeln, "ANI": account, "AA": Decimal(amount), "EXA": f"line {jeln}"}


def test_a_voucher_without_an_order_takes_its_lines_from_the_f0911_distribution():
    key, accounts = ("00001", 70001, "PV"), {"1.6110": "C-6110", "1.6120": "C-6120"}
    split = [_line(10, "1.6110", "60.00"), _line(20, "1.6120", "40.00")]
    record = mapped_invoice(key, _voucher(), {}, split, accounts)
    assert [(x["account"]["code"], x["price"], x["description"]) for x in record.body["invoice-lines"]] == [
        ("C-6110", "60.00", "line 10"),
        ("C-6120", "40.00", "line 20"),
    ]


@pytest.mark.parametrize(
    ("distribution", "reason"),
    [
        ([], "voucher 00001/70001/PV (invoice INV-7): it has no purchase order and no G/L distribution"),
        (
            [_line(10, "1.6110", "90.00")],
            "its G/L distribution in F0911 totals 90.00 but its pay items total 100.00 (gross less tax)",
        ),
        (  # JDE's scaled amounts arrive with trailing zeros; the reason shows cents
            [_line(10, "1.6110", "90.00000000")],
            "its G/L distribution in F0911 totals 90.00 but its pay items total 100.00 (gross less tax)",
        ),
        (
            [_line(10, "1.6110", "90.125")],
            "its G/L distribution in F0911 totals 90.125 but its pay items total 100.00 (gross less tax)",
        ),
        (
            [_line(10, "1.9999", "100.00")],
            "account 1.9999 has no Coupa account in the mapping table",
        ),
    ],
)
def test_a_voucher_whose_distribution_cannot_be_used_is_refused_saying_why(distribution, reason):
    record = mapped_invoice(("00001", 70001, "PV"), _voucher(), {}, distribution, {"1.6110": "C"})
    assert record.source_key == "00001/70001/PV" and reason in record.reason


def test_a_voucher_with_tax_sends_gross_less_tax_on_the_lines_and_the_tax_on_the_header():
    items = _voucher(AG=Decimal("110.00"), STAM=Decimal("10.00"))
    record = mapped_invoice(
        ("00001", 70001, "PV"), items, {}, [_line(10, "1.6110", "100.00")], {"1.6110": "C"}
    )
    assert [x["price"] for x in record.body["invoice-lines"]] == ["100.00"]
    assert record.body["tax-amount"] == "10.00"


def test_a_voucher_refused_for_an_unmapped_account_is_replayed_once_with_the_fixed_table(
    world, tmp_path, monkeypatch
):
    from jde_coupa_parts import INVOICES_FLOW

    from connector_assets.coupa.targets import CoupaInvoices
    from connector_resources.replay import replay_items

    resources, ledger = world
    _run(resources, ("jde/ap_ledger",))
    unmatched = sorted(
        {
            int(r["DOC"])
            for r in resources["staging"].read_rows(AssetKey(["jde", "ap_ledger"]), DAY)
            if not str(r["PO"]).strip()
        }
    )
    with resources["jde"].session() as jde:
        [first, *_] = browse_in(jde, "F0911", "DOC", unmatched, ["DOC", "ANI", "LT"])
    missing = first["ANI"].strip()
    table = tmp_path / "accounts.csv"
    full = ACCOUNTS.read()
    table.write_text(
        "jde_account,coupa_account_code\n" + "".join(f"{k},{v}\n" for k, v in full.items() if k != missing),
        encoding="utf-8",
    )
    own_ledger(monkeypatch, tmp_path)  # a deployment whose table is imported from that file
    monkeypatch.setenv("ML_JDE_COUPA_ACCOUNT_MAP", str(table))
    _run(resources, (*TABLES, *CHAIN))
    refused = ledger.open_items(integration="jde_coupa", flow="invoices", status="failed")
    assert refused and all(
        f"account {missing} has no Coupa account in the mapping table" in i.reason for i in refused
    )

    save_rows(ACCOUNTS, {missing: full[missing]}, note="the missing account", resources=resources)  # fixed
    replays = replay_into_coupa(INVOICES_FLOW, CoupaInvoices, resources, remap=True)
    dates = {
        f"{r['KCO']}/{r['DOC']}/{r['DCT']}": r["DIVJ"].isoformat()
        for r in resources["staging"].read_rows(AssetKey(["jde", "ap_ledger"]), DAY)
    }
    summary = replay_items(ledger, refused, replays)
    assert not summary.failed
    if summary.held:  # its supplier changed on another day: held on it; the suppliers flow pulls it in
        _run(resources, ("jde/suppliers", "jde/address_book", *CHAIN[3:5]))
        ours = {i.id for i in refused}
        due = ledger.due(integration="jde_coupa", flow="invoices", limit=1000)
        summary = replay_items(ledger, [i for i in due if i.id in ours], replays)
    assert len(summary.replayed) == len(refused) and not summary.failed
    with resources["coupa"].session(flow="invoices") as session:
        for item in refused:
            invoice = session.get(
                "invoices", ledger.get_xref("jde_coupa", "invoice", "JDE", item.source_key, "coupa").target_id
            )
            assert full[missing] in {line["account"]["code"] for line in invoice["invoice-lines"]}
            # Read from JDE by the replay, not from staging: the invoice date still comes through as a date.
            assert invoice["invoice-date"][:10] == dates[item.source_key]
    assert len(replay_items(ledger, refused, replays).already) == len(
        refused
    )  # already written: nothing sent
    for item in refused:
        assert [e.action for e in ledger.history(item.source_key) if e.action in ("create", "adopt")] == [
            "create"
        ]


def test_a_debit_memo_voucher_goes_to_coupa_as_a_credit_note_tied_to_its_original_invoice():
    """A JDE debit memo (negative gross) is a supplier credit: a Coupa credit note, sent as Coupa takes one
    (``is-credit-note``; ``document-type`` is output only) with the original voucher's invoice number and
    date, which Coupa requires on a credit note."""
    memo = _voucher(DOC=70002, DCT="PD", AG=Decimal("-3421.06"), ODOC=70001, ODCT="PV", OKCO="")
    original = _voucher(VINV="INV-7", DIVJ=date(2026, 3, 2))[0]
    credit = mapped_invoice(
        ("00001", 70002, "PD"), memo, {}, [_line(10, "1.6110", "-3421.06")], {"1.6110": "C-6110"}, original
    )
    assert credit.body["is-credit-note"] is True and "document-type" not in credit.body
    assert credit.body["original-invoice-number"] == "INV-7"
    assert credit.body["original-invoice-date"] == "2026-03-02"  # the date only, as Compass asks
    assert [x["price"] for x in credit.body["invoice-lines"]] == ["-3421.06"]
    assert original_key(memo[0]) == ("00001", 70001, "PV")  # the memo's own company when OKCO is blank
    ordinary = mapped_invoice(
        ("00001", 70001, "PV"), _voucher(), {}, [_line(10, "1.6110", "100.00")], {"1.6110": "C"}
    )
    assert "is-credit-note" not in ordinary.body  # an ordinary invoice's body (and content hash) is unchanged


def test_a_debit_memo_naming_no_original_voucher_is_refused_not_sent_as_an_invoice():
    memo = _voucher(DOC=70003, DCT="PD", AG=Decimal("-10.00"))
    refused = mapped_invoice(
        ("00001", 70003, "PD"), memo, {}, [_line(10, "1.6110", "-10.00")], {"1.6110": "C"}
    )
    assert isinstance(refused, Rejected) and refused.held_on is None
    assert "names no original voucher" in refused.reason
