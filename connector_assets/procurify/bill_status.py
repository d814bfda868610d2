"""Procurify's bill ``status`` codes and their names (reference 2.6), one table for every flow that reads
or reports a Procurify bill's status, so a refusal or a reconciliation row names the status as a Procurify
user sees it ("Payment Confirmed", not ``6``)."""

BILL_STATUS_NAMES = {
    0: "Draft",
    1: "Confirmed",
    2: "Approved",
    3: "Denied",
    4: "Paid",
    5: "Withdrawn",
    6: "Payment Confirmed",
    7: "Payment Approved",
    8: "Payment Limbo",
}
