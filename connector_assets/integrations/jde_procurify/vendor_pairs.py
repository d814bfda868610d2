"""Which Procurify vendor and which JDE supplier are one pair, whichever flow made it (``suppliers``'
``supplier`` or ``vendors``' ``vendor`` xref), read through ``procurify.vendor_pairing`` (an instance's
``own.Own.pairing``); JD Edwards' own: the AN8 as a key and the ``<prefix><vendor id>`` long address number.

A JDE supplier the ``vendors`` flow adds for a vendor made in Procurify carries that vendor's id in its long
address number (F0101 ALKY, ``<prefix><vendor id>``, ``PFY2041``: ``own.Own.long_addresses``): the
deterministic F0101 key it adopts by after a crash, and how ``suppliers`` knows such a supplier is not JDE's
own before the pair is on record (it then waits for the ``vendors`` flow instead of making Procurify a second
vendor). Vendor ids repeat across Procurify accounts, so two instances on accounts of their own keep prefixes
of their own (refused at load otherwise: ``integration.APART_SETTINGS``): with one prefix, one account's
vendor would adopt the supplier made for the other account's vendor of that id. A prefix ends in a letter,
so no prefix and id read as another prefix's (``PFY2`` + ``41`` vs ``PFY241``).
"""

from connector_assets.jde.address_numbers import an8_key as an8_key  # the AN8 as the ledger keys it
from connector_assets.procurify.vendor_pairing import PROCURIFY as PROCURIFY
from connector_assets.procurify.vendor_pairing import SUPPLIER_ENTITY as SUPPLIER_ENTITY  # JDE -> Procurify
from connector_assets.procurify.vendor_pairing import VENDOR_ENTITY as VENDOR_ENTITY  # Procurify -> JDE

JDE = "JDE"


def vendor_key(vendor_id: str | int) -> str:
    """A Procurify vendor id as the ledger keys it: as given, trimmed (blank is no vendor)."""
    key = str(vendor_id).strip()
    if not key:
        raise ValueError("a Procurify vendor id is blank")
    return key
