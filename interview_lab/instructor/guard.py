"""nbgrader's Autograde, started from inside a Jupyter server (the formgrader's button), refuses.

The formgrader's "Autograde" button (and its ``/formgrader/api/submission/.../autograde`` call)
runs nbgrader's plain ``Autograde`` in the formgrader's own process: the submission's code would
run as the formgrader's account, in the course folder, with the solutions and the gradebook in
reach and none of the course's sandbox (``sandbox.py``). nbgrader has no setting that removes the
button, so the course's ``nbgrader_config.py`` gives ``Autograde`` this step first whenever the
configuration is read inside a running Jupyter server: it stops before any cell runs and says
what to run instead. ``nbgrader autograde`` on the command line and the course's own grader are
not Jupyter servers and are unaffected.
"""

from __future__ import annotations

import sys

from nbgrader.preprocessors import NbGraderPreprocessor

REFUSAL = (
    "autograding from the formgrader is switched off for this course: it would run the "
    "submission outside the grading sandbox, as the formgrader's account, next to the solutions. "
    "Grade from a terminal with `python -m interview_lab grade ASSIGNMENT` (as root on a shared "
    "server); the formgrader then shows the results."
)


def inside_a_jupyter_server() -> bool:
    """Whether this process is running a Jupyter server (JupyterLab, the hub's single-user
    server, the formgrader): jupyter_server's ``ServerApp`` singleton exists."""
    serverapp = sys.modules.get("jupyter_server.serverapp")
    return serverapp is not None and serverapp.ServerApp.initialized()


class GradeWithTheCoursesCommand(NbGraderPreprocessor):
    """Stops nbgrader's Autograde before anything of the submission runs (see the module)."""

    def preprocess(self, nb, resources):
        raise RuntimeError(REFUSAL)
