"""Checks shared by the widget tests: a widget shows a result and a plot, or a clear error."""

from __future__ import annotations

import html

PNG = b"\x89PNG\r\n\x1a\n"


def assert_ok(widget) -> None:
    assert widget.last_error is None, widget.last_error
    assert widget.message.value == ""
    assert bytes(widget.figure.value).startswith(PNG)


def assert_error(widget, *fragments: str) -> None:
    assert widget.last_error is not None
    for fragment in fragments:
        assert fragment in widget.last_error
        assert html.escape(fragment) in widget.message.value
    assert "Traceback" not in widget.message.value
    assert widget.result.value == ""
    assert bytes(widget.figure.value) == b""
