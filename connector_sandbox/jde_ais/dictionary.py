"""The data dictionary: one definition per data item (alias), shared by every table that holds it.

E1 defines a data item once (type, length, decimals, description) and each table lists the items it
carries; the sandbox does the same, so a column that several tables share (``MCU``, ``AN8``, ``OBJ``
...) is declared in one place. Types and lengths follow ``shared/reference/jde-ais.md`` section 3.

Notation of the TYPE column (the reference's, plus what it leaves implicit):

- ``A(n)``: character, at most n long; ``>A(n)`` is right-justified in the database (business units).
- ``N(n)``: whole number of n digits (address, document and batch numbers).
- ``D(n,d)``: number with d implied decimals, stored scaled (``1234.56`` -> ``123456``).
- ``J(6)``: Julian ``CYYDDD`` date; ``T(6)``: ``HHMMSS`` time.

The items of F0116 Address by Date (``ADD1``..``ADD4``, ``ADDS``, ``ADDZ``, ``COUN``, ``CTR``, ``CTY1``,
``EFTB``) are not in the reference: their types and lengths are general JDE data-dictionary knowledge. So are
the items of F0115 Contact Phone Numbers (``IDLN``, ``RCK7``, ``PHTP``, ``AR1``, ``PH1``), F01151 Electronic
Address (``ETP``, ``EMAL``, ``EHIER``) and F0030 Bank Transit Master (``UKID``, ``BKTP``, ``TNST``, ``CBNK``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    """How a column is stored and rendered."""

    STRING = "A"  # character, fixed maximum length, blanks rendered as a single space
    INTEGER = "N"  # whole number (address numbers, document numbers, batch numbers)
    DECIMAL = "D"  # number with implied decimals (amounts, quantities, rates, LNID)
    DATE = "J"  # Julian CYYDDD, rendered as a date string
    TIME = "T"  # HHMMSS number (UPMT, TDAY)


@dataclass(frozen=True)
class Column:
    alias: str
    kind: Kind
    title: str
    length: int = 0
    decimals: int = 0
    # Business units are right-justified in the database ("         M30").
    right_justified: bool = False

    @property
    def default(self) -> str | int:
        return "" if self.kind is Kind.STRING else 0


# ALIAS  TYPE     TITLE (alphabetical by alias; a table may give an item its own title: see tables.py)
_DATA_ITEMS = """
AA     D(15,2)  Amount
AAP    D(15,2)  Open Amount
AC01   A(3)     Category Code 01
AC02   A(3)     Category Code 02
ACR    D(15,2)  Foreign Gross Amount
ADSA   D(15,2)  Discount Taken
ADD1   A(40)    Address Line 1
ADD2   A(40)    Address Line 2
ADD3   A(40)    Address Line 3
ADD4   A(40)    Address Line 4
ADDS   A(3)     State
ADDZ   A(12)    Postal Code
ADSC   D(15,2)  Discount Available
AEXP   D(15,2)  Extended Cost
AG     D(15,2)  Gross Amount
AID    A(8)     Account ID
AIDP   A(8)     Account ID - A/P
AITM   A(25)    3rd Item Number
ALKY   A(20)    Long Address Number
ALP1   A(40)    Secondary Alpha Name
ALPH   A(40)    Alpha Name
AM     A(1)     Account Mode - G/L
AN8    N(8)     Address Number
AN81   N(8)     1st Address Number
ANBY   N(8)     Buyer Number
ANI    A(29)    Account Number
ANS    A(25)    Free Form (3rd Acct. No.)
AOPN   D(15,2)  Amount Open
APC    A(4)     A/P Class Code
APPD   D(15,2)  Amount Vouchered PYE
AR1    A(6)     Prefix
AREC   D(15,2)  Amount Received
AT1    A(3)     Sch Typ
ATP    A(1)     Payables Y/N
ATR    A(1)     Receivables Y/N
ATXA   D(15,2)  Taxable Amount
ATXN   D(15,2)  Non-Taxable Amount
AVCH   A(1)     Evaluated Receipts Settlement
AYPD   D(15,2)  Amount Vouchered YTD
BALJ   A(1)     Balanced - Journal Entries
BCRC   A(3)     Base Currency
BILL   A(1)     Billable
BKTP   A(1)     Record Type
BPC    A(3)     Budget Pattern Code
CBNK   A(20)    Bank Account Number
CM     A(2)     Credit Message
CNDJ   J(6)     Cancel Date
CO     A(5)     Company
CRCA   A(3)     Currency Code - A/B Amounts
CRCD   A(3)     Currency Code
CRR    D(15,7)  Exchange Rate
CRRM   A(1)     Currency Mode
CRRP   A(3)     Currency Code - A/P
CTR    A(3)     Country
CTRY   N(2)     Century
CTY1   A(25)    City
COUN   A(3)     County
DC     A(40)    Description - Compressed
DCAP   N(8)     Document Number - A/P
DCT    A(2)     Document Type
DCTA   A(2)     Adjusting Document Type
DCTO   A(2)     Or Ty
DDJ    J(6)     Net Due Date
DDNJ   J(6)     Discount Due Date
DEL1   A(30)    Delivery Instructions 1
DEL2   A(30)    Delivery Instructions 2
DESC   A(30)    Description
DGJ    J(6)     G/L Date
DGL    J(6)     G/L Date
DICJ   J(6)     Batch Date
DIVJ   J(6)     Invoice Date
DL01   A(30)    Description
DOC    N(8)     Document Number
DOCM   N(8)     Matching Document
DOCO   N(8)     Order Number
DRQJ   J(6)     Requested Date
DSC1   A(30)    Description
DSC2   A(30)    Description 2
DSVJ   J(6)     Service/Tax Date
DSYJ   J(6)     Batch System Date
DTAP   A(2)     Document Type - A/P
DUNS   A(13)    Dun & Bradstreet Number
EDBT   A(15)    EDI - Batch Number
EDDT   J(6)     EDI - Transmission Date
EDLN   N(7)     EDI - Line Number
EDSP   A(1)     EDI - Successfully Processed
EDTC   A(1)     EDI - Transaction Action
EDTN   A(22)    EDI - Transaction Number
EDTR   A(1)     EDI - Transaction Type
EDUS   A(10)    EDI - User ID
EFTB   J(6)     Beginning Effective Date
EHIER  N(5)     Messaging Indicator
EMAL   A(256)   Electronic Address
ETP    A(4)     Electronic Address Type
EXA    A(30)    Explanation
EXR    A(30)    Explanation -Remark-
EXR1   A(2)     Tax Expl Code
EXR2   A(2)     Tax Expl Code 2
EXTL   A(2)     Line Extension Code
FAP    D(15,2)  Foreign Open Amount
FMOD   A(1)     Model Account
FY     N(2)     Fiscal Year
GLBA   A(8)     G/L Bank Account
GLC    A(4)     G/L Offset
HDPY   A(1)     Hold Payment Code
HOLD   A(2)     Hold Orders Code
ICU    N(8)     Batch Number
ICUT   A(2)     Batch Type
IDLN   N(5)     Who's Who Line Number - ABC
ITM    N(8)     Short Item No
JELN   D(15,1)  Journal Entry Line Number
JOBN   A(10)    Work Station ID
KCO    A(5)     Document Company
KCOO   A(5)     Order Company
KCOP   A(5)     Document Company - A/P
LDA    A(1)     Level of Detail
LITM   A(25)    2nd Item Number
LNGP   A(2)     Language
LNID   D(15,3)  Line Number
LNTY   A(2)     Line Type
LOCN   A(20)    Location
LT     A(2)     Ledger Type
LTTR   A(3)     Last Status
MAXO   D(15,2)  Maximum Order Value
MCU    >A(12)   Business Unit
MCUP   >A(12)   Business Unit - A/P
MINO   D(15,2)  Minimum Order Value
NXTR   A(3)     Next Status
OBAP   A(6)     Object Account - A/P
OBJ    A(6)     Object Account
OBJA   A(6)     Alternate Object
OCTO   A(2)     Original Order Type
ODOC   N(8)     Original Document No
OKCO   A(5)     Original Order Company
OMCU   >A(12)   Business Unit - Account
OORN   A(8)     Original Order No
OPDJ   J(6)     Original Promised Date
ORBY   A(10)    Ordered By
PDCT   A(2)     Purchase Order Type
PDDJ   J(6)     Promised Delivery Date
PEC    A(1)     Posting Edit
PEFJ   J(6)     Price Effective Date
PH1    A(20)    Phone Number
PHTP   A(4)     Phone Number Type
PID    A(10)    Program ID
PKCO   A(5)     Purchase Order Company
PN     N(2)     Period Number
PO     A(8)     Purchase Order
POST   A(1)     G/L Posted Code
PRRC   D(15,4)  Unit Cost
PST    A(1)     Pay Status
PTC    A(3)     Payment Terms
PYE    N(8)     Payee Address Number
PYIN   A(1)     Payment Instrument
R001   A(3)     Category Code - G/L 001
R002   A(3)     Category Code - G/L 002
R1     A(8)     Reference 1
RCK7   N(5)     Line Number ID
RMK    A(30)    Remark
SBL    A(8)     Subledger
SBLT   A(1)     Subledger Type
SCK    A(1)     Multiple Checks Y/N
SFX    A(3)     Pay Item
SFXE   N(2)     Pay Item Extension
SFXO   A(3)     Order Suffix
SHAN   N(8)     Ship To Number
SIC    A(10)    Industry Classification
SNTO   N(8)     Send To Address
STAM   D(15,2)  Tax Amount
SUB    A(8)     Subsidiary
SUBA   A(8)     Alternate Subsidiary
TAX    A(20)    Tax ID
TAXC   A(1)     Person/Corporation Code
TDAY   T(6)     Time of Day
TKBY   A(10)    Order Taken By
TNST   A(20)    Bank Transit Number
TORG   A(10)    Transaction Originator
TRAP   A(3)     Payment Terms - A/P
TRDJ   J(6)     Order Date
TX     A(1)     Taxable
TX2    A(20)    Additional Ind/Tax ID
TXA1   A(10)    Tax Rate/Area
TXA2   A(10)    Tax Rate/Area
U      D(15,0)  Units
UKID   N(15)    Unique Key ID (Internal)
UM     A(2)     Unit of Measure
UOM    A(2)     Unit of Measure
UOPN   D(15,0)  Quantity Open
UORG   D(15,0)  Quantity Ordered
UPMJ   J(6)     Date Updated
UPMT   T(6)     Time Last Updated
UREC   D(15,0)  Quantity Received
USER   A(10)    User ID
VINV   A(25)    Supplier Invoice Number
VOD    A(1)     Void Flag
VR01   A(25)    Reference
VR02   A(25)    Reference 2
"""

_ITEM = re.compile(
    r"(?P<alias>\w+)\s+(?P<rj>>?)(?P<kind>[ANDJT])\((?P<length>\d+)(?:,(?P<decimals>\d+))?\)\s+(?P<title>.+)"
)


def _parse(text: str) -> dict[str, Column]:
    """One Column per line of ``text``; a malformed line or an alias defined twice fails at import."""
    items: dict[str, Column] = {}
    for line in filter(None, map(str.strip, text.splitlines())):
        match = _ITEM.fullmatch(line)
        if match is None:
            raise ValueError(f"data dictionary: cannot read {line!r}")
        alias = match["alias"]
        if alias in items:
            raise ValueError(f"data dictionary: {alias} is defined twice")
        items[alias] = Column(
            alias,
            Kind(match["kind"]),
            match["title"].strip(),
            length=int(match["length"]),
            decimals=int(match["decimals"] or 0),
            right_justified=bool(match["rj"]),
        )
    return items


DATA_ITEMS: dict[str, Column] = _parse(_DATA_ITEMS)
