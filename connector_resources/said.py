"""A problem's words that keep their refusal: a mapper's list of problems, joined into one sentence, still
says which kind of refusal it is.

Why: most mappers collect what is wrong with a record as a list of phrases ("account 20.8150 has no Coupa
account in the mapping table; the invoice date 'x' is not a date") and refuse the record once with all of
them. A phrase built where the kind is known (a mapping look-up, a field check) is a ``Said``: text for
every use a phrase has (joined, compared, shown, passed in any plain ``list[str]``) that also carries its
``Refusal``. ``refusal_for`` then gives the record's refusal from the first phrase that carries one, worded
as the whole sentence, naming every value its group's phrases name (two rows one mapping table lacks: the
desk's mapping page lists both); nothing reads the words back.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from connector_resources.refusals import Param, Refusal, refused


class Said(str):
    """A phrase of a refusal, with the refusal it stands for (``refusal``, worded as the phrase)."""

    refusal: Refusal

    def __new__(cls, refusal: Refusal, text: str | None = None) -> Said:
        said = super().__new__(cls, refusal.sentence if text is None else text)
        said.refusal = refusal if text is None else replace(refusal, sentence=text)
        return said

    def __reduce__(self) -> tuple[type, tuple[Refusal, str]]:
        return (Said, (self.refusal, str(self)))


def said(refusal: Refusal) -> Said:
    """``refusal``'s sentence as a phrase that keeps it."""
    return Said(refusal)


def reworded(phrase: str, text: str) -> str:
    """``text`` (a phrase's words with more around them: "line 2: <phrase>") keeping ``phrase``'s refusal
    when it has one; plain text otherwise."""
    return Said(phrase.refusal, text) if isinstance(phrase, Said) else text


def refusal_for(sentence: str, phrases: Iterable[str], *, rule: str) -> Refusal:
    """The refusal of a record refused with ``sentence`` for ``phrases``: the kind and parameters of the
    first phrase that carries a refusal, its ``value`` listing every value the phrases of the same group
    name (each once, in order) when they name more than one; else the flow's own ``rule``."""
    carried = [phrase.refusal for phrase in phrases if isinstance(phrase, Said)]
    if not carried:
        return refused(sentence, rule=rule)
    first = carried[0]
    if "value" in first.params:
        values = _group_values(first, carried)
        if len(values) > 1:
            return Refusal(first.kind, sentence, {**first.params, "value": values})
    return replace(first, sentence=sentence)


def _group_values(first: Refusal, carried: list[Refusal]) -> list[str]:
    """Every value the refusals of ``first``'s group name (a mapping table, a source field), each once,
    in order; blanks left out."""
    values: dict[str, None] = {}
    for refusal in carried:
        if refusal.group == first.group:
            values.update(dict.fromkeys(_values(refusal.params.get("value", ""))))
    return [value for value in values if value]


def _values(value: Param | object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    return [str(value)] if value else []
