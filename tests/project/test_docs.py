"""The docs stay true to the repository: every relative link resolves, every repository path a command
names exists, and every command in a fenced shell block runs, at least as ``--help``.

Why: the README and docs/ are where an operator copies commands from; a renamed option, a moved file
or a deleted make target must fail the suite, not the reader. A command is checked where it is cheap:
a click program (``ml-connector``, ``dagster``, ``dg``, ``dagster-celery``) in this process, its
subcommand's help asked once and every ``--option`` the docs give it found there; a script under
``bench/`` by running it with ``--help`` (each once, in parallel); a ``make`` target by reading the
Makefile.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from importlib.metadata import entry_points
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from roots import ROOT

DOCS = sorted([ROOT / "README.md", *(ROOT / "docs").rglob("*.md")])
FENCE = re.compile(r"^[ \t]*```(\w*)\n(.*?)^[ \t]*```", re.M | re.S)  # indented in a list too
SHELL_FENCES = {"", "bash", "sh", "shell", "console"}
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
# dg runs as a process: its `scaffold defs` group needs what only its own entry point passes it.
CLICK_PROGRAMS = ("ml-connector", "dagster", "dagster-celery")
# Repository paths a command names (a script, a config file, a test): they must exist.
REPO_DIRS = ("bench/", "deploy/", "tests/", "docs/", "mappings/", "connector_")
OPTION = re.compile(r"(?<![\w-])--[a-z][\w-]*")


def _rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


def _commands(text: str) -> list[list[str]]:
    """Each simple command of the shell blocks in ``text``, as tokens (pipes and ``&&`` split)."""
    commands = []
    for lang, body in FENCE.findall(text):
        if lang not in SHELL_FENCES:
            continue
        pending = ""
        for line in body.replace("\\\n", " ").splitlines():
            pending += line.strip().removeprefix("$ ") + "\n"
            try:
                tokens = _tokens(pending)
            except ValueError:  # a quote open across lines (a JSON body): read on
                continue
            pending = ""
            command: list[str] = []
            for token in [*tokens, ";"]:
                if token.strip(";&|"):
                    command.append(token)
                elif command:
                    commands.append(command)
                    command = []
    return commands


def _tokens(line: str) -> list[str]:
    lexer = shlex.shlex(line, posix=True, punctuation_chars=";&|")
    lexer.whitespace_split, lexer.commenters = True, "#"
    return list(lexer)


def _program(command: list[str]) -> tuple[str, list[str]] | None:
    """(program, its arguments) for a command this test checks, else None."""
    while command and re.fullmatch(r"[A-Z_][A-Z0-9_]*=.*", command[0]):  # VAR=value before it
        command = command[1:]
    if not command:
        return None
    head, args = command[0], command[1:]
    name = head.removeprefix(".venv/bin/")
    if name in ("python", "python3") and args and args[0].startswith("bench/"):
        return "bench", args
    if name in CLICK_PROGRAMS or name == "make" or head.startswith(".venv/bin/"):
        return name, args
    return None


def _all_commands() -> list[tuple[str, str, list[str]]]:
    found = []
    for doc in DOCS:
        for command in _commands(doc.read_text(encoding="utf-8")):
            program = _program(command)
            if program:
                found.append((_rel(doc), *program))
    return found


@cache
def _click_program(name: str) -> click.Command:
    [point] = [e for e in entry_points(group="console_scripts") if e.name == name]
    loaded = point.load()
    if isinstance(loaded, click.Command):
        return loaded
    return vars(sys.modules[loaded.__module__])["cli"]  # dagster / dg: main() wraps the `cli` group


@cache
def _click_help(name: str, path: tuple[str, ...]) -> tuple[int, str]:
    result = CliRunner().invoke(_click_program(name), [*path, "--help"], prog_name=name)
    return result.exit_code, result.output


def _click_path(name: str, args: list[str]) -> tuple[str, ...]:
    """The subcommand path at the head of ``args`` (``xref set`` of ``xref set 17 1234``)."""
    command, path = _click_program(name), []
    for arg in args:
        if not isinstance(command, click.Group):
            break
        sub = command.get_command(click.Context(command), arg)
        if sub is None:
            break
        command, path = sub, [*path, arg]
    return tuple(path)


@cache
def _make_targets() -> frozenset[str]:
    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    return frozenset(re.findall(r"^([\w.-]+)\s*:(?!=)", text, re.M))


# The bench scripts import the same libraries, so one process asks each of them for its help in turn
# (``runpy``, as ``python bench/x.py --help`` would), rather than a process per script.
HELP_RUNNER = """
import contextlib, io, json, runpy, sys
answers = {}
for script in sys.argv[1:]:
    out = io.StringIO()
    sys.argv, sys.path[0] = [script, "--help"], script.rsplit("/", 1)[0]
    code = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        try:
            runpy.run_path(script, run_name="__main__")
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else int(exc.code is not None)
        except BaseException as exc:
            code = 1
            print(repr(exc))
    answers[script] = [code, out.getvalue()]
print(json.dumps(answers))
"""
PYTHON = str(ROOT / ".venv/bin/python")


def _run(argv: list[str]) -> tuple[int, str]:
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=120)
    return done.returncode, done.stdout + done.stderr


def _helps(argvs: list[tuple[str, ...]]) -> dict[tuple[str, ...], tuple[int, str]]:
    """Each argv's (exit code, output): the bench scripts in one process, other programs one each."""
    scripts = [argv for argv in argvs if argv[0] == PYTHON and argv[1].startswith("bench/")]
    others = [argv for argv in argvs if argv not in scripts]
    with ThreadPoolExecutor(max_workers=3) as pool:
        batch = pool.submit(_run, [PYTHON, "-c", HELP_RUNNER, *(argv[1] for argv in scripts)])
        answers = dict(zip(others, pool.map(_run, [list(argv) for argv in others]), strict=True))
        code, output = batch.result()
    assert code == 0, f"the bench help runner failed: {output[-2000:]}"
    by_script = json.loads(output.splitlines()[-1])
    answers.update({argv: tuple(by_script[argv[1]]) for argv in scripts})
    return answers


def _subprocess_help(program: str, args: list[str]) -> tuple[str, ...]:
    """The argv that asks ``program`` for the help of what the docs run."""
    if program == "bench":
        return (PYTHON, args[0], "--help")
    words = []
    for arg in args:  # leading subcommand words: `pip install`, `ruff check`
        if not re.fullmatch(r"[a-z][a-z-]*", arg):
            break
        words.append(arg)
    return (str(ROOT / ".venv/bin" / program), *words[:2], "--help")


def test_every_relative_link_resolves():
    broken = []
    for doc in DOCS:
        text = doc.read_text(encoding="utf-8")
        for target in LINK.findall(text):
            if re.match(r"[a-z][a-z0-9+.-]*:", target) or target.startswith("#"):
                continue  # a URL, or a place in this page
            if not (doc.parent / target.split("#")[0]).exists():
                broken.append(f"{_rel(doc)}: {target}")
    assert broken == [], "links to nothing:\n" + "\n".join(broken)


def _is_repo_path(arg: str) -> bool:
    """A file or folder of this repository (``bench/x.py``, ``tests/kit/``), not a module name or a
    placeholder (``<name>``)."""
    return arg.startswith(REPO_DIRS) and "/" in arg and "<" not in arg


def test_every_repository_path_a_command_names_exists():
    missing = [
        f"{doc}: {arg}"
        for doc, _program_name, args in _all_commands()
        for arg in args
        if _is_repo_path(arg) and not (ROOT / arg.split("::")[0]).exists()
    ]
    assert missing == [], "commands name files that are not there:\n" + "\n".join(missing)


def test_every_documented_command_runs_at_least_as_help():
    commands = _all_commands()
    assert len(commands) > 20, "the docs' shell blocks were not found"
    problems: list[str] = []
    by_argv: dict[tuple[str, ...], list[tuple[str, list[str]]]] = {}
    for doc, program, args in commands:
        if program == "make":
            targets = [a for a in args if not a.startswith("-") and "=" not in a]
            problems += [f"{doc}: make {t}: no such target" for t in targets if t not in _make_targets()]
        elif program in CLICK_PROGRAMS:
            path = _click_path(program, args)
            code, text = _click_help(program, path)
            label = " ".join((program, *path))
            if code != 0:
                problems.append(f"{doc}: {label} --help exits {code}: {text[-300:]}")
            problems += [
                f"{doc}: {label} has no {o}" for o in OPTION.findall(" ".join(args)) if o not in text
            ]
        elif program == "bench" and not args:
            problems.append(f"{doc}: python with no bench script")
        elif not args or not args[0].startswith("-m"):
            by_argv.setdefault(_subprocess_help(program, args), []).append((doc, args))
    answers = _helps(list(by_argv))
    for argv, (code, text) in answers.items():
        label = " ".join(Path(a).name if a.startswith(str(ROOT)) else a for a in argv)
        for doc, args in by_argv[argv]:
            if code != 0:
                problems.append(f"{doc}: {label} exits {code}: {text[-300:]}")
                continue
            options = OPTION.findall(" ".join(args))
            problems += [f"{doc}: {label}: no option {o}" for o in options if o not in text]
    assert problems == [], "\n".join(problems)


# A section named by its page: `README "The two commands"`, `docs/deployment.md "Kubernetes"`,
# `[sources](sources.md), "Optional tables"`; a bare README is the nearest one up the folder tree.
SECTION_POINTER = re.compile(r"\b(README|[\w./-]+\.md)\)?[,:]? \"([^\"\n]+)\"")
TEXT_SUFFIXES = {".py", ".md", ".yaml", ".yml", ".toml", ""}


def _anchors(page: Path) -> list[str]:
    """What a pointer may name on ``page``: its headings and the bold words a paragraph or item opens with
    (``**Optional tables**``), backticks and a closing stop dropped."""
    text = page.read_text(encoding="utf-8")
    found = re.findall(r"^#+ (.+)$", text, re.M) + re.findall(
        r"^(?:[-*] |\d+\. )?\*\*([^*]+)\*\*", text, re.M
    )
    return [anchor.replace("`", "").strip().rstrip(".:") for anchor in found]


def _page(source: Path, name: str) -> Path | None:
    if name == "README":
        folder = source.parent
        while not (folder / "README.md").is_file() and folder != ROOT:
            folder = folder.parent
        return folder / "README.md"
    found = [p for p in (source.parent / name, ROOT / name, ROOT / "docs" / name) if p.is_file()]
    return found[0] if found else None


def test_every_section_a_file_points_at_exists():
    """A comment, docstring or page that sends the reader to a section by its title (sections move: the
    README's went to docs/) names one that exists: a pointer cannot outlive the section it names."""
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True)
    problems = []
    for name in tracked.stdout.split():
        source = ROOT / name
        if source.suffix not in TEXT_SUFFIXES or not source.is_file():
            continue
        try:
            text = source.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        for page_name, section in SECTION_POINTER.findall(text):
            page = _page(source, page_name)
            wanted = section.replace("`", "")
            if page is None:
                problems.append(f"{name}: {page_name} (pointed at for {section!r}) does not exist")
            elif not any(anchor.startswith(wanted) for anchor in _anchors(page)):
                problems.append(f"{name}: {_rel(page)} has no section {section!r}")
    assert problems == [], "point these at the section's page and title as they are now:\n" + "\n".join(
        problems
    )


@pytest.mark.parametrize(
    ("block", "expected"),
    [
        ("```bash\nmake dev    # starts it\n```\n", [["make", "dev"]]),
        ("```\nA=1 ml-connector replay --dry-run | head && make test\n```\n",
         [["A=1", "ml-connector", "replay", "--dry-run"], ["head"], ["make", "test"]]),
        ("```bash\n.venv/bin/python bench/x.py \\\n  --scale 10\n```\n",
         [[".venv/bin/python", "bench/x.py", "--scale", "10"]]),
        ("```python\nmake = 1\n```\n", []),
    ],
)  # fmt: skip
def test_commands_are_read_from_shell_blocks_only(block, expected):
    assert _commands(block) == expected
