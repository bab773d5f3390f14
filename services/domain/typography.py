"""Typography folding shared by article identity and taxonomy matching: quotes, dashes, spaces."""

import re
import unicodedata

_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"))
_QUOTES = str.maketrans(
    {
        **dict.fromkeys("‘’‚‛′`´", "'"),
        **dict.fromkeys("“”„‟″«»", '"'),
        **dict.fromkeys("‐‑‒–—―−⁃", "-"),
    }
)
_SPACES = re.compile(r"\s+")


def fold_typography(text: str) -> str:
    """NFKC (no-break spaces become spaces, '…' becomes '...'), invisible characters dropped, curly
    quotes and guillemets made straight, every dash a hyphen, runs of whitespace one space, trimmed.
    Case is kept."""
    folded = unicodedata.normalize("NFKC", text).translate(_INVISIBLE).translate(_QUOTES)
    return _SPACES.sub(" ", folded).strip()
