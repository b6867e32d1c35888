"""nbgrader's Validate button on a released assignment, as a learner presses it."""

from __future__ import annotations

from pathlib import Path

import lab
import pytest

RELEASE = Path(__file__).resolve().parents[2] / "release"
ASSIGNMENT = "ps1-back-of-envelope"


@pytest.mark.browser
def test_validating_the_untouched_release_reports_failing_tests(page, lab_server):
    notebook = RELEASE / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    assert notebook.exists(), "the released ps1 notebook is missing"
    base, token = lab_server
    lab.open_notebook(page, base, token, f"release/{ASSIGNMENT}/{ASSIGNMENT}.ipynb")
    button = page.locator(".jp-Toolbar-item").get_by_text("Validate", exact=True)
    assert button.count() == 1, "nbgrader's Validate button is not in the notebook toolbar"
    button.click()
    dialog = page.locator(".jp-Dialog-content")
    dialog.wait_for(timeout=120_000)
    page.wait_for_function(
        "() => { const d = document.querySelector('.jp-Dialog-content'); "
        "return d && !/validating/i.test(d.textContent) && d.textContent.length > 40; }",
        timeout=120_000,
    )
    text = dialog.inner_text()
    lab.screenshot(page, f"validate-{ASSIGNMENT}")
    assert "failed" in text.lower() or "error" in text.lower(), text[:500]
    assert "Success! Your notebook passes all the tests." not in text
    lab.shutdown_kernel(page)
