"""Keep a submission's active content out of the HTML that nbgrader makes from it.

A notebook's outputs are whatever the student's code displayed, and its markdown cells are
the student's own text. nbgrader shows both as HTML: in the feedback students receive
(``GenerateFeedback``) and in the formgrader, inside the instructor's logged-in Jupyter
session, where a script could act as the instructor. :class:`NoActiveContent` is nbconvert's
``SanitizeHTML`` preprocessor (bleach) with what it leaves closed:

* code outputs: HTML is cleaned by bleach, with the tags and attributes of ordinary output
  (pandas' tables, text formatting) allowed and links limited to http, https and mailto;
  JavaScript, widgets, SVG and every other type that is not plain data are removed (images,
  text, LaTeX and JSON stay); an output's display metadata keeps only numbers for an image's
  width and height (nbconvert writes them into the ``<img>`` tag unquoted);
* markdown cells and markdown outputs: ``SanitizeHTML`` cleans markdown before it is
  rendered, which garbles honest text (``a > b`` in a code span comes out as ``a &gt; b``) and
  misses links written in markdown itself (``[x](javascript:...)``). Here each one is rendered
  with nbconvert's own markdown filter, as nbgrader's templates render it, and checked; one
  that would bring a script, an event handler, a frame, a form, a comment or a link other than
  http, https, mailto or a relative one is shown as plain text instead (a markdown output is
  dropped, its plain-text form stays). Honest markdown is left exactly as it was;
* the notebook's widget state (which makes nbconvert load widget scripts) is removed.

Used by the grading workers after execution (so ``autograded/`` holds no active outputs) and
in ``GenerateFeedback`` (``nbgrader_config.py``), for notebooks autograded some other way.
"""

from __future__ import annotations

import functools
import re
from html.parser import HTMLParser

from nbconvert.preprocessors.sanitize import SanitizeHTML
from nbformat import from_dict
from traitlets import Any, Bool, List, Set, Unicode

SAFE_SCHEMES = frozenset({"http", "https", "mailto"})
SAFE_IMAGE_DATA = re.compile(r"data:image/(png|jpeg|gif|webp|svg\+xml)[;,]")  # no script runs in an <img>
# What rendered markdown and ordinary HTML output use; anything else is not shown as HTML.
TAGS = frozenset(
    "a abbr acronym b blockquote br caption code col colgroup dd del details div dl dt em h1 h2 h3 "
    "h4 h5 h6 hr i img input kbd li mark ol p pre q s samp small span strong sub summary sup table "
    "tbody td tfoot th thead tr tt u ul var".split()
)
ATTRIBUTES = frozenset(
    "align alt border checked class colspan dir disabled height href id lang name open rowspan "
    "scope src start style title type valign width".split()
)
URL_ATTRIBUTES = frozenset({"href", "src"})
# Removed before bleach escapes the tag: pandas' <style scoped> would otherwise show as text.
# Only cosmetic: bleach, after it, decides what is safe (a script shows as escaped text).
_STYLE = re.compile(r"<style\b[^>]*>.*?</style\s*>", re.IGNORECASE | re.DOTALL)
_URL_NOISE = re.compile(r"[\x00-\x20\x7f]+")  # browsers ignore tabs and newlines inside a URL


def harmful_url(value: str, tag: str = "a", attribute: str = "href") -> bool:
    """Whether a link or image address could run anything: a scheme other than http, https
    or mailto (``javascript:``, ``vbscript:``, ``data:``, ...), except, for an image, image
    data inlined as ``data:`` and a cell's own ``attachment:`` (an image pasted into markdown,
    which nbconvert inlines). Relative addresses are harmless."""
    url = _URL_NOISE.sub("", value).lower()
    scheme, colon, _ = url.partition(":")
    if not colon or any(c in scheme for c in "/?#"):
        return False
    if scheme in SAFE_SCHEMES:
        return False
    image = tag == "img" and attribute == "src"
    return not (image and (scheme == "attachment" or SAFE_IMAGE_DATA.match(url)))


class _ActiveContentFinder(HTMLParser):
    """Lists what in a piece of HTML is not plain, passive markup. Strict on purpose: a tag or
    attribute outside the lists above, a comment or declaration, or markup left unfinished
    all count, so that no difference between this parser and a browser's can hide a script."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag not in TAGS:
            self.found.append(f"<{tag}>")
        for name, value in attrs:
            if name not in ATTRIBUTES:
                self.found.append(f"{name}= in <{tag}>")
            elif value and (name in URL_ATTRIBUTES and harmful_url(value, tag, name)
                            or "javascript:" in _URL_NOISE.sub("", value).lower()):
                self.found.append(f"{name}={value[:40]!r} in <{tag}>")

    def handle_endtag(self, tag):
        if tag not in TAGS:
            self.found.append(f"</{tag}>")

    def handle_comment(self, data):
        self.found.append("<!-- -->")

    def handle_decl(self, decl):
        self.found.append("<!...>")

    def handle_pi(self, data):
        self.found.append("<?...>")

    def unknown_decl(self, data):
        self.found.append("<![...]>")


def active_content(html: str) -> list[str]:
    """What in ``html`` is active or not plainly passive (empty: nothing)."""
    finder = _ActiveContentFinder()
    finder.feed(html)
    if finder.rawdata:  # an unfinished tag at the end: a browser would read on into the page
        finder.found.append("unfinished markup")
    return finder.found


def markdown_is_active(source: str, attachments: dict | None = None) -> bool:
    """Whether markdown, rendered as nbgrader's templates render it (nbconvert's renderer,
    with the cell's attachments inlined), holds active content. Markdown that cannot be
    rendered (an image pasted in, then its attachment removed) counts as active too: it is
    then shown as text rather than break the page."""
    if not attachments:
        return _markdown_is_active(source)
    return _renders_active(source, attachments)


@functools.lru_cache(maxsize=2048)
def _markdown_is_active(source: str) -> bool:
    # Cached: a worker sees the same instruction cells in every submission.
    return _renders_active(source, {})


def _renders_active(source: str, attachments: dict) -> bool:
    from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath

    try:
        html = MarkdownWithMath(renderer=IPythonRenderer(escape=False, attachments=attachments)).render(source)
    except Exception:  # e.g. a missing attachment: nbconvert's page would fail on it as well
        return True
    return bool(active_content(html))


def as_plain_text(source: str) -> str:
    """Markdown that shows ``source`` verbatim, as a code block, with a note why."""
    fence = "`" * max(3, 1 + max((len(run) for run in re.findall(r"`+", source)), default=0))
    return ("*Shown as plain text by the grader: this cell held HTML or links that could run "
            f"code.*\n\n{fence}text\n{source}\n{fence}\n")


def _safe_output_metadata(metadata):
    """An output's display metadata without what nbconvert's templates write into tags unsafely."""
    safe = {}
    for key, value in metadata.items():
        if key == "filenames":
            continue
        if key in ("width", "height"):
            if isinstance(value, int | float) and not isinstance(value, bool):
                safe[key] = value
        elif isinstance(value, dict):
            safe[key] = _safe_output_metadata(value)
        else:
            safe[key] = value
    return safe


class NoActiveContent(SanitizeHTML):
    """nbconvert's ``SanitizeHTML`` for notebooks nbgrader shows as HTML (see the module's
    docstring): no scripts, event handlers, ``javascript:`` links or JavaScript outputs."""

    enabled = Bool(True, help="on wherever it is listed (nbconvert's preprocessors start off)").tag(config=True)
    tags = List(Unicode(), default_value=sorted(TAGS - {"input", "details", "summary"})).tag(config=True)
    attributes = Any(default_value={
        "*": ["class", "title", "style", "align", "valign", "dir", "lang"],
        "a": ["href", "title", "name"],
        "img": ["src", "alt", "width", "height"],
        "table": ["border"],
        "th": ["colspan", "rowspan", "scope"],
        "td": ["colspan", "rowspan"],
        "col": ["span"],
        "colgroup": ["span"],
        "ol": ["start", "type"],
    }).tag(config=True)
    # Not rendered as HTML by the templates, or escaped; text/markdown is checked separately.
    safe_output_keys = Set(default_value={
        "metadata", "text/plain", "text/latex", "application/json", "image/png", "image/jpeg", "image/gif",
    }).tag(config=True)
    sanitized_output_types = Set(default_value={"text/html"}).tag(config=True)

    def preprocess(self, nb, resources):
        nb.metadata.pop("widgets", None)
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell, resources, cell_index):
        if cell.cell_type == "markdown":
            if markdown_is_active(cell.source, cell.get("attachments")):
                cell.source = as_plain_text(cell.source)
                cell.pop("attachments", None)
            return cell, resources
        return super().preprocess_cell(cell, resources, cell_index)

    def sanitize_code_outputs(self, outputs):
        # Markdown is checked as it will be rendered (not cleaned as text by bleach): set aside
        # here, put back after the base class has cleaned or removed the rest.
        markdowns = []
        for output in outputs:
            markdown = None
            if output.get("output_type") in ("display_data", "execute_result"):
                markdown = output.get("data", {}).pop("text/markdown", None)
                if "metadata" in output:
                    output["metadata"] = from_dict(_safe_output_metadata(output["metadata"]))
            markdowns.append(markdown if isinstance(markdown, str) and not markdown_is_active(markdown) else None)
        outputs = super().sanitize_code_outputs(outputs)
        for output, markdown in zip(outputs, markdowns, strict=True):
            if markdown is not None:
                output["data"]["text/markdown"] = markdown
        return outputs

    def sanitize_html_tags(self, html_str):
        return super().sanitize_html_tags(_STYLE.sub("", html_str))
