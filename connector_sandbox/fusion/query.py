"""Collection query parameters compiled to SQL: ``q`` (both framework syntaxes), ``finder``,
``orderBy``, ``fields``, ``expand`` (reference section 2.2, quirks 5 and 13).

Framework version 1 reads ``q`` as query-by-example: ``Attr<op>value`` criteria joined by ``;``, with
``and <op> value`` continuing one attribute (``Deptno>=10 and <=30;Loc!=NY``). Version 2 and later
read SQL-like expressions (``and``/``or``/parentheses, ``in``, ``between``, ``like``, ``is [not]
null``, ``upper(...)``). Attribute names are case-sensitive; an unknown or non-queryable attribute,
a malformed expression or a value that does not fit its attribute is a 400, never an empty result.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .catalog import Attr, Kind, Resource
from .errors import FusionError, bad_request
from .naming import Names
from .settings import BehaviourSettings
from .values import ValueProblem, to_storage

_COMPARISONS = {"=": "=", "!=": "<>", "<>": "<>", ">": ">", "<": "<", ">=": ">=", "<=": "<="}
_QBE_OPERATOR = re.compile(r"^(>=|<=|<>|!=|=|>|<)\s*(.*)$", re.DOTALL)
_QBE_CONTINUATION = re.compile(r"\s+and\s+(?=(?:>=|<=|<>|!=|=|>|<))", re.IGNORECASE)
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_QUERY_CODE = "SBX-27102"


def _q_error(q: str, problem: str) -> FusionError:
    return bad_request(
        f"URL request parameter q with value {q!r} is not valid: {problem}",
        code=_QUERY_CODE,
        path="q",
        terse="The URL request parameter q is not valid.",
    )


@dataclass
class Compiled:
    """A WHERE fragment and its parameters."""

    sql: str = "1=1"
    params: list[Any] = field(default_factory=list)


class _Context:
    def __init__(self, q: str, names: Names, behaviour: BehaviourSettings) -> None:
        self.q = q
        self.names = names
        self.behaviour = behaviour

    def attribute(self, name: str) -> Attr:
        attr = self.names.lookup(name)
        if attr is None:
            raise _q_error(self.q, f"{name} is not an attribute of {self.names.path}")
        if not attr.queryable:
            raise _q_error(self.q, f"the attribute {name} is not queryable")
        return attr

    def value(self, attr: Attr, served_name: str, literal: str) -> Any:
        try:
            if attr.kind is Kind.STRING:
                return literal  # max length is a write rule; a longer literal simply matches nothing
            return to_storage(attr, literal, timestamp_forms=self.behaviour.q_timestamp_literals)
        except ValueProblem as problem:
            raise _q_error(self.q, f"{served_name} expects {problem}, got {literal!r}") from None


def _column(attr: Attr) -> str:
    return '"' + attr.name + '"'


def _strip_quotes(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1].replace(text[0] * 2, text[0])
    return text


def _split_outside_quotes(text: str, separator: str) -> list[str]:
    parts, current, quote = [], [], ""
    for char in text:
        if quote:
            if char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
        elif char == separator:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    parts.append("".join(current))
    return parts


# --- framework v1: query by example -------------------------------------------------------------


def _compile_qbe(context: _Context) -> Compiled:
    clauses: list[str] = []
    params: list[Any] = []
    for criterion in _split_outside_quotes(context.q, ";"):
        if not criterion.strip():
            continue
        match = _IDENTIFIER.match(criterion.strip())
        if match is None:
            raise _q_error(context.q, f"{criterion.strip()!r} does not start with an attribute name")
        served = match.group(0)
        attr = context.attribute(served)
        rest = criterion.strip()[match.end() :].strip()
        for piece in _QBE_CONTINUATION.split(rest):
            operator = _QBE_OPERATOR.match(piece.strip())
            if operator is None:
                raise _q_error(context.q, f"expected an operator after {served}, got {piece.strip()!r}")
            op, literal = operator.group(1), _strip_quotes(operator.group(2))
            if literal == "":
                raise _q_error(context.q, f"{served}{op} has no value")
            wildcard = attr.kind is Kind.STRING and op == "=" and context.behaviour.qbe_wildcards
            if wildcard and ("*" in literal or "%" in literal):
                clauses.append(f"{_column(attr)} LIKE ?")
                params.append(literal.replace("*", "%"))
                continue
            clauses.append(f"{_column(attr)} {_COMPARISONS[op]} ?")
            params.append(context.value(attr, served, literal))
    return Compiled(" AND ".join(clauses) or "1=1", params)


# --- framework v2+: expressions -----------------------------------------------------------------


class _Parser:
    """Recursive descent over the raw text; values are read in context (bare words allowed)."""

    def __init__(self, context: _Context) -> None:
        self.context = context
        self.text = context.q
        self.pos = 0
        self.params: list[Any] = []

    def fail(self, problem: str) -> FusionError:
        return _q_error(self.text, f"{problem} at position {self.pos}")

    def skip(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def peek_word(self) -> str:
        self.skip()
        match = _IDENTIFIER.match(self.text, self.pos)
        return match.group(0) if match else ""

    def keyword(self, word: str) -> bool:
        """Consume ``word`` (case-insensitive) when it is the next whole word."""
        found = self.peek_word()
        if found.lower() == word:
            self.pos += len(found)
            return True
        return False

    def symbol(self, char: str) -> bool:
        self.skip()
        if self.text.startswith(char, self.pos):
            self.pos += len(char)
            return True
        return False

    def parse(self) -> Compiled:
        sql = self.expression()
        self.skip()
        if self.pos != len(self.text):
            raise self.fail(f"unexpected {self.text[self.pos :]!r}")
        return Compiled(sql, self.params)

    def expression(self) -> str:
        parts = [self.conjunction()]
        while self.keyword("or"):
            parts.append(self.conjunction())
        return parts[0] if len(parts) == 1 else "(" + " OR ".join(parts) + ")"

    def conjunction(self) -> str:
        parts = [self.primary()]
        while self.keyword("and"):
            parts.append(self.primary())
        return parts[0] if len(parts) == 1 else "(" + " AND ".join(parts) + ")"

    def primary(self) -> str:
        if self.symbol("("):
            inner = self.expression()
            if not self.symbol(")"):
                raise self.fail("missing ')'")
            return f"({inner})"
        return self.condition()

    def operand(self) -> tuple[str, Attr, str]:
        """``Attr`` or ``upper(Attr)``: (SQL expression, attribute, served name)."""
        word = self.peek_word()
        if not word:
            raise self.fail("expected an attribute name")
        self.pos += len(word)
        if word.lower() == "upper" and self.symbol("("):
            inner = self.peek_word()
            self.pos += len(inner)
            attr = self.context.attribute(inner)
            if not self.symbol(")"):
                raise self.fail("missing ')' after upper(")
            if attr.kind is not Kind.STRING:
                raise self.fail(f"upper() needs a text attribute, {inner} is not one")
            return f"sbx_upper({_column(attr)})", attr, inner
        attr = self.context.attribute(word)
        return _column(attr), attr, word

    def literal(self) -> str:
        self.skip()
        if self.pos >= len(self.text):
            raise self.fail("expected a value")
        quote = self.text[self.pos]
        if quote == "'":
            chars, self.pos = [], self.pos + 1
            while self.pos < len(self.text):
                char = self.text[self.pos]
                if char == "'":
                    if self.text.startswith("''", self.pos):
                        chars.append("'")
                        self.pos += 2
                        continue
                    self.pos += 1
                    return "".join(chars)
                chars.append(char)
                self.pos += 1
            raise self.fail("unterminated string")
        start = self.pos
        while (
            self.pos < len(self.text)
            and not self.text[self.pos].isspace()
            and self.text[self.pos] not in "),("
        ):
            self.pos += 1
        if start == self.pos:
            raise self.fail("expected a value")
        return self.text[start : self.pos]

    def bind(self, attr: Attr, served: str, literal: str) -> str:
        self.params.append(self.context.value(attr, served, literal))
        return "?"

    def condition(self) -> str:
        expression, attr, served = self.operand()
        self.skip()
        for op in (">=", "<=", "<>", "!=", "=", ">", "<"):
            if self.symbol(op):
                return f"{expression} {_COMPARISONS[op]} {self.bind(attr, served, self.literal())}"
        negated = self.keyword("not")
        if self.keyword("in"):
            if not self.symbol("("):
                raise self.fail("expected '(' after in")
            placeholders = [self.bind(attr, served, self.literal())]
            while self.symbol(","):
                placeholders.append(self.bind(attr, served, self.literal()))
            if not self.symbol(")"):
                raise self.fail("missing ')' after the in list")
            return f"{expression} {'NOT IN' if negated else 'IN'} ({', '.join(placeholders)})"
        if self.keyword("like"):
            if attr.kind is not Kind.STRING:
                raise self.fail(f"like needs a text attribute, {served} is not one")
            self.params.append(self.literal())
            return f"{expression} {'NOT LIKE' if negated else 'LIKE'} ?"
        if self.keyword("between"):
            low = self.bind(attr, served, self.literal())
            if not self.keyword("and"):
                raise self.fail("expected 'and' in between")
            high = self.bind(attr, served, self.literal())
            return f"{expression} {'NOT BETWEEN' if negated else 'BETWEEN'} {low} AND {high}"
        if not negated and self.keyword("is"):
            is_not = self.keyword("not")
            if not self.keyword("null"):
                raise self.fail("expected null after is")
            return f"{expression} IS {'NOT ' if is_not else ''}NULL"
        raise self.fail(f"expected an operator after {served}")


def compile_q(q: str, version: int, names: Names, behaviour: BehaviourSettings) -> Compiled:
    """The WHERE fragment for ``q`` under framework ``version``."""
    if not q.strip():
        return Compiled()
    context = _Context(q, names, behaviour)
    if version < 2:
        return _compile_qbe(context)
    criteria = [part for part in _split_outside_quotes(q, ";") if part.strip()]
    if len(criteria) > 1:
        if behaviour.reject_semicolon_in_v2:
            raise _q_error(q, "';' separates query-by-example criteria, which framework version 2+ rejects")
        compiled = [_Parser(_Context(part, names, behaviour)).parse() for part in criteria]
        return Compiled(
            " AND ".join(f"({part.sql})" for part in compiled), [p for part in compiled for p in part.params]
        )
    return _Parser(context).parse()


# --- finder, orderBy, fields, expand ------------------------------------------------------------


def compile_finder(finder: str, resource: Resource, names: Names) -> Compiled:
    """``Name;Var=value,Var2=value``: the named query's conditions, ANDed."""
    name, _, rest = finder.partition(";")
    spec = next((candidate for candidate in resource.finders if candidate.name == name.strip()), None)
    if spec is None:
        known = ", ".join(candidate.name for candidate in resource.finders) or "none"
        raise bad_request(
            f"URL request parameter finder with value {finder!r} is not valid: "
            f"{name.strip()!r} is not a finder of {names.path} (finders: {known})",
            path="finder",
        )
    clauses: list[str] = []
    params: list[Any] = []
    for binding in filter(None, (part.strip() for part in rest.split(","))):
        variable, separator, raw = binding.partition("=")
        variable = variable.strip()
        if not separator or variable not in spec.variables:
            raise bad_request(
                f"URL request parameter finder with value {finder!r} is not valid: "
                f"{variable!r} is not a bind variable of {spec.name} ({', '.join(spec.variables)})",
                path="finder",
            )
        kind, sql = spec.variables[variable]
        value: Any = _strip_quotes(raw)
        if kind is Kind.INT:
            try:
                value = int(value)
            except ValueError:
                raise bad_request(
                    f"URL request parameter finder with value {finder!r} is not valid: "
                    f"{variable} expects an integer, got {value!r}",
                    path="finder",
                ) from None
        clauses.append(sql)
        params.append(value)
    if not clauses:
        raise bad_request(
            f"URL request parameter finder with value {finder!r} is not valid: "
            f"{spec.name} needs {', '.join(spec.variables)}",
            path="finder",
        )
    return Compiled(" AND ".join(clauses), params)


def compile_order_by(order_by: str, names: Names) -> list[tuple[Attr, bool]]:
    """``A:asc,B:desc`` -> [(attribute, descending)]."""
    result = []
    for part in filter(None, (piece.strip() for piece in order_by.split(","))):
        served, _, direction = part.partition(":")
        attr = names.lookup(served.strip())
        if attr is None:
            raise bad_request(
                f"URL request parameter orderBy with value {order_by!r} is not valid: "
                f"{served.strip()} is not an attribute of {names.path}",
                path="orderBy",
            )
        direction = direction.strip().lower() or "asc"
        if direction not in {"asc", "desc"}:
            raise bad_request(
                f"URL request parameter orderBy with value {order_by!r} is not valid: "
                f"the direction of {served.strip()} must be asc or desc",
                path="orderBy",
            )
        result.append((attr, direction == "desc"))
    return result


def parse_fields(fields: str) -> dict[str, list[str]]:
    """``A,B;lines:X,Y;lines.schedules:Z`` -> {"": [A, B], "lines": [X, Y], "lines.schedules": [Z]}."""
    wanted: dict[str, list[str]] = {}
    for position, part in enumerate(fields.split(";")):
        accessor, separator, listed = part.partition(":")
        if not separator:
            if position != 0:
                raise bad_request(
                    f"URL request parameter fields with value {fields!r} is not valid: "
                    f"{part!r} must be accessor:Attr,...",
                    path="fields",
                )
            accessor, listed = "", part
        wanted[accessor.strip()] = [name.strip() for name in listed.split(",") if name.strip()]
    return wanted


def parse_expand(expand: str) -> set[str] | str:
    """``all`` or a set of accessor paths (``lines.schedules`` implies ``lines``)."""
    if expand.strip().lower() == "all":
        return "all"
    paths: set[str] = set()
    for part in filter(None, (piece.strip() for piece in expand.split(","))):
        pieces = part.split(".")
        for depth in range(1, len(pieces) + 1):
            paths.add(".".join(pieces[:depth]))
    return paths
