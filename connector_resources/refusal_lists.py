"""Several problems of one record refused once: the mappers collect what is wrong with a record line by line
(an order with two unmapped accounts and a line with no account) and refuse it once, naming all of it.

Why: the record is refused with one kind the desk, the fit report and the checks group it by, while the
person still reads every problem. The problems stay the sentences the mappers always collected, in a list,
so a helper that appends a bare sentence keeps working; a helper that knows the kind adds the refusal too
(``note``). When several problems are rows missing from the same mapping table (or any one group), the
refusal names every value, so the desk's mapping page lists each row to add.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from connector_resources.refusals import Param, Refusal


class Problems(list[str]):
    """What is wrong with one record: each problem's sentence (a ``list[str]``, as the mappers pass it
    around) and, for those whose finder knew it, its refusal (``add`` / ``note``)."""

    def __init__(self, sentences: Iterable[str] = ()) -> None:
        super().__init__(sentences)
        self.kinds: dict[str, Refusal] = {}

    def add(self, refusal: Refusal) -> None:
        """One problem, known as data: its sentence is listed, its refusal kept."""
        self.append(refusal.sentence)
        self.kinds.setdefault(refusal.sentence, refusal)

    def extend(self, sentences: Iterable[str]) -> None:
        """Add sentences; another ``Problems``' refusals come along."""
        kinds = getattr(sentences, "kinds", {})
        super().extend(sentences)
        for text, refusal in kinds.items():
            self.kinds.setdefault(text, refusal)

    def refusals(self) -> list[Refusal]:
        """The problems' refusals in the order their sentences are listed (bare sentences left out)."""
        return [self.kinds[text] for text in self if text in self.kinds]

    def refusal(self, sentence: str, otherwise: Refusal) -> Refusal:
        """The record's one refusal, worded ``sentence`` (which names every problem): ``combined`` of the
        problems' refusals, or ``otherwise`` (re-worded) when none was known as data."""
        known = self.refusals()
        if not known:
            return Refusal(otherwise.kind, sentence, otherwise.params)
        return combined(sentence, known)


def note(problems: list[str], refusal: Refusal) -> None:
    """Add a problem to ``problems``: with its refusal when it is a ``Problems``, else its sentence only."""
    if isinstance(problems, Problems):
        problems.add(refusal)
    else:
        problems.append(refusal.sentence)


def combined(sentence: str, refusals: Sequence[Refusal]) -> Refusal:
    """One refusal standing for ``refusals`` (at least one), worded ``sentence``: the first one's kind and
    parameters, its ``value`` listing the values of every refusal of the same group (each once, in order:
    two accounts one mapping table lacks)."""
    first = refusals[0]
    same = [r for r in refusals if r.group == first.group]
    if len(same) < 2 or "value" not in first.params:
        return Refusal(first.kind, sentence, first.params)
    values: list[str] = []
    for refusal in same:
        values.extend(_values(refusal.params.get("value", "")))
    listed = list(dict.fromkeys(v for v in values if v))
    value: Param = listed[0] if len(listed) == 1 else listed
    return Refusal(first.kind, sentence, {**first.params, "value": value})


def _values(value: Param | object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    return [str(value)] if value else []
