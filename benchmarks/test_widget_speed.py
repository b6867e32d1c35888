"""Speed of the capacity and salary widgets on the shipped data (pytest-benchmark).

Two figures per widget: its computation (``calculate()``: the library calls only) and its
whole callback (``refresh()``: computation, HTML, plot drawn and encoded as PNG - what runs
when a learner changes a control). Targets: computation under 50 ms, callback under 250 ms.
The slowest median of each group is printed at the end with the machine's core count.
Nothing here asserts on time; run with ``make bench``.
"""

from __future__ import annotations

import os
import statistics

import pytest

from interview_lab.widgets.capacity import (
    AutoscalingWidget,
    CicdScaleWidget,
    ImageSavingsWidget,
    MonitoringCapacityWidget,
)
from interview_lab.widgets.salary import (
    BandExplorerWidget,
    CounterOfferWidget,
    OfferComparisonWidget,
    TotalCompWidget,
)

WIDGETS = [
    MonitoringCapacityWidget, AutoscalingWidget, CicdScaleWidget, ImageSavingsWidget,
    BandExplorerWidget, CounterOfferWidget, TotalCompWidget, OfferComparisonWidget,
]  # fmt: skip
TARGET_S = {"computation": 0.050, "callback": 0.250}
_MEDIANS: dict[str, dict[str, float]] = {"computation": {}, "callback": {}}


@pytest.fixture(scope="module", autouse=True)
def _report(request):
    yield
    plugins = request.config.pluginmanager
    reporter = plugins.getplugin("terminalreporter")
    capture = plugins.getplugin("capturemanager")
    if reporter is None or capture is None:
        return
    lines = [f"widget speed on {os.cpu_count()} cores (median of each benchmark):"]
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


@pytest.mark.parametrize("cls", WIDGETS, ids=[c.__name__ for c in WIDGETS])
def test_computation(benchmark, cls):
    benchmark.group = "computation (library calls only)"
    widget = cls()
    assert widget.last_error is None, widget.last_error
    result = benchmark.pedantic(widget.calculate, rounds=20, iterations=1, warmup_rounds=2)
    assert result is not None
    _MEDIANS["computation"][cls.__name__] = _median(benchmark)


@pytest.mark.parametrize("cls", WIDGETS, ids=[c.__name__ for c in WIDGETS])
def test_callback(benchmark, cls):
    benchmark.group = "callback (refresh: compute, HTML, plot to PNG)"
    widget = cls()
    benchmark.pedantic(widget.refresh, rounds=7, iterations=1, warmup_rounds=1)
    assert widget.last_error is None, widget.last_error
    assert bytes(widget.figure.value).startswith(b"\x89PNG")
    _MEDIANS["callback"][cls.__name__] = _median(benchmark)
