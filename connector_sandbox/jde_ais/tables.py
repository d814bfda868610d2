"""The E1 tables the sandbox serves, described the way the data dictionary describes them.

Each table lists the data items it carries (a subset of each table in
``docs/reference/jde-ais.md`` section 3: the columns an integration reads or writes); the items
themselves (type, length, decimals, title) are defined once in ``dictionary.py``. Amounts and other
decimal columns are stored scaled (``1234.56`` -> ``123456``), exactly as JDE keeps them, and
rendered with the decimals applied. F0116 Address by Date is the exception: the reference documents no
address table, so its columns are general JDE data-dictionary knowledge, not from the reference. So are
F0115 Contact Phone Numbers, F01151 Electronic Address and F0030 Bank Transit Master (a supplier's
phone, e-mail and bank account, written by ML_AddUpdateSupplier v1.1).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from .dictionary import DATA_ITEMS, Column, Kind

__all__ = ["TABLES", "Column", "ForeignAmount", "Kind", "Table"]


@dataclass(frozen=True)
class ForeignAmount:
    """An amount column held in its row's transaction currency, stored with that currency's decimals
    (F0013 ``CDEC``: JPY 1000 is stored 1000, KWD 1.234 as 1234), as JDE stores currency amounts.

    ``currency`` is the column naming the currency (``CRCD``); ``ledger`` limits it to the rows of one
    ledger type (F0911 ``AA`` is foreign on ``CA`` rows only), other rows keep the item's own decimals."""

    alias: str
    currency: str = "CRCD"
    ledger: str | None = None


@dataclass(frozen=True)
class Table:
    name: str
    title: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    indexes: tuple[tuple[str, ...], ...] = ()
    foreign: tuple[ForeignAmount, ...] = ()
    by_alias: dict[str, Column] = field(init=False, repr=False, compare=False)
    foreign_by_alias: dict[str, ForeignAmount] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_alias", {column.alias: column for column in self.columns})
        object.__setattr__(self, "foreign_by_alias", {amount.alias: amount for amount in self.foreign})
        missing = [alias for alias in self.key if alias not in self.by_alias]
        missing += [
            alias
            for amount in self.foreign
            for alias in (amount.alias, amount.currency, *(("LT",) if amount.ledger else ()))
            if alias not in self.by_alias
        ]
        if missing:
            raise ValueError(f"{self.name}: columns {missing} are not defined")


# The groups of columns several tables share, in the order the tables carry them. Every table ends with
# the audit columns; F4301 and F4311 stamp the time in TDAY, the others in UPMT.
_GROUPS = {
    "audit": "USER PID JOBN UPMJ UPMT",
    "audit_tday": "USER PID JOBN UPMJ TDAY",
    "po_key": "KCOO DOCO DCTO SFXO",
    "edi_control": "EDUS EDTN EDLN EDBT EDSP EDTC EDTR EDDT",
    "edi_key": "EDUS EDBT EDTN EDLN",
    "period_ends": " ".join(f"D{period:02d}J" for period in range(1, 15)),
    "voucher": """
        KCO DOC DCT SFX SFXE DCTA AN8 PYE SNTO DIVJ DSVJ DDJ DDNJ DGJ FY CTRY PN CO ICU ICUT DICJ BALJ PST
        AG AAP ADSC ADSA ATXA ATXN STAM TXA1 EXR1 CRRM CRCD CRR ACR FAP GLC GLBA POST AM MCU OBJ SUB SBLT
        SBL PTC VOD VINV PKCO PO PDCT LNID SFXO VR01 RMK PYIN TORG
    """,
}

# One block a table: "NAME Title", then its key, its indexes (separated by "|"), its columns, in order,
# and its ``foreign`` amounts (held in the row's CRCD currency and stored with its decimals; ``AA:CA``: on
# ledger type CA rows only; F4311 FEA, a foreign order line's extended price, beside its unit cost FRRC kept
# with the 4 decimals of every unit cost). F4311's LNID is stored with 3 implied decimals: 1000 is line
# 1.000. F0911 (the posted G/L lines, prefix GL) carries F0911Z1's distribution columns plus F0411's
# purchase order reference.
# F0116 (Address by Date: mailing addresses per address number and effective date EFTB, the latest one in
# effect) is not in the reference: its layout is general JDE data-dictionary knowledge. Neither are F0115
# (phone numbers per address number and who's who line IDLN, 0 = the entity itself; line RCK7; type PHTP,
# blank = business), F01151 (e-mail addresses, same keys, ETP "E" = e-mail, EHIER 1 = the primary one) and
# F0030 (bank accounts, one row per UKID; BKTP "V" = a supplier's account, with AN8; "G" = a G/L bank
# account, with AID): their layouts are general JDE data-dictionary knowledge too, reduced to the columns
# a supplier's contact and bank details need.
# F0413 / F0414 (the A/P payment header and its detail, one row per pay item paid) are named by the reference
# (its public schema dump), reduced to the columns ML_RecordPayment writes: F0414.RMK holds the payment's
# reference, where a data-service read finds a payment recorded by an earlier attempt (contract 1.1).
# F0010 (Company Constants: each company's fiscal date pattern and its G/L, A/P and A/R current periods,
# period + start of that fiscal year) and F0008 (Date Fiscal Patterns: a year's period end dates) follow the
# reference's section 5; the G/L date edits read them (``periods.py``).
# F0013 (Currency Codes: CRCD, its description DL01, its decimals CDEC, a character as JDE keeps it) and
# F0015 (Currency Exchange Rates: from CRCD to CRDC, for address AN8 (0 = every one), rate type RTTYP,
# effective from EFT; the multiplier CRR, the divisor CRRD, conversion method CSR) carry the aliases of the
# public schema dump (prefixes CV and CX), reduced to what multi-currency vouchers, journals and payments
# read.
_TABLE_SPECS = """
F0013 Currency Codes
    key      CRCD
    indexes  UPMJ UPMT
    columns  CRCD DL01 CDEC CKR {audit}

F0015 Currency Exchange Rates
    key      CRCD CRDC AN8 RTTYP EFT
    indexes  UPMJ UPMT
    columns  CRCD CRDC AN8 RTTYP EFT CSR CRR CRRD {audit}

F0010 Company Constants
    key      CO
    indexes  UPMJ UPMT
    columns  CO NAME DFYJ PNC DTPN PNF DFF NNP APPN APFJ ARPN ARFJ CRCD AN8 {audit}

F0008 Date Fiscal Patterns
    key      DTPN DFYJ FQ
    indexes  UPMJ UPMT
    columns  DTPN FY CTRY DFYJ FQ {period_ends} {audit}

F0101 Address Book Master
    key      AN8
    indexes  UPMJ UPMT | AT1 | TAX
    columns  AN8 ALKY TAX ALPH DC MCU SIC LNGP AT1 CM TAXC ATP ATR AN81 AC01 AC02 TX2 ALP1 DUNS {audit}

F0401 Supplier Master
    key      AN8
    indexes  UPMJ UPMT
    columns  AN8 APC MCUP OBAP AIDP KCOP DCAP DTAP CRRP TXA2 EXR2 HDPY TRAP SCK PYIN SNTO CRCA AYPD
    columns  APPD MINO MAXO HOLD AVCH {audit}

F0116 Address by Date
    key      AN8 EFTB
    indexes  UPMJ UPMT | AN8
    columns  AN8 EFTB ADD1 ADD2 ADD3 ADD4 ADDZ CTY1 COUN ADDS CTR {audit}

F0115 Contact Phone Numbers
    key      AN8 IDLN RCK7
    indexes  UPMJ UPMT | AN8
    columns  AN8 IDLN RCK7 PHTP AR1 PH1 {audit}

F01151 Electronic Address
    key      AN8 IDLN RCK7
    indexes  UPMJ UPMT | AN8
    columns  AN8 IDLN RCK7 ETP EMAL EHIER {audit}

F0030 Bank Transit Master
    key      UKID
    indexes  UPMJ UPMT | AN8 BKTP
    columns  UKID BKTP AN8 AID TNST CBNK {audit}

F0901 Account Master
    key      AID
    indexes  MCU OBJ SUB | UPMJ UPMT
    columns  AID CO MCU OBJ SUB ANS DL01 LDA BPC PEC BILL CRCD UM R001 R002 OBJA SUBA FMOD {audit}

F4301 Purchase Order Header File
    key      {po_key}
    indexes  UPMJ TDAY | AN8 | DOCO
    columns  {po_key} MCU OKCO OORN OCTO AN8 SHAN DRQJ TRDJ PDDJ OPDJ CNDJ PEFJ VR01 VR02 DEL1 DEL2
    columns  RMK DESC PTC TXA1 HOLD ANBY CRRM CRCD CRR ORBY TKBY BCRC {audit_tday}

F4311 Purchase Order Detail File
    key      {po_key} LNID
    indexes  UPMJ TDAY | DOCO
    columns  {po_key} LNID MCU CO AN8 SHAN DRQJ TRDJ PDDJ DGL PN VR01 ITM LITM AITM LOCN DSC1 DSC2
    columns  LNTY NXTR LTTR UOM UORG UOPN UREC PRRC AEXP AOPN AREC TX GLC LT ANI AID OMCU OBJ SUB
    columns  SBLT SBL CRCD FRRC FEA {audit_tday}
    foreign  FEA

F0411 Accounts Payable Ledger
    key      KCO DOC DCT SFX SFXE
    indexes  UPMJ UPMT | AN8 | DOC
    columns  {voucher} OKCO ODOC ODCT {audit}
    foreign  ACR FAP

F0413 A/P Matching Document
    key      PYID
    indexes  UPMJ UPMT | DOCM
    columns  PYID DCTM DOCM PYE GLBA DMTJ PAAP PFAP CRRM CRCD CRR {audit}
    foreign  PFAP

F0414 A/P Matching Document Detail
    key      PYID RC5
    indexes  UPMJ UPMT | KCO DOC DCT
    columns  PYID RC5 DCTM KCO DCT DOC SFX SFXE PAAP PFAP CRRM CRCD CRR HCRR AN8 CO RMK {audit}
    foreign  PFAP

F0411Z1 Voucher Transactions - Batch Upload
    key      {edi_key}
    indexes  UPMJ UPMT | EDTN | EDSP
    columns  {edi_control} {voucher} DOCM {audit}
    foreign  ACR FAP

F0911Z1 Journal Entry Transactions - Batch File
    key      {edi_key}
    indexes  UPMJ UPMT | EDTN
    columns  {edi_control} KCO DCT DOC DGJ JELN EXTL POST ICU ICUT DICJ DSYJ CO ANI AM AID MCU OBJ
    columns  SUB SBL SBLT LT PN CTRY FY CRRM CRCD CRR AA ACR U UM GLC EXA EXR R1 SFX ODOC AN8 VINV TORG
    columns  {audit}
    foreign  ACR

F0911 Account Ledger
    key      KCO DCT DOC DGJ JELN EXTL LT
    indexes  UPMJ UPMT | KCO DOC DCT
    columns  KCO DCT DOC DGJ JELN EXTL POST ICU ICUT DICJ DSYJ CO ANI AM AID MCU OBJ SUB SBL SBLT LT
    columns  PN CTRY FY CRRM CRCD CRR AA U UM GLC EXA EXR AN8 VINV SFX PO PKCO PDCT TORG {audit}
    foreign  AA:CA
"""

# Where a table describes a data item its own way (the purchase order tables' AN8 is the supplier).
_OWN_TITLES = {
    "F4301": {"AN8": "Supplier Number", "HOLD": "Hold Code"},
    "F4311": {"AN8": "Supplier Number"},
}


def _foreign(token: str) -> ForeignAmount:
    """``ACR`` (in the row's CRCD currency) or ``AA:CA`` (so on ledger type CA rows only)."""
    alias, _, ledger = token.partition(":")
    return ForeignAmount(alias, ledger=ledger or None)


def _table(header: str, fields: dict[str, list[str]]) -> Table:
    """One Table from a block of ``_TABLE_SPECS``: its header line and its ``key``/``indexes``/``columns``
    (and ``foreign`` amounts)."""
    name, title = header.split(maxsplit=1)
    own = _OWN_TITLES.get(name, {})
    columns = " ".join(fields["columns"]).split()
    return Table(
        name,
        title,
        tuple(replace(DATA_ITEMS[a], title=own[a]) if a in own else DATA_ITEMS[a] for a in columns),
        key=tuple(" ".join(fields["key"]).split()),
        indexes=tuple(tuple(index.split()) for index in " ".join(fields["indexes"]).split("|")),
        foreign=tuple(_foreign(token) for token in " ".join(fields["foreign"]).split()),
    )


def _tables(text: str) -> tuple[Table, ...]:
    """Every block of ``text`` as a Table, in order; group names in braces are spelled out first."""
    blocks: list[tuple[str, dict[str, list[str]]]] = []
    groups = {name: " ".join(aliases.split()) for name, aliases in _GROUPS.items()}
    for line in text.format(**groups).splitlines():
        if not line.strip():
            continue
        if not line[0].isspace():
            blocks.append((line.strip(), {"key": [], "indexes": [], "columns": [], "foreign": []}))
            continue
        field_name, _, value = line.strip().partition(" ")
        blocks[-1][1][field_name].append(value)
    return tuple(_table(header, fields) for header, fields in blocks)


TABLES: dict[str, Table] = {table.name: table for table in _tables(_TABLE_SPECS)}
