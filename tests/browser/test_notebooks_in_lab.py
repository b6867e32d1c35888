"""Every lecture notebook, opened and run in JupyterLab in Chromium, as a learner would.

Each notebook's run must end with no error output and no stderr output, every widget output
drawn in the page (none showing "Error displaying widget") and every plot drawable; a
screenshot of the whole notebook after the run goes to ``artifacts/screenshots/``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

NOTEBOOKS = sorted(p.name for p in (Path(__file__).resolve().parents[2] / "notebooks").glob("*.ipynb"))


@pytest.mark.browser
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs_without_errors_and_renders_its_widgets(jlab, name):
    notebook = jlab.run(f"notebooks/{name}")
    notebook.wait_for_widgets()
    problems = notebook.problems()
    notebook.screenshot(name.removesuffix(".ipynb"))
    assert problems == [], f"{name} in JupyterLab: " + "; ".join(problems)
    if notebook.widget_output_count() == 0:
        notebook.close()  # nothing for the widget tests: free its kernel now
