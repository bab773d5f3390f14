"""Typography folding shared by article identity and taxonomy matching: quotes, dashes, spaces."""

import re
import unicodedata

_INVISIBLE = dict.fromkeys("\u00ad\u200b\u200c\u200d\u2060\ufeff", "")
_QUOTES = {
    **dict.fromkeys("‘’‚‛′`´", "'"),
    **dict.fromkeys("“”„‟″«»", '"'),
    **dict.fromkeys("‐‑‒–—―−⁃", "-"),
}
_FOLDED = {**_INVISIBLE, **_QUOTES}
# One regex pass replaces only the characters found: str.translate with a mapping looks every
# character up in a dict from Python, some 200 times slower on a page of text.
_SPECIAL = re.compile("[" + re.escape("".join(_FOLDED)) + "]")


def fold_typography(text: str) -> str:
    """NFKC (no-break spaces become spaces, '…' becomes '...'), invisible characters dropped, curly
    quotes and guillemets made straight, every dash a hyphen, runs of whitespace one space, trimmed.
    Case is kept."""
    if text.isascii():
        folded = text.replace("`", "'")  # NFKC leaves ASCII alone; the backtick is its only special
    else:
        folded = _SPECIAL.sub(_fold_one, unicodedata.normalize("NFKC", text))
    # split() with no separator cuts at runs of the same whitespace `\s` matches, and trims
    return " ".join(folded.split())


def _fold_one(found: re.Match[str]) -> str:
    return _FOLDED[found.group()]
