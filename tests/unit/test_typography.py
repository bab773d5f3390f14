"""fold_typography: the fast implementation gives exactly what the plain definition gives, for any text."""

import re
import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from services.domain.articles.typography import fold_typography

_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"))
_QUOTES = str.maketrans(
    {
        **dict.fromkeys("‘’‚‛′`´", "'"),
        **dict.fromkeys("“”„‟″«»", '"'),
        **dict.fromkeys("‐‑‒–—―−⁃", "-"),
    }
)


def reference(text: str) -> str:
    """The definition, written the obvious (slow) way."""
    folded = unicodedata.normalize("NFKC", text).translate(_INVISIBLE).translate(_QUOTES)
    return re.sub(r"\s+", " ", folded).strip()


TRICKY = "‘’‚‛′`´“”„‟″«»‐‑‒–—―−⁃\u00ad\u200b\u200c\u200d\u2060\ufeff\u00a0\u2009\u3000…ﬁ \t\n\x1c\x85 aZ1.-"


def test_quotes_dashes_spaces_and_invisibles_fold() -> None:
    text = "\u00a0 “Green” energy — Turkmenistan’s plan…\u200b\n\n `ok` ″x″ "
    assert fold_typography(text) == "\"Green\" energy - Turkmenistan's plan... 'ok' ''x''"
    assert fold_typography("plain  ascii\ttext ") == "plain ascii text"
    assert fold_typography(" it`s\r\n") == "it's"


@given(st.text(alphabet=st.sampled_from(TRICKY) | st.characters(), max_size=200))
def test_the_fast_fold_equals_the_definition(text: str) -> None:
    assert fold_typography(text) == reference(text)


@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=200))
def test_the_ascii_shortcut_equals_the_definition(text: str) -> None:
    assert fold_typography(text) == reference(text)
