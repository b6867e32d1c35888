"""nbgrader's Validate button on a released assignment, as a learner presses it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

RELEASE = Path(__file__).resolve().parents[2] / "release"
ASSIGNMENT = "ps1-back-of-envelope"


@pytest.mark.browser
def test_validating_the_untouched_release_reports_failing_tests(jlab):
    notebook_file = RELEASE / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    assert notebook_file.exists(), "the released ps1 notebook is missing"
    notebook = jlab.open(f"release/{ASSIGNMENT}/{ASSIGNMENT}.ipynb")
    button = notebook.panel.locator(".jp-Toolbar-item").get_by_text("Validate", exact=True)
    assert button.count() == 1, "nbgrader's Validate button is not in the notebook toolbar"
    button.click()
    dialog = jlab.page.locator(".jp-Dialog-content")
    dialog.wait_for(timeout=120_000)
    jlab.page.wait_for_function(
        "() => { const d = document.querySelector('.jp-Dialog-content'); "
        "return d && !/validating/i.test(d.textContent) && d.textContent.length > 40; }",
        timeout=120_000,
    )
    text = dialog.inner_text()
    jlab.screenshot(f"validate-{ASSIGNMENT}")
    assert "Success! Your notebook passes all the tests." not in text
    assert re.search(r"The following cells? failed", text), text[:500]
    # The untouched answers raise NotImplementedError: the failure a learner must see first.
    assert "NotImplementedError" in text, text[:500]
    dialog.get_by_role("button", name="Ok").click()
    notebook.close()
