"""The grading run's two changes to how nbgrader's helpers run (not to what they decide).

``validate_once_per_schema`` builds each JSON-schema validator once instead of per cell, and
``one_engine_per_gradebook`` keeps one SQLAlchemy engine per gradebook URL. Whether grades stay
the same is shown on every assignment's corpus (``test_instructor.py``); these tests pin down
the helpers themselves.
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


def test_one_engine_serves_every_gradebook_of_a_url(tmp_path):
    from nbgrader import api

    parallel.one_engine_per_gradebook()
    url = f"sqlite:///{tmp_path / 'gradebook.db'}"
    with api.Gradebook(url) as first:
        first.add_student("ada")
        engine = first.engine
    with api.Gradebook(url) as second:
        assert second.engine is engine
        assert [s.id for s in second.students] == ["ada"]
    with api.Gradebook(f"sqlite:///{tmp_path / 'other.db'}") as other:
        assert other.engine is not engine
