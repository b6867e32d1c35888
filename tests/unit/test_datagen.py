"""The Bibby log generator: the committed files are exactly what the generator writes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from interview_lab import datagen, dora

DATA = Path(__file__).resolve().parents[2] / "data"


def test_committed_files_equal_a_fresh_run(tmp_path):
    written = datagen.write(tmp_path)
    assert [p.name for p in written] == list(dora.BIBBY_FILES)
    for path in written:
        committed = DATA / path.name
        assert committed.read_bytes() == path.read_bytes(), (
            f"data/{path.name} differs from the generator's output; "
            "run python -m interview_lab.datagen and commit the result"
        )


def test_main_writes_into_the_folder_given(tmp_path, capsys):
    assert datagen.main(["--out", str(tmp_path)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(dora.BIBBY_FILES)
    assert capsys.readouterr().out.count("wrote ") == 3


def test_same_seed_same_tables_other_seed_other_tables():
    first = datagen.generate()
    again = datagen.generate()
    for a, b in zip(first, again, strict=True):
        pd.testing.assert_frame_equal(a, b)
    other = datagen.generate(seed=7)
    assert not first[0].equals(other[0])


def test_other_seeds_also_give_valid_logs(tmp_path):
    for seed in (1, 2, 3):
        paths = datagen.write(tmp_path / str(seed), seed=seed)
        log = dora.load_log(*paths)
        result = dora.four_keys(log)
        assert result.deployments > 100
        assert result.unresolved_incidents == 2


def test_generated_text_is_iso_8601_with_offsets_and_ids_are_unique():
    deployments, changes, incidents = datagen.generate()
    pattern = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$"
    assert deployments.deployed_at.str.match(pattern).all()
    assert changes.committed_at.str.match(pattern).all()
    assert incidents.opened_at.str.match(pattern).all()
    assert deployments.deploy_id.is_unique and incidents.incident_id.is_unique
    offsets = set(changes.committed_at.str[-6:])
    assert {"+05:30", "-05:00", "+00:00"} <= offsets
    assert (incidents.resolved_at == "").sum() == 2
    assert changes.commit_sha.str.fullmatch(r"[0-9a-f]{40}").all()


def test_progress_runs_from_near_zero_to_near_one():
    r = datagen.progress(np.arange(datagen.WEEKS, dtype=float))
    assert r[0] < 0.01 and r[-1] > 0.99
    assert np.all(np.diff(r) > 0)
