"""What grading takes in and what it shows: student ids, symlinks in submissions, control
characters on the terminal, and active content (scripts, event handlers, ``javascript:`` links)
in the HTML nbgrader makes from a submission.

Most tests call the functions directly; one grading run of the tiny assignment (fresh kernels,
two at a time) checks the whole path, from ``submitted/`` to the summary, ``grades.csv``, the
autograded notebooks and the feedback HTML.
"""

from __future__ import annotations

import copy
import csv
import io
import json
import os
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest
from test_instructor_support import (
    ASSIGNMENT,
    GOOD_BYTES,
    REPO,
    filled_notebook,
    grade_args,
    make_course,
    put_submission,
    remove_course,
    run_cli,
    summary_rows,
)

from interview_lab.instructor.cli import feedback_main, grade_main, summary_table
from interview_lab.instructor.course import Course, check_student_id
from interview_lab.instructor.html_safety import NoActiveContent, harmful_url, markdown_is_active
from interview_lab.instructor.parallel import (
    Outcome,
    RefusedSubmission,
    TimedExecute,
    TruncateOutput,
    stage_submission,
    symlinks_in,
    worker_steps,
)
from interview_lab.instructor.progress import Progress, printable

CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")  # every control character but newline

# --------------------------------------------------------------------------- student ids

BAD_IDS = ["=cmd|' /C calc'!A0", "-rf", "@SUM(A1)", "+1", "del\x7fete", "c1\x85next", "csi\x9b2J", "esc\x1b[2J"]
RUN_IDS = ["=1+2", "-rf", "@SUM(A1)", "+1", "del\x7fete", "c1\x85next"]  # also folder names


@pytest.mark.parametrize("student", BAD_IDS)
def test_ids_a_spreadsheet_or_a_terminal_would_act_on_are_refused_in_one_line(student):
    reason = check_student_id(student)
    assert reason is not None
    assert not CONTROL.search(reason) and "\n" not in reason  # the id is shown escaped


@pytest.mark.parametrize("student", ["ada", "o'brien.ünal-2", "a-b", "a=b", "a@b.example", "ünal"])
def test_ids_with_those_characters_further_in_are_still_graded(student):
    assert check_student_id(student) is None


# --------------------------------------------------------------------------- terminal output


def test_printable_escapes_control_characters_and_keeps_the_rest():
    assert printable("a\x1b[31mb") == "a\\x1b[31mb"
    assert printable("x\x9b2J\x7f\ny\t") == "x\\x9b2J\\x7f\\x0ay\\x09"
    assert printable("o'brien.ünal-2 → ok") == "o'brien.ünal-2 → ok"
    assert printable(os.fsdecode(b"bad\xffname")) == "bad\\xffname"  # not UTF-8: its byte


def test_summary_and_progress_show_ids_and_file_names_escaped():
    outcomes = [
        Outcome("esc\x1b]0;owned\x07", False, "student id is bad", None, 0.0),
        Outcome("ada", True, "", 3.0, 3.0, ("extra files kept: x\x1b[2J.txt",)),
    ]
    table = summary_table(outcomes)
    assert not CONTROL.search(table)
    assert len(table.splitlines()) == 4  # header, rule, one line per student
    assert "esc\\x1b]0;owned\\x07" in table and "x\\x1b[2J.txt" in table
    stream = io.StringIO()
    progress = Progress(2, stream=stream)
    progress.start("grading \x1b[2J")
    progress.advance("esc\x1b[2J", False, "failed: link \x9b31m")
    assert not CONTROL.search(stream.getvalue())
    assert "[1/2] esc\\x1b[2J: failed: link \\x9b31m" in stream.getvalue()


# --------------------------------------------------------------------------- symlinks


@pytest.fixture
def submitted(tmp_path):
    """A submitted/ folder with one honest student, ada."""
    root = tmp_path / "submitted"
    (root / "ada" / ASSIGNMENT).mkdir(parents=True)
    (root / "ada" / ASSIGNMENT / "tiny.ipynb").write_text("{}")
    (tmp_path / "source" / ASSIGNMENT).mkdir(parents=True)
    (tmp_path / "source" / ASSIGNMENT / "tiny.ipynb").write_text('{"solutions": true}')
    return root


def _stage(submitted: Path, student: str, target: Path) -> str:
    with pytest.raises(RefusedSubmission) as refused:
        stage_submission(submitted / student / ASSIGNMENT, target, submitted, ("tiny.ipynb",))
    assert not target.exists(), "nothing may be copied from a refused submission"
    return str(refused.value)


def test_a_linked_assignment_folder_is_refused_and_named(submitted, tmp_path):
    (submitted / "x").mkdir()
    (submitted / "x" / ASSIGNMENT).symlink_to(Path("..", "..", "source", ASSIGNMENT))
    reason = _stage(submitted, "x", tmp_path / "stage")
    assert reason == f"symlinks are never followed or graded: x/{ASSIGNMENT}"


def test_a_linked_student_folder_is_refused_and_the_other_student_is_not(submitted, tmp_path):
    (submitted / "mallory").symlink_to("ada")
    assert _stage(submitted, "mallory", tmp_path / "stage") == "symlinks are never followed or graded: mallory"
    assert stage_submission(submitted / "ada" / ASSIGNMENT, tmp_path / "ada", submitted) == []
    assert (tmp_path / "ada" / "tiny.ipynb").read_text() == "{}"


def test_links_inside_are_all_named_without_being_followed(submitted, tmp_path):
    folder = submitted / "ada" / ASSIGNMENT
    (folder / "data").mkdir()
    (folder / "data" / "passwd").symlink_to("/etc/passwd")
    (folder / "answers").symlink_to(tmp_path / "source")  # a linked folder: not walked into
    assert symlinks_in(folder, submitted) == [f"ada/{ASSIGNMENT}/answers", f"ada/{ASSIGNMENT}/data/passwd"]
    reason = _stage(submitted, "ada", tmp_path / "stage")
    assert reason == f"symlinks are never followed or graded: ada/{ASSIGNMENT}/answers, ada/{ASSIGNMENT}/data/passwd"


def test_a_linked_notebook_is_named_as_the_notebook(submitted, tmp_path):
    folder = submitted / "ada" / ASSIGNMENT
    (folder / "tiny.ipynb").unlink()
    (folder / "tiny.ipynb").symlink_to(tmp_path / "source" / ASSIGNMENT / "tiny.ipynb")
    reason = _stage(submitted, "ada", tmp_path / "stage")
    assert reason.startswith("the notebook tiny.ipynb is a symlink")
    assert f"ada/{ASSIGNMENT}/tiny.ipynb" in reason and "no notebook" not in reason


def test_linked_submissions_are_listed_even_broken_ones_so_that_they_are_refused():
    course = make_course()
    try:
        put_submission(course, "ada", {"tiny.ipynb": "{}"})
        (course / "submitted" / "mallory").symlink_to("ada")
        (course / "submitted" / "x").mkdir()
        (course / "submitted" / "x" / ASSIGNMENT).symlink_to(course / "nowhere")
        assert Course.at(course).submitted_students(ASSIGNMENT) == ["ada", "mallory", "x"]
    finally:
        remove_course(course)


# --------------------------------------------------------------------------- active content


def _output(data: dict, metadata: dict | None = None) -> dict:
    return {"output_type": "display_data", "data": data, "metadata": metadata or {}}


HOSTILE_MARKDOWN = [
    "<img src=x onerror=alert(1)>",
    "[click](javascript:alert(1))",
    "[click](JaVa&#x53;cript&colon;alert(1))",
    "![pic](javascript:alert(1))",
    "<javascript:alert(1)>",
    "[a][r]\n\n[r]: javascript:alert(1)",
    "<script>alert(1)</script>",
    "<a href='java\tscript:alert(1)'>x</a>",
    "<iframe srcdoc='&lt;script&gt;alert(1)&lt;/script&gt;'></iframe>",
    "<!-- --!> <img src=x onerror=alert(1)> -->",
    "<svg><animate onbegin=alert(1) attributeName=x></svg>",
    "<form action=javascript:alert(1)><button>go</button></form>",
]
HONEST_MARKDOWN = [
    "# Part A\n\nWrite `bytes_per_day(samples_per_s, bytes_per_sample)` so that `a < b` and `c > d`.",
    "> quoted\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n- [x] done",
    "See [the docs](https://example.org/x?a=1#b), [a section](#part-a), [a file](data/x.csv) and "
    "<https://example.org>; mail <mailto:a@example.org>.\n\n$$x < y$$",
    "<details><summary>Hint</summary>Use <b>integer</b> division.<br></details>",
]


@pytest.mark.parametrize("source", HOSTILE_MARKDOWN)
def test_markdown_that_would_run_code_once_rendered_is_caught(source):
    assert markdown_is_active(source)


@pytest.mark.parametrize("source", HONEST_MARKDOWN)
def test_honest_markdown_is_not(source):
    assert not markdown_is_active(source)


def test_an_image_pasted_into_markdown_is_fine_and_a_missing_one_shows_the_text():
    pasted = "My sketch: ![diagram](attachment:sketch.png)"
    assert not markdown_is_active(pasted, {"sketch.png": {"image/png": "iVBORw0KGgo="}})
    assert markdown_is_active(pasted, {"other.png": {"image/png": "iVBORw0KGgo="}})


def test_every_markdown_cell_of_the_course_is_left_as_it_is():
    paths = sorted((REPO / "source").glob("*/*.ipynb")) + sorted((REPO / "notebooks").rglob("*.ipynb"))
    assert paths
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        sources = [cell.source for cell in nb.cells if cell.cell_type == "markdown"]
        NoActiveContent().preprocess(nb, {})
        assert [cell.source for cell in nb.cells if cell.cell_type == "markdown"] == sources, path


@pytest.mark.parametrize(("url", "harmful"), [
    ("javascript:alert(1)", True), (" JAVA\tSCRIPT:x", True), ("vbscript:x", True),
    ("data:text/html,<script>", True), ("data:image/svg+xml,<svg>", True),
    ("https://example.org", False), ("mailto:a@example.org", False), ("#top", False),
    ("notes/a:b.txt", False), ("?q=a:b", False),
])
def test_only_http_https_mailto_and_relative_links_pass(url, harmful):
    assert harmful_url(url) is harmful


def _hostile_notebook():
    nb = nbformat.v4.new_notebook()
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    code = nbformat.v4.new_code_cell("show()")
    code.outputs = [nbformat.from_dict(o) for o in (
        _output({"text/html": "<b>ok</b><script>alert(1)</script><img src=x onerror=alert(2)>"
                              "<a href='javascript:alert(3)'>x</a><iframe src=javascript:alert(4)></iframe>",
                 "text/plain": "<HTML>"}),
        _output({"application/javascript": "alert(5)", "text/plain": "<JS>"}),
        _output({"text/markdown": "[x](javascript:alert(6))", "text/plain": "<MD>"}),
        _output({"text/markdown": "**fine** `a < b`", "text/plain": "<MD ok>"}),
        _output({"image/svg+xml": "<svg onload=alert(7)></svg>", "text/plain": "<SVG>"}),
        _output({"application/vnd.jupyter.widget-view+json": {"model_id": "m"}, "text/plain": "<W>"}),
        _output({"image/png": "iVBORw0KGgo=", "text/plain": "<PNG>"},
                {"image/png": {"width": "1 onerror=alert(8)", "height": 20}, "filenames": {"image/png": "x"}}),
        _output({"text/html": "<div><style scoped>.dataframe {}</style><table class='dataframe' border='1'>"
                              "<thead><tr style='text-align: right;'><th>a</th></tr></thead>"
                              "<tbody><tr><td>1</td></tr></tbody></table></div>", "text/plain": "df"}),
    )]
    code.outputs.append(nbformat.v4.new_output("error", ename="AssertionError", evalue="x", traceback=["x"]))
    markdown = nbformat.v4.new_markdown_cell("answer <img src=x onerror=alert(9)> ```")
    return nbformat.v4.new_notebook(cells=[code, markdown], metadata=nb.metadata)


def test_no_active_content_leaves_only_passive_outputs():
    nb = _hostile_notebook()
    error = copy.deepcopy(nb.cells[0].outputs[-1])
    NoActiveContent().preprocess(nb, {})
    outputs = nb.cells[0].outputs
    html = outputs[0].data["text/html"]
    assert "<b>ok</b>" in html and not _active(html).scripts and not _active(html).other
    assert "&lt;script&gt;alert(1)" in html  # shown as text, for the instructor to see
    assert [sorted(o.get("data", {})) for o in outputs[1:6]] == [
        ["text/plain"], ["text/plain"], ["text/markdown", "text/plain"], ["text/plain"], ["text/plain"]]
    assert outputs[3].data["text/markdown"] == "**fine** `a < b`"  # honest markdown untouched
    assert outputs[6].metadata == {"image/png": {"height": 20}}
    table = outputs[7].data["text/html"]
    assert "<table" in table and "<th>a</th>" in table and "style=\"text-align: right;\"" in table
    assert "dataframe {}" not in table  # pandas' style block is dropped, not shown as text
    assert outputs[8] == error  # the test's failure, which scores it, is untouched
    assert "widgets" not in nb.metadata
    shown = nb.cells[1].source
    assert "Shown as plain text" in shown and "answer <img src=x onerror=alert(9)> ```" in shown
    assert not markdown_is_active(shown)


def test_workers_sanitize_after_execution_and_feedback_is_configured_to():
    cfg = Course.at(REPO).config()
    _, steps = worker_steps(cfg)
    assert steps[-1] is NoActiveContent and steps.count(NoActiveContent) == 1
    assert steps.index(TimedExecute) < steps.index(TruncateOutput) < steps.index(NoActiveContent)
    feedback = list(cfg.GenerateFeedback.preprocessors)
    assert feedback.index("nbgrader.preprocessors.GetGrades") < feedback.index(
        "interview_lab.instructor.html_safety.NoActiveContent")
    assert NoActiveContent().enabled  # nbconvert's own preprocessors start disabled


# --------------------------------------------------------------------------- one grading run


class _Active(HTMLParser):
    """Scripts (attributes and text), event handlers, javascript: addresses, frames."""

    def __init__(self):
        super().__init__()
        self.scripts: list[tuple] = []
        self.other: list[str] = []
        self._script = None

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name.startswith("on") or "javascript:" in re.sub(r"\s", "", value or "").lower():
                self.other.append(f"{tag} {name}={value}")
        if tag in ("iframe", "object", "embed", "frame", "svg", "form"):
            self.other.append(tag)
        if tag == "script":
            self._script = [tuple(sorted(attrs))]

    def handle_data(self, data):
        if self._script is not None:
            self._script.append(data.strip())

    def handle_endtag(self, tag):
        if tag == "script" and self._script is not None:
            self.scripts.append(tuple(self._script))
            self._script = None


def _active(html: str) -> _Active:
    parser = _Active()
    parser.feed(html)
    return parser


HOSTILE_CELL = """RATIO = 20
from IPython.display import HTML, SVG, Javascript, Markdown, display
display(HTML('<b>bold</b><script>alert(1)</script><img src=x onerror=alert(2)><a href="javascript:alert(3)">l</a>'))
display(Javascript('alert(4)'))
display(Markdown('[md](javascript:alert(5))'))
display(SVG('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(6)"></svg>'))
"""


@pytest.fixture(scope="module")
def hygiene_run():
    course = make_course(public=True)
    good = filled_notebook(GOOD_BYTES, "RATIO = 20")
    hostile = json.loads(filled_notebook(GOOD_BYTES, HOSTILE_CELL))
    hostile["cells"].append({"cell_type": "markdown", "metadata": {},
                             "source": "my notes <img src=z onerror=alert(7)> [x](javascript:alert(8))"})
    put_submission(course, "ada", {"tiny.ipynb": json.dumps(hostile)})
    put_submission(course, "grace", {"tiny.ipynb": good})
    put_submission(course, "escape-name", {"tiny.ipynb": good, "evil\x1b]0;owned\x07\x1b[2J.txt": "x"})
    for student in RUN_IDS:
        put_submission(course, student, {"tiny.ipynb": good})
    submitted = course / "submitted"
    (submitted / "linked-assignment").mkdir()
    (submitted / "linked-assignment" / ASSIGNMENT).symlink_to(Path("..", "..", "source", ASSIGNMENT))
    (submitted / "linked-student").symlink_to("grace")
    inside = put_submission(course, "link-inside", {"tiny.ipynb": good})
    (inside / "data\x1b[31m.csv").symlink_to("/etc/passwd")
    notebook = put_submission(course, "linked-notebook", {}) / "tiny.ipynb"
    notebook.symlink_to(Path("..", "..", "grace", ASSIGNMENT, "tiny.ipynb"))
    status, out, err = run_cli(grade_main, grade_args(course, "--kernels", "fresh"))
    feedback = run_cli(feedback_main, [ASSIGNMENT, "--course", str(course), "--force",
                                       "--student", "ada", "grace"])
    yield {"course": course, "status": status, "out": out, "err": err, "rows": summary_rows(out),
           "feedback": feedback}
    remove_course(course)


def test_bad_ids_and_symlinks_fail_in_one_line_and_the_rest_is_graded(hygiene_run):
    rows = hygiene_run["rows"]
    assert hygiene_run["status"] == 1, hygiene_run["out"] + hygiene_run["err"]
    for student in ("ada", "grace", "escape-name"):
        assert rows[student][:2] == ("3", "3") and rows[student][2].startswith("graded"), rows[student]
    for student in RUN_IDS:
        assert rows[printable(student)][2].startswith("failed: student id"), rows[printable(student)]
    assert rows["linked-assignment"][2] == f"failed: symlinks are never followed or graded: linked-assignment/{ASSIGNMENT}"
    assert rows["linked-student"][2] == "failed: symlinks are never followed or graded: linked-student"
    assert rows["link-inside"][2] == (
        f"failed: symlinks are never followed or graded: link-inside/{ASSIGNMENT}/data\\x1b[31m.csv")
    assert rows["linked-notebook"][2].startswith("failed: the notebook tiny.ipynb is a symlink")
    course = hygiene_run["course"]
    for student in ("linked-assignment", "linked-student", "link-inside", "linked-notebook"):
        assert not (course / "autograded" / student).exists()


def test_nothing_printed_holds_a_raw_control_character(hygiene_run):
    assert not CONTROL.search(hygiene_run["out"]) and not CONTROL.search(hygiene_run["err"])
    assert "extra files kept: evil\\x1b]0;owned\\x07\\x1b[2J.txt" in hygiene_run["rows"]["escape-name"][2]


def test_no_cell_of_grades_csv_reads_as_a_formula(hygiene_run):
    text = (hygiene_run["course"] / "grades.csv").read_text()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {row["student_id"] for row in rows} == {"ada", "grace", "escape-name"}
    assert not [cell for row in csv.reader(io.StringIO(text)) for cell in row if cell[:1] in ("=", "+", "-", "@")]


def test_the_autograded_notebook_holds_no_active_output(hygiene_run):
    path = hygiene_run["course"] / "autograded" / "ada" / ASSIGNMENT / "tiny.ipynb"
    nb = nbformat.read(path, as_version=4)
    data = [o.get("data", {}) for cell in nb.cells for o in cell.get("outputs", [])]
    assert not [d for d in data if set(d) & {"application/javascript", "image/svg+xml"}]
    html = "".join(d.get("text/html", "") for d in data)
    assert "<b>bold</b>" in html and not _active(html).scripts and not _active(html).other
    assert not [d for d in data if "javascript:" in d.get("text/markdown", "")]
    notes = [cell.source for cell in nb.cells if cell.cell_type == "markdown" and "my notes" in cell.source]
    assert len(notes) == 1 and not markdown_is_active(notes[0])


def test_feedback_html_runs_nothing_from_the_submission(hygiene_run):
    status, out, err = hygiene_run["feedback"]
    assert status == 0, out + err
    folder = hygiene_run["course"] / "feedback"
    hostile = _active((folder / "ada" / ASSIGNMENT / "tiny.html").read_text())
    honest = _active((folder / "grace" / ASSIGNMENT / "tiny.html").read_text())
    assert hostile.other == [], hostile.other
    assert set(hostile.scripts) <= set(honest.scripts), "only nbgrader's own page scripts (MathJax)"
    assert not [s for s in hostile.scripts if "alert" in "".join(map(str, s))]


def test_feedback_of_a_notebook_autograded_elsewhere_is_sanitized_too(hygiene_run, tmp_path):
    """nbgrader_config.py's feedback steps clean an autograded notebook that the grading
    workers did not (e.g. one from ``nbgrader autograde``)."""
    course = hygiene_run["course"]
    target = course / "autograded" / "ada" / ASSIGNMENT / "tiny.ipynb"
    kept = tmp_path / "tiny.ipynb"
    shutil.copyfile(target, kept)
    try:
        nb = nbformat.read(target, as_version=4)
        raw = _hostile_notebook()
        nb.cells.extend(raw.cells)
        nb.metadata.update(raw.metadata)
        nbformat.write(nb, target)
        status, out, err = run_cli(feedback_main, [ASSIGNMENT, "--course", str(course), "--force",
                                                   "--student", "ada"])
        assert status == 0, out + err
        page = (course / "feedback" / "ada" / ASSIGNMENT / "tiny.html").read_text()
        honest = _active((course / "feedback" / "grace" / ASSIGNMENT / "tiny.html").read_text())
        assert _active(page).other == [] and set(_active(page).scripts) <= set(honest.scripts)
        assert "width=1 onerror" not in page
    finally:
        shutil.copyfile(kept, target)
