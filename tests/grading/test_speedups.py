"""The grading run's changes to how nbgrader's helpers run (not to what they decide).

``validate_once_per_schema`` builds each JSON-schema validator once instead of per cell,
``one_engine_per_gradebook`` keeps one SQLAlchemy engine per gradebook URL, and the workers'
``OverwriteCells`` reads each cell of the gradebook snapshot once. Whether grades stay the same
is shown on every assignment's corpus (``test_assignments.py``); these tests pin down the
helpers themselves.
"""

from __future__ import annotations

import copy

import jsonschema
import pytest
from nbformat.v4 import new_code_cell

from interview_lab.instructor import parallel


@pytest.fixture
def nbgrader_validator():
    from nbgrader.nbgraderformat import common, v3

    original = common.jsonschema
    parallel.validate_once_per_schema()
    yield v3.MetadataValidatorV3()
    common.jsonschema = original


def _cell(**nbgrader):
    cell = new_code_cell("x = 1")
    cell.metadata["nbgrader"] = {"schema_version": 3, "grade": False, "solution": True,
                                 "locked": False, "task": False, "grade_id": "answer", **nbgrader}
    return cell


BAD = [
    {"grade": "yes"},  # not a boolean
    {"points": -1, "grade": True},  # below the minimum
    {"grade_id": 5},  # not a string
    {"unexpected": 1},  # an unknown key
]


def test_valid_metadata_passes_with_cached_validators(nbgrader_validator):
    nbgrader_validator.validate_cell(_cell())
    nbgrader_validator.validate_cell(_cell(grade=True, points=2, solution=False, locked=True))


@pytest.mark.parametrize("bad", BAD, ids=[next(iter(b)) for b in BAD])
def test_invalid_metadata_raises_what_jsonschema_raises(nbgrader_validator, bad):
    from nbgrader.nbgraderformat import common

    cell = _cell(**bad)
    with pytest.raises(jsonschema.ValidationError) as expected:
        jsonschema.validate(copy.deepcopy(cell.metadata["nbgrader"]), nbgrader_validator.schema)
    with pytest.raises(jsonschema.ValidationError) as raised:
        nbgrader_validator.validate_cell(cell)
    assert raised.value.message == expected.value.message
    assert common.jsonschema.cached_validators  # the cached path was used


def test_metadata_found_valid_is_not_checked_again_and_invalid_is_checked_every_time(nbgrader_validator, monkeypatch):
    from nbgrader.nbgraderformat import common, v3

    nbgrader_validator.validate_cell(_cell())  # builds the validator
    checked, built = [], []
    best_match = jsonschema.exceptions.best_match
    kind = jsonschema.validators.validator_for(nbgrader_validator.schema)
    check_schema = kind.check_schema

    def counting_best_match(errors, *args, **kwargs):  # called once per metadata checked
        errors = list(errors)
        checked.append(errors)
        return best_match(iter(errors), *args, **kwargs)

    def counting_check_schema(schema, *args, **kwargs):  # called once per validator built
        built.append(schema)
        return check_schema(schema, *args, **kwargs)

    monkeypatch.setattr(jsonschema.exceptions, "best_match", counting_best_match)
    monkeypatch.setattr(kind, "check_schema", counting_check_schema)
    nbgrader_validator.validate_cell(_cell())  # the same metadata again: remembered
    assert checked == []
    nbgrader_validator.validate_cell(_cell(grade_id="other"))  # other metadata: checked once
    nbgrader_validator.validate_cell(_cell(grade_id="other"))
    assert len(checked) == 1
    for _ in range(2):  # invalid metadata: checked, and raises, every time
        with pytest.raises(jsonschema.ValidationError):
            nbgrader_validator.validate_cell(_cell(grade="yes"))
    assert len(checked) == 3
    # Told apart by type as a schema tells them apart: points 2 and 2.0 are kept separately.
    nbgrader_validator.validate_cell(_cell(grade=True, points=2, solution=False))
    nbgrader_validator.validate_cell(_cell(grade=True, points=2.0, solution=False))
    assert len(checked) == 5

    # nbgrader makes a new validator for each CheckCellMetadata run, reading its schema file into
    # a new dict: it gets the validator already built and what was found valid with it.
    second = v3.MetadataValidatorV3()
    assert second.schema is not nbgrader_validator.schema and second.schema == nbgrader_validator.schema
    second.validate_cell(_cell())
    second.validate_cell(_cell(grade_id="other"))
    assert len(checked) == 5 and built == []
    with pytest.raises(jsonschema.ValidationError):
        second.validate_cell(_cell(grade="yes"))
    assert len(checked) == 6
    assert len(common.jsonschema.cached_validators) == 1
    # A schema with other content gets its own validator (checked as jsonschema checks it).
    other = copy.deepcopy(nbgrader_validator.schema)
    other["properties"]["points"]["minimum"] = 1
    with pytest.raises(jsonschema.ValidationError):
        common.jsonschema.validate({**_cell(grade=True, solution=False).metadata["nbgrader"], "points": 0}, other)
    assert len(built) == 1 and len(common.jsonschema.cached_validators) == 2


@pytest.mark.parametrize("value, key", [
    ({"a": 1, "b": [True, None]}, ("object", (("a", ("int", 1)), ("b", ("array", (("bool", True), ("NoneType", None))))))),
    ({"b": 1, "a": 1}, ("object", (("a", ("int", 1)), ("b", ("int", 1))))),  # key order does not count
    ((1, 2), None),  # a tuple is not a JSON array to jsonschema: never remembered
    ({1: "x"}, None),  # nor is a mapping with keys that are not strings
    ({"x": float("nan")}, None),  # NaN never equals itself
    ({"x": object()}, None),
])
def test_json_keys_tell_apart_what_a_schema_tells_apart(value, key):
    assert parallel._json_key(value) == key


@pytest.fixture
def ada_gradebook(tmp_path):
    """(URL, engine) of a new SQLite gradebook holding the student ada, engines shared."""
    from nbgrader import api

    parallel.one_engine_per_gradebook()
    url = f"sqlite:///{tmp_path / 'gradebook.db'}"
    with api.Gradebook(url) as gb:
        gb.add_student("ada")
        return url, gb.engine


def test_one_engine_serves_every_gradebook_of_a_url(tmp_path, ada_gradebook):
    from nbgrader import api

    url, engine = ada_gradebook
    with api.Gradebook(url) as second:
        assert second.engine is engine
        assert [s.id for s in second.students] == ["ada"]
    with api.Gradebook(f"sqlite:///{tmp_path / 'other.db'}") as other:
        assert other.engine is not engine


def _tampered_release(course_root, unknown_cell: bool):
    """The tiny release notebook with the changes OverwriteCells undoes or reports."""
    import nbformat

    nb = nbformat.read(course_root / "release" / "tiny" / "tiny.ipynb", as_version=4)
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade_id") == "test_bytes_per_day":
            cell.source = "assert True  # the hidden tests, gone"  # an edited locked cell
            meta["points"] = 200  # and its points raised
        elif meta.get("grade_id") == "test_ratio":
            meta["locked"] = False  # unlocked
        elif meta.get("grade_id") == "intro":
            cell.cell_type = "raw"  # a locked cell of another type
        elif meta.get("grade_id") == "part_b" and unknown_cell:
            meta["grade_id"] = "not_in_the_gradebook"
    return nb


# A cell id the gradebook does not know only with add_missing_cells off: with it on, nbgrader
# 0.9.6 itself fails on such a notebook (KeyError 'grade_id' in add_missing_task_cells).
@pytest.mark.parametrize("add_missing_cells", [True, False])
def test_workers_overwrite_cells_as_nbgrader_does_reading_the_snapshot_once(tmp_path, add_missing_cells):
    import nbformat
    from nbgrader.preprocessors import OverwriteCells
    from test_instructor_support import make_course, remove_course

    from interview_lab.instructor.course import Course, generate_assignment

    course = Course.at(make_course())
    try:
        generate_assignment(course, "tiny", release_dir=tmp_path / "release")
        url = course.db_url
        resources = {"nbgrader": {"notebook": "tiny", "assignment": "tiny", "db_url": url}}
        config = course.config(**{"OverwriteCells.add_missing_cells": add_missing_cells})
        unknown = not add_missing_cells

        def tampered():
            return _tampered_release(course.root, unknown)

        expected, _ = OverwriteCells(config=config).preprocess(tampered(), copy.deepcopy(resources))
        snapshot_class = parallel._snapshot_overwrite_cells()
        parallel._SNAPSHOT_CELLS.clear()
        first, _ = snapshot_class(config=config).preprocess(tampered(), copy.deepcopy(resources))
        assert {key[1] for key in parallel._SNAPSHOT_CELLS if key[0] == url} == {"source", "graded"}
        # the unknown cell's MissingEntry is kept too
        assert any(isinstance(v, str) for v in parallel._SNAPSHOT_CELLS.values()) == unknown
        second, _ = snapshot_class(config=config).preprocess(tampered(), copy.deepcopy(resources))
        assert nbformat.writes(first) == nbformat.writes(expected)
        assert nbformat.writes(second) == nbformat.writes(expected)  # from what the first one read
        sources = {c.metadata.get("nbgrader", {}).get("grade_id"): c.source for c in expected.cells}
        assert "assert True" not in sources["test_bytes_per_day"]  # nbgrader did restore it
    finally:
        parallel._SNAPSHOT_CELLS.clear()
        remove_course(course.root)


def _graded_release(course_root):
    """The tiny release notebook as if executed: one answer changed, one test failed."""
    import nbformat
    from nbformat.v4 import new_output

    nb = nbformat.read(course_root / "release" / "tiny" / "tiny.ipynb", as_version=4)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id == "bytes_per_day":
            cell.source = "def bytes_per_day(a, b):\n    return a * b"  # answered (wrongly)
        elif grade_id == "test_bytes_per_day":
            cell.outputs = [new_output("error", ename="AssertionError", evalue="", traceback=[])]
    return nb


def _recorded(gradebook, student):
    submission = gradebook.find_submission_notebook("tiny", "tiny", student)
    return ({g.name: (g.auto_score, g.needs_manual_grade) for g in submission.grades},
            {c.name: c.auto_comment for c in submission.comments})


def test_the_writer_saves_the_grades_nbgrader_saves_in_one_commit(tmp_path):
    from nbgrader.api import Gradebook
    from nbgrader.preprocessors import SaveAutoGrades
    from sqlalchemy import event
    from sqlalchemy.engine import Engine
    from sqlalchemy.orm import Session
    from test_instructor_support import make_course, remove_course

    from interview_lab.instructor.course import Course, generate_assignment

    course = Course.at(make_course())
    commits: list[int] = []
    selects: list[int] = []

    def count(_session) -> None:
        commits.append(1)

    def count_select(_conn, _cursor, statement, *_args) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            selects.append(1)

    try:
        generate_assignment(course, "tiny", release_dir=tmp_path / "release")
        url = course.db_url
        with Gradebook(url) as gb:
            for student in ("ada", "bob"):
                gb.update_or_create_student(student)
                gb.update_or_create_submission("tiny", student)
        event.listen(Session, "after_commit", count)
        event.listen(Engine, "before_cursor_execute", count_select)
        counted, queried = {}, {}
        for student, step in (("ada", SaveAutoGrades), ("bob", parallel._save_autogrades_one_commit())):
            commits.clear()
            selects.clear()
            resources = {"nbgrader": {"notebook": "tiny", "assignment": "tiny", "student": student,
                                      "db_url": url}}
            step(config=course.config()).preprocess(_graded_release(course.root), resources)
            counted[student], queried[student] = len(commits), len(selects)
        event.remove(Session, "after_commit", count)
        event.remove(Engine, "before_cursor_execute", count_select)
        # Both first commit the course row as nbgrader opens the gradebook; then nbgrader commits
        # once per graded cell and per answer (2 + 3 here), the writer's step once in all.
        assert counted == {"ada": 1 + 5, "bob": 1 + 1}
        assert queried["bob"] < queried["ada"]  # the rows read together, not one query each
        with Gradebook(url) as gb:
            grades, comments = _recorded(gb, "bob")
            assert (grades, comments) == _recorded(gb, "ada")
        assert grades == {"test_bytes_per_day": (0, False), "test_ratio": (1, False)}
        assert comments == {"header": "No response.", "bytes_per_day": None, "ratio": "No response."}
    finally:
        if event.contains(Session, "after_commit", count):
            event.remove(Session, "after_commit", count)
        if event.contains(Engine, "before_cursor_execute", count_select):
            event.remove(Engine, "before_cursor_execute", count_select)
        remove_course(course.root)


def test_a_failing_cell_leaves_none_of_the_notebooks_grades_half_saved(tmp_path):
    from nbgrader.api import Gradebook, MissingEntry
    from test_instructor_support import make_course, remove_course

    from interview_lab.instructor.course import Course, generate_assignment

    course = Course.at(make_course())
    try:
        generate_assignment(course, "tiny", release_dir=tmp_path / "release")
        url = course.db_url
        with Gradebook(url) as gb:
            gb.update_or_create_student("ada")
            gb.update_or_create_submission("tiny", "ada")
        nb = _graded_release(course.root)
        nb.cells[-1].metadata["nbgrader"]["grade_id"] = "not_in_the_gradebook"  # the last test
        resources = {"nbgrader": {"notebook": "tiny", "assignment": "tiny", "student": "ada", "db_url": url}}
        with pytest.raises(MissingEntry):
            parallel._save_autogrades_one_commit()(config=course.config()).preprocess(nb, resources)
        with Gradebook(url) as gb:
            grades, comments = _recorded(gb, "ada")
        assert grades["test_bytes_per_day"] == (None, True)  # as created: not scored
        assert set(comments.values()) == {None}
    finally:
        remove_course(course.root)


def test_a_gradebooks_tables_are_checked_once_per_submission(tmp_path):
    from nbgrader import api
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    parallel.one_engine_per_gradebook()
    checks: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        if "table_info" in statement or "sqlite_master" in statement:  # create_all's look-ups
            checks.append(statement)

    url = f"sqlite:///{tmp_path / 'gradebook.db'}"
    event.listen(Engine, "before_cursor_execute", count)
    try:
        with parallel.tables_checked_once():
            with api.Gradebook(url) as gb:  # a new database: tables created, version stamped
                gb.add_student("ada")
            once = len(checks)
            for _ in range(3):
                with api.Gradebook(url) as gb:
                    assert [s.id for s in gb.students] == ["ada"]
        assert once > 10 and len(checks) == once  # one table check, then none
        (tmp_path / "gradebook.db").unlink()  # between submissions, nothing is assumed
        with parallel.tables_checked_once():
            with api.Gradebook(url) as gb:
                assert gb.students == []
        assert len(checks) > once
        before = len(checks)
        with api.Gradebook(url) as gb:  # outside a submission: checked every time
            version = gb.db.execute(api.text("SELECT version_num FROM alembic_version")).scalar()
        assert len(checks) > before and version
    finally:
        event.remove(Engine, "before_cursor_execute", count)


def test_a_gradebooks_course_row_is_looked_up_once_per_submission(tmp_path):
    from nbgrader import api
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    parallel.one_engine_per_gradebook()
    lookups: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        if "FROM course" in statement:  # Gradebook.check_course's query
            lookups.append(statement)

    url = f"sqlite:///{tmp_path / 'gradebook.db'}"
    other = f"sqlite:///{tmp_path / 'other.db'}"
    event.listen(Engine, "before_cursor_execute", count)
    try:
        with parallel.tables_checked_once():
            for _ in range(4):
                with api.Gradebook(url, "devops") as gb:
                    assert [c.id for c in gb.db.query(api.Course)] == ["devops"]
            assert len(lookups) == 1 + 4  # one check_course, then only the test's own queries
            with api.Gradebook(url, "another-course") as gb:  # another course: checked (and made)
                assert sorted(c.id for c in gb.db.query(api.Course)) == ["another-course", "devops"]
            with api.Gradebook(other, "devops"):  # another database: checked
                pass
            # Another course: its check and the test's query; another database: its check.
            assert len(lookups) == 5 + 2 + 1
        lookups.clear()
        with parallel.tables_checked_once():  # the next submission checks again
            with api.Gradebook(url, "devops"):
                pass
        with api.Gradebook(url, "devops"):  # outside a submission: checked every time
            pass
        assert len(lookups) == 2
    finally:
        event.remove(Engine, "before_cursor_execute", count)


def _frozen_and_tracked_objects() -> tuple[int, int]:
    import gc

    return gc.get_freeze_count(), len(gc.get_objects())


def test_workers_start_with_the_parents_objects_out_of_the_collectors_sight():
    import gc

    assert gc.get_freeze_count() == 0
    with parallel.frozen_for_workers():
        executor = parallel._pool(1)
        try:
            frozen, tracked = executor.submit(_frozen_and_tracked_objects).result()
        finally:
            executor.shutdown()
    assert gc.get_freeze_count() == 0  # thawed once the workers are done
    assert frozen > 10_000  # this process's objects (nbgrader, nbconvert, pytest...), frozen
    assert tracked < frozen / 10  # a full collection in the worker walks only its own


def test_the_workers_start_with_the_notebook_validators_built(tmp_path):
    import json
    import sys

    import nbformat
    from nbformat import validator

    nb = nbformat.v4.new_notebook()
    nb.nbformat_minor = 2  # a format version no other test has asked a validator for
    path = tmp_path / "source.ipynb"
    path.write_text(json.dumps(nb))  # (nbformat.writes would build the strict validator)
    (tmp_path / "broken.ipynb").write_text("not json")
    before = set(validator.validators)
    parallel.warm_up_for_workers([tmp_path / "broken.ipynb", path])  # a broken one is skipped
    built = {key[1:] for key in set(validator.validators) - before}
    assert built == {(4, 2, False), (4, 2, True)}  # strict (reading) and relaxed (nbconvert)
    assert {"IPython", "nbclient", "jupyter_client.asynchronous"} <= set(sys.modules)


def test_a_submissions_gradebook_openings_share_a_connection_closed_at_its_end(ada_gradebook):
    from nbgrader import api
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    url, engine = ada_gradebook
    connects: list[object] = []

    def count(_dbapi_connection, _record) -> None:
        connects.append(1)

    event.listen(Engine, "connect", count)
    try:
        with parallel.connections_kept():
            for _ in range(4):
                with api.Gradebook(url) as gb:
                    assert [s.id for s in gb.students] == ["ada"]
            assert len(connects) == 1 and engine.pool.checkedin() == 1  # one, kept for reuse
        assert engine.pool.checkedin() == 0  # closed with the submission
        assert "dispose" not in vars(engine)  # the engine is itself again
        for _ in range(2):  # outside a submission: a connection per opening, as nbgrader does
            with api.Gradebook(url) as gb:
                pass
        assert len(connects) == 3 and engine.pool.checkedin() == 0
    finally:
        event.remove(Engine, "connect", count)


def test_the_snapshots_cells_are_read_once_before_the_workers_start(tmp_path):
    import shutil

    import nbformat
    from nbgrader.preprocessors import OverwriteCells
    from sqlalchemy import event
    from sqlalchemy.engine import Engine
    from test_instructor_support import make_course, remove_course

    from interview_lab.instructor.course import Course, generate_assignment

    course = Course.at(make_course())
    lookups: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        # find_source_cell / find_graded_cell: one cell looked up by its name
        if "source_cell.name = ?" in statement or "base_cell.name = ?" in statement:
            lookups.append(statement)

    def overwrite(step, db_url):
        nb = nbformat.read(course.root / "release" / "tiny" / "tiny.ipynb", as_version=4)
        resources = {"nbgrader": {"notebook": "tiny", "assignment": "tiny", "db_url": db_url}}
        return nbformat.writes(step(config=course.config()).preprocess(nb, resources)[0])

    try:
        generate_assignment(course, "tiny", release_dir=tmp_path / "release")
        snapshot = parallel.gradebook_snapshot(course, "tiny", tmp_path / "snapshot.db")
        parallel._SNAPSHOT_CELLS.clear()
        # The tiny notebook: 8 cells with an id (its source cells), 2 of them graded.
        assert parallel.read_snapshot_cells(snapshot, "tiny") == 8 + 2
        assert parallel.read_snapshot_cells(tmp_path / "snapshot.db", "no-such-assignment") == 0

        worker_copy = tmp_path / "worker-1.db"  # what a worker grades against
        shutil.copyfile(snapshot, worker_copy)
        parallel._SNAPSHOT_KEY[:] = [str(snapshot)]
        event.listen(Engine, "before_cursor_execute", count)
        kept = overwrite(parallel._snapshot_overwrite_cells(), f"sqlite:///{worker_copy}")
        assert lookups == [], "\n\n".join(lookups)  # every cell answered from what was read before
        expected = overwrite(OverwriteCells, f"sqlite:///{worker_copy}")
        assert lookups  # nbgrader's own step asks the database
        assert kept == expected
    finally:
        if event.contains(Engine, "before_cursor_execute", count):
            event.remove(Engine, "before_cursor_execute", count)
        parallel._SNAPSHOT_KEY.clear()
        parallel._SNAPSHOT_CELLS.clear()
        remove_course(course.root)
