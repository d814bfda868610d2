"""The small JD Edwards chart of accounts (F0901 rows as the client reads them) the Procore -> JDE cost-code
and order mapper tests resolve cost codes on, and the project label the mapper tests' refusals name: one
copy, so the accounts a cost code maps to read the same in each."""

# Job business unit M30 of company 00001: two postable accounts and one that does not post (PEC N).
M30_ACCOUNTS = [
    {"MCU": "         M30", "OBJ": "7110", "SUB": "CONC", "CO": "00001", "PEC": ""},
    {"MCU": "         M30", "OBJ": "7120", "SUB": "", "CO": "00001", "PEC": ""},
    {"MCU": "         M30", "OBJ": "7000", "SUB": "", "CO": "00001", "PEC": "N"},
]
LABEL = "Neubau Bürozentrum München"  # a seeded Procore project's name
