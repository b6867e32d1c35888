"""The course's late-submission policy, as an nbgrader ``LateSubmissionPlugin``.

nbgrader computes how late a submission is from the assignment's due date in the gradebook
(``nbgrader db assignment add ID --duedate=...``) and the submission's ``timestamp.txt``
(written by ``nbgrader submit``/``collect``), then asks this plugin for a penalty in points per
notebook; ``grades.csv`` shows it in ``late_submission_penalty`` and subtracts it in ``score``.

Policy (set in ``nbgrader_config.py``): after a grace period, each started day late costs a
fixed percentage of the notebook's score, up to a maximum. With the defaults (15 min grace,
10 % a day, at most 100 %): 10 minutes late costs nothing, 3 hours late costs 10 %, 26 hours
late 20 %.
"""

from __future__ import annotations

import math

from nbgrader.plugins import LateSubmissionPlugin
from traitlets import Float

SECONDS_PER_DAY = 86_400


def late_penalty_points(
    score_points: float,
    seconds_late: float,
    *,
    percent_per_day: float,
    grace_minutes: float = 0.0,
    max_percent: float = 100.0,
) -> float:
    """Points taken off a notebook that scored ``score_points`` and came ``seconds_late`` late.

    >>> late_penalty_points(8, 3 * 3600, percent_per_day=10, grace_minutes=15)
    0.8
    """
    if score_points < 0:
        raise ValueError(f"score_points must be at least 0, got {score_points}")
    if seconds_late < 0:
        raise ValueError(f"seconds_late must be at least 0, got {seconds_late}")
    if percent_per_day < 0 or grace_minutes < 0:
        raise ValueError("percent_per_day and grace_minutes must be at least 0")
    if not 0 <= max_percent <= 100:
        raise ValueError(f"max_percent must be between 0 and 100, got {max_percent}")
    counted_s = seconds_late - grace_minutes * 60
    if counted_s <= 0:
        return 0.0
    days = math.ceil(counted_s / SECONDS_PER_DAY)
    percent = min(max_percent, days * percent_per_day)
    return round(score_points * percent / 100, 6)


class PerDayLatePenalty(LateSubmissionPlugin):
    """A percentage of the notebook's score per started day late, after a grace period."""

    percent_per_day = Float(10.0, help="percent of the score lost per started day late").tag(config=True)
    grace_minutes = Float(15.0, help="lateness forgiven, in minutes").tag(config=True)
    max_percent = Float(100.0, help="the largest penalty, in percent of the score").tag(config=True)

    def late_submission_penalty(self, student_id: str, score: float, total_seconds_late: float) -> float:
        penalty = late_penalty_points(
            float(score or 0.0),
            float(total_seconds_late),
            percent_per_day=self.percent_per_day,
            grace_minutes=self.grace_minutes,
            max_percent=self.max_percent,
        )
        self.log.info("%s: %.0f s late, penalty %.2f points", student_id, total_seconds_late, penalty)
        return penalty
