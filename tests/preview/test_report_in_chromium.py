"""fit.html as a browser builds it: Debian's chromium, headless, dumps the DOM it made of the file. A page
that parses could still lose its bars to a stray tag; each flow's bar and legend must be in the DOM."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from fit_rows import JDE_COUPA, sample_rows
from unavailable import unavailable

from connector_assets.preview.report import FitReport


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        unavailable(
            "chromium is not installed (Debian: apt-get install chromium), so fit.html is not rendered"
        )
    return found


def test_a_browser_renders_each_flows_verdict_bar_and_legend(tmp_path: Path):
    browser = _chromium()
    with FitReport(tmp_path / "out", integration=JDE_COUPA, first="2025-03-01", last="2025-03-31") as fit:
        for row in sample_rows():
            fit.add(row)
    page = (tmp_path / "out" / "fit.html").resolve()
    dumped = subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={tmp_path / 'profile'}",
         "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    dom = dumped.stdout
    assert '<svg class="verdicts" data-flow="suppliers"' in dom, dumped.stderr[-2000:]
    assert '<svg class="verdicts" data-flow="purchase_orders"' in dom
    assert dom.count('<ul class="legend">') == 2
    assert "refuse <strong>40</strong>" in dom and "hold <strong>2</strong>" in dom  # the legends' counts
    assert "<script" not in dom
