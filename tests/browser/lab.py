"""Driving JupyterLab from Playwright through its own command registry (expose_app_in_browser)."""

from __future__ import annotations

import time
from pathlib import Path

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"

# JavaScript run in the page: the current notebook panel and its model.
_PANEL = "window.jupyterapp.shell.currentWidget"


def open_notebook(page, base: str, token: str, path: str) -> None:
    """Open a notebook (path relative to the server root) in a fresh workspace and wait for its kernel."""
    page.goto(f"{base}/lab/tree/{path}?reset&token={token}")
    page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell.currentWidget "
                           "&& window.jupyterapp.shell.currentWidget.sessionContext", timeout=90_000)
    page.wait_for_function(
        f"() => {{ const s = {_PANEL}.sessionContext; return s.isReady && s.session && s.session.kernel "
        "&& s.session.kernel.status === 'idle'; }", timeout=90_000)


def run_all(page, timeout_s: float = 120) -> None:
    """Run every cell and wait until the kernel is idle and no cell is queued."""
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
    deadline = time.monotonic() + timeout_s
    time.sleep(0.5)
    while time.monotonic() < deadline:
        busy = page.evaluate(
            f"""() => {{
              const p = {_PANEL};
              const k = p.sessionContext.session.kernel;
              const cells = Array.from(p.content.model.cells);
              const pending = p.content.widgets.filter(w => w.model.type === 'code' && w.promptNode
                 && w.promptNode.textContent.includes('*')).length;
              return k.status !== 'idle' || pending > 0;
            }}"""
        )
        if not busy:
            return
        time.sleep(0.5)
    raise AssertionError(f"the notebook was still running after {timeout_s} s")


def error_outputs(page) -> list[str]:
    """The ename: evalue of every error output in the open notebook."""
    return page.evaluate(
        f"""() => {{
          const out = [];
          for (const cell of Array.from({_PANEL}.content.model.cells)) {{
            if (cell.type !== 'code') continue;
            const outputs = cell.outputs;
            for (let i = 0; i < outputs.length; i++) {{
              const o = outputs.get(i).toJSON();
              if (o.output_type === 'error') out.push(o.ename + ': ' + o.evalue);
            }}
          }}
          return out;
        }}"""
    )


def widget_output_count(page) -> int:
    """How many outputs of the open notebook are widget views."""
    return page.evaluate(
        f"""() => {{
          let n = 0;
          for (const cell of Array.from({_PANEL}.content.model.cells)) {{
            if (cell.type !== 'code') continue;
            for (let i = 0; i < cell.outputs.length; i++) {{
              const o = cell.outputs.get(i).toJSON();
              if (o.data && o.data['application/vnd.jupyter.widget-view+json']) n++;
            }}
          }}
          return n;
        }}"""
    )


def rendered_widget_count(page) -> int:
    """How many widget views are rendered in the page (top-level views inside output areas)."""
    return page.evaluate(
        "() => document.querySelectorAll('.jp-OutputArea-output > .jupyter-widgets, "
        ".jp-OutputArea-output > .lm-Widget.jupyter-widgets').length"
    )


def shutdown_kernel(page) -> None:
    page.evaluate(f"() => {_PANEL}.sessionContext.shutdown()")


def screenshot(page, name: str) -> Path:
    """Save a full-page screenshot for review (artifacts/ is git-ignored)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
