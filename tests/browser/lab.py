"""Driving JupyterLab in a real browser page, as a learner would.

:class:`Lab` is JupyterLab loaded once in a Playwright page; :meth:`Lab.open` opens a notebook
as a tab (through JupyterLab's own command registry, exposed with ``expose_app_in_browser``)
and returns a :class:`Notebook`; :meth:`Lab.prepare` opens and runs several notebooks in the
background, a few at a time, and :meth:`Lab.run` hands over a notebook once its run is done.
A :class:`Notebook` lists what a learner would see go wrong (:meth:`Notebook.problems`: error
and stderr outputs, widgets not drawn, images that cannot be drawn, Figures shown as text,
dollar amounts typeset as TeX), takes a screenshot of the whole notebook and finds a widget
by its title (:meth:`Notebook.widget`). A :class:`WidgetView` finds its controls by their
labels, types into them, chooses in dropdowns, sets dates and waits for the result or for the
message (``.lab-error``) that the course's widgets show.

Every DOM query is scoped to one notebook's panel, so notebooks open in other tabs do not
disturb a test.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import Locator, Page
from playwright.sync_api import TimeoutError as PlaywrightTimeout

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
# Chromium draws a page at most this tall in one screenshot.
MAX_SCREENSHOT_PX = 16_000
# The text a matplotlib Figure shows when no image of it is made.
FIGURE_REPR = re.compile(r"<Figure size \d+x\d+ with \d+ Axes>")
# Notebooks run at once by Lab.prepare: kernels start and run while others are checked.
PARALLEL_RUNS = 4

# JavaScript: wait (up to 5 s) until the images ``imgs`` have loaded or failed; an image
# whose source just changed is not "complete" yet, and would be neither drawn nor broken.
_SETTLE = """await Promise.all(imgs.filter(img => !img.complete).map(img => new Promise(r => {
               img.addEventListener('load', r, {once: true});
               img.addEventListener('error', r, {once: true});
               setTimeout(r, 5000); })));"""
# JavaScript: the notebook panel with a given DOM id, among JupyterLab's main-area tabs.
_FIND = ("const app = window.jupyterapp; "
         "const panel = Array.from(app.shell.widgets('main')).find(w => w.id === id);")


def notebooks_of_selected_tests(request) -> list[str]:
    """The ``notebook`` marks of the selected tests of ``request``'s module, in test order
    (for :meth:`Lab.prepare`: only what the selected tests need is run). nbval's items are
    notebook cells, not Python functions, and have no module: they are passed over."""
    paths = [item.get_closest_marker("notebook").args[0] for item in request.session.items
             if getattr(item, "module", None) is request.module and item.get_closest_marker("notebook")]
    return list(dict.fromkeys(paths))


@dataclass(frozen=True)
class LabServer:
    url: str
    token: str
    root: Path  # the server's root: a temporary copy of notebooks/, release/ and data/
    learner_home: Path  # INTERVIEW_LAB_HOME of the server's kernels
    log: Path


class Lab:
    """JupyterLab in one page for the whole session; notebooks open as tabs.

    A notebook run through :meth:`run` stays open with its kernel, so a later test can
    reuse that run; :meth:`close_all` shuts every kernel down.
    """

    def __init__(self, page: Page, server: LabServer, viewport: dict[str, int]) -> None:
        self.page = page
        self.server = server
        self.viewport = dict(viewport)
        self.open_notebooks: dict[str, Notebook] = {}

    def start(self) -> None:
        self.page.goto(f"{self.server.url}/lab?reset&token={self.server.token}")
        self.page.wait_for_function(
            "() => window.jupyterapp && window.jupyterapp.started !== undefined "
            "&& window.jupyterapp.shell && window.jupyterapp.commands.hasCommand('docmanager:open')",
            timeout=90_000,
        )
        self.page.evaluate("() => window.jupyterapp.started")
        self.page.evaluate("() => window.jupyterapp.restored")

    # -- notebooks ----------------------------------------------------------------------
    def open(self, path: str) -> Notebook:
        """Open ``path`` (relative to the server root) in a new tab; wait for an idle kernel."""
        panel_id = self.page.evaluate(
            """async (path) => {
                 const app = window.jupyterapp;
                 const panel = await app.commands.execute('docmanager:open',
                                                          {path, factory: 'Notebook'});
                 await panel.context.ready;
                 await panel.sessionContext.ready;
                 app.shell.activateById(panel.id);
                 return panel.id;
               }""",
            path,
        )
        notebook = Notebook(self, path, panel_id)
        notebook.wait_for_idle_kernel()
        self.open_notebooks[path] = notebook
        return notebook

    def prepare(self, paths: list[str], parallel: int = PARALLEL_RUNS,
                timeout_s: float = 180) -> None:
        """Open and run ``paths`` in the background, ``parallel`` at a time, in this order.

        Returns at once; :meth:`run` then waits for a notebook's own run. Kernels start and
        notebooks run while earlier notebooks are being checked, which keeps the suite short.
        The tabs open in the background (a screenshot in progress is not disturbed).
        """
        self.page.evaluate(
            """([paths, parallel, timeoutMs]) => {
                 const app = window.jupyterapp;
                 const runs = window.__labRuns = window.__labRuns || {};
                 const queue = window.__labQueue = window.__labQueue || [];
                 for (const path of paths) {
                   if (runs[path]) continue;
                   runs[path] = {state: 'queued'};
                   queue.push(path);
                 }
                 const one = async (path) => {
                   const run = runs[path];
                   try {
                     run.state = 'opening';
                     const panel = await app.commands.execute('docmanager:open',
                       {path, factory: 'Notebook', options: {activate: false}});
                     run.id = panel.id;
                     await panel.context.ready;
                     await panel.sessionContext.ready;
                     run.state = 'running';
                     const started = performance.now();
                     const all = app.commands.execute('notebook:run-all-cells',
                                                      {widgetId: panel.id, activate: false});
                     const timer = new Promise(r => setTimeout(() => r('timeout'), timeoutMs));
                     const done = await Promise.race([all.then(() => 'done'), timer]);
                     run.seconds = (performance.now() - started) / 1000;
                     run.state = done;
                   } catch (error) {
                     run.state = 'failed';
                     run.error = String(error);
                   }
                 };
                 const worker = async () => { while (queue.length) await one(queue.shift()); };
                 const busy = window.__labWorkers || 0;
                 for (let i = busy; i < parallel; i++) {
                   window.__labWorkers = (window.__labWorkers || 0) + 1;
                   worker().finally(() => { window.__labWorkers -= 1; });
                 }
                 return null;
               }""",
            [paths, parallel, timeout_s * 1000],
        )

    def _prepared(self, path: str, timeout_s: float) -> Notebook | None:
        """The notebook :meth:`prepare` ran, once its run has ended; None if not prepared."""
        known = self.page.evaluate("(path) => !!(window.__labRuns && window.__labRuns[path])",
                                   path)
        if not known:
            return None
        self.page.wait_for_function(
            """(path) => ['done', 'timeout', 'failed'].includes(window.__labRuns[path].state)""",
            arg=path, timeout=timeout_s * 1000, polling=200,
        )
        run = self.page.evaluate("(path) => window.__labRuns[path]", path)
        if run["state"] == "failed":
            raise AssertionError(f"{path} could not be opened and run: {run.get('error')}")
        if run["state"] == "timeout":
            raise AssertionError(f"{path} was still running after its time limit")
        notebook = Notebook(self, path, run["id"])
        notebook.wait_for_idle_kernel()
        notebook.has_run, notebook.run_seconds = True, run["seconds"]
        self.open_notebooks[path] = notebook
        return notebook

    def run(self, path: str, timeout_s: float = 120) -> Notebook:
        """``path`` opened and run once: a run already made in this session (by an earlier
        test or by :meth:`prepare`), or a new one."""
        notebook = self.open_notebooks.get(path)
        if notebook is None:
            notebook = self._prepared(path, timeout_s=4 * timeout_s)
        if notebook is None or not notebook.has_run:
            if notebook is not None:
                notebook.close()
            notebook = self.open(path)
            notebook.run_all(timeout_s)
        notebook.activate()
        return notebook

    def write_notebook(self, path: str, cells: list[str]) -> str:
        """Write a notebook of code cells into the server's course copy; return ``path``."""
        target = self.server.root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps({
            "cells": [{"cell_type": "code", "metadata": {}, "outputs": [],
                       "execution_count": None, "source": source} for source in cells],
            "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                        "language": "python"}},
            "nbformat": 4, "nbformat_minor": 5,
        }))
        return path

    def close_all(self) -> None:
        """Stop the background runs, shut every kernel down at once, close every tab."""
        self.open_notebooks.clear()
        try:
            self.page.evaluate(
                """async () => {
                     if (window.__labQueue) window.__labQueue.length = 0;
                     const app = window.jupyterapp;
                     const panels = Array.from(app.shell.widgets('main'))
                                         .filter(w => w.sessionContext);
                     await Promise.all(panels.map(p => p.sessionContext.shutdown()
                                                        .catch(() => null)));
                     for (const p of panels) { p.context.model.dirty = false; p.dispose(); }
                   }"""
            )
        except Exception:  # noqa: BLE001 - the page is gone: the server stops the kernels
            pass

    def dismiss_dialogs(self) -> None:
        """Close any dialog a test left open (it would block the next test's clicks)."""
        for _ in range(3):
            if self.page.locator(".jp-Dialog").count() == 0:
                return
            self.page.keyboard.press("Escape")
            self.page.wait_for_timeout(200)

    def screenshot(self, name: str) -> Path:
        """A screenshot of the window as it is (artifacts/ is git-ignored)."""
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(path))
        return path


class Notebook:
    """One notebook open in a tab of :class:`Lab`."""

    def __init__(self, lab: Lab, path: str, panel_id: str) -> None:
        self.lab = lab
        self.page = lab.page
        self.path = path
        self.panel_id = panel_id
        self.has_run = False
        self.run_seconds: float | None = None

    @property
    def panel(self) -> Locator:
        return self.page.locator(f"[id='{self.panel_id}']")

    def _eval(self, body: str, arg: object = None):
        """Evaluate ``body`` with ``panel`` (this notebook's panel) and ``arg`` in scope."""
        return self.page.evaluate(
            f"async ([id, arg]) => {{ {_FIND} if (!panel) throw new Error('notebook closed'); "
            f"{body} }}",
            [self.panel_id, arg],
        )

    def activate(self) -> None:
        self._eval("app.shell.activateById(panel.id); return null;")

    def wait_for_idle_kernel(self, timeout_s: float = 90) -> None:
        self.page.wait_for_function(
            f"""(id) => {{ {_FIND}
                 const s = panel && panel.sessionContext;
                 return !!(s && s.isReady && s.session && s.session.kernel
                           && s.session.kernel.status === 'idle'); }}""",
            arg=self.panel_id, timeout=timeout_s * 1000,
        )

    def run_all(self, timeout_s: float = 120) -> None:
        """Run every cell (Run > Run All Cells) and wait until it has finished."""
        self.activate()
        started = time.monotonic()
        outcome = self._eval(
            """const run = app.commands.execute('notebook:run-all-cells',
                                                {widgetId: panel.id, activate: false});
               const timer = new Promise(resolve => setTimeout(() => resolve('timeout'), arg));
               const done = await Promise.race([run.then(() => 'done'), timer]);
               return done;""",
            timeout_s * 1000,
        )
        if outcome == "timeout":
            raise AssertionError(f"{self.path} was still running after {timeout_s:g} s")
        self.wait_for_idle_kernel()
        self.run_seconds = time.monotonic() - started
        self.has_run = True

    # -- what the learner sees ------------------------------------------------------------
    def outputs(self) -> list[dict]:
        """Every code cell's outputs as nbformat dicts, with the cell's index."""
        return self._eval(
            """const out = [];
               const cells = panel.content.model.cells;
               for (let c = 0; c < cells.length; c++) {
                 const cell = cells.get(c);
                 if (cell.type !== 'code') continue;
                 for (let i = 0; i < cell.outputs.length; i++) {
                   out.push(Object.assign({cell: c}, cell.outputs.get(i).toJSON()));
                 }
               }
               return out;"""
        )

    def error_outputs(self) -> list[str]:
        """``cell N: ename: evalue`` for every error output."""
        return [f"cell {o['cell']}: {o['ename']}: {o['evalue']}" for o in self.outputs()
                if o["output_type"] == "error"]

    def widget_output_count(self) -> int:
        """How many outputs are widget views (in the notebook model)."""
        return sum(1 for o in self.outputs() if WIDGET_MIME in o.get("data", {}))

    def rendered_widget_count(self) -> int:
        """How many widget views are drawn in the page (top-level views in output areas)."""
        return self.panel.locator(".jp-OutputArea-output > .jupyter-widgets").count()

    def wait_for_widgets(self, timeout_s: float = 30) -> None:
        """Wait until every widget output is drawn (they render after the run ends)."""
        expected = self.widget_output_count()
        try:
            self.page.wait_for_function(
                f"""([id, n]) => {{ {_FIND}
                     return panel.node.querySelectorAll(
                       '.jp-OutputArea-output > .jupyter-widgets').length >= n; }}""",
                arg=[self.panel_id, expected], timeout=timeout_s * 1000,
            )
        except PlaywrightTimeout:
            pass  # problems() says which are missing

    def broken_images(self) -> list[str]:
        """``cell N: <kind>`` for every shown image in the outputs the browser cannot draw
        (an image hidden with ``display: none`` shows nothing, so it is not counted)."""
        return self._eval(
            f"""const out = [];
               const cells = panel.content.widgets;
               for (let c = 0; c < cells.length; c++) {{
                 const imgs = Array.from(cells[c].node.querySelectorAll(
                   '.jp-RenderedImage img, .jp-OutputArea-output img.widget-image'));
                 {_SETTLE}
                 for (const img of imgs) {{
                   if (!img.getAttribute('src') || img.getClientRects().length === 0) continue;
                   if (img.naturalWidth === 0) {{
                     const kind = img.classList.contains('widget-image') ? 'widget image'
                                                                           : 'plot output';
                     out.push('cell ' + c + ': ' + kind);
                   }}
                 }}
               }}
               return out;"""
        )

    def cut_off_images(self) -> list[str]:
        """``cell N: ...`` for every shown image in the outputs that reaches past the right edge
        of its cell, where the notebook cuts it off (e.g. plots side by side that do not fit)."""
        return self._eval(
            f"""const out = [];
               const cells = panel.content.widgets;
               for (let c = 0; c < cells.length; c++) {{
                 const imgs = Array.from(cells[c].node.querySelectorAll('.jp-OutputArea-output img'));
                 {_SETTLE}
                 const edge = cells[c].node.getBoundingClientRect().right;
                 for (const img of imgs) {{
                   if (img.getClientRects().length === 0) continue;
                   const past = img.getBoundingClientRect().right - edge;
                   if (past > 1) out.push('cell ' + c + ': an image reaches ' + Math.round(past) +
                                          ' px past the right edge of the cell');
                 }}
               }}
               return out;"""
        )

    def prices_typeset_as_math(self) -> list[str]:
        """Markdown cells where a dollar amount was read as TeX: JupyterLab typesets the text
        between two ``$`` as a formula (italic letters, no spaces). Only cells whose source
        has an unescaped ``$`` before a digit count, so intended formulas are not reported."""
        return self._eval(
            """const out = [];
               panel.content.widgets.forEach((cell, i) => {
                 if (cell.model.type !== 'markdown') return;
                 const typeset = cell.node.querySelectorAll('mjx-container').length;
                 if (!typeset) return;
                 const source = cell.model.sharedModel.getSource();
                 const found = source.match(/(?<!\\\\)\\$\\d[^$\\n]{0,30}/);
                 if (found) out.push('cell ' + i + ': "' + found[0] + '..." is typeset as math');
               });
               return out;"""
        )

    def problems(self) -> list[str]:
        """What a learner would see go wrong, one sentence each; empty when all is well."""
        found = []
        outputs = self.outputs()
        found += [f"cell {o['cell']} raised {o['ename']}: {o['evalue']}" for o in outputs
                  if o["output_type"] == "error"]
        found += [f"cell {o['cell']} wrote to stderr: {o['text'].strip()[:300]}" for o in outputs
                  if o["output_type"] == "stream" and o.get("name") == "stderr"]
        # A Figure shown without an image (e.g. no ``%matplotlib inline``): only its repr.
        found += [f"cell {o['cell']} shows {o['data']['text/plain']!r} instead of the plot"
                  for o in outputs
                  if set(o.get("data", {})) == {"text/plain"}
                  and FIGURE_REPR.fullmatch(str(o["data"]["text/plain"]).strip())]
        expected = sum(1 for o in outputs if WIDGET_MIME in o.get("data", {}))
        rendered = self.rendered_widget_count()
        if rendered != expected:
            found.append(f"{expected} widget outputs but {rendered} widgets drawn in the page")
        # A view the front end cannot build: ipywidgets draws an error icon instead.
        failed = self.panel.locator(".jupyter-widgets-error-widget").count()
        if failed:
            found.append(f"{failed} widget(s) failed to draw "
                         "('Click to show javascript error')")
        missing = self.panel.get_by_text("Error displaying widget").count()
        if missing:
            found.append(f"{missing} widget(s) show 'Error displaying widget'")
        found += [f"{where} cannot be drawn (a broken-image icon)"
                  for where in self.broken_images()]
        found += [f"{where} (cut off)" for where in self.cut_off_images()]
        found += [f"{where} (an unescaped $ in the Markdown: write \\$)"
                  for where in self.prices_typeset_as_math()]
        return found

    def screenshot(self, name: str) -> Path:
        """The whole notebook in one picture: the window is made as tall as the notebook."""
        self.activate()
        self._eval(
            """const cells = panel.content;
               cells.node.scrollTop = 0;
               if (cells.outerNode) cells.outerNode.scrollTop = 0;
               return null;"""
        )
        height = self._eval(
            """const scroller = panel.content.outerNode || panel.content.node;
               const top = scroller.getBoundingClientRect().top;
               const below = window.innerHeight - scroller.getBoundingClientRect().bottom;
               return Math.ceil(top + scroller.scrollHeight + below);"""
        )
        width = self.lab.viewport["width"]
        tall = max(self.lab.viewport["height"], min(int(height), MAX_SCREENSHOT_PX))
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        try:
            self.page.set_viewport_size({"width": width, "height": tall})
            # JupyterLab lays out again after the resize; wait for the notebook to fit.
            self.page.wait_for_function(
                f"""(id) => {{ {_FIND}
                     const s = panel.content.outerNode || panel.content.node;
                     return s.clientHeight >= Math.min(s.scrollHeight, {MAX_SCREENSHOT_PX} - 200)
                            || s.clientHeight > window.innerHeight - 250; }}""",
                arg=self.panel_id, timeout=10_000,
            )
            # Two animation frames: the new layout is painted.
            self.page.evaluate("() => new Promise(r => requestAnimationFrame("
                               "() => requestAnimationFrame(r)))")
            self.page.screenshot(path=str(path))
        finally:
            self.page.set_viewport_size(self.lab.viewport)
        return path

    def widget(self, title: str, index: int = 0) -> WidgetView:
        """The widget whose bold title (``LabWidget.title``) is ``title``; ``index`` picks one
        when the notebook shows several with that title (in the order of the cells)."""
        self.activate()
        heading = self.page.locator(".widget-html-content > b").filter(
            has_text=re.compile(rf"^\s*{re.escape(title)}\s*$"))
        box = self.panel.locator(".jp-OutputArea-output > .jupyter-widgets").filter(has=heading)
        count = box.count()
        if count <= index:
            raise AssertionError(f"{count} widgets titled {title!r} in {self.path}, "
                                 f"expected at least {index + 1}")
        return WidgetView(self, box.nth(index))

    def close(self) -> None:
        """Shut the kernel down and close the tab without saving."""
        self.lab.open_notebooks.pop(self.path, None)
        try:
            self._eval(
                """if (window.__labRuns) delete window.__labRuns[arg];
                   await panel.sessionContext.shutdown();
                   panel.context.model.dirty = false;
                   panel.dispose();
                   return null;""",
                self.path,
            )
        except Exception:  # noqa: BLE001 - already closed or the page is gone: nothing to do
            pass


class WidgetView:
    """One of the course's widgets as drawn in the page (see ``interview_lab.widgets.base``)."""

    def __init__(self, notebook: Notebook, box: Locator) -> None:
        self.notebook = notebook
        self.page = notebook.page
        self.box = box

    def settle(self, pause_ms: int = 0) -> None:
        """Wait until the kernel is idle: every update of the last change has then reached
        the page (the kernel publishes them before its idle status, and the page takes them
        in order; ipywidgets applies each asynchronously, hence ``pause_ms`` before checking
        what should *not* be shown)."""
        self.notebook.wait_for_idle_kernel(timeout_s=30)
        if pause_ms:
            self.page.wait_for_timeout(pause_ms)

    def control(self, label: str) -> Locator:
        """The input or select whose label (the control's description) is ``label``."""
        control = self.box.get_by_label(label, exact=True)
        if control.count() != 1:
            labels = self.box.locator("label.widget-label").all_inner_texts()
            raise AssertionError(
                f"{control.count()} controls labelled {label!r}; the labels are {labels}")
        return control

    def value(self, label: str) -> str:
        return self.control(label).input_value()

    def number(self, label: str) -> float:
        return float(self.value(label))

    def type(self, label: str, text: object, key: str = "Enter") -> None:
        """Click into a text or number box, replace its text and press ``key`` (Enter or Tab)."""
        control = self.control(label)
        control.scroll_into_view_if_needed()
        control.click()
        control.press("ControlOrMeta+a")
        control.press_sequentially(str(text))
        control.press(key)

    def choose(self, label: str, option: str) -> None:
        """Choose ``option`` (as :meth:`options` lists it) in a dropdown."""
        control = self.control(label)
        control.scroll_into_view_if_needed()
        control.select_option(value=option)

    def pick_date(self, label: str, iso_date: str) -> None:
        """Set a date picker (``YYYY-MM-DD``) and leave the field, as a learner would."""
        control = self.control(label)
        control.scroll_into_view_if_needed()
        control.fill(iso_date)
        control.press("Tab")

    def options(self, label: str) -> list[str]:
        """A dropdown's options: their labels (ipywidgets draws spaces as no-break spaces,
        so the option's value attribute, which holds the label as given, is read)."""
        return self.control(label).locator("option").evaluate_all(
            "options => options.map(o => o.value)")

    def text(self) -> str:
        """All the text the widget shows (result tables, summaries, message)."""
        return self.box.inner_text()

    def error(self) -> str:
        """The message pane's sentence (without the warning sign), or "" when there is none."""
        # One query: the message may come or go between two.
        message = self.box.evaluate(
            "box => { const e = box.querySelector('.lab-error'); return e ? e.innerText : ''; }")
        return message.lstrip("\u26a0").strip()

    def result_tables(self) -> int:
        """How many result tables (``table_html``) the widget shows."""
        return self.box.locator(".lab-table").count()

    def images(self) -> tuple[int, int]:
        """How many images the widget shows: (drawn plots, broken-image icons)."""
        return tuple(self.box.evaluate(
            f"""async box => {{
                 const imgs = Array.from(box.querySelectorAll('img'));
                 {_SETTLE}
                 const shown = imgs.filter(img => img.getAttribute('src')
                                                  && img.getClientRects().length > 0);
                 return [shown.filter(img => img.naturalWidth > 0).length,
                         shown.filter(img => img.naturalWidth === 0).length]; }}"""
        ))

    def _shown(self) -> tuple[str, str]:
        """The widget's text and its message, read in one query."""
        text, error = self.box.evaluate(
            "box => { const e = box.querySelector('.lab-error'); "
            "return [box.innerText, e ? e.innerText : '']; }")
        return text, error.lstrip("\u26a0").strip()

    def wait_for_text(self, *expected: str, timeout_s: float = 20) -> str:
        """Wait until the widget shows every string of ``expected`` and no error; return its text.

        Raises AssertionError naming what is missing, with the text shown.
        """
        deadline = time.monotonic() + timeout_s
        while True:
            shown, error = self._shown()
            missing = [e for e in expected if e not in shown]
            if not missing and not error:
                # The plot comes after the text: let the change finish before the next one,
                # as a learner who reads the result would.
                self.settle()
                return shown
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"the widget does not show {missing}"
                    + (f"; it shows the error {error!r}" if error else "")
                    + f"; its text:\n{shown[:2000]}")
            self.page.wait_for_timeout(100)

    def wait_for_error(self, sentence: str, timeout_s: float = 20) -> str:
        """Wait until the message pane shows ``sentence``; return the message."""
        deadline = time.monotonic() + timeout_s
        while True:
            shown, error = self._shown()
            if error == sentence:
                self.settle(pause_ms=200)
                return error
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"the widget's message is {error!r}, expected {sentence!r}; its text:\n"
                    f"{shown[:2000]}")
            self.page.wait_for_timeout(100)
