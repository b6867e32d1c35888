"""Speed of every widget a learner drives, on the shipped data (pytest-benchmark).

Two figures per widget: its computation (the library calls only: ``calculate()`` where the
widget has one) and its whole callback (what runs when a learner changes a control:
computation, HTML, plot drawn and encoded as PNG). For most widgets the callback is
``refresh()``; the checklist's is ticking a box (saved to its JSON file), the quiz's is
answering, the drill's is grading a question (saved, then its three plots redrawn).
Targets: computation under 50 ms, callback under 250 ms. The slowest median of each group
is printed at the end with the machine's core count and load. Nothing here asserts on time;
run with ``make bench``.
"""

from __future__ import annotations

import os
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import pytest

from interview_lab import checklist, star
from interview_lab.settings import data_path
from interview_lab.widgets.base import LabWidget
from interview_lab.widgets.capacity import (
    AutoscalingWidget,
    CicdScaleWidget,
    ImageSavingsWidget,
    MonitoringCapacityWidget,
)
from interview_lab.widgets.checklist import ChecklistWidget
from interview_lab.widgets.dora import DoraWidget, OwnTeamWidget
from interview_lab.widgets.drill import DrillWidget
from interview_lab.widgets.planner import PlannerWidget
from interview_lab.widgets.quiz import RedFlagQuizWidget
from interview_lab.widgets.salary import (
    BandExplorerWidget,
    CounterOfferWidget,
    OfferComparisonWidget,
    TotalCompWidget,
)
from interview_lab.widgets.star import StarCoachWidget

TODAY = date(2026, 3, 2)
TARGET_S = {"computation": 0.050, "callback": 0.250}
_MEDIANS: dict[str, dict[str, float]] = {"computation": {}, "callback": {}}


def _team_paths() -> list[str]:
    return [str(data_path(f"team_example/{name}.csv"))
            for name in ("deployments", "changes", "incidents")]


def _quiz() -> RedFlagQuizWidget:
    widget = RedFlagQuizWidget()
    widget.guess.value = "red_flag"
    return widget


def _quiz_computation(widget: RedFlagQuizWidget):
    feedback = star.check_quiz_answer(widget.quiz, widget.item.value, widget.guess.value)
    return feedback, star.quiz_tally(widget.quiz, widget.guesses)


def _quiz_answer(widget: RedFlagQuizWidget) -> None:
    widget.guess.value = "strong" if widget.guess.value == "red_flag" else "red_flag"


def _checklist_computation(widget: ChecklistWidget):
    state = checklist.ChecklistState(frozenset(k for k, box in widget.boxes.items() if box.value))
    checklist.save_checklist(state, widget.path)
    return checklist.readiness(state)


def _tick(widget: ChecklistWidget) -> None:
    box = next(iter(widget.boxes.values()))
    box.value = not box.value


def _drill(home: Path) -> DrillWidget:
    widget = DrillWidget(progress_path=home / "drill-progress.json", on=TODAY,
                         now=lambda: datetime(2026, 3, 2, 9, 30), seed=5, count=40)
    return widget


def _drill_reveal(widget: DrillWidget) -> None:
    """Benchmark setup: the next question on screen, its key points revealed."""
    if widget.graded:
        widget._next()
    widget._reveal()


@dataclass(frozen=True)
class Case:
    name: str
    make: Callable[[Path], LabWidget]
    computation: Callable[[LabWidget], object] = lambda widget: widget.calculate()
    callback: Callable[[LabWidget], object] = lambda widget: widget.refresh()
    setup: Callable[[LabWidget], None] | None = None  # before each callback round, untimed
    images: Callable[[LabWidget], list] = lambda widget: [widget.figure]


CASES = [
    Case("MonitoringCapacityWidget", lambda home: MonitoringCapacityWidget()),
    Case("AutoscalingWidget", lambda home: AutoscalingWidget()),
    Case("CicdScaleWidget", lambda home: CicdScaleWidget()),
    Case("ImageSavingsWidget", lambda home: ImageSavingsWidget()),
    Case("BandExplorerWidget", lambda home: BandExplorerWidget()),
    Case("CounterOfferWidget", lambda home: CounterOfferWidget()),
    Case("TotalCompWidget", lambda home: TotalCompWidget()),
    Case("OfferComparisonWidget", lambda home: OfferComparisonWidget()),
    Case("DoraWidget", lambda home: DoraWidget()),  # Bibby's log, all services, whole range
    Case("OwnTeamWidget", lambda home: OwnTeamWidget(*_team_paths())),  # data/team_example
    Case("PlannerWidget", lambda home: PlannerWidget(today=TODAY)),
    Case("StarCoachWidget", lambda home: StarCoachWidget()),
    Case("DrillWidget", _drill,
         # "nailed": a new card goes to box 2, so all three plots change and are redrawn
         callback=lambda widget: widget.grade("nailed"), setup=_drill_reveal,
         images=lambda w: [w.boxes_image, w.forecast_image, w.readiness_image]),
    Case("RedFlagQuizWidget", lambda home: _quiz(), computation=_quiz_computation,
         callback=_quiz_answer, images=lambda widget: []),
    Case("ChecklistWidget", lambda home: ChecklistWidget(home / "checklist.json"),
         computation=_checklist_computation, callback=_tick, images=lambda widget: []),
]
IDS = [case.name for case in CASES]


@pytest.fixture(scope="module", autouse=True)
def _report(request):
    yield
    plugins = request.config.pluginmanager
    reporter = plugins.getplugin("terminalreporter")
    capture = plugins.getplugin("capturemanager")
    if reporter is None or capture is None:
        return
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    lines = [f"widget speed on {os.cpu_count()} cores, load average {load} "
             "(median of each benchmark):"]
    for group, medians in _MEDIANS.items():
        if not medians:
            continue
        name, slowest = max(medians.items(), key=lambda item: item[1])
        verdict = "within" if slowest < TARGET_S[group] else "OVER"
        lines.append(
            f"  slowest {group}: {name} {slowest * 1000:.1f} ms "
            f"({verdict} the {TARGET_S[group] * 1000:.0f} ms target)"
        )
    with capture.global_and_fixture_disabled():  # teardown output is captured otherwise
        reporter.write_line("")
        for line in lines:
            reporter.write_line(line)


def _median(benchmark) -> float:
    stats = benchmark.stats
    if stats is None:  # --benchmark-disable
        return float("nan")
    return statistics.median(stats.stats.data)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_computation(benchmark, case, tmp_path):
    benchmark.group = "computation (library calls only)"
    widget = case.make(tmp_path)
    assert widget.last_error is None, widget.last_error
    result = benchmark.pedantic(case.computation, args=(widget,), rounds=20, iterations=1,
                                warmup_rounds=2)
    assert result is not None
    _MEDIANS["computation"][case.name] = _median(benchmark)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_callback(benchmark, case, tmp_path):
    benchmark.group = "callback (compute, HTML, plot to PNG)"
    widget = case.make(tmp_path)
    if case.setup is None:
        benchmark.pedantic(case.callback, args=(widget,), rounds=7, iterations=1,
                           warmup_rounds=1)
    else:
        def setup():
            case.setup(widget)
            return (widget,), {}

        benchmark.pedantic(case.callback, setup=setup, rounds=7, warmup_rounds=1)
    assert widget.last_error is None, widget.last_error
    for image in case.images(widget):
        assert bytes(image.value).startswith(b"\x89PNG")
    _MEDIANS["callback"][case.name] = _median(benchmark)
