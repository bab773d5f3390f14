"""Text for chat payloads: page-derived strings made inert for each chat's markup, then cut to its limits.

Each escaper maps every character of the cleaned text to one "unit" (the character itself, or its escaped
form), so `fit` can cut between units and never through an escape sequence. Approaches, per chat:
- Slack mrkdwn: &, <, > become entities (Slack's documented escaping; this kills <!channel>, <@U..>,
  <url|text>). mrkdwn has no backslash escape, so *, _, ~ and ` become look-alike characters, and blocks set
  verbatim so bare URLs and names are not auto-linked ('@' and "://" also get a zero-width space, for the
  fallback text which has no verbatim). plain_text only needs the three entities.
- Discord and Mattermost markdown: a backslash before markdown punctuation; '@' gets a zero-width space
  after it so @everyone/@here/@channel/@all are not mentions; "://" (and "www.") are broken so no autolink.
  Discord also gets allowed_mentions {"parse": []}; Mattermost turns "<!channel>" and "<@id>" into mentions
  server-side, so < and > are always escaped.
- Teams Adaptive Card markdown (TextBlock, FactSet): backslash escapes render differently across Teams
  clients, so look-alikes again; free text goes in a RichTextBlock TextRun, which has no markdown at all.
"""

import json
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

Payload = tuple[dict[str, Any], dict[str, str]]
Escaper = Callable[[str], list[str]]

ELLIPSIS: Final = "…"
ZWSP: Final = "\u200b"
JSON_HEADERS: Final = {"Content-Type": "application/json"}

_LOOKALIKES = {"*": "∗", "_": "ˍ", "~": "∼", "`": "ˋ"}
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}


def clean(text: str) -> str:
    """One line: whitespace runs become one space; control and invisible format characters (bidi
    overrides, zero-width joiners) are dropped so they cannot hide or reorder text."""
    kept = [" " if char.isspace() else char for char in text]
    visible = (char for char in kept if not unicodedata.category(char).startswith("C"))
    return " ".join("".join(visible).split())


def text_length(text: str) -> int:
    """Length as the chat APIs count it (JavaScript strings: UTF-16 code units), never less than len()."""
    return len(text.encode("utf-16-le")) // 2


def fit(units: Sequence[str], limit: int) -> str:
    """Join units, cutting at a unit boundary with an ellipsis so the result is at most `limit` long."""
    if sum(text_length(unit) for unit in units) <= limit:
        return "".join(units)
    budget = limit - text_length(ELLIPSIS)
    kept: list[str] = []
    for unit in units:
        budget -= text_length(unit)
        if budget < 0:
            break
        kept.append(unit)
    return "".join(kept).rstrip(" ") + ELLIPSIS


def encode_body(body: Mapping[str, Any]) -> bytes:
    """The exact bytes to send for a payload body: compact UTF-8 JSON; the webhook signature covers these."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _escaper(
    table: Mapping[str, str],
    *,
    colon: str = ":",
    www_dot: str = ".",
    leading: Mapping[str, str] | None = None,
) -> Escaper:
    """An escaper from a character table plus the context rules: "://", "www." and a line-leading
    list or heading marker (a marker followed by a space at the start of the text)."""
    first = leading or {}

    def escape(text: str) -> list[str]:
        line = clean(text)
        units: list[str] = []
        for index, char in enumerate(line):
            if char == ":" and line.startswith("//", index + 1):
                units.append(colon)
            elif char == "." and _ends_www(line, index):
                units.append(www_dot)
            elif index == 0 and char in first and line.startswith(" ", 1):
                units.append(first[char])
            else:
                units.append(table.get(char, char))
        return units

    return escape


def _ends_www(line: str, index: int) -> bool:
    start = index - 3
    return start >= 0 and line[start:index].lower() == "www" and (start == 0 or not line[start - 1].isalnum())


def _backslashed(chars: str) -> dict[str, str]:
    return {char: "\\" + char for char in chars}


#: Slack mrkdwn text objects (with verbatim: true) and the top-level fallback text
slack_mrkdwn: Final = _escaper({**_ENTITIES, **_LOOKALIKES, "@": "@" + ZWSP}, colon=":" + ZWSP)
#: Slack plain_text objects: no formatting, but &, < and > are still control characters
slack_plain: Final = _escaper(_ENTITIES)
#: Discord embed title, description and field values
discord_markdown: Final = _escaper(
    {**_backslashed("\\*_~`|<>[]"), "@": "@" + ZWSP},
    colon="\\:",
    leading=_backslashed("#-+"),
)
#: Mattermost attachment title, text and field values ('#' makes hashtags, '$' inline LaTeX)
mattermost_markdown: Final = _escaper(
    {**_backslashed("\\*_~`|<>[]#!$"), "@": "@" + ZWSP},
    colon="\\:",
    www_dot="\\.",
    leading=_backslashed("-+"),
)
#: Teams TextBlock and FactSet: a markdown subset (bold, italic, lists, links) without reliable escapes
teams_markdown: Final = _escaper(
    # Teams mentions need <at> plus entities we never send; the zero-width spaces are belt and braces
    {**_LOOKALIKES, "[": "［", "]": "］", "@": "@" + ZWSP, "<": "<" + ZWSP},
    colon=":" + ZWSP,
    www_dot="." + ZWSP,
    leading={marker: ZWSP + marker for marker in "-+#"},
)
#: text with no markup at all (Teams TextRun, Mattermost fallback): only mentions ("@here", "<!channel>",
#: "<@id>") and autolinks to defuse
plain: Final = _escaper({"@": "@" + ZWSP, "<": "<" + ZWSP}, colon=":" + ZWSP, www_dot="." + ZWSP)
