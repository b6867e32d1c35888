"""The instructor's tools: release, grade, feedback and report, built on nbgrader itself.

Modules:

* :mod:`~interview_lab.instructor.course` - a course folder, its nbgrader configuration and
  gradebook, and nbgrader's converters run in-process on it.
* :mod:`~interview_lab.instructor.isolation` - where and as whom a submission's kernel runs.
* :mod:`~interview_lab.instructor.parallel` - grading many submissions at once, safely.
* :mod:`~interview_lab.instructor.late` - the late-submission penalty plugin.
* :mod:`~interview_lab.instructor.report` - score distribution and pass rate per graded cell.
* :mod:`~interview_lab.instructor.cli` - ``python -m interview_lab release|grade|feedback|report``.

Nothing here re-implements grading: nbgrader's ``Autograde``, ``GenerateAssignment`` and
``GenerateFeedback`` converters do the work, its gradebook holds the results and its CSV export
plugin writes ``grades.csv``.
"""
