"""What a setting's value must look like, declared with the setting: its type, bounds or choices.

Why: every reader of a number, a choice or a list used to parse the text itself and word its own error;
thirty of them, each slightly different, some accepting NaN or a negative. A setting now declares its kind
(``Setting(..., kind=Number(minimum=0, unit="hours"))``) and ``settings.read(env)`` answers the typed
value or a ``SettingError`` that names the variable, what it holds, what is expected and the default.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass


class Refused(ValueError):
    """A value a kind does not accept; ``Setting.read`` makes it a ``SettingError`` naming the variable."""


@dataclass(frozen=True)
class Text:
    """Free text, stripped; ``required``: not blank; ``pattern``: a full match of it; ``longest``: at most
    this many characters."""

    required: bool = False
    pattern: str | None = None
    longest: int | None = None
    says: str = ""

    @property
    def expects(self) -> str:
        return self.says or ("some text" if self.required else "any text")

    def parse(self, raw: str) -> str:
        text = raw.strip()
        if self.required and not text:
            raise Refused(self.expects)
        if self.pattern is not None and text and not re.fullmatch(self.pattern, text):
            raise Refused(self.expects)
        if self.longest is not None and len(text) > self.longest:
            raise Refused(self.expects)
        return text


@dataclass(frozen=True)
class Choice:
    """One of ``choices`` (compared in lower case)."""

    choices: tuple[str, ...]

    @property
    def expects(self) -> str:
        return "one of " + ", ".join(self.choices)

    def parse(self, raw: str) -> str:
        word = raw.strip().lower()
        if word not in self.choices:
            raise Refused(self.expects)
        return word


@dataclass(frozen=True)
class Number:
    """A finite number (``whole``: an integer) of ``unit`` within the bounds: ``minimum`` inclusive,
    ``above`` exclusive, ``maximum`` inclusive."""

    unit: str = ""
    whole: bool = False
    minimum: float | None = None
    above: float | None = None
    maximum: float | None = None

    @property
    def expects(self) -> str:
        noun = "a whole number" if self.whole else "a number"
        words = [f"{noun} of {self.unit}" if self.unit else noun]
        if self.minimum is not None:
            words.append(f">= {self.minimum:g}")
        if self.above is not None:
            words.append(f"> {self.above:g}")
        if self.maximum is not None:
            words.append(f"<= {self.maximum:g}")
        return " ".join(words)

    def parse(self, raw: str) -> float | int:
        try:
            value: float | int = int(raw.strip()) if self.whole else float(raw.strip())
        except ValueError:
            raise Refused(self.expects) from None
        if not math.isfinite(value):
            raise Refused(self.expects)
        if (
            (self.minimum is not None and value < self.minimum)
            or (self.above is not None and value <= self.above)
            or (self.maximum is not None and value > self.maximum)
        ):
            raise Refused(self.expects)
        return value


_ON, _OFF = ("on", "true", "yes", "1"), ("off", "false", "no", "0")


@dataclass(frozen=True)
class OnOff:
    """on, true, yes, 1 or their opposites."""

    @property
    def expects(self) -> str:
        return "on or off"

    def parse(self, raw: str) -> bool:
        word = raw.strip().lower()
        if word not in _ON and word not in _OFF:
            raise Refused(self.expects)
        return word in _ON


@dataclass(frozen=True)
class Items:
    """A comma-separated list, blanks dropped, each item ``case``-folded (``upper`` / ``lower`` / as
    written); ``allowed``: the only items accepted; ``count``: exactly this many; ``at_least``: at least
    this many (0: an empty list is a choice); ``pattern``: what each item must fully match."""

    noun: str = "items"
    case: str = ""
    allowed: tuple[str, ...] | None = None
    count: int | None = None
    at_least: int = 1
    pattern: str | None = None

    @property
    def expects(self) -> str:
        many = f"{self.count}" if self.count is not None else ("one or more" if self.at_least else "any")
        among = f" among {', '.join(self.allowed)}" if self.allowed is not None else ""
        return f"{many} {self.noun}{among}, comma-separated"

    def parse(self, raw: str) -> tuple[str, ...]:
        fold: Callable[[str], str] = {"upper": str.upper, "lower": str.lower}.get(self.case, str)
        items = tuple(fold(part.strip()) for part in raw.split(",") if part.strip())
        if len(items) < self.at_least or (self.count is not None and len(items) != self.count):
            raise Refused(self.expects)
        if self.allowed is not None and any(item not in self.allowed for item in items):
            raise Refused(self.expects)
        if self.pattern is not None and not all(re.fullmatch(self.pattern, item) for item in items):
            raise Refused(self.expects)
        return items


# One e-mail address (blank allowed: "none"), as a fallback address setting takes it.
EMAIL = Text(pattern=r"[^@\s]+@[^@\s]+\.[^@\s]+", says="one e-mail address, e.g. ap@acme.com, or blank")

Kind = Text | Choice | Number | OnOff | Items
