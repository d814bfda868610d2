"""The Oracle Fusion side shared by the integrations that read from or write to Fusion (Fusion <-> Procurify
today, Fusion -> Coupa next): what is about Fusion's REST API and data whatever the other system is.

* ``values``: Fusion values read one way (text, decimals, flags, dates that may be timestamps);
* ``suppliers``: the day's staged suppliers, suppliers read again by id, and the supplier an operator
  names by number or id, read and checked to exist;
* ``supplier_sites``: the supplier site an order or invoice goes to, and whether a supplier is usable;
* ``draft_orders``: the draft purchase order as the ledger keeps it, and what Fusion lets change on it;
* ``order_target``: the purchase order write target (find, create and submit a draft, or update);
* ``order_reads``: a purchase order's number and description, read by its id (a draft's too);
* ``invoice_target``: the payables invoice write target (find and adopt, create, update, validate);
* ``payments``: the payments of an invoice, read from Fusion, and whether (and when) it is fully paid;
* ``paid_invoices``: the invoices a day's staged payments and invoice changes touch;
* ``account_combinations``: the account combinations staged from the pod, and whether one takes postings.

An integration keeps its own rules (pairing, mapping tables, which records are sent) and names itself in
the wording these pieces take as parameters. Nothing here imports an integration package (import-linter
contract in pyproject.toml).
"""
