"""Fixtures of the hub tests (defined in hubkit.py, whose helpers the tests import by name)."""

from hubkit import hub, hub_workshop, postgres  # noqa: F401
