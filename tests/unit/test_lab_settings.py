"""JupyterLab's defaults for the course (``lab-settings/overrides.json``), installed with the
environment: no "get notified about official Jupyter news?" pop-up, no update checks.

JupyterLab reads default-setting overrides from ``overrides.json`` in its application folder's
``settings/`` (``<sys.prefix>/share/jupyter/lab/settings`` in a virtual environment); ``make lab``,
``make setup`` and ``make test`` copy the course's file there.
"""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
from jupyterlab.commands import get_app_dir
from jupyterlab_server.settings_utils import get_settings

from interview_lab.settings import course_root

ROOT = course_root()
OURS = ROOT / "lab-settings" / "overrides.json"
NOTIFICATION = "@jupyterlab/apputils-extension:notification"
APP_DIR = Path(get_app_dir())


def _schema(plugin_id: str) -> dict:
    package, plugin = plugin_id.split(":")
    return json.loads((APP_DIR / "schemas" / package / f"{plugin}.json").read_text())


def test_the_course_turns_off_news_and_update_checks():
    overrides = json.loads(OURS.read_text())
    assert overrides[NOTIFICATION] == {"fetchNews": "false", "checkForUpdates": False}


def test_every_override_fits_the_installed_jupyterlabs_schema():
    """Names and values as this JupyterLab spells them (a typo would be ignored silently)."""
    for plugin_id, values in json.loads(OURS.read_text()).items():
        schema = _schema(plugin_id)
        assert set(values) <= set(schema["properties"]), plugin_id
        jsonschema.validate(values, schema)


def test_the_environment_has_the_courses_overrides_installed():
    installed = APP_DIR / "settings" / "overrides.json"
    assert installed.is_file(), f"{installed} is missing: `make setup` installs it"
    assert json.loads(installed.read_text()) == json.loads(OURS.read_text()), "stale: run `make setup`"


def test_jupyterlab_serves_them_as_the_defaults_of_a_new_user(tmp_path):
    """What JupyterLab's settings handler reads for a user who has changed nothing."""
    settings, _ = get_settings(str(APP_DIR / "settings"), str(APP_DIR / "schemas"), str(tmp_path),
                               schema_name=NOTIFICATION)
    defaults = {key: value["default"] for key, value in settings["schema"]["properties"].items()}
    assert defaults["fetchNews"] == "false"
    assert defaults["checkForUpdates"] is False
    assert settings["raw"] == "{}"  # nothing of the user's own
