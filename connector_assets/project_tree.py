"""The component tree of the Dagster project a process serves: its defs folder, loaded once per process.

Why one tree: ``ml-connector`` (ping, fit, live, replay, the desk) and the runs read the same instances
Dagster's loader builds the definitions from. Read apart, every ``defs.yaml`` was loaded twice in a code
server (once by ``definitions.py``, once by the deployment), and a command run in a user's own project read
the installed package's defs folder instead of that project's, so its instances were unknown to it.

The project is the one the process stands in (``project_home.project_root``: the nearest folder at or above
the current directory holding ``workspace.yaml`` or a ``pyproject.toml`` with ``[tool.dg.project]``), when
that folder is a Dagster project; otherwise (a ``workspace.yaml`` alone, or no project) the connector's own
(``PROJECT``, whose ``workspace.yaml`` loads ``connector_assets.definitions``). A tree Dagster's loader built
for that project in this process (a user's ``definitions.py`` calling ``load_from_defs_folder``; the
``Connector`` component hands it over as it builds) is served as it is, never loaded again.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from connector_resources.project_home import dagster_project, project_root

PROJECT = Path(__file__).resolve().parents[1]  # the folder of this checkout's ``[tool.dg.project]``

_TREES: dict[Path, dg.ComponentTree] = {}


def served_project(start: Path | None = None) -> Path:
    """The project a process started in ``start`` (default: the current directory) serves."""
    root = project_root(start)
    return root if root is not None and dagster_project(root) else PROJECT


def component_tree(project: Path | None = None) -> dg.ComponentTree:
    """The component tree of ``project`` (default: ``served_project``), loaded by Dagster on first use in
    this process, the same one after."""
    given = (project or served_project()).resolve()
    if given not in _TREES:
        tree = dg.ComponentTree.for_project(given)
        # Kept under the project's own folder too (``given`` may lie within it), so it is found either way.
        _TREES[given] = _TREES.setdefault(Path(tree.project_root).resolve(), tree)
    return _TREES[given]


def adopt(tree: dg.ComponentTree) -> dg.ComponentTree:
    """Serve ``tree`` (one Dagster's loader made) for its project when this process serves that project
    and holds no tree of it yet; the tree served for it either way. A tree of another project (a test
    loading a folder of its own) is left to its caller."""
    root = Path(tree.project_root).resolve()
    if root == served_project().resolve():
        return _TREES.setdefault(root, tree)
    return tree


def loaded_trees() -> list[dg.ComponentTree]:
    """The trees this process holds: one per project it served (what a test counts)."""
    return list({id(tree): tree for tree in _TREES.values()}.values())
