"""The formgrader's Autograde button is switched off (interview_lab/instructor/guard.py).

nbgrader's formgrader grades a submission through ``NbGraderAPI.autograde`` in the Jupyter
server's own process, outside the course's sandbox. The course's configuration makes that call
refuse, with the command to run instead, whenever it is read inside a Jupyter server; the same
configuration read elsewhere (nbgrader's command line, the course's grader) is unchanged.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from test_instructor_support import (
    ASSIGNMENT,
    GOOD_BYTES,
    filled_notebook,
    make_course,
    put_submission,
    remove_course,
)

from interview_lab.instructor.course import Course, generate_assignment
from interview_lab.instructor.guard import REFUSAL

FORMGRADER_CALL = """
import json, sys
from pathlib import Path
if sys.argv[2] == "server":
    from jupyter_server.serverapp import ServerApp
    ServerApp.instance()  # the process is a Jupyter server (not started: nothing listens)
from nbgrader.apps import NbGraderAPI
from interview_lab.instructor.course import Course
course = Course.at(Path(sys.argv[1]))
config = course.config()
api = NbGraderAPI(coursedir=course.coursedir(config), config=config)
result = api.autograde(sys.argv[3], "student")
print("RESULT=" + json.dumps({"success": result["success"],
                              "text": result.get("error", "") + result.get("log", ""),
                              "steps": [str(s) for s in config.Autograde.get("sanitize_preprocessors", [])]}))
"""


def _call(course: Path, where: str) -> dict:
    env = dict(os.environ, PATH=str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""))
    done = subprocess.run([sys.executable, "-c", FORMGRADER_CALL, str(course), where, ASSIGNMENT],
                          capture_output=True, text=True, env=env, timeout=300, cwd=course)
    line = next((x for x in done.stdout.splitlines() if x.startswith("RESULT=")), None)
    assert line is not None, done.stdout[-2000:] + done.stderr[-3000:]
    return json.loads(line[len("RESULT="):])


def test_the_formgraders_autograde_refuses_and_says_what_to_run():
    course = make_course()
    try:
        put_submission(course, "student", {"tiny.ipynb": filled_notebook(GOOD_BYTES, "RATIO = 20")})
        generate_assignment(Course.at(course), ASSIGNMENT, release_dir=course.parent / "scratch-release")
        inside = _call(course, "server")
        assert inside["success"] is False
        assert REFUSAL in inside["text"] and "python -m interview_lab grade" in inside["text"]
        assert not (course / "autograded").exists() or not any((course / "autograded").rglob("*.ipynb"))
        # Read anywhere else, the configuration leaves nbgrader's own steps alone.
        assert _call(course, "cli")["steps"] == []
    finally:
        remove_course(course)
