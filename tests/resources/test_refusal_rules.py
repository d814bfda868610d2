"""Every rule a flow refuses records by says its own action (``refusal_rules.RULES``), found by reading the
code: a ``rule=`` the catalog lacks would fall back to the generic action at the desk, in the fit report
and in the alerts."""

from __future__ import annotations

import ast
from pathlib import Path

from connector_resources.parent_verdicts import _CAUSES, GoneParent
from connector_resources.refusal_actions import action_for, explained, rule_of, timed
from connector_resources.refusal_rules import RULES
from connector_resources.refusals import KINDS, refused, source_invalid, unclassified

ROOT = Path(__file__).resolve().parents[2]
SCANNED = ("connector_assets", "connector_resources", "connector_cli")
# Calls whose rule is not a literal, each with why it is not one (the test below checks each).
PASSED_ON = {
    ("connector_resources/said.py", "rule"),  # refusal_for's caller's rule, checked at that call
    ("connector_resources/refusals.py", "rule"),  # refused's own parameter
}
# Rules built at run time: the refused-parent rules (one per cause, checked below) and the class name of
# an error no code classified (the kind's own action stands for it).
BUILT = {"connector_resources/parent_verdicts.py", "connector_resources/refusals.py"}


def _constants() -> dict[str, str]:
    """Every module-level ``NAME = "text"`` of the scanned packages (rule names kept as constants)."""
    found: dict[str, str] = {}
    for path in _files():
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
                for target in node.targets:
                    if isinstance(target, ast.Name) and isinstance(node.value.value, str):
                        found[target.id] = node.value.value
    return found


def _files() -> list[Path]:
    return [path for package in SCANNED for path in sorted((ROOT / package).rglob("*.py"))]


def _rule_arguments() -> list[tuple[str, int, ast.expr]]:
    """Every ``rule=`` keyword argument of a call in the scanned code: (file, line, value)."""
    found = []
    for path in _files():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call):
                found += [
                    (str(path.relative_to(ROOT)), node.lineno, keyword.value)
                    for keyword in node.keywords
                    if keyword.arg == "rule"
                ]
    return found


def test_every_rule_the_code_refuses_by_has_its_own_action() -> None:
    constants, missing, scanned = _constants(), [], 0
    for where, line, value in _rule_arguments():
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            name = value.value
        elif isinstance(value, ast.Name) and value.id in constants:
            name = constants[value.id]
        elif isinstance(value, ast.Name) and (where, value.id) in PASSED_ON:
            continue
        else:
            assert where in BUILT, f"{where}:{line}: a rule built at run time; name it, or check it here"
            continue
        scanned += 1
        if name not in RULES:
            missing.append(f"{where}:{line}: {name!r}")
    assert scanned > 50, "the scan found the flows' rules"
    assert not missing, "rules without their own action in refusal_rules.RULES:\n" + "\n".join(missing)


def test_each_refused_parent_cause_has_its_own_action() -> None:
    for cause in _CAUSES:
        refusal = GoneParent("jde_bill:bill:JDE:1", cause, "why").refusal("payment", "P-1")
        assert rule_of(refusal.kind, refusal.params) is not None, cause


def test_a_rule_says_where_and_what_and_the_kind_stands_for_an_unknown_one() -> None:
    credit = refused("voucher 7/PV/00001 totals -50.00", rule="credit, not a bill")
    said = action_for(credit.group, credit.params)
    assert said.startswith("In BILL: ") and "vendor credit by hand" in said
    # The stored group alone says the same (the alerts and listings group by it).
    assert action_for(credit.group) == said
    assert action_for("refused · KeyError") == KINDS["refused"].action
    assert action_for("mapping_missing · jde_coupa/payment_terms") == KINDS["mapping_missing"].action
    assert action_for("no such kind") == ""
    assert explained(credit.group) == credit.group and explained("refused · KeyError") == "refused"


def test_a_rule_is_not_tried_again_on_a_timer_unless_it_says_so() -> None:
    assert not timed(refused("no items", rule="no items"))
    assert not timed(source_invalid("it names no vendor", field="vendor"))
    assert timed(refused("JDE answered oddly", rule="answer without an order number"))
    # An error no code classified, or an item queued without a kind, may pass: the timer tries it.
    assert timed(refused("boom", rule="KeyError")) and timed(unclassified("why"))
    assert timed(None)
