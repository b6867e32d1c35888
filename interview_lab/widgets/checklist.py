"""The readiness checklist widget: tick items, saved to JSON as you go, with a readiness score.

The file is ``checklist.json`` in the learner folder (the ``INTERVIEW_LAB_HOME`` setting). A
damaged file is reported in the message pane and left alone until the learner clicks
"Set the damaged file aside" (:func:`interview_lab.checklist.set_aside`).
"""

from __future__ import annotations

import html
from pathlib import Path

import ipywidgets as w

from interview_lab import checklist
from interview_lab.widgets.base import LabWidget, table_html

_PHASE_TITLES = {
    "before": "Before the interview",
    "during": "During the interview",
    "after": "After the interview",
}


class ChecklistWidget(LabWidget):
    """Controls: ``boxes`` (item key -> Checkbox), ``reload_button``, ``set_aside_button``."""

    title = "Interview-readiness checklist"

    def __init__(self, path: Path | None = None) -> None:
        self.path = checklist.checklist_path() if path is None else Path(path)
        self._syncing = False
        self._pending: str | None = None
        self._load_error: str | None = None
        self._saved = checklist.ChecklistState()
        self.boxes = {
            item.key: w.Checkbox(value=False, description=item.text, indent=False,
                                 layout=w.Layout(width="95%"))
            for item in checklist.ITEMS
        }
        self.reload_button = w.Button(description="Reload from file", icon="refresh")
        self.set_aside_button = w.Button(
            description="Set the damaged file aside", icon="archive", disabled=True,
            layout=w.Layout(width="auto"),
        )
        self.reload_button.on_click(lambda _b: self._request("reload"))
        self.set_aside_button.on_click(lambda _b: self._request("set-aside"))
        controls: list[w.Widget] = []
        for phase in checklist.PHASES:
            controls.append(w.HTML(f"<b>{_PHASE_TITLES[phase]}</b>"))
            controls += [self.boxes[i.key] for i in checklist.ITEMS if i.phase == phase]
        controls.append(w.HBox([self.reload_button, self.set_aside_button]))
        self._pending = "reload"
        super().__init__(controls, with_plot=False)

    # -- actions run inside compute, so their ValueErrors reach the message pane ----------
    def _request(self, action: str) -> None:
        self._pending = action
        self.refresh()

    def refresh(self, *args: object) -> None:
        if not self._syncing:
            super().refresh(*args)

    def _show(self, state: checklist.ChecklistState) -> None:
        self._syncing = True
        try:
            for key, box in self.boxes.items():
                box.value = key in state.done
        finally:
            self._syncing = False

    def _reload(self) -> None:
        try:
            state = checklist.load_checklist(self.path)
        except checklist.ChecklistFileError as error:
            self._load_error = str(error)
            self.set_aside_button.disabled = False
            return
        self._load_error = None
        self.set_aside_button.disabled = True
        self._saved = state
        self._show(state)

    def compute(self) -> str:
        action, self._pending = self._pending, None
        kept = ""
        if action == "set-aside":
            # The ticks on screen survive: they are saved to a new file just below.
            moved = checklist.set_aside(self.path)
            self._load_error = None
            self._saved = checklist.ChecklistState()
            self.set_aside_button.disabled = True
            kept = f"The damaged file was kept as {checklist.display_path(moved)}. "
        elif action == "reload":
            self._reload()
        if self._load_error:
            raise ValueError(self._load_error)
        state = checklist.ChecklistState(
            frozenset(key for key, box in self.boxes.items() if box.value)
        )
        if state != self._saved:
            checklist.save_checklist(state, self.path)
            self._saved = state
        score = checklist.readiness(state)
        phases = table_html(
            [(_PHASE_TITLES[p.phase], f"{p.done} of {p.total}", f"{p.percent:.0f} %")
             for p in score.phases],
            header=("phase", "ticked", "ready"),
        )
        upcoming = "".join(f"<li>{html.escape(i.text)}</li>" for i in score.next_items)
        return (
            f"<p>{html.escape(kept)}<b>Readiness: {score.percent:.0f} %</b> "
            f"({score.done} of {score.total} items). Saved to "
            f"<code>{html.escape(checklist.display_path(self.path))}</code>.</p>"
            + f'<progress value="{score.done}" max="{score.total}" style="width:60%"></progress>'
            + phases
            + (f"<p>Next:</p><ul>{upcoming}</ul>" if upcoming else "<p>Everything is ticked.</p>")
        )
