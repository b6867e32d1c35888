"""Settings for the whole test session, applied before any notebook kernel starts.

Learner files (checklist, drill progress) go to a temporary folder, never to a real home;
kernels started by nbval inherit this environment.
"""

import os
import shutil
import tempfile

_HOME = tempfile.mkdtemp(prefix="interview-lab-test-home-")
os.environ["INTERVIEW_LAB_HOME"] = _HOME
os.environ.setdefault("MPLBACKEND", "Agg")


def pytest_unconfigure(config):
    shutil.rmtree(_HOME, ignore_errors=True)


def pytest_ignore_collect(collection_path, config):
    """nbval checks the lecture notebooks only, not assignment fixtures or submissions."""
    if collection_path.suffix == ".ipynb" and collection_path.parent.name != "notebooks":
        return True
    return None
