"""Every lecture notebook, opened and run in JupyterLab in Chromium, as a learner would."""

from __future__ import annotations

from pathlib import Path

import lab
import pytest

NOTEBOOKS = sorted(p.name for p in (Path(__file__).resolve().parents[2] / "notebooks").glob("*.ipynb"))


@pytest.mark.browser
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs_without_errors_and_renders_its_widgets(page, lab_server, name):
    base, token = lab_server
    lab.open_notebook(page, base, token, f"notebooks/{name}")
    lab.run_all(page)
    assert lab.error_outputs(page) == []
    expected = lab.widget_output_count(page)
    if expected:
        page.wait_for_function(
            f"() => document.querySelectorAll('.jp-OutputArea-output > .jupyter-widgets').length >= {expected}",
            timeout=30_000,
        )
    assert lab.rendered_widget_count(page) >= expected
    assert page.locator("text=Error displaying widget").count() == 0
    lab.screenshot(page, name.removesuffix(".ipynb"))
    lab.shutdown_kernel(page)
