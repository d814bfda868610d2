"""The kind of a refusal: its reason with what names one record masked: records refused alike count as one.

Why in the resources layer: the ledger stores each queue item's kind beside its reason when the item is
queued (the exceptions desk filters and counts by it over 100,000 items in SQL), and the written check, the
fit report and ``ml-connector replay --list`` count by the same kind: one classifier for all of them.
"""

from __future__ import annotations

import re

ELLIPSIS = "…"

# What makes two reasons differ only by the record they name: quoted text, then every word with a digit in
# it (ids of any shape: numbers, dates, UUIDs, PO numbers such as PFY1202 or PO-007, bill ids, invoice
# numbers, document keys such as 00001/101168/PV) but the names of what a reason is about, which stay: JDE
# tables and programs (F0901, F0411Z1, R04110ZA, P4310) and API versions (v2.0).
_WORD = r"[\w.:/#-]"
_KEPT = r"(?:[FPRV]\d{4}[0-9A-Z]*|v\d+(?:\.\d+)*)(?![\w.:/#-])"
_NAMED = re.compile(rf"""'[^']*'|"[^"]*"|(?<!{_WORD})(?!{_KEPT}){_WORD}*\d(?:{_WORD}*\w)?""")  # ends in \w
# A document line's own description after its number ("line 2 (Crane rental - 3 days)", one level of
# parentheses inside): it names the record as much as the number does.
_LINE_NAME = re.compile(r"(\bline …) \((?:[^()]|\([^()]*\))*\)")


def reason_kind(reason: str, own_key: str = "") -> str:
    """The reason with what names one record (quoted names, ids of any shape, numbers, dates, a line's
    description) as ``…``: the same refusal of many records reads as one kind, whichever order, bill or
    invoice it names. A reason listing the same refusal for several lines of a document ("line 1 (...): X;
    line 2 (...): X; fix ...") says it once, so a two-line order and a five-line one are the same kind.

    ``own_key``, the record's source key when known: an opening that names it ("supplier 4411 (Acme Ltd): ")
    reads "supplier …: ", since a supplier's name has no digit to be masked by and would make every
    supplier refused alike a kind of its own."""
    text = reason or ""
    head, colon, rest = text.partition(": ")
    named = find_word(head, own_key) if own_key and colon else -1
    if named >= 0:
        text = f"{head[:named]}{ELLIPSIS}{colon}{rest}"
    kind = _LINE_NAME.sub(r"\1 (…)", _NAMED.sub(ELLIPSIS, text).strip())
    return "; ".join(dict.fromkeys(kind.split("; ")))


def find_word(text: str, word: str) -> int:
    """Where ``word`` first stands whole in ``text`` (not inside a longer word or number: key 12 is not in
    4412), or -1. A plain search, since a pattern built per record would be compiled per record."""
    at = text.find(word)
    while at >= 0:
        end = at + len(word)
        if not (at and _wordlike(text[at - 1])) and not (end < len(text) and _wordlike(text[end])):
            return at
        at = text.find(word, at + 1)
    return -1


def _wordlike(char: str) -> bool:
    return char.isalnum() or char == "_"
