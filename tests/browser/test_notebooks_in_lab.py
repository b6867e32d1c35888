"""Every lecture notebook, opened and run in JupyterLab in Chromium, as a learner would.

A run must leave no error and no stderr output; every widget output drawn (not "Error
displaying widget", not ipywidgets' error icon); every plot drawable and shown as an image
(not as ``<Figure size ...>``); no dollar amount in the Markdown typeset as TeX. A screenshot
of the whole notebook after the run goes to ``artifacts/screenshots/`` for review.

The notebooks run in the background a few at a time (``Lab.prepare``); each test waits for
its own notebook's run.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from lab import notebooks_of_selected_tests

NOTEBOOKS = sorted(p.name for p in (Path(__file__).resolve().parents[2] / "notebooks").glob("*.ipynb"))


@pytest.fixture(scope="module", autouse=True)
def _run_ahead(jlab, request):
    """Start the selected notebooks' runs now; each test checks its notebook when it is done."""
    jlab.prepare(notebooks_of_selected_tests(request))


@pytest.mark.browser
@pytest.mark.parametrize(
    "name", [pytest.param(n, marks=pytest.mark.notebook(f"notebooks/{n}")) for n in NOTEBOOKS])
def test_notebook_runs_without_errors_and_renders_its_widgets(jlab, name):
    notebook = jlab.run(f"notebooks/{name}")
    notebook.wait_for_widgets()
    problems = notebook.problems()
    notebook.screenshot(name.removesuffix(".ipynb"))
    assert problems == [], f"{name} in JupyterLab: " + "; ".join(problems)
    if notebook.widget_output_count() == 0:
        notebook.close()  # nothing for the widget tests: free its kernel now
