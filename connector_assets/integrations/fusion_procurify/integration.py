"""What Oracle Fusion <-> Procurify is, whichever instance runs it: what an instance may reach through a
connection of its own and what two instances must hold apart (``components.apartness``). What an instance's
modules share (its name, routes and tables) is ``own.Own``, made by ``wiring.build``.
"""

import re

from connector_assets.flows.apart_settings import ApartSetting

# What an instance may reach through a connection of its own (``components.apartness``): another Procurify
# account (a second company's domain) into the one Fusion, its bills, POs, requisitions, account codes and
# departments staged as its own (``procurify_side``). Fusion is read from what the Fusion side stages for
# every instance.
OWN_CONNECTIONS = ("procurify",)


def prefixes_meet(one: str, other: str) -> bool:
    """Whether two order prefixes make one Fusion order number (``po_numbers.fusion_order_number``: ``PFY``
    + ``R60`` and ``PFYR`` + ``60``): one is the other followed by what may start a number's tail (digits,
    or ``R`` and a requisition's digits)."""
    short, long = sorted((one.upper(), other.upper()), key=len)
    return long.startswith(short) and re.fullmatch(r"\d*|R\d*(-\d*)?", long[len(short) :]) is not None


# What two instances must hold apart (``components.apartness``): the prefix of the Fusion order numbers made
# of Procurify PO and requisition numbers, which repeat across accounts; two prefixes also meet when one
# continues into the other's numbers.
APART_SETTINGS = (ApartSetting("order_prefix", meets=prefixes_meet),)
