"""What JD Edwards <-> Procurify is, whichever instance runs it: the routes its flows take (``own``: JDE ->
Procurify for suppliers, account codes, purchase orders as requisitions and bills marked paid; Procurify ->
JDE for vendors created in Procurify, bills and payments; Procurify -> Procurify for a purchased
requisition's PO linked to its JDE order and given its number), and what its instances hold apart.
"""

from connector_assets.flows.apart_settings import ApartSetting

# What an instance may reach through a connection of its own (``components.apartness``): another Procurify
# account (a second company's domain), its bills, payments, POs and requisition headers staged as its own
# (``procurify_side``). JD Edwards is read from the tables the JDE side stages for every instance.
OWN_CONNECTIONS = ("procurify",)
# What two instances must hold apart (``components.apartness``): the prefix of the long address number
# (F0101 ALKY, ``<prefix><vendor id>``) of a JDE supplier made for a Procurify vendor, which the vendors flow
# adopts a supplier by; vendor ids repeat across accounts (``vendor_pairs``).
APART_SETTINGS = (ApartSetting("long_address_prefix"),)
