"""The base class every widget of the course builds on (see the package docstring)."""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence

import ipywidgets as w

from interview_lab.plots import to_png


def error_html(message: str) -> str:
    """The message pane's HTML for a learner-facing error sentence."""
    return (
        '<div class="lab-error" style="color:#D55E00;font-weight:bold">'
        f"&#9888; {html.escape(message)}</div>"
    )


def table_html(rows: Iterable[Sequence[object]], header: Sequence[str] | None = None) -> str:
    """A small HTML table (values are escaped)."""
    parts = ['<table class="lab-table">']
    if header:
        parts.append("<tr>" + "".join(f"<th>{html.escape(str(h))}</th>" for h in header) + "</tr>")
    for row in rows:
        parts.append("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>")
    parts.append("</table>")
    return "".join(parts)


class LabWidget:
    """Controls + a result pane + a message pane + an optional plot image.

    Subclasses create their controls in ``__init__`` (before calling ``super().__init__``
    with the list of controls), and implement :meth:`compute` which returns the result HTML
    and, optionally, a matplotlib figure. Any ``ValueError`` raised by the library is shown
    in ``message`` and the result is cleared.
    """

    title: str = "Widget"

    def __init__(self, controls: Sequence[w.Widget], *, with_plot: bool = True) -> None:
        self.controls = list(controls)
        self.result = w.HTML(value="")
        self.message = w.HTML(value="")
        self.figure = w.Image(format="png", layout=w.Layout(max_width="820px")) if with_plot else None
        children: list[w.Widget] = [w.HTML(f"<b>{html.escape(self.title)}</b>"), *self.controls]
        children += [self.message, self.result]
        if self.figure is not None:
            children.append(self.figure)
        self.box = w.VBox(children)
        for control in self.controls:
            if hasattr(control, "value"):
                control.observe(self.refresh, names="value")
        self.last_error: str | None = None
        self._refreshing = False
        self._again = False
        self.refresh()

    # -- to be provided by subclasses -------------------------------------------------
    def compute(self):  # pragma: no cover - abstract
        """Return ``html`` or ``(html, figure_or_None)`` for the current control values."""
        raise NotImplementedError

    # -- machinery -------------------------------------------------------------------
    def refresh(self, *_: object) -> None:
        # A control changed while a plot was still being drawn: the change sets a flag and the
        # running refresh goes round again, so an older result never lands over a newer one.
        if self._refreshing:
            self._again = True
            return
        self._refreshing = True
        try:
            self._again = True
            while self._again:
                self._again = False
                self._refresh_once()
        finally:
            self._refreshing = False

    def _refresh_once(self) -> None:
        try:
            out = self.compute()
        except ValueError as error:
            self.last_error = str(error)
            self.message.value = error_html(str(error))
            self.result.value = ""
            if self.figure is not None:
                self.figure.value = b""
                self.figure.layout.display = "none"  # no broken-image icon under the message
            return
        self.last_error = None
        self.message.value = ""
        html_text, fig = (out, None) if isinstance(out, str) else out
        self.result.value = html_text
        if self.figure is not None:
            self.figure.value = to_png(fig) if fig is not None else b""
            self.figure.layout.display = None if fig is not None else "none"

    def _repr_mimebundle_(self, **kwargs):
        bundle = self.box._repr_mimebundle_(**kwargs)
        if isinstance(bundle, tuple):
            bundle = bundle[0]
        bundle = dict(bundle)
        # A short, stable text form: nbval compares text/plain, and a widget's nested repr is noise.
        bundle["text/plain"] = f"{self.title} (an interactive widget: run this notebook in JupyterLab)"
        return bundle
