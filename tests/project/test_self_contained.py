"""The repository carries its own knowledge: nothing cites a file a clone does not have, or a tracker number.

Why: a comment that says "see design.md" or "issue 31" tells the next engineer nothing once that file or
tracker is out of reach, and an API fact the client and the simulator rely on must be readable beside them.
The facts about each real API live in ``docs/reference/<system>.md`` (with their public sources); code
cites those pages or says its reason itself. This scan keeps it so: code, tests, bench, docs, the
deployment files and the mapping tables may not cite a path outside the repository (the team's shared notes
folder, its reference pages, design or Dagster notes) nor a tracker number. A fraction of a second: one
regular expression over the text files that could hold a citation.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from roots import ROOT

# What may not be cited, each with a literal it contains (a file without the literal skips the expression).
# Split so this file does not cite them itself.
OUTSIDE = (
    ("../", r"\.\./" + "shared"),  # the notes folder beside a work tree
    ("/work" + "/", "/work" + "/"),  # an absolute path on the machine the code was written on
    ("shared/", "shared" + r"/reference\b"),  # the research the pages of docs/reference/ were written from
    ("-notes", r"dagster-" + r"notes\b"),  # hands-on Dagster notes
    ("design.", "design" + r"\.md\b"),  # a design document kept outside the repository (one inside passes)
    ("-done.", r"integration-" + r"done\.md\b"),  # a checklist kept outside the repository
)
TRACKER = (
    ("ssue", r"\b[Ii]ssues?\s+#?\d+"),  # "issue 31", "Issue 30 item 2", "issues 12 and 13"
    ("(#", r"\(#\d+\)"),  # "(#42)"
)
CITATIONS = tuple((literal, re.compile(pattern)) for literal, pattern in (*OUTSIDE, *TRACKER))

SCANNED = ("connector_assets", "connector_cli", "connector_resources", "connector_sandbox", "tests", "bench")
SCANNED += ("docs", "deploy", ".ci", "mappings")
TOP_FILES = ("README.md", "Makefile", "pyproject.toml", "Dockerfile", "dagster.yaml", "workspace.yaml")
TEXT = {".py", ".md", ".toml", ".yaml", ".yml", ".txt", ".cfg", ".ini", ".sh", ".sql", ".j2", ".json"}
SKIPPED_DIRS = {"__pycache__", ".venv", "node_modules", ".dagster_home"}


def _files() -> list[Path]:
    files = [ROOT / name for name in TOP_FILES if (ROOT / name).is_file()]
    for top in SCANNED:
        for path in (ROOT / top).rglob("*"):
            if path.suffix in TEXT and path.is_file() and not SKIPPED_DIRS & set(path.parts):
                files.append(path)
    return sorted(set(files) - {Path(__file__).resolve()})


def citations(text: str) -> list[tuple[int, str]]:
    """(line number, the citation) for each path outside the repository or tracker number in ``text``."""
    found = []
    for literal, pattern in CITATIONS:
        if literal not in text:
            continue
        for match in pattern.finditer(text):
            cited = match.group(0)
            if cited.endswith(".md"):  # the whole path it ends: a document of the repository passes
                start = match.start()
                while start and (text[start - 1].isalnum() or text[start - 1] in "_/.-"):
                    start -= 1
                cited = text[start : match.end()]
                if (ROOT / cited).is_file():
                    continue
            found.append((text.count("\n", 0, match.start()) + 1, cited))
    return sorted(found)


def test_nothing_cites_a_file_outside_the_repository_or_a_tracker_number():
    offenders = [
        f"{path.relative_to(ROOT)}:{line}: {cited!r}"
        for path in _files()
        for line, cited in citations(path.read_text(encoding="utf-8", errors="replace"))
    ]
    assert not offenders, (
        "cite docs/reference/<system>.md (same section) or say the point itself, never a file outside the "
        "repository or a tracker number:\n" + "\n".join(offenders)
    )


@pytest.mark.parametrize(
    "text",
    [
        "see ``../" + "shared/reference/coupa.md`` section 2.2",
        "written from ``shared" + "/reference/bill.md`` only",
        "(dagster-" + "notes pitfall 3)",
        "the architecture (``design" + ".md``)",
        "The design's flows (fp_" + "design.md, 'Flows')",
        "proofs of ``/work" + "/shared/integration-done.md``",
        "payments never wait forever (issue" + " 31, item 4)",
        "Issue" + " 30 item 2 for BILL: every write refuses",
        "fixed in (#" + "42)",
    ],
)
def test_each_kind_of_outside_citation_is_caught(text):
    assert citations(text), text


@pytest.mark.parametrize(
    "text",
    [
        "``docs/reference/jde-ais.md`` section 2.5",
        "the sandbox's README.md",
        "Site #151 supplies",
        "item 172: account code 7001 not found in F0901",
        "an issue with the token",
        "docs/integrations/fusion_procurify.md",
    ],
)
def test_citations_inside_the_repository_pass(text):
    assert not citations(text), text
