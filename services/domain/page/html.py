"""HTML of a listing page to the rendered lines its plain-text version has, using selectolax's lexbor parser.

Every block element (p, div, li, h2, ...) becomes its own line and inline elements (a, span, strong...)
join into the line around them, which is how the saved text renderings look; page_text then reads both
the same way. Page chrome that is not part of the listing is skipped: scripts, styles, forms, navigation
menus (so the page-number links under the articles too), sidebars, footers, site branding and text
meant for screen readers only (WordPress puts the article title inside its "Continue reading" link).
"""

from typing import Any

from selectolax.lexbor import LexborHTMLParser

from services.domain.errors import ParseError

#: Deeper documents are refused. Real pages nest a few dozen levels; lexbor's tree building gets slow
#: (quadratic) on pathological nesting, and browsers stop nesting at 512 too.
MAX_DEPTH = 512
#: More tags than this is not a listing page (those have a few thousand); refusing it bounds the time
#: any document can take (the depth scan and lexbor are both linear in tags once depth is bounded).
MAX_TAGS = 100_000
# Up to this many tags even the worst nesting parses in a few milliseconds, so depth is only checked
# after parsing; above it, a cheap scan estimates depth before lexbor sees the document.
_UNCHECKED_TAGS = 4096

# Never listing text: code, media, forms, menus, sidebars and footers; figures too, since their captions
# are image credits, like the [caption] shortcodes text renderings carry (page_body strips those).
# fmt: off
_SKIP_TAGS = frozenset((
    "head", "script", "style", "noscript", "template", "svg", "math", "canvas", "iframe", "object", "embed",
    "video", "audio", "picture", "img", "form", "input", "button", "select", "textarea", "nav", "aside",
    "footer", "dialog", "figure", "figcaption",
))
# fmt: on
# Class names of WordPress themes (from _s, the starter most themes grow from) for chrome and post meta.
_SKIP_SELECTOR = (
    "[hidden], .screen-reader-text, .sr-only, .skip-link, .site-branding, .site-title, .site-description,"
    " .sidebar, .widget-area, .comments-area, .sharedaddy, .breadcrumbs, .posted-on, .cat-links,"
    " .tags-links, .comments-link, .edit-link, .wp-caption-text"
)
# fmt: off
_BLOCK_TAGS = frozenset((
    "address", "article", "blockquote", "body", "center", "dd", "details", "div", "dl", "dt", "fieldset",
    "h1", "h2", "h3", "h4", "h5", "h6", "header", "hgroup", "hr", "html", "li",
    "main", "marquee", "ol", "p", "pre", "section", "summary", "table", "tbody", "tfoot", "thead", "tr",
    "ul", "caption", "legend",
))
# fmt: on
_CELL_TAGS = frozenset(("td", "th"))
# Elements a tag-count scan must not count as opening a level: void elements never contain anything, and
# these close themselves when the next sibling starts (an unclosed <p> or <li> adds no depth).
# fmt: off
_FLAT_TAGS = frozenset((
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr",
    "p", "li", "dt", "dd", "option", "optgroup", "tr", "td", "th", "tbody", "thead", "tfoot", "colgroup",
    "rb", "rt", "rp",
))
# fmt: on
_RAW_TEXT_TAGS = frozenset(("script", "style", "textarea", "title", "xmp"))


def html_lines(html: str) -> list[str]:
    """The rendered lines of an HTML page.

    Raises ParseError with reason "html_too_large" past MAX_TAGS and "html_too_deep" past MAX_DEPTH.
    """
    tags = html.count("<")
    if tags > MAX_TAGS:
        raise ParseError(
            f"HTML with {tags} tags (more than {MAX_TAGS}): not a listing page", reason="html_too_large"
        )
    if tags > _UNCHECKED_TAGS and estimated_depth(html) > MAX_DEPTH:
        raise ParseError(f"HTML nested deeper than {MAX_DEPTH} elements", reason="html_too_deep")
    tree = LexborHTMLParser(html)
    skipped = {node.mem_id for node in tree.css(_SKIP_SELECTOR)}
    return _LineWriter().walk(tree.root, skipped)


class _LineWriter:
    """Collects inline text into the current line and ends the line at block boundaries."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.pieces: list[str] = []

    def walk(self, root: Any, skipped: set[int]) -> list[str]:
        """Depth-first over the tree without recursion, so deep documents cannot overflow the stack."""
        if root is None:
            return self.lines
        node = root.child
        depth = 1
        while node is not None and depth > 0:
            descend = False
            if node.is_text_node:
                self.pieces.append(node.text_content)
            elif node.is_element_node:
                tag = node.tag
                if tag not in _SKIP_TAGS and node.mem_id not in skipped:
                    if tag in _BLOCK_TAGS or tag == "br":
                        self._end_line()
                    descend = node.child is not None
                    if not descend:
                        self._leave(tag)
            if descend:
                depth += 1
                if depth > MAX_DEPTH:
                    raise ParseError(f"HTML nested deeper than {MAX_DEPTH} elements", reason="html_too_deep")
                node = node.child
                continue
            # Climb until a next sibling exists, leaving each element on the way up.
            while node is not None and node.next is None:
                node = node.parent
                depth -= 1
                if node is None or depth == 0:
                    node = None
                    break
                self._leave(node.tag)
            if node is not None:
                node = node.next
        self._end_line()
        return self.lines

    def _leave(self, tag: str) -> None:
        if tag in _BLOCK_TAGS:
            self._end_line()
        elif tag in _CELL_TAGS:
            self.pieces.append(" ")

    def _end_line(self) -> None:
        if self.pieces:
            line = "".join(self.pieces).strip()
            self.pieces.clear()
            if line:
                self.lines.append(line)


def estimated_depth(html: str) -> int:
    """How deep a document's elements nest, from its tags alone (no tree is built).

    An estimate good enough to refuse pathological documents before lexbor: end tags close one level,
    void and self-closing-by-sibling elements open none, comments and the raw text of scripts and styles
    are skipped. Splitting at "<" keeps the per-tag work to a few C-level string calls.
    """
    depth = deepest = 0
    skipping_to = ""  # "-->" inside a comment, "/script" (etc.) inside raw text
    for piece in html.lower().split("<")[1:]:
        if skipping_to:
            if skipping_to == "-->":
                if "-->" in piece:
                    skipping_to = ""
            elif piece.startswith(skipping_to):
                skipping_to = ""
                depth = max(0, depth - 1)
            continue
        if piece.startswith("!--"):
            if "-->" not in piece[3:]:
                skipping_to = "-->"
            continue
        closing = piece.startswith("/")
        name = piece[closing : closing + 16].split(">", 1)[0].split("/", 1)[0].strip()
        name = name.split(None, 1)[0] if name else ""
        if not name[:1].isalpha() or name in _FLAT_TAGS:
            continue
        if closing:
            depth = max(0, depth - 1)
            continue
        depth += 1
        deepest = max(deepest, depth)
        if name in _RAW_TEXT_TAGS:
            skipping_to = "/" + name
    return deepest
