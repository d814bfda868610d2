"""The flows' own rules as data: for each ``rule`` a flow refuses a record by (``refusals.refused``), what an
A/P clerk does about it, in which system, and what happens after.

Why: every refusal by a flow's rule is of the one kind ``refused``, and the kind had one action for all of
them ("correct the record in the source, or abandon it"), though a Procurify bill not approved is approved
in Procurify, a Coupa invoice charging two JDE companies is split in Coupa and a JDE credit voucher is
entered in BILL by hand. Each rule here says its own; the desk, the fit report, the alerts and ``replay
--dry-run`` ask ``refusal_actions.action_for``, which falls back to the kind's action only for a rule the
catalog does not have (an error the code did not classify). A test scans the code: every ``rule=`` has its
entry.

``timed``: whether the replay sweep tries a refusal again on its timer. A rule judges the record itself, so
by default no: trying it again unchanged refuses it again. It is written again when its source record
changes (the run reads it again), when what it waits for syncs (a refused parent fixed), or when a person
replays it. A rule whose cause may pass without the record changing (a target's odd answer) is timed.
"""

from __future__ import annotations

from dataclasses import dataclass

from connector_resources.declared import by_name

# What the desk offers on every refused item, said once here for the actions that end with it.
_ABANDON = "abandon this item at the desk with a note"
_CHANGED = "the record is read and written again when it changes there"


@dataclass(frozen=True, slots=True)
class Rule:
    """One rule a flow refuses records by: its ``name`` (the ``rule`` parameter), the ``system`` the clerk
    acts in, and the ``action``: what to do there and what happens after."""

    name: str
    system: str
    action: str
    timed: bool = False

    @property
    def said(self) -> str:
        """The action as every surface prints it: where, then what."""
        return f"In {self.system}: {self.action}"


# A rule named twice is refused when the module loads (``declared.by_name``), not silently overwritten.
RULES: dict[str, Rule] = by_name(
    # -- Procurify as the source (orders, bills, payments going to JDE, Fusion or BILL) ---------------------
    Rule(
        "not found in Procurify",
        "Procurify",
        "check whether the record was deleted in Procurify; if it was on purpose, "
        f"{_ABANDON}. If it is back, replay it.",
    ),
    Rule(
        "cancelled in Procurify after it was sent",
        "the target ERP (JDE or Oracle Fusion)",
        "the order was cancelled in Procurify after the connector sent it. Cancel or close it in the ERP if "
        f"that is right (the connector never cancels a sent order), then {_ABANDON}.",
    ),
    Rule(
        "no lines left to order",
        "Procurify",
        "every line of the PO was rejected or denied, so there is nothing to order. If lines should be "
        f"ordered, correct the PO in Procurify ({_CHANGED}); otherwise {_ABANDON}.",
    ),
    Rule(
        "lines of another system's order",
        "Procurify",
        "split the PO so the other system's lines are on their own PO; the PO is read and written again "
        "when it changes (or replay it).",
    ),
    Rule(
        "PO of several orders",
        "Procurify",
        "split the PO so each source order has its own PO, then replay it; or keep the link by hand and "
        f"{_ABANDON}.",
    ),
    Rule(
        "not approved now",
        "Procurify",
        "the bill is no longer approved. Approve it again if it should be paid (it is then read and sent "
        "at the next run); first check it was not already paid or entered by hand, so it is not paid "
        f"twice. If it should not be paid, then {_ABANDON}.",
    ),
    Rule(
        "moved back after it was sent",
        "the target ERP (JDE or Oracle Fusion)",
        "the bill was moved back in Procurify after the connector sent it. Reverse or void it in the ERP if "
        f"that is right (the connector never takes back a sent bill), then {_ABANDON}.",
    ),
    Rule(
        "bill refused",
        "Procurify",
        "the bill was sent before and is now refused as it is: correct it in Procurify if the ERP's copy "
        f"must change, and correct the ERP's copy by hand; {_ABANDON}.",
    ),
    Rule(
        "bill not approved",
        "Procurify",
        "the invoice was paid in Fusion but its Procurify bill is not approved, and Procurify marks only "
        "approved bills paid. Approve the bill, then replay this item: it is marked paid. Check first that "
        "it was not paid or marked paid another way, so it is not paid twice.",
    ),
    Rule(
        "no items",
        "Procurify",
        f"add the bill's items (or correct the bill); {_CHANGED}. If the bill is empty on purpose, "
        f"{_ABANDON}.",
    ),
    Rule(
        "zero total",
        "Procurify",
        f"the bill comes to zero, so there is nothing to invoice. Correct its amounts if that is wrong "
        f"({_CHANGED}); otherwise {_ABANDON}.",
    ),
    Rule(
        "bill not invoiceable",
        "Procurify",
        f"correct what the sentence names on the bill; {_CHANGED} (or replay it once corrected).",
    ),
    Rule(
        "order unknown in Fusion",
        "Oracle Fusion",
        "the bill names a Procurify PO that never became a Fusion order. Enter the order in Fusion (or "
        "correct the PO on the bill in Procurify), then replay this item.",
    ),
    Rule(
        "items differ from the total",
        "Procurify",
        "the bill's items do not add up to its total with tax, and the difference has no account. Correct "
        f"the bill ({_CHANGED}), or enter the bill in JDE by hand and {_ABANDON}.",
    ),
    Rule(
        "bill charges several companies",
        "Procurify",
        "one JDE document belongs to one company: split the bill so each bill charges accounts of one JDE "
        f"company; {_CHANGED}.",
    ),
    Rule(
        "nothing to post",
        "Procurify",
        f"the bill comes to zero, so there is nothing to post to JDE. Correct its amounts if that is wrong "
        f"({_CHANGED}); otherwise {_ABANDON}.",
    ),
    Rule(
        "too many lines",
        "Procurify",
        f"split the bill into bills of fewer lines (the sentence says how many JDE takes); {_CHANGED}.",
    ),
    Rule(
        "bill lines",
        "Procurify",
        f"correct the bill's items as the sentence says; {_CHANGED} (or replay it once corrected).",
    ),
    Rule(
        "cannot be split over its bills",
        "JDE",
        "the payment cannot be shared over the bills it pays (the sentence says why). Record the payment "
        f"against the vouchers in JDE by hand, then {_ABANDON}.",
    ),
    Rule(
        "nets bills of zero or less",
        "JDE",
        "the payment nets a credit against its bills, which would record more paid in JDE than was paid. "
        f"Record the payment and the credit in JDE by hand, then {_ABANDON}.",
    ),
    Rule(
        "payment currency differs from the bill's",
        "JDE",
        f"JDE pays a voucher in its own currency only: record the payment in JDE by hand, then {_ABANDON}.",
    ),
    Rule(
        "bill recorded without a JDE voucher",
        "JDE",
        f"find the bill's voucher in JDE and record the payment there by hand, then {_ABANDON}.",
    ),
    Rule(
        "journal company unreadable",
        "JDE",
        "the bill's journal batch was purged from F0911Z1 once posted, so the company its journal is in "
        f"cannot be read: record the payment in JDE by hand in the journal's company, then {_ABANDON}.",
    ),
    Rule(
        "account code renamed",
        "Procurify",
        "the account map now gives a written account another code, and Procurify would rename the code in "
        "place, history and all. Add the new code in Procurify by hand if that is right, or correct the "
        "mapping table back; then replay this item.",
    ),
    Rule(
        "account code switch the API cannot make",
        "Procurify",
        "switch the account code the sentence names on or off by hand (Procurify's API has no field or "
        "endpoint for it); its description was updated. The replay sweep writes the item again and clears "
        "it once Procurify shows the code as the ERP has it.",
        timed=True,
    ),
    Rule(
        "PO change the API cannot make",
        "Procurify",
        "make the change the sentence names on the PO by hand (Procurify's API cannot make it); the rest "
        "was revised. Abandon this item at the desk with a note once done.",
    ),
    Rule(
        "description dropped",
        "Procurify",
        "Procurify kept a requisition without its description, so the connector stopped creating to avoid "
        "duplicates. Check the requisition form's description field with the Procurify administrator; "
        "the next run or replay creates it.",
        timed=True,
    ),
    Rule(
        "order lines not mappable",
        "the mapping table or Procurify",
        "the sentence names each line's problem: add the missing row to the mapping table, or correct the "
        f"line in Procurify ({_CHANGED}); then replay the order.",
    ),
    Rule(
        "no purchasing site",
        "Oracle Fusion",
        "add a purchasing site for the supplier in the order's business unit, then replay the order.",
    ),
    Rule(
        "order not writable",
        "Procurify",
        f"correct the order as the sentence says; {_CHANGED} (or replay it once corrected).",
    ),
    Rule(
        "supplier not a vendor",
        "Oracle Fusion",
        f"complete the supplier as the sentence says; {_CHANGED} (or replay it once corrected).",
    ),
    # -- JDE as the source (orders, vouchers, payments going to BILL or Procurify) ---------------------------
    Rule(
        "no open lines",
        "JDE",
        "the order has no open lines left to bill. If it should be billed, correct the order in JDE "
        f"({_CHANGED}); otherwise {_ABANDON}.",
    ),
    Rule(
        "bill not above zero",
        "JDE",
        "the order's open lines total zero or less, and BILL takes bills above zero only. Correct the order "
        f"in JDE if that is wrong ({_CHANGED}); otherwise {_ABANDON}.",
    ),
    Rule(
        "credit, not a bill",
        "BILL",
        "a JDE credit voucher is a vendor credit in BILL, which the connector cannot write (no vendor-credit "
        "endpoint is documented). Enter a vendor credit by hand for the vendor, for the voucher's amount, "
        "with the voucher number as its reference, and apply it to the vendor's next bill; "
        f"{_ABANDON}.",
    ),
    Rule(
        "order lines not billable",
        "JDE",
        f"correct the order's lines as the sentence says; {_CHANGED} (or replay it once corrected).",
    ),
    Rule(
        "G/L distribution",
        "JDE",
        f"correct the voucher's G/L distribution as the sentence says; {_CHANGED} (or replay it).",
    ),
    Rule(
        "currency differs from vendor's",
        "BILL",
        "the JDE document is in another currency than its BILL vendor bills in: enter the bill in BILL by "
        f"hand in the vendor's currency, or correct the vendor's currency in BILL and replay; otherwise "
        f"{_ABANDON}.",
    ),
    Rule(
        "not above zero",
        "JDE",
        "the payment is of zero or less, which BILL does not take as a payment. Correct it in JDE if that "
        f"is wrong ({_CHANGED}); otherwise {_ABANDON}.",
    ),
    Rule(
        "bill not from JDE",
        "the desk",
        "nothing to do: the bill did not come from JDE, so its payment is out of this integration's scope "
        "(there is no JDE document to pay). The flow leaves such a payment alone, unqueued "
        "(``flows.out_of_scope``); an item queued for one before is resolved by its next replay.",
    ),
    Rule(
        "written as its order's bill",
        "the desk",
        "nothing to fix: the voucher is written as its purchase order's bill. Abandon this item with a note.",
    ),
    Rule(
        "order not approved now",
        "JDE",
        "the order is no longer approved, and its bill in BILL is left as written. Approve the order again "
        "if it should be billed; otherwise void the bill in BILL by hand if it must not be paid, "
        f"{_ABANDON}.",
    ),
    Rule(
        "cancelled in JDE after it was sent",
        "Procurify",
        "the order was cancelled in JDE after it was sent, and the API cannot cancel a requisition or a "
        f"PO: cancel it in Procurify by hand, then {_ABANDON}.",
    ),
    Rule(
        "mapped account not postable",
        "the mapping table",
        "the JDE account mapped to the Procurify account code is a summary account: map a postable JDE "
        "account to the code in the account map, then replay this item.",
    ),
    Rule(
        "account not postable",
        "JDE or the mapping table",
        "the account is not postable (its posting edit says why): map the line to a postable account in "
        "the mapping table, or have the accountants make the account postable in JDE; then replay it.",
    ),
    Rule(
        "foreign amount not read",
        "JDE",
        "JDE did not give the pay item's foreign amount: check the voucher's currency and foreign amounts "
        f"in JDE and correct them; {_CHANGED} (or replay it).",
    ),
    Rule(
        "supplier inactive",
        "the supplier's source system",
        "the supplier is inactive there, so it is not created in JDE. Activate it there if it should be "
        f"bought from ({_CHANGED}); otherwise {_ABANDON}.",
    ),
    Rule(
        "answer without an order number",
        "JDE",
        "JDE answered the create without an order number. Nothing to do at first: the next replay finds "
        "the order by its reference and adopts it if JDE created it, or creates it. If it lasts, check the "
        "orchestration's output with the JDE administrator.",
        timed=True,
    ),
    Rule(
        "answer without an address number",
        "JDE",
        "JDE answered the create without an address number. Nothing to do at first: the next replay tries "
        "again. If it lasts, check the orchestration's output with the JDE administrator.",
        timed=True,
    ),
    # -- Coupa as the source (invoices and payments going to JDE) -------------------------------------------
    Rule(
        "invoice has no lines",
        "Coupa",
        f"the invoice has no lines: correct it in Coupa ({_CHANGED}), or {_ABANDON}.",
    ),
    Rule(
        "invoice charges several companies",
        "Coupa",
        "one JDE voucher belongs to one company: split the invoice so each invoice charges accounts of one "
        f"JDE company (or correct the lines' accounts); {_CHANGED}.",
    ),
    Rule(
        "invoice not a voucher",
        "Coupa",
        f"correct the invoice as the sentence says; {_CHANGED} (or replay it once corrected).",
    ),
    Rule(
        "not a payment",
        "Coupa",
        "the payment is of zero or less, which JDE does not take as a payment. Correct it in Coupa if that "
        f"is wrong ({_CHANGED}); otherwise record it in JDE by hand and {_ABANDON}.",
    ),
    # -- Procore as the source (commitments, change orders, requisitions going to JDE) ----------------------
    Rule(
        "commitment has no lines",
        "Procore",
        f"add the commitment's schedule of values lines; {_CHANGED}.",
    ),
    Rule(
        "change order has no lines",
        "Procore",
        f"add the change order's line items; {_CHANGED}. If it changes nothing, {_ABANDON}.",
    ),
    Rule(
        "nothing to add",
        "Procore",
        "the change order totals zero and its line items cannot be read: correct it in Procore if it "
        f"changes the order ({_CHANGED}); otherwise {_ABANDON}.",
    ),
    Rule(
        "document not an order",
        "Procore",
        f"correct the commitment as the sentence says; {_CHANGED} (or replay it once corrected).",
    ),
    Rule(
        "not approved",
        "Procore",
        "the requisition is no longer approved, so no voucher is made. Approve it again if it should be "
        f"paid (it is then read and sent at the next run); otherwise {_ABANDON}.",
    ),
    Rule(
        "requisition unreadable",
        "Procore",
        "the requisition's commitment, payment due or lines could not be read (the sentence says which): "
        f"correct it in Procore; {_CHANGED} (or replay it).",
    ),
    Rule(
        "cost codes of another company than the job",
        "Procore or the mapping table",
        "one JDE voucher belongs to one company: map the cost codes to accounts of the project's company "
        "(the mapping table), or correct the project's job in Procore; then replay it.",
    ),
    Rule(
        "lines differ from payment due",
        "Procore",
        "the requisition's lines do not add up to its payment due: correct it in Procore "
        f"({_CHANGED}), or enter the voucher in JDE by hand and {_ABANDON}.",
    ),
    Rule(
        "order key unreadable",
        "the desk",
        "the purchase order's JDE key in the connector's records is unreadable: tell the integration's "
        "maintainers (the sentence names the key); replay it once they corrected it.",
    ),
    Rule(
        "too many accounts",
        "Procore",
        "the requisition charges more accounts than a JDE voucher holds: split it in Procore, or enter the "
        f"voucher in JDE by hand and {_ABANDON}.",
    ),
    Rule(
        "requisition not a voucher",
        "Procore",
        f"correct the requisition as the sentence says; {_CHANGED} (or replay it once corrected).",
    ),
    Rule(
        "credit requisition",
        "JDE",
        "the requisition comes to a credit, and the integration only vouchers amounts owed: enter the "
        f"debit memo in JDE by hand, then {_ABANDON}.",
    ),
    # -- any flow -----------------------------------------------------------------------------------------
    Rule(
        "never mapped",
        "the source system",
        "the record was queued before it could be mapped: correct its source data, then rerun its day "
        "(or replay it).",
    ),
    Rule(
        "no longer in the source",
        "the source system",
        f"the record is no longer one to write there. If that is right, {_ABANDON}; "
        "if not, correct it there (it is read and written again when it changes).",
    ),
    Rule(
        "not sendable to BILL",
        "the source system",
        f"a field BILL requires is missing or not in BILL's form (the sentence names it): correct it; "
        f"{_CHANGED} (or replay it).",
    ),
    Rule(
        "not classified",
        "the desk",
        "the item was queued without a rule (before kinds were kept): read the sentence, replay it once its "
        "cause is gone, or abandon it with a note.",
        timed=True,
    ),
    # -- records refused because the record they belong to will never be written ---------------------------
    # (``parent_verdicts.GoneParent.refusal``: "waits for a record <cause>"); made due again by the sweep
    # as soon as that record syncs, and re-checked on the timer (the parent's state is not this record's).
    Rule(
        "waits for a record exported by another process",
        "the other process's system",
        f"record this one by hand where that record is, then {_ABANDON}.",
        timed=True,
    ),
    Rule(
        "waits for a record refused for good",
        "the desk",
        "fix the record it waits for (the sentence names it) and replay that one: this one follows as soon "
        "as it syncs.",
        timed=True,
    ),
    Rule(
        "waits for a record abandoned",
        "the desk",
        "the record it waits for was abandoned. If it should be written after all, run its flow for it "
        f"again (this one follows); otherwise settle this one by hand and {_ABANDON}.",
        timed=True,
    ),
    Rule(
        "waits for a record its own parent cannot come",
        "the desk",
        "settle the first record of the chain (the sentence names the one it waits for): this one follows "
        "as soon as it syncs.",
        timed=True,
    ),
    Rule(
        "waits for a record its flow never sends it",
        "the desk",
        "do what the sentence says about the record it waits for, then replay this item.",
        timed=True,
    ),
)
