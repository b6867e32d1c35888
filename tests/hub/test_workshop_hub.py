"""A workshop on the hub, end to end, with real Linux users (root only; always run in CI).

The hub runs deploy/jupyterhub/jupyterhub_config.py with its local process spawner on
127.0.0.1. Each user's server is started through the hub's REST API with a service token, and
nbgrader is driven the way its JupyterLab extension drives it, through each learner's own
server: ``GET /courses``, ``GET /assignments``, ``POST /assignments/fetch``, ``/submit``,
``/fetch_feedback``. Those handlers answer with the assignment list even when the action
failed, so every check is on the list, never on the status code.
"""

from __future__ import annotations

import csv
import json
import pwd
import re
import subprocess
import time
from pathlib import Path

import measure_learner
import pytest
import requests
from hubkit import (
    COURSE,
    GRADER,
    INSTRUCTOR,
    LEARNERS,
    REPO,
    as_user,
    user_token,
    wait_for_server,
)

ASSIGNMENT = "ps1-back-of-envelope"
NOTEBOOK = f"{ASSIGNMENT}.ipynb"
# A corpus submission with a known score (its expected.json): loses E2 and claim 3.
PARTIAL = REPO / "tests" / "submissions" / ASSIGNMENT / "bits-for-bytes"
SOLUTION_MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")
# A lecture notebook with pandas, matplotlib and widgets, opened in a learner's server.
LECTURE = "notebooks/02b-cloud-and-autoscaling.ipynb"

pytestmark = pytest.mark.root


def full_marks(release_nb: dict, source_nb: dict) -> dict:
    """The released notebook with every answer cell holding the source's solution."""
    solutions = {
        cell["metadata"]["nbgrader"]["grade_id"]: "".join(
            line for line in _lines(cell["source"]) if line.strip() not in SOLUTION_MARKERS
        )
        for cell in source_nb["cells"]
        if cell.get("metadata", {}).get("nbgrader", {}).get("solution")
    }
    filled = json.loads(json.dumps(release_nb))
    for cell in filled["cells"]:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if grade_id in solutions:
            cell["source"] = solutions[grade_id]
    return filled


def _lines(source) -> list[str]:
    return source if isinstance(source, list) else source.splitlines(keepends=True)


def with_thief(nb: dict, target: Path) -> dict:
    """``nb`` whose header cell tries to read the course's solutions and says what happened."""
    thief = json.loads(json.dumps(nb))
    header = next(
        c
        for c in thief["cells"]
        if c["cell_type"] == "code" and "NAME" in "".join(_lines(c["source"]))
    )
    header["source"] = "".join(_lines(header["source"])) + (
        "\ntry:\n"
        f"    open({str(target)!r}).read()\n"
        "    print('SOURCE-READ')\n"
        "except OSError as error:\n"
        "    print('SOURCE-BLOCKED', type(error).__name__)\n"
    )
    return thief


class Server:
    """One user's single-user server, called with that user's own token."""

    def __init__(self, hub, name: str):
        self.name = name
        self.base = f"{hub.url}/user/{name}"
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"token {user_token(hub, name)}"

    def get(self, path: str, **params):
        return self.session.get(f"{self.base}/{path}", params=params, timeout=120)

    def post(self, path: str, body: dict):
        return self.session.post(f"{self.base}/{path}", json=body, timeout=300)

    def nbgrader(self, action: str) -> dict:
        """POST /assignments/<action> for the assignment; nbgrader's reply (the list)."""
        reply = self.post(
            f"assignments/{action}", {"course_id": COURSE, "assignment_id": ASSIGNMENT}
        )
        return reply.json()

    def assignments(self) -> dict:
        return self.get("assignments", course_id=COURSE).json()

    def read(self, path: str) -> dict:
        reply = self.get(f"api/contents/{path}", content="1")
        assert reply.status_code == 200, (
            f"{self.name} cannot open {path}: {reply.status_code} {reply.text[:200]}"
        )
        return reply.json()["content"]

    def write(self, path: str, nb: dict) -> None:
        reply = self.session.put(
            f"{self.base}/api/contents/{path}",
            json={"type": "notebook", "format": "json", "content": nb},
            timeout=60,
        )
        assert reply.status_code in (200, 201), (
            f"{self.name} cannot save {path}: {reply.text[:300]}"
        )


def lab_disabled(page: requests.Response) -> set[str]:
    """The JupyterLab plugins a lab page turns off (its embedded page config)."""
    assert page.status_code == 200, f"{page.url}: {page.status_code}"
    data = re.search(
        r'<script id="jupyter-config-data" type="application/json">(.*?)</script>', page.text, re.S
    )
    return set(json.loads(data.group(1))["disabledExtensions"])


def entries(listing: dict, status: str) -> list[dict]:
    assert listing.get("success") is True, (
        f"nbgrader answered with an error: {str(listing.get('value'))[:1500]}"
    )
    return [
        a for a in listing["value"] if a["assignment_id"] == ASSIGNMENT and a["status"] == status
    ]


def as_instructor(hub, *nbgrader_args: str) -> subprocess.CompletedProcess:
    """nbgrader run as the instructor's Linux user in the shared course folder (group-shared umask)."""
    workshop = hub.workshop
    env = {
        "PATH": f"{workshop.venv / 'bin'}:/usr/bin:/bin",
        "INTERVIEW_LAB_EXCHANGE": str(workshop.exchange),
    }
    return as_user(
        INSTRUCTOR,
        [str(workshop.venv / "bin" / "nbgrader"), *nbgrader_args],
        env=env,
        cwd=str(workshop.course_dir),
        umask=0o002,
    )


def test_pam_login_with_the_linux_password(hub):
    """The authenticator checks the learner's real Linux password (PAM), and only that."""
    learner = LEARNERS[0]

    def login(password: str) -> requests.Response:
        session = requests.Session()
        page = session.get(f"{hub.url}/hub/login", timeout=30)
        xsrf = session.cookies.get("_xsrf") or re.search(
            r'name="_xsrf" value="([^"]+)"', page.text
        ).group(1)
        return session.post(
            f"{hub.url}/hub/login?next=",
            data={"username": learner, "password": password, "_xsrf": xsrf},
            allow_redirects=False,
            timeout=60,
        )

    good = login(hub.passwords[learner])
    assert good.status_code == 302, f"the right password was refused: {good.status_code}"
    bad = login(hub.passwords[learner] + "x")
    assert bad.status_code == 403, f"a wrong password was accepted: {bad.status_code}"
    assert "jupyterhub-session-id" not in bad.cookies or "jupyterhub-hub-login" not in bad.cookies


def test_workshop_round_trip(hub, record_property):
    """Release → fetch → answer → submit → collect → grade (root) → feedback, across real users."""
    workshop = hub.workshop

    # Every user's server through the REST API with the service token; each opens its own space.
    ready_s = {name: wait_for_server(hub, name) for name in (*LEARNERS, INSTRUCTOR)}
    for name, seconds in ready_s.items():
        record_property(f"ready_s_{name}", round(seconds, 2))
    print("start-to-ready (s): " + ", ".join(f"{n} {s:.1f}" for n, s in ready_s.items()))
    learners = [Server(hub, name) for name in LEARNERS]
    instructor = Server(hub, INSTRUCTOR)
    for learner in learners:
        home = Path(pwd.getpwnam(learner.name).pw_dir)
        course_copy = home / workshop.learner_folder
        assert (course_copy / "notebooks" / "00-contents.ipynb").is_file(), (
            "no learner's edition in the home"
        )
        assert not (course_copy / "source").exists(), "the learner's edition must not hold source/"
        assert course_copy.stat().st_uid == pwd.getpwnam(learner.name).pw_uid, (
            "the copy is not the learner's own"
        )
        assert (home.stat().st_mode & 0o077) == 0, "a learner's home must be private"

    # Before the release a learner sees no assignment.
    assert entries(learners[0].assignments(), "released") == []

    # The instructor releases, as their own Linux user (nbgrader's commands, group-shared course).
    as_instructor(hub, "generate_assignment", ASSIGNMENT, "--force")
    as_instructor(hub, "release_assignment", ASSIGNMENT, "--force")

    courses = learners[0].get("courses").json()
    assert courses == {"success": True, "value": [COURSE]}, courses
    for learner in learners:
        assert len(entries(learner.assignments(), "released")) == 1, (
            f"{learner.name} does not see the release"
        )
        fetched = entries(learner.nbgrader("fetch"), "fetched")
        assert len(fetched) == 1, f"{learner.name}'s fetch did not fetch"
        learner.path = f"{fetched[0]['path']}/{NOTEBOOK}"

    # Answers through the contents API: a full solution, and a partial one that also tries to
    # read the course's solutions from the grading kernel.
    source_nb = json.loads((workshop.course_dir / "source" / ASSIGNMENT / NOTEBOOK).read_text())
    full = full_marks(learners[0].read(learners[0].path), source_nb)
    learners[0].write(learners[0].path, full)
    partial = json.loads((PARTIAL / NOTEBOOK).read_text())
    expected_partial = json.loads((PARTIAL / "expected.json").read_text())["max"]
    target = workshop.course_dir / "source" / ASSIGNMENT / NOTEBOOK
    learners[1].write(learners[1].path, with_thief(partial, target))

    for learner in learners:
        submitted = entries(learner.nbgrader("submit"), "submitted")
        assert len(submitted) == 1, f"{learner.name}'s submission is not in their list"
        assert submitted[0]["student_id"] == learner.name

    # A learner cannot list the inbound folder, so cannot find the other's submission.
    inbound = workshop.exchange / COURSE / "inbound"
    listing = as_user(
        LEARNERS[1],
        ["/usr/bin/python3", "-c", "import os, sys; print(os.listdir(sys.argv[1]))", str(inbound)],
        check=False,
    )
    assert listing.returncode != 0 and "PermissionError" in listing.stderr, listing.stdout
    assert (
        len(list(inbound.glob(f"{LEARNERS[0]}+{ASSIGNMENT}+*"))) == 1
    )  # it is there (root sees it)
    guess = as_user(
        LEARNERS[1],
        [
            "/usr/bin/python3",
            "-c",
            "import glob, sys; print(len(glob.glob(sys.argv[1])))",
            str(inbound / f"{LEARNERS[0]}+{ASSIGNMENT}+*"),
        ],
    )
    assert guess.stdout.strip() == "0"
    # ... nor read the course folder (solutions, gradebook).
    peek = as_user(
        LEARNERS[0],
        ["/usr/bin/python3", "-c", "import sys; open(sys.argv[1]).read()", str(target)],
        check=False,
    )
    assert peek.returncode != 0 and "PermissionError" in peek.stderr

    # The instructor collects; root grades with the course's command (kernels as grading users).
    as_instructor(hub, "collect", ASSIGNMENT)
    for name in LEARNERS:
        assert (workshop.course_dir / "submitted" / name / ASSIGNMENT / NOTEBOOK).is_file()
    started = time.monotonic()
    graded = subprocess.run(
        [
            str(workshop.venv / "bin" / "python"),
            "-m",
            "interview_lab",
            "grade",
            ASSIGNMENT,
            "--course",
            str(workshop.course_dir),
            "--jobs",
            "2",
        ],
        cwd="/",
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    record_property("grade_s", round(time.monotonic() - started, 2))
    assert graded.returncode == 0, f"grading failed:\n{graded.stdout}\n{graded.stderr}"
    with open(workshop.course_dir / "grades.csv") as handle:
        scores = {row["student_id"]: float(row["score"]) for row in csv.DictReader(handle)}
    assert scores == {LEARNERS[0]: 20.0, LEARNERS[1]: float(expected_partial)}, scores
    autograded = json.loads(
        (workshop.course_dir / "autograded" / LEARNERS[1] / ASSIGNMENT / NOTEBOOK).read_text()
    )
    printed = "".join(
        "".join(_lines(o.get("text", "")))
        for c in autograded["cells"]
        for o in c.get("outputs", [])
    )
    # The course is not in the grading kernel's view at all (its own mount namespace).
    assert "SOURCE-BLOCKED FileNotFoundError" in printed and "SOURCE-READ" not in printed, printed[
        :500
    ]

    # Feedback: generated by root, released by the instructor, fetched by each learner.
    feedback = subprocess.run(
        [
            str(workshop.venv / "bin" / "python"),
            "-m",
            "interview_lab",
            "feedback",
            ASSIGNMENT,
            "--course",
            str(workshop.course_dir),
            "--force",
        ],
        cwd="/",
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert feedback.returncode == 0, f"feedback failed:\n{feedback.stdout}\n{feedback.stderr}"
    as_instructor(hub, "release_feedback", ASSIGNMENT)
    for learner, score in zip(learners, (20, expected_partial), strict=True):
        submitted = entries(learner.nbgrader("fetch_feedback"), "submitted")
        assert len(submitted) == 1 and len(submitted[0]["submissions"]) == 1, submitted
        submission = submitted[0]["submissions"][0]
        assert submission["has_local_feedback"] is True, submission
        assert [nb["notebook_id"] for nb in submission["notebooks"]] == [ASSIGNMENT]
        html_path = f"{submission['local_feedback_path']}/{ASSIGNMENT}.html"  # relative to the server's folder
        html = learner.get(f"api/contents/{html_path}", content="1", format="text").json()[
            "content"
        ]
        assert f"{ASSIGNMENT} (Score: {float(score)} / 20.0)" in html, (
            f"{learner.name}'s feedback lacks their score"
        )
        # Only the second learner's own submission printed this, so each sees their own work.
        assert ("SOURCE-BLOCKED" in html) is (learner.name == LEARNERS[1])
        folder = (
            Path(pwd.getpwnam(learner.name).pw_dir)
            / workshop.learner_folder
            / ASSIGNMENT
            / "feedback"
        )
        assert len(list(folder.rglob("*.html"))) == 1, (
            f"{learner.name} got more than their own feedback"
        )

    # What one learner costs: the server restarted (timed), a lecture notebook and the learner's
    # own assignment opened and run in it as JupyterLab would, memory read from /proc.
    figures = measure_learner.measure(
        workshop, hub.token, LEARNERS[0], [LECTURE, f"{ASSIGNMENT}/{NOTEBOOK}"], idle_s=3.0
    ).summary()
    for key in ("ready_s", "server_pss_MB", "total_rss_MB", "total_pss_MB", "kernel_cpu_s"):
        record_property(f"learner_{key}", figures[key])
    print("one learner: " + json.dumps({k: v for k, v in figures.items() if k != "processes"}))
    assert len(figures["kernel_pss_MB"]) == 2 and figures["server_pss_MB"] > 0, figures
    assert figures["failed_cells"] == {LECTURE: 0, f"{ASSIGNMENT}/{NOTEBOOK}": 0}, figures[
        "failed_cells"
    ]

    # The instructor's server lists the course's formgrader (the hub service) and reaches it.
    formgraders = instructor.get("formgraders").json()
    assert [c["course_id"] for c in formgraders["value"] if c["kind"] == "jupyterhub"] == [
        COURSE
    ], formgraders
    service = instructor.session.get(
        f"{hub.url}/services/{COURSE}/formgrader/api/assignments", timeout=60
    )
    assert service.status_code == 200, service.text[:300]
    assert ASSIGNMENT in [a["name"] for a in service.json()]
    # Learners reach neither the service nor a formgrader of their own.
    assert (
        learners[0].session.get(f"{hub.url}/services/{COURSE}/api/status", timeout=60).status_code
        == 403
    )
    assert learners[0].get("formgrader/api/status").status_code == 404
    # JupyterLab's nbgrader plugins: staff get the formgrader and course list, learners do not.
    staff_only = {
        "@jupyter/nbgrader:formgrader",
        "@jupyter/nbgrader:course-list",
        "@jupyter/nbgrader:create-assignment",
    }
    assert staff_only <= lab_disabled(learners[0].get("lab"))
    assert not staff_only & lab_disabled(instructor.get("lab"))
    assert not staff_only & lab_disabled(
        instructor.session.get(f"{hub.url}/services/{COURSE}/lab", timeout=60)
    )


def test_grader_account_cannot_log_in(hub):
    """The grader account runs the formgrader service but has no password."""
    entry = pwd.getpwnam(GRADER)
    assert entry.pw_shell.endswith("nologin")
    assert GRADER not in hub.passwords
