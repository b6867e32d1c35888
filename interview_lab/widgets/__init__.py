"""Widgets of the course: thin layers over the pure modules, one module per topic.

Every widget derives from :class:`LabWidget`: it holds its controls as attributes (so a test
can set ``w.servers.value = 0`` and read ``w.result.value``), computes with the library in
:meth:`LabWidget.compute`, and shows a ``ValueError``'s sentence in its message pane instead of
a traceback. Plots are shown as PNG images in an ``Image`` widget rather than through an
``Output`` widget, so a notebook's saved outputs do not depend on whether a browser was
attached when it ran.
"""

from interview_lab.widgets.base import LabWidget, error_html, table_html

__all__ = ["LabWidget", "error_html", "table_html"]
