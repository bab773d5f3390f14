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
    """The rendered lines of an HTML page; raises ParseError(reason="html_too_deep") past MAX_DEPTH."""
    if html.count("<") > _UNCHECKED_TAGS and estimated_depth(html) > MAX_DEPTH:
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

    An upper-bound-ish estimate good enough to refuse pathological documents before lexbor: end tags
    close one level, void and self-closing-by-sibling elements open none, raw text (scripts, styles) and
    comments are skipped.
    """
    lowered = html.lower()
    depth = deepest = 0
    at = lowered.find("<")
    while at != -1:
        if lowered.startswith("<!--", at):
            end = lowered.find("-->", at + 4)
            at = -1 if end == -1 else lowered.find("<", end + 3)
            continue
        closing = lowered.startswith("</", at)
        start = at + 2 if closing else at + 1
        stop = start
        while stop < len(lowered) and lowered[stop].isalnum():
            stop += 1
        name = lowered[start:stop]
        if name and name not in _FLAT_TAGS:
            if closing:
                depth = max(0, depth - 1)
            else:
                depth += 1
                deepest = max(deepest, depth)
                if name in _RAW_TEXT_TAGS:
                    stop = lowered.find(f"</{name}", stop)
                    if stop == -1:
                        break
        at = lowered.find("<", stop)
    return deepest
